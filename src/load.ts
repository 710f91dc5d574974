/**
 * Reading workflow files: JSON text with line/column on syntax errors.
 *
 * @module
 */
import { fileErrorReason, WorkflowValidationError } from "./errors.ts";

/**
 * Parses workflow JSON text. A syntax error becomes a
 * {@linkcode WorkflowValidationError} with its line and column.
 *
 * @example
 * ```ts
 * import { parseWorkflowText } from "./load.ts";
 * const raw = parseWorkflowText('{"nodes": [], "connections": []}', "wf.json");
 * ```
 */
export function parseWorkflowText(text: string, file?: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // V8 quotes the text around an unexpected token: drop it before looking for a position in the message.
    const head = message.replace(/,? ?(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, "");
    const m = /\(line (\d+) column (\d+)\)/.exec(head);
    const pos = /at position (\d+)/.exec(head);
    let line: number | undefined, column: number | undefined;
    if (m) {
      line = Number(m[1]);
      column = Number(m[2]);
    } else {
      // "Unexpected token" messages carry no position: find the offending character ourselves.
      const offset = pos ? Number(pos[1]) : syntaxErrorOffset(body);
      const before = body.slice(0, offset);
      line = before.split("\n").length;
      column = offset - before.lastIndexOf("\n");
    }
    const clean = head.replace(/\s*(?:in JSON )?at position \d+.*$/s, "").replace(/\s*\(line \d+ column \d+\)/, "")
      // One line: show control characters (such as an unexpected newline) escaped.
      .replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1)) || "unexpected input";
    throw new WorkflowValidationError([{ path: "", message: `invalid JSON: ${clean}`, line, column }], file);
  }
}

/**
 * Offset of the first character a JSON parser must reject (the text length
 * when the text ends too early). Only called on text `JSON.parse` rejected.
 */
function syntaxErrorOffset(text: string): number {
  const n = text.length;
  const stack: string[] = []; // open "{" and "["
  let i = 0;
  const skipSpace = () => {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const isDigit = () => i < n && text[i] >= "0" && text[i] <= "9";
  // Scans a string starting at its opening quote; false when it is malformed (i at the fault).
  const scanString = (): boolean => {
    if (text[i] !== '"') return false;
    for (i++; i < n; i++) {
      const c = text[i];
      if (c === '"') {
        i++;
        return true;
      }
      if (c < " ") return false;
      if (c === "\\") {
        i++;
        if (text[i] === "u") {
          for (let k = 0; k < 4; k++) if (!/[0-9A-Fa-f]/.test(text[++i] ?? "")) return false;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) return false;
      }
    }
    return false;
  };
  // Scans `"key" :` and leaves i after the colon; false on a fault.
  const scanKey = (): boolean => {
    if (!scanString()) return false;
    skipSpace();
    if (text[i] !== ":") return false;
    i++;
    return true;
  };
  for (;;) {
    // Expect a value.
    skipSpace();
    const c = text[i];
    if (c === "{" || c === "[") {
      i++;
      skipSpace();
      if (text[i] === (c === "{" ? "}" : "]")) i++;
      else {
        stack.push(c);
        if (c === "{" && !scanKey()) return i;
        continue;
      }
    } else if (c === '"') {
      if (!scanString()) return i;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      if (c === "-") i++;
      if (text[i] === "0") i++;
      else if (isDigit()) { while (isDigit()) i++; }
      else return i;
      if (text[i] === ".") {
        i++;
        if (!isDigit()) return i;
        while (isDigit()) i++;
      }
      if (text[i] === "e" || text[i] === "E") {
        i++;
        if (text[i] === "+" || text[i] === "-") i++;
        if (!isDigit()) return i;
        while (isDigit()) i++;
      }
    } else {
      const word = c === "t" ? "true" : c === "f" ? "false" : c === "n" ? "null" : undefined;
      if (word === undefined) return i;
      for (const w of word) {
        if (text[i] !== w) return i;
        i++;
      }
    }
    // After a value: close containers, or a comma before the next value.
    for (;;) {
      skipSpace();
      const top = stack[stack.length - 1];
      if (top === undefined) return i; // a fault after a complete value, or the end
      if (text[i] === (top === "{" ? "}" : "]")) {
        stack.pop();
        i++;
        continue;
      }
      if (text[i] !== ",") return i;
      i++;
      if (top === "{") {
        skipSpace();
        if (!scanKey()) return i;
      }
      break;
    }
  }
}

/**
 * Reads and parses a workflow file. Unreadable files and bad JSON become a
 * {@linkcode WorkflowValidationError} naming the file.
 *
 * @example
 * ```ts
 * import { readWorkflowFile } from "./load.ts";
 * const raw = await readWorkflowFile("examples/linear.json");
 * ```
 */
export async function readWorkflowFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = decodeText(readFileBytes(path));
  } catch (err) {
    throw new WorkflowValidationError([{ path: "", message: `cannot read workflow: ${fileErrorReason(err)}` }], path);
  }
  return await Promise.resolve(parseWorkflowText(text, path));
}

const decoder = new TextDecoder();

/**
 * UTF-8 bytes as text (invalid sequences become U+FFFD, a leading BOM is
 * dropped), as `Deno.readTextFile` reads them, but about three times faster
 * for a large file.
 *
 * @example
 * ```ts
 * import { decodeText } from "./load.ts";
 * decodeText(Deno.readFileSync("examples/linear.json"));
 * ```
 */
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * A file's bytes, read with one synchronous read into a buffer of the file's
 * size: for a large workflow file much quicker than `Deno.readFile`, which
 * reads in chunks and copies.
 *
 * @example
 * ```ts
 * import { readFileBytes } from "./load.ts";
 * readFileBytes("examples/linear.json").length > 0; // true
 * ```
 */
export function readFileBytes(path: string): Uint8Array {
  using file = Deno.openSync(path);
  const size = file.statSync().size;
  const bytes = new Uint8Array(size);
  let read = 0;
  while (read < size) {
    const n = file.readSync(bytes.subarray(read));
    if (n === null || n === 0) break;
    read += n;
  }
  // A file that grew while being read, or reports no size (a pipe): read the rest the ordinary way.
  if (read < size) return bytes.subarray(0, read);
  const rest = readRest(file);
  return rest.length ? concat(bytes, rest) : bytes;
}

function readRest(file: Deno.FsFile): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.slice(0, n));
  }
  return chunks.length === 1 ? chunks[0] : concat(...chunks);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
