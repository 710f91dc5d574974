/**
 * Request bodies within a named limit, for the API (`--max-api-body`, every
 * route) and for webhooks (`maxBodyBytes`, each webhook): at most the limit
 * is read, with or without `Content-Length` (413 `TOO_LARGE` naming the
 * limit), and a JSON body is parsed with a 400 `BAD_JSON` that gives the
 * parser's message, or refused before parsing with a 400 `TOO_DEEP` when it
 * nests deeper than `FLOW_MAX_WORKFLOW_DEPTH` levels.
 *
 * The body is read here rather than by Hono's `bodyLimit` (which wraps a
 * streamed request in `new Request(request)`) or by a `request.clone()`:
 * both read `request.signal`, and then Deno prints a warning about its
 * "legacy behavior" on the server's stderr.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { oneLine } from "../src/errors.ts";
import { jsonTooDeepAt, tooDeepMessage, workflowLimits } from "../src/workflow/mod.ts";
import { HttpError } from "./errors.ts";

/** A body size limit and the setting that changes it, for the message of a 413. */
export interface BodyLimit {
  /** Largest body, bytes. */
  bytes: number;
  /** The setting, as a user writes it: `--max-api-body`, `maxBodyBytes`. */
  setting: string;
}

/** JSON media types (the essence of a `Content-Type`): `application/json`, `application/*+json`. */
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/;

/** The essence of a `Content-Type` (lower case, without parameters): `application/json; charset=utf-8` -> `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

/** Whether a `Content-Type` is JSON (`application/json` or `application/*+json`). */
export function isJsonType(contentType: string | undefined): boolean {
  return JSON_TYPE.test(mediaType(contentType));
}

function tooLarge(limit: BodyLimit, size: string): HttpError {
  return new HttpError(413, "TOO_LARGE", `the body is ${size}; the limit (${limit.setting}) is ${limit.bytes} bytes`);
}

/**
 * Reads the body, at most `limit.bytes` of it: a 413 {@linkcode HttpError}
 * beyond that, and a 400 `BAD_REQUEST` when the connection fails while it
 * is read (a client that half-closes its side after sending: Deno's server
 * then drops the body).
 */
export async function readBody(req: Request, limit: BodyLimit): Promise<Uint8Array> {
  try {
    return await readWithin(req, limit);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(
      400,
      "BAD_REQUEST",
      "the request body could not be read: the connection closed while it was read",
    );
  }
}

async function readWithin(req: Request, limit: BodyLimit): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit.bytes) throw tooLarge(limit, `${declared} bytes`);
  if (!req.body) return new Uint8Array();
  // Framed by Content-Length (within the limit): read it in one go, cheaper than iterating the stream.
  if (Number.isFinite(declared)) return new Uint8Array(await req.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > limit.bytes) throw tooLarge(limit, `over ${limit.bytes} bytes`);
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** UTF-8 text of a JSON body; a 400 `BAD_JSON` for bytes that are not UTF-8. */
export function jsonText(raw: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new HttpError(400, "BAD_JSON", "malformed JSON body: it is not valid UTF-8");
  }
}

let depthLimit: number | undefined;

/**
 * The deepest nesting of arrays and objects a JSON body may have:
 * `FLOW_MAX_WORKFLOW_DEPTH` (64 by default), read once (`createApp` reads it
 * at start, so a bad value stops `flow serve` there).
 */
export function bodyDepthLimit(): number {
  return depthLimit ??= workflowLimits().maxDepth;
}

/**
 * Parses a JSON body's text; a 400 `BAD_JSON` with the parser's message, and
 * a 400 `TOO_DEEP` for a body nested deeper than `maxDepth` levels of arrays
 * and objects (found before parsing: see `jsonTooDeepAt`).
 */
export function parseJson(text: string, maxDepth: number = bodyDepthLimit()): unknown {
  const at = jsonTooDeepAt(text, maxDepth);
  if (at >= 0) throw new HttpError(400, "TOO_DEEP", tooDeepMessage("the JSON body", text, at, maxDepth));
  try {
    return JSON.parse(text);
  } catch (err) {
    // One line: the parser quotes the text around the error, newlines and all.
    throw new HttpError(400, "BAD_JSON", `malformed JSON body: ${oneLine((err as Error).message)}`);
  }
}

/** Methods whose requests `new Request` cannot be given a body. */
const NO_BODY_METHOD = /^(?:get|head|trace|track|connect)$/i;

/**
 * Middleware that reads every request body of the routes below it within
 * `limit`. A JSON body must be JSON (an empty one is not): 400 `BAD_JSON`
 * otherwise, but on the routes `verbatim` names, which take any text. The
 * request then carries the bytes read, for the routes' validators.
 */
export function limitedBody(
  limit: BodyLimit,
  options: { verbatim?: (method: string, path: string) => boolean } = {},
): MiddlewareHandler {
  return async (c, next) => {
    const req = c.req.raw;
    // GET and HEAD (in any case: a socket may send "get") take no body, and a Request refuses TRACE, TRACK and
    // CONNECT: no route takes them, so they go on to a 405 without being rebuilt below.
    if (req.body === null || NO_BODY_METHOD.test(req.method)) return await next();
    const raw = await readBody(req, limit);
    const type = c.req.header("content-type");
    // A route that takes any text (a workflow file's draft) checks it itself.
    if (isJsonType(type) && !options.verbatim?.(req.method, c.req.path)) {
      if (raw.length === 0) {
        throw new HttpError(400, "BAD_JSON", `the body is empty but its content-type is ${mediaType(type)}`);
      }
      parseJson(jsonText(raw));
    }
    // Built from its parts: `new Request(req)` would read req.signal (see the module's note).
    c.req.raw = new Request(req.url, {
      method: req.method,
      headers: req.headers,
      body: raw as Uint8Array<ArrayBuffer>,
    });
    await next();
  };
}
