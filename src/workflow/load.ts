/**
 * Reading workflow files: at most the size limit (`limits.ts`), strict
 * UTF-8, JSON text with line/column on syntax errors.
 *
 * @module
 */
import { fileErrorReason, oneLine, WorkflowValidationError } from "../errors.ts";
import { tooLargeError, workflowLimits } from "./limits.ts";

/**
 * Parses workflow JSON text. A syntax error becomes a
 * {@linkcode WorkflowValidationError} with its line and column. (The value
 * may be nested deep: `JSON.parse` does not recurse, and validation checks
 * the depth limit before any step that does.)
 *
 * @example
 * ```ts
 * import { parseWorkflowText } from "./load.ts";
 * const raw = parseWorkflowText('{"nodes": [], "connections": []}', "wf.json");
 * ```
 */
export function parseWorkflowText(text: string, file?: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
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
    // One line: control characters (such as an unexpected newline) shown escaped.
    const clean = oneLine(
      head.replace(/\s*(?:in JSON )?at position \d+.*$/s, "").replace(/\s*\(line \d+ column \d+\)/, ""),
    ) || "unexpected input";
    throw new WorkflowValidationError([{ path: "", message: `invalid JSON: ${clean}`, line, column }], file);
  }
  return value;
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
 * Reads and parses a workflow file (see {@linkcode readWorkflowText} and
 * {@linkcode parseWorkflowText}). Every problem is a
 * {@linkcode WorkflowValidationError} naming the file.
 *
 * @example
 * ```ts
 * import { readWorkflowFile } from "./load.ts";
 * const raw = await readWorkflowFile("examples/linear.json");
 * ```
 */
export async function readWorkflowFile(path: string): Promise<unknown> {
  return await Promise.resolve(parseWorkflowText(readWorkflowText(path), path));
}

/**
 * The text of a workflow file: unreadable files, files larger than the size
 * limit (`FLOW_MAX_WORKFLOW_BYTES`; reading stops there, so a device such as
 * `/dev/zero` is refused too) and text that is not UTF-8 are a
 * {@linkcode WorkflowValidationError} naming `label` (default: the path).
 *
 * @example
 * ```ts
 * import { readWorkflowText } from "./load.ts";
 * readWorkflowText("examples/linear.json").startsWith("{"); // true
 * ```
 */
export function readWorkflowText(path: string, label: string = path): string {
  return readWorkflowSource(path, label).text;
}

/**
 * A workflow file's bytes and their text, as {@linkcode readWorkflowText}
 * reads them (the bytes are what an editor's version tag is computed over).
 *
 * @example
 * ```ts
 * import { readWorkflowSource } from "./load.ts";
 * const { bytes, text } = readWorkflowSource("examples/linear.json");
 * ```
 */
export function readWorkflowSource(path: string, label: string = path): { bytes: Uint8Array; text: string } {
  let bytes: Uint8Array;
  try {
    bytes = readWorkflowBytes(path, label);
  } catch (err) {
    if (err instanceof WorkflowValidationError) throw err;
    throw new WorkflowValidationError([{ path: "", message: `cannot read workflow: ${fileErrorReason(err)}` }], label);
  }
  return { bytes, text: decodeWorkflowText(bytes, label) };
}

/**
 * A workflow file's bytes, at most the size limit: a larger file is a
 * {@linkcode WorkflowValidationError} naming `label`; a file that cannot be
 * read throws Deno's error.
 *
 * @example
 * ```ts
 * import { readWorkflowBytes } from "./load.ts";
 * readWorkflowBytes("examples/linear.json").length > 0; // true
 * ```
 */
export function readWorkflowBytes(path: string, label: string = path): Uint8Array {
  const { maxBytes } = workflowLimits();
  try {
    return readFileBytes(path, maxBytes);
  } catch (err) {
    if (err instanceof TooLarge) throw tooLargeError(label, maxBytes, err.size);
    throw err;
  }
}

/**
 * Reads a stream (stdin) to its end, or until it holds more than the size
 * limit: then it is cancelled, and the error names `label`.
 *
 * @example
 * ```ts
 * import { readWorkflowStream } from "./load.ts";
 * const bytes = await readWorkflowStream(Deno.stdin.readable, "<stdin>");
 * ```
 */
export async function readWorkflowStream(stream: ReadableStream<Uint8Array>, label: string): Promise<Uint8Array> {
  const { maxBytes } = workflowLimits();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLargeError(label, maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return chunks.length === 1 ? chunks[0] : concat(chunks);
}

const decoder = new TextDecoder();

/**
 * UTF-8 bytes as text (a leading BOM is dropped). Bytes that are not UTF-8
 * are a {@linkcode WorkflowValidationError} with their line, column and
 * byte offset: nothing is replaced silently.
 *
 * @example
 * ```ts
 * import { decodeWorkflowText } from "./load.ts";
 * decodeWorkflowText(new TextEncoder().encode("{}"), "wf.json"); // "{}"
 * ```
 */
export function decodeWorkflowText(bytes: Uint8Array, file?: string): string {
  // The replacing decoder is several times quicker than the fatal one: a text without U+FFFD had nothing replaced.
  const text = decoder.decode(bytes);
  if (!text.includes("\uFFFD")) return text;
  const offset = invalidUtf8Offset(bytes);
  if (offset < 0) return text; // the file holds U+FFFD itself
  const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  const column = decoder.decode(bytes.subarray(lineStart, offset)).length + 1;
  const hex = bytes[offset].toString(16).padStart(2, "0");
  throw new WorkflowValidationError([{
    path: "",
    message: `invalid UTF-8 at byte offset ${offset} (byte 0x${hex}); a workflow file must be UTF-8 text`,
    line,
    column,
  }], file);
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence (-1: none). */
export function invalidUtf8Offset(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead byte: how many continuation bytes follow, and the range of the first (no overlongs, no surrogates).
    let n: number, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n >= b.length || b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= n; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return i;
    i += n + 1;
  }
  return -1;
}

/** A file held more than the bytes allowed (`size`: its size, when it is a regular file). */
class TooLarge extends Error {
  constructor(readonly size?: number) {
    super("too large");
  }
}

/**
 * A file's bytes, read with one synchronous read into a buffer of the file's
 * size: for a large workflow file much quicker than `Deno.readFile`, which
 * reads in chunks and copies. More than `maxBytes` bytes throws before they
 * are read (a regular file) or as soon as they are (a device, a pipe).
 *
 * @example
 * ```ts
 * import { readFileBytes } from "./load.ts";
 * readFileBytes("examples/linear.json").length > 0; // true
 * ```
 */
export function readFileBytes(path: string, maxBytes: number = Infinity): Uint8Array {
  using file = Deno.openSync(path);
  const info = file.statSync();
  if (info.isFile && info.size > maxBytes) throw new TooLarge(info.size);
  const size = info.isFile ? info.size : 0;
  const bytes = new Uint8Array(size);
  let read = 0;
  while (read < size) {
    const n = file.readSync(bytes.subarray(read));
    if (n === null || n === 0) break;
    read += n;
  }
  // A file that grew while being read, or reports no size (a device, a pipe): read the rest in chunks.
  if (read < size) return bytes.subarray(0, read);
  const rest = readRest(file, maxBytes - size);
  return rest.length ? concat([bytes, rest]) : bytes;
}

/** The rest of a file, in chunks; more than `allowed` bytes throws. */
function readRest(file: Deno.FsFile, allowed: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  let total = 0;
  for (;;) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    total += n;
    if (total > allowed) throw new TooLarge();
    chunks.push(buf.slice(0, n));
  }
  return chunks.length === 1 ? chunks[0] : concat(chunks);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
