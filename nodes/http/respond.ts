/**
 * `http.respond`: answers the request that started the run (a webhook with
 * `respond: "node"`) as soon as it runs; the run goes on.
 *
 * @module
 */
import { NodeError } from "../../src/errors.ts";
import { defineNode } from "../../src/node/node.ts";
import { preview } from "../../src/workflow/values.ts";

/** Statuses whose response has no body (the Fetch standard's null body statuses). */
const NO_BODY = new Set([204, 205, 304]);

const badInput = (message: string) => new NodeError(message, { code: "BAD_INPUT", retryable: false });

/** Control characters a header value may not hold (all but tab): `Headers` lets most through, HTTP does not. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * The response headers, lower-case names: a name or value HTTP does not
 * allow is a `BAD_INPUT` error. (Deno's server ends the process on a
 * header value with a control character that `Headers` took.)
 */
function responseHeaders(given: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  const check = new Headers();
  for (const [k, v] of Object.entries(given)) {
    const value = String(v);
    try {
      check.set(k, "");
    } catch {
      throw badInput(`headers: ${preview(k)} is not a header name HTTP allows`);
    }
    let normal: string | null = null;
    try {
      check.set(k, value);
      normal = check.get(k);
    } catch { /* refused below */ }
    if (normal === null || CONTROL.test(normal)) {
      throw badInput(`headers.${k}: ${preview(value)} is not a header value HTTP allows`);
    }
    headers[k.toLowerCase()] = normal;
  }
  return headers;
}

/** The `http.respond` node type. */
export default defineNode({
  type: "http.respond",
  description: 'Answers the webhook request that started the run (respond: "node"); the run goes on',
  inputs: {
    status: { type: "number", description: "Status code (default 200)", required: false },
    headers: { type: "object", description: "Response headers", required: false },
    body: { type: "any", description: "A string is sent as is, anything else as JSON", required: false },
  },
  outputs: {
    status: { type: "number", description: "The status sent" },
    sent: { type: "boolean", description: "Whether a request was answered (false under flow run)" },
  },
  run({ inputs, trigger, log }) {
    const status = inputs.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw badInput(`status: expected an integer from 200 to 599; got ${preview(status)}`);
    }
    const body = inputs.body ?? null;
    if (NO_BODY.has(status) && body !== null) {
      throw badInput(`body: a ${status} response has no body; got ${preview(body)}`);
    }
    const headers = responseHeaders(inputs.headers ?? {});
    const sent = trigger?.respond?.({ status, headers, body }) ?? false;
    if (!sent) log.info(`no request to answer; would have sent ${status}`);
    return { status, sent };
  },
});
