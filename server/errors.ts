/**
 * Errors as HTTP responses: `{ "error": { "message", "code" } }` with a
 * fitting status, for every error a client can cause. Anything else is a 500
 * with a generic message (and the stack on the server's stderr).
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { asFlowError, ExitCode, FlowError, oneLine } from "../src/errors.ts";

/** An error with its HTTP status and code, thrown by handlers: a {@linkcode FlowError} of the server's own. */
export class HttpError extends FlowError {
  /** Creates the error. */
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message, { code, status, exitCode: ExitCode.Usage, headers });
    this.name = "HttpError";
  }
}

/** Fields of an error's details that the answer carries beside `error`, not inside it. */
const TOP_LEVEL = ["executionId", "etag", "text"] as const;

/**
 * The JSON error response, `{ error: { message, code, ...extra } }`; its
 * message is made one line (control characters escaped). `executionId` (a run
 * exists), and `etag` and `text` (a stale write: what the file holds now)
 * stand beside `error`.
 */
export function errorResponse(
  c: Context,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const inner: Record<string, unknown> = { ...extra };
  const outer: Record<string, unknown> = {};
  for (const key of TOP_LEVEL) {
    if (inner[key] !== undefined) outer[key] = inner[key];
    delete inner[key];
  }
  // One line, whatever it quotes (an id from the path may hold a newline).
  return c.json({ error: { message: oneLine(message), code, ...inner }, ...outer }, status as 400, headers);
}

/** Codes of the client errors Hono's own middleware throws (an `HTTPException`), by status. */
const HONO_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  404: "NOT_FOUND",
  413: "TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

/**
 * Maps a thrown error to its response: a {@linkcode FlowError} (from any part
 * of the engine, recognised by its mark, not its class) answers its own status
 * and code; a client error of Hono's middleware its status; anything else is
 * logged and becomes a 500.
 */
export function handleError(c: Context, err: unknown, log: (line: string) => void): Response {
  const known = asFlowError(err);
  if (known) return errorResponse(c, known.status, known.code, known.summary, known.details, known.headers);
  if (err instanceof HTTPException && err.status < 500) return honoError(c, err);
  log(`flow serve: internal error on ${c.req.method} ${new URL(c.req.url).pathname}: ${(err as Error)?.stack ?? err}`);
  return errorResponse(c, 500, "INTERNAL", "internal error; see the server log");
}

/** A client error thrown by Hono's middleware (e.g. zod-openapi's validation errors), in our format. */
function honoError(c: Context, err: HTTPException): Response {
  const code = HONO_CODES[err.status] ?? `HTTP_${err.status}`;
  return errorResponse(c, err.status, code, err.message || `HTTP ${err.status}`);
}
