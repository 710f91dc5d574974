/**
 * Errors as HTTP responses: `{ "error": { "message", "code" } }` with a
 * fitting status, for every error a client can cause. Anything else is a 500
 * with a generic message (and the stack on the server's stderr).
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { WorkflowValidationError } from "../src/errors.ts";
import { BusyError, UnavailableError } from "../src/runtime/backend.ts";
import { ExecutionLookupError } from "../src/runtime/lookup.ts";
import { ResumeError } from "../src/runtime/resume.ts";
import { NotFoundError } from "../src/runtime/runtime.ts";
import { TriggerChoiceError } from "../src/runtime/triggers.ts";
import { StoreError } from "../src/store/types.ts";
import { SourceError, type SourceErrorCode, StaleError } from "../src/sources/errors.ts";

/** An error with its HTTP status and code, thrown by handlers. */
export class HttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Machine-readable code. */
  readonly code: string;
  /** Extra headers (e.g. Allow, Retry-After). */
  readonly headers: Record<string, string>;
  /** Creates the error. */
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** The JSON error response. */
export function errorResponse(
  c: Context,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const { executionId, ...rest } = extra;
  return c.json(
    { error: { message, code, ...rest }, ...(executionId === undefined ? {} : { executionId }) },
    status as 400,
    headers,
  );
}

/** Codes of the client errors Hono's own middleware throws (an `HTTPException`), by status. */
const HONO_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  404: "NOT_FOUND",
  413: "TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

/** The status of each code of a workflow file request (docs/api.md#editing-workflow-files). */
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

/** Maps a thrown error to its response; unknown errors are logged and become a 500. */
export function handleError(c: Context, err: unknown, log: (line: string) => void): Response {
  if (err instanceof HttpError) return errorResponse(c, err.status, err.code, err.message, {}, err.headers);
  if (err instanceof HTTPException && err.status < 500) return honoError(c, err);
  if (err instanceof WorkflowValidationError) {
    return errorResponse(
      c,
      400,
      "INVALID",
      err.issues.map((i) => (i.path ? `${i.path}: ` : "") + i.message).join("; "),
      {
        issues: err.issues.map((i) => ({ path: i.path, message: i.message })),
      },
    );
  }
  if (err instanceof StaleError) {
    // The client merges against what the file holds now: its text and tag come with the refusal.
    return c.json({ error: { message: err.message, code: err.code }, etag: err.etag, text: err.text }, 412, {
      etag: `"${err.etag}"`,
    });
  }
  if (err instanceof SourceError) return errorResponse(c, SOURCE_STATUS[err.code], err.code, err.message);
  if (err instanceof TriggerChoiceError) return errorResponse(c, 400, "TRIGGER", err.message);
  if (err instanceof NotFoundError) return errorResponse(c, 404, "NOT_FOUND", err.message);
  if (err instanceof ExecutionLookupError) {
    return err.candidates.length
      ? errorResponse(c, 409, "AMBIGUOUS_ID", err.message, { candidates: err.candidates })
      : errorResponse(c, 404, "NOT_FOUND", err.message);
  }
  if (err instanceof ResumeError) return errorResponse(c, 409, err.code, err.message);
  if (err instanceof BusyError) {
    return errorResponse(c, 503, "BUSY", err.message, {}, { "retry-after": String(err.retryAfter) });
  }
  if (err instanceof UnavailableError) {
    return errorResponse(c, 503, err.code, err.message, {}, { "retry-after": "5" });
  }
  if (err instanceof StoreError) return errorResponse(c, 503, "STORE_UNAVAILABLE", err.message);
  log(`flow serve: internal error on ${c.req.method} ${new URL(c.req.url).pathname}: ${(err as Error)?.stack ?? err}`);
  return errorResponse(c, 500, "INTERNAL", "internal error; see the server log");
}

/** A client error thrown by Hono's middleware (e.g. zod-openapi's validation errors), in our format. */
function honoError(c: Context, err: HTTPException): Response {
  const code = HONO_CODES[err.status] ?? `HTTP_${err.status}`;
  return errorResponse(c, err.status, code, err.message || `HTTP ${err.status}`);
}
