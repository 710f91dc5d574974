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
import type { RunResult } from "../src/engine/mod.ts";
import type { TriggerResponse } from "../src/node/mod.ts";
import type { Accepted } from "../src/runtime/mod.ts";
import type { FlowRuntime } from "../src/runtime/service.ts";
import { isJsonType, jsonText, mediaType, parseJson, readBody } from "./body.ts";
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
  const payload = await webhookPayload(c, config, url.pathname, url);
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

/**
 * A webhook request as its trigger node's payload (`{ method, path, headers,
 * query, body }`), read as the node's config says: a body over
 * `maxBodyBytes` is 413, wrong credentials 401 (nothing runs), a malformed
 * JSON body 400. `path` is the path the payload shows; `url`, the request's
 * URL when the caller has parsed it already.
 */
export async function webhookPayload(
  c: Context,
  config: WebhookConfig,
  path: string,
  url: URL = new URL(c.req.url),
): Promise<Record<string, unknown>> {
  const raw = await readBody(c.req.raw, { bytes: config.maxBodyBytes, setting: "maxBodyBytes" });
  if (!await checkWebhookAuth(config.auth, c.req.raw.headers, raw, (name) => Deno.env.get(name))) {
    throw new HttpError(401, "UNAUTHORIZED", "wrong or missing credentials", authChallenge(config));
  }
  return {
    method: c.req.method.toUpperCase(),
    path,
    headers: payloadHeaders(c.req.raw.headers, config.auth),
    query: queryObject(url.searchParams),
    body: parseBody(raw, c.req.header("content-type") ?? ""),
  };
}

/**
 * The request headers as the webhook node outputs them (lower-case names),
 * with the credential header of the node's `auth` (authorization, or the
 * named header) replaced by `***`: a basic credential is the secret in
 * base64, which secret redaction cannot recognize.
 */
function payloadHeaders(headers: Headers, auth: WebhookConfig["auth"]): Record<string, string> {
  // On a null prototype, as every object made of request data: a header named "constructor" is just a header.
  const out: Record<string, string> = Object.create(null);
  // forEach, not for...of: Deno's Headers iterator costs about 3 µs for a request's few headers, forEach 0.6.
  headers.forEach((value, name) => out[name] = value);
  const credential = auth?.type === "bearer" || auth?.type === "basic"
    ? "authorization"
    : auth?.type === "header"
    ? auth.name.toLowerCase()
    : undefined;
  if (credential && Object.hasOwn(out, credential)) out[credential] = "***";
  return out;
}

/** JSON and form bodies parsed, other text as is; null when empty. 400 for malformed JSON. */
function parseBody(raw: Uint8Array, contentType: string): unknown {
  if (raw.length === 0) return null;
  if (isJsonType(contentType)) return parseJson(jsonText(raw));
  const text = new TextDecoder().decode(raw);
  if (mediaType(contentType) === "application/x-www-form-urlencoded") return queryObject(new URLSearchParams(text));
  return text;
}

/**
 * Query or form parameters; a repeated name gives an array. The object has
 * no prototype, so any name (`constructor`, `toString`, `__proto__`) is a
 * parameter like another, never an inherited property.
 */
function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  // forEach, not for...of: Deno's iterator objects cost microseconds on every request, even with no parameters.
  params.forEach((v, k) => {
    const prior = out[k];
    if (prior === undefined) out[k] = v;
    else if (Array.isArray(prior)) prior.push(v);
    else out[k] = [prior, v];
  });
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
