/**
 * Reading workflow files: JSON text with line/column on syntax errors.
 *
 * @module
 */
import { WorkflowValidationError } from "./errors.ts";

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
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const m = /\(line (\d+) column (\d+)\)/.exec(message);
    const pos = /at position (\d+)/.exec(message);
    let line: number | undefined, column: number | undefined;
    if (m) {
      line = Number(m[1]);
      column = Number(m[2]);
    } else if (pos) {
      const before = text.slice(0, Number(pos[1]));
      line = before.split("\n").length;
      column = Number(pos[1]) - before.lastIndexOf("\n");
    } else {
      const lines = text.split("\n");
      line = lines.length;
      column = lines[lines.length - 1].length + 1;
    }
    const clean = message.replace(/\s*in JSON at position \d+.*$/, "").replace(/\s*\(line \d+ column \d+\)/, "")
      .replace(/, ".*" is not valid JSON$/s, "");
    throw new WorkflowValidationError([{ path: "", message: `invalid JSON: ${clean}`, line, column }], file);
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
    text = await Deno.readTextFile(path);
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound
      ? "file not found"
      : err instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : err instanceof Error
      ? err.message
      : String(err);
    throw new WorkflowValidationError([{ path: "", message: `cannot read workflow: ${reason}` }], path);
  }
  return parseWorkflowText(text, path);
}
