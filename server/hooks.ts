/**
 * Webhooks: `/hooks/<path>` starts a run of the workflow whose
 * `http.webhook` node claims that method and path.
 *
 * Order of checks: still loading 503, unknown path 404, wrong method 405 (with `Allow`), a body
 * over `maxBodyBytes` 413, a wrong credential 401 (no run starts), a
 * malformed JSON body 400. Then the run is accepted (or refused with 503 when
 * the limits are full) and answered by the node's `respond` mode.
 *
 * @module
 */
import type { Context } from "hono";
import type { WebhookConfig } from "../nodes/http/webhook.ts";
import type { RunResult } from "../src/executor.ts";
import type { TriggerResponse } from "../src/node.ts";
import type { Accepted } from "../src/runtime/backend.ts";
import type { FlowRuntime } from "../src/runtime/runtime.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { checkWebhookAuth } from "./webhook_auth.ts";

/** Handles one webhook request. */
export async function handleWebhook(c: Context, runtime: FlowRuntime): Promise<Response> {
  const url = new URL(c.req.url);
  const method = c.req.method.toUpperCase();
  if (!runtime.ready) {
    throw new HttpError(503, "LOADING", "the workflows are still loading; try again", { "retry-after": "1" });
  }
  const route = runtime.catalog.route(method, url.pathname);
  if (!route) throw new HttpError(404, "NOT_FOUND", `no webhook at ${url.pathname}`);
  if ("allow" in route) {
    throw new HttpError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed at ${url.pathname}`, {
      allow: route.allow.join(", "),
    });
  }
  const version = route.entry.version!;
  const trigger = version.triggers.find((t) => t.nodeId === route.nodeId)!;
  const config = trigger.config as unknown as WebhookConfig;
  const raw = await readBody(c.req.raw, config.maxBodyBytes);
  if (!await checkWebhookAuth(config.auth, c.req.raw.headers, raw, (name) => Deno.env.get(name))) {
    throw new HttpError(401, "UNAUTHORIZED", "wrong or missing credentials", authChallenge(config));
  }
  const payload = {
    method,
    path: url.pathname,
    headers: payloadHeaders(c.req.raw.headers, config.auth),
    query: queryObject(url.searchParams),
    body: parseBody(raw, c.req.header("content-type") ?? ""),
  };
  let answer: ((r: TriggerResponse) => void) | undefined;
  const answered = new Promise<TriggerResponse>((resolve) => answer = resolve);
  let sent = false;
  let given: TriggerResponse | undefined;
  const accepted: Accepted = await runtime.submit({
    version,
    inputs: {},
    trigger: "webhook",
    fire: {
      nodeId: route.nodeId,
      payload,
      respond: config.respond === "node"
        ? (r) => {
          if (sent) return false;
          sent = true;
          given = r;
          answer!(r);
          return true;
        }
        : undefined,
    },
  });
  const location = `/api/v1/runs/${accepted.executionId}`;
  if (config.respond === "immediately") {
    await runtime.durable(); // accepted means recorded
    return c.json({ executionId: accepted.executionId }, 202, { location });
  }
  // Most runs whose nodes run synchronously have answered by now: then no timer and no race.
  if (given) return respondWith(given, accepted.executionId);
  const outcome = await waitFor(accepted.done, config.respond === "node" ? answered : undefined, config.timeoutMs);
  if (outcome.kind === "timeout") {
    return errorResponse(c, 504, "TIMEOUT", `the run did not answer within ${config.timeoutMs} ms`, {
      executionId: accepted.executionId,
    }, { location });
  }
  if (outcome.kind === "answer") return respondWith(outcome.response, accepted.executionId);
  const result = outcome.result;
  if (result.status === "success") return c.json(result.outputs, 200, { "x-flow-execution-id": result.executionId });
  const error = result.error ?? { message: `the run ${result.status}`, code: result.status.toUpperCase() };
  return c.json({ error, executionId: result.executionId }, 500, { location });
}

/** Reads the body up to `limit` bytes; 413 beyond it. */
async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, "TOO_LARGE", `the body is ${declared} bytes; the limit is ${limit}`);
  }
  if (!req.body) return new Uint8Array();
  // Framed by Content-Length (within the limit): read it in one go, cheaper than iterating the stream.
  if (Number.isFinite(declared)) return new Uint8Array(await req.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, "TOO_LARGE", `the body is over the limit of ${limit} bytes`);
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

/**
 * The request headers as the webhook node outputs them (lower-case names),
 * with the credential header of the node's `auth` (authorization, or the
 * named header) replaced by `***`: a basic credential is the secret in
 * base64, which secret redaction cannot recognize.
 */
function payloadHeaders(headers: Headers, auth: WebhookConfig["auth"]): Record<string, string> {
  const out = Object.fromEntries(headers);
  const credential = auth?.type === "bearer" || auth?.type === "basic"
    ? "authorization"
    : auth?.type === "header"
    ? auth.name.toLowerCase()
    : undefined;
  if (credential && credential in out) out[credential] = "***";
  return out;
}

/** JSON and form bodies parsed, other text as is; null when empty. 400 for malformed JSON. */
function parseBody(raw: Uint8Array, contentType: string): unknown {
  if (raw.length === 0) return null;
  const text = new TextDecoder().decode(raw);
  const type = contentType.split(";")[0].trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new HttpError(400, "BAD_JSON", `malformed JSON body: ${(err as Error).message}`);
    }
  }
  if (type === "application/x-www-form-urlencoded") return queryObject(new URLSearchParams(text));
  return text;
}

/** Query or form parameters; a repeated name gives an array. */
function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prior = out[k];
    out[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  return out;
}

function authChallenge(config: WebhookConfig): Record<string, string> {
  if (config.auth?.type === "basic") return { "www-authenticate": 'Basic realm="flow"' };
  if (config.auth?.type === "bearer") return { "www-authenticate": "Bearer" };
  return {};
}

/** What a webhook request waits for. */
type Outcome =
  | { kind: "done"; result: RunResult }
  | { kind: "answer"; response: TriggerResponse }
  | { kind: "timeout" };

/** The first of: the run's end, an http.respond answer, or the timeout. */
function waitFor(
  done: Promise<RunResult>,
  answered: Promise<TriggerResponse> | undefined,
  timeoutMs: number,
): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcomes: Promise<Outcome>[] = [
    done.then((result) => ({ kind: "done", result })),
    new Promise((resolve) => timer = setTimeout(() => resolve({ kind: "timeout" }), timeoutMs)),
  ];
  if (answered) outcomes.push(answered.then((response) => ({ kind: "answer", response })));
  return Promise.race(outcomes).finally(() => clearTimeout(timer));
}

/** The response an http.respond node gave. */
function respondWith(r: TriggerResponse, executionId: string): Response {
  if (typeof r.body !== "string" && Object.keys(r.headers).length === 0) {
    // No headers of the node's: a plain record costs less than a Headers object.
    const headers = { "content-type": "application/json", "x-flow-execution-id": executionId };
    return new Response(r.body === null || r.body === undefined ? null : JSON.stringify(r.body), {
      status: r.status,
      headers,
    });
  }
  const headers = new Headers(r.headers);
  headers.set("x-flow-execution-id", executionId);
  if (typeof r.body === "string") {
    if (!headers.has("content-type")) headers.set("content-type", "text/plain; charset=utf-8");
    return new Response(r.body, { status: r.status, headers });
  }
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return new Response(r.body === null || r.body === undefined ? null : JSON.stringify(r.body), {
    status: r.status,
    headers,
  });
}
