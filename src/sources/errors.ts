/**
 * What can go wrong reading, editing and creating workflow files through
 * `flow serve` (docs/api.md#editing-workflow-files): one error type, with
 * a code the HTTP layer maps to its status.
 *
 * @module
 */

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
export class SourceError extends Error {
  /** What went wrong. */
  readonly code: SourceErrorCode;
  /** Creates the error. */
  constructor(code: SourceErrorCode, message: string) {
    super(message);
    this.name = "SourceError";
    this.code = code;
  }
}

/** A write whose `If-Match` tag is not the file's: the file is left as it is; here is what it holds now. */
export class StaleError extends SourceError {
  /** The current tag of the file. */
  readonly etag: string;
  /** The current text of the file. */
  readonly text: string;
  /** Creates the error. */
  constructor(message: string, etag: string, text: string) {
    super("STALE", message);
    this.name = "StaleError";
    this.etag = etag;
    this.text = text;
  }
}
