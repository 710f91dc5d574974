/**
 * What can go wrong reading, editing and creating workflow files through
 * `flow serve` (docs/api.md#editing-workflow-files): one error type, with
 * a code the HTTP layer maps to its status.
 *
 * @module
 */
import { ExitCode, FlowError } from "../errors.ts";

/** The codes of {@linkcode SourceError}. */
export type SourceErrorCode =
  | "NOT_FOUND"
  | "BAD_PATH"
  | "EXISTS"
  | "READ_ONLY"
  | "PRECONDITION_REQUIRED"
  | "STALE"
  | "NOT_JSON"
  | "BAD_TEXT"
  | "PATCH_FAILED"
  | "TOO_LARGE";

/**
 * A request about a workflow file that cannot be done: unknown file, a path
 * outside the served directories, a stale version tag, a patch that does
 * not apply, and so on.
 *
 * @example
 * ```ts
 * import { SourceError } from "./errors.ts";
 * throw new SourceError("BAD_PATH", 'file: ".." is not allowed in a path; got "../x.json"');
 * ```
 */
export class SourceError extends FlowError {
  /** What went wrong. */
  declare readonly code: SourceErrorCode;
  /** Creates the error; `details` and `headers` go into the API's answer. */
  constructor(
    code: SourceErrorCode,
    message: string,
    answer: { details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message, { code, status: SOURCE_STATUS[code], exitCode: ExitCode.Usage, ...answer });
    this.name = "SourceError";
  }
}

/** The HTTP status of each code (docs/api.md#editing-workflow-files). */
const SOURCE_STATUS: Record<SourceErrorCode, number> = {
  NOT_FOUND: 404,
  BAD_PATH: 400,
  EXISTS: 409,
  READ_ONLY: 403,
  PRECONDITION_REQUIRED: 428,
  STALE: 412,
  NOT_JSON: 400,
  BAD_TEXT: 400,
  PATCH_FAILED: 400,
  TOO_LARGE: 413,
};

/** A write whose `If-Match` tag is not the file's: the file is left as it is; here is what it holds now. */
export class StaleError extends SourceError {
  /** The current tag of the file. */
  readonly etag: string;
  /** The current text of the file. */
  readonly text: string;
  /** Creates the error. */
  constructor(message: string, etag: string, text: string) {
    // The client merges against what the file holds now: its text and tag come with the refusal.
    super("STALE", message, { details: { etag, text }, headers: { etag: `"${etag}"` } });
    this.name = "StaleError";
    this.etag = etag;
    this.text = text;
  }
}
