/**
 * Error types shared by validation, the executor and node implementations,
 * and the contract every user-facing error carries: a stable `code`, the HTTP
 * status the API answers with and the exit code the CLI ends with
 * ({@linkcode FlowError}), recognised by {@linkcode asFlowError} through a
 * symbol rather than by class, so that one lookup serves the CLI and the
 * server and holds in the single-file bundle, whose lazy parts carry copies of
 * these classes.
 *
 * @module
 */

/**
 * The exit codes of the `flow` CLI (docs/exit-codes.md). Here, beside the
 * errors that map to them, so that an engine error can name the code the CLI
 * ends with.
 */
export const ExitCode = {
  /** The workflow succeeded (or the command did what was asked). */
  Success: 0,
  /** The workflow ran and failed. */
  Failed: 1,
  /** Invalid workflow, inputs or command-line usage; nothing ran. */
  Usage: 2,
  /** Another run of the same workflow holds the lock (EX_TEMPFAIL: try again later). */
  Locked: 75,
  /** Cancelled by SIGINT or SIGTERM. */
  Cancelled: 130,
} as const;

/**
 * The mark of a {@linkcode FlowError}: a symbol of the global registry, the
 * same in every copy of this module (each lazy part of the bundle has one).
 */
const FLOW_ERROR: symbol = Symbol.for("flow.error");

/** The code of a {@linkcode WorkflowValidationError} (HTTP 400, exit 2). */
export const INVALID = "INVALID";

/**
 * The code of a store problem (`StoreError` of `src/store/`, HTTP 503, exit
 * 2); here, so that the CLI can say what failed without loading the store.
 */
export const STORE_UNAVAILABLE = "STORE_UNAVAILABLE";

/** What a user-facing error means to each adapter. */
export interface ErrorContract {
  /** Stable and machine-readable, e.g. `INVALID`, `NOT_FOUND`, `STORE_UNAVAILABLE`: the API's `error.code`. */
  readonly code: string;
  /** The HTTP status the API answers with (docs/api.md). */
  readonly status: number;
  /** The exit code the CLI ends with (docs/exit-codes.md). */
  readonly exitCode: number;
}

/** Options for {@linkcode FlowError}: its contract, and what the API's answer adds. */
export interface FlowErrorOptions extends ErrorContract {
  /** Headers of the API's answer, e.g. `retry-after`. */
  headers?: Record<string, string>;
  /** Fields the API's error body adds beside `message` and `code`, e.g. `issues`, `candidates`. */
  details?: Record<string, unknown>;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A problem a user can cause or fix (a wrong id, an invalid workflow, a full
 * queue, an unreadable database), as opposed to a bug. The CLI prints its
 * message on one line and exits with `exitCode`; the API answers `status`
 * with `{ error: { message, code, ...details } }`. Recognise one with
 * {@linkcode asFlowError}, not `instanceof`.
 *
 * @example
 * ```ts
 * import { asFlowError, FlowError } from "./errors.ts";
 * const err: unknown = new FlowError("no workflow \"orders\"", { code: "NOT_FOUND", status: 404, exitCode: 2 });
 * console.log(asFlowError(err)?.status); // 404
 * ```
 */
export class FlowError extends Error implements ErrorContract {
  /** Stable and machine-readable: the API's `error.code`. */
  readonly code: string;
  /** The HTTP status the API answers with. */
  readonly status: number;
  /** The exit code the CLI ends with. */
  readonly exitCode: number;
  /** Headers of the API's answer. */
  readonly headers: Readonly<Record<string, string>>;
  /** Fields the API's error body adds beside `message` and `code`. */
  readonly details: Readonly<Record<string, unknown>>;
  /** Creates the error; `message` says what was wrong, where, and the value found. */
  constructor(message: string, options: FlowErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "FlowError";
    this.code = options.code;
    this.status = options.status;
    this.exitCode = options.exitCode;
    this.headers = options.headers ?? {};
    this.details = options.details ?? {};
    Object.defineProperty(this, FLOW_ERROR, { value: true });
  }

  /** The message on one line, as the API gives it (the message itself unless a subclass says otherwise). */
  get summary(): string {
    return this.message;
  }
}

/**
 * `err` as a {@linkcode FlowError} when it is one, from whichever copy of
 * this module it was made (a lazy part of the bundle has its own); else
 * undefined: a bug, not a user's problem.
 *
 * @example
 * ```ts
 * import { asFlowError, WorkflowValidationError } from "./errors.ts";
 * const err: unknown = new WorkflowValidationError([{ path: "id", message: "required" }]);
 * console.log(asFlowError(err)?.code); // "INVALID"
 * console.log(asFlowError(new Error("a bug"))); // undefined
 * ```
 */
export function asFlowError(err: unknown): FlowError | undefined {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[FLOW_ERROR] === true
    ? err as FlowError
    : undefined;
}

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
export class WorkflowValidationError extends FlowError {
  /** Every problem found. */
  readonly issues: ValidationIssue[];
  /** The file the workflow came from, when known. */
  readonly file?: string;
  /** Creates the error from every issue found (and the file, for messages): `INVALID`, HTTP 400, exit 2. */
  constructor(issues: ValidationIssue[], file?: string) {
    super(issues.map((i) => formatIssue(i, file)).join("\n"), {
      code: INVALID,
      status: 400,
      exitCode: ExitCode.Usage,
      details: { issues: issues.map((i) => ({ path: i.path, message: i.message })) },
    });
    this.name = "WorkflowValidationError";
    this.issues = issues;
    this.file = file;
  }

  /** Every issue as `path: message`, joined by `; ` (the message has one line per issue, with the file). */
  override get summary(): string {
    return this.issues.map((i) => (i.path ? `${i.path}: ` : "") + i.message).join("; ");
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
