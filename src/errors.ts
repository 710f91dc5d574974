/**
 * Error types shared by validation, the executor and node implementations.
 *
 * @module
 */

/** One problem found while validating a workflow: where it is and what is wrong. */
export interface ValidationIssue {
  /** JSON path inside the workflow file, e.g. `nodes[2].config.method`; empty for file-level problems. */
  path: string;
  /** What is wrong, including the value found where that helps. */
  message: string;
  /** 1-based line and column, for JSON syntax errors. */
  line?: number;
  /** 1-based column, for JSON syntax errors. */
  column?: number;
}

/**
 * Text as one line: control characters (a newline, a terminal escape) shown
 * escaped, as in JSON.
 *
 * @example
 * ```ts
 * import { oneLine } from "./errors.ts";
 * oneLine("a\nb"); // "a\\nb"
 * ```
 */
export function oneLine(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1));
}

/**
 * Formats an issue as one line: `FILE:LINE:COL: message` or `FILE: path:
 * message`. Control characters (a newline, a terminal escape) from a file
 * name or a value are shown escaped, as in JSON: the line stays one line.
 */
export function formatIssue(issue: ValidationIssue, file?: string): string {
  const where = issue.line !== undefined ? `${file ?? "<workflow>"}:${issue.line}:${issue.column ?? 1}` : file ?? "";
  const parts = [where, issue.path, issue.message].filter((p) => p !== "");
  return oneLine(parts.join(": "));
}

/**
 * Thrown when a workflow is invalid. Carries every issue found, not just the first.
 *
 * @example
 * ```ts
 * import { WorkflowValidationError } from "./errors.ts";
 * const err = new WorkflowValidationError([{ path: "nodes", message: "required" }]);
 * console.log(err.issues.length); // 1
 * ```
 */
export class WorkflowValidationError extends Error {
  /** Every problem found. */
  readonly issues: ValidationIssue[];
  /** The file the workflow came from, when known. */
  readonly file?: string;
  /** Creates the error from every issue found (and the file, for messages). */
  constructor(issues: ValidationIssue[], file?: string) {
    super(issues.map((i) => formatIssue(i, file)).join("\n"));
    this.name = "WorkflowValidationError";
    this.issues = issues;
    this.file = file;
  }
}

/** Options for {@linkcode NodeError}. */
export interface NodeErrorOptions {
  /** Machine-readable code, reported in `node.failed` events. Default `NODE_ERROR`. */
  code?: string;
  /** Whether the retry policy may run the node again. Default `true`. */
  retryable?: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error a node throws to fail with a specific code. Any other thrown value
 * fails the node with code `NODE_ERROR`.
 *
 * @example
 * ```ts
 * import { NodeError } from "./errors.ts";
 * throw new NodeError("quota exceeded", { code: "QUOTA", retryable: false });
 * ```
 */
export class NodeError extends Error {
  /** Machine-readable code. */
  readonly code: string;
  /** Whether a retry may help. */
  readonly retryable: boolean;
  /** Creates the error; see {@linkcode NodeErrorOptions}. */
  constructor(message: string, options: NodeErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "NodeError";
    this.code = options.code ?? "NODE_ERROR";
    this.retryable = options.retryable ?? true;
  }
}

/** The `{ message, code }` shape reported in events. */
export interface ErrorInfo {
  /** Human-readable, one line. */
  message: string;
  /** Machine-readable code such as `TIMEOUT`, `HTTP_STATUS`, `NODE_ERROR`. */
  code: string;
}

/** Converts anything thrown into the `{ message, code }` shape used by events. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof NodeError) return { message: err.message, code: err.code };
  if (err instanceof Error) {
    const code = err.name === "TimeoutError" ? "TIMEOUT" : err.name === "AbortError" ? "CANCELLED" : "NODE_ERROR";
    return { message: err.message || err.name, code };
  }
  return { message: String(err), code: "NODE_ERROR" };
}

/**
 * A short reason for a failed file operation: `file not found`,
 * `permission denied` (by the OS), `is a directory`, or Deno's message
 * without its `(os error N): op 'path'` tail (e.g. a missing `--allow-read`).
 *
 * @example
 * ```ts
 * import { fileErrorReason } from "./errors.ts";
 * try {
 *   Deno.readTextFileSync("/nonexistent");
 * } catch (err) {
 *   console.log(fileErrorReason(err)); // "file not found"
 * }
 * ```
 */
export function fileErrorReason(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "file not found";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  const message = err instanceof Error ? err.message : String(err);
  if (/\(os error 21\)/.test(message)) return "is a directory";
  if (/\(os error 20\)/.test(message)) return "not a directory";
  return message.replace(/\s*\(os error \d+\).*$/s, "");
}
