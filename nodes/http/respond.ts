/**
 * `http.respond`: answers the request that started the run (a webhook with
 * `respond: "node"`) as soon as it runs; the run goes on.
 *
 * @module
 */
import { defineNode } from "../../src/node/node.ts";

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
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(inputs.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const sent = trigger?.respond?.({ status, headers, body: inputs.body ?? null }) ?? false;
    if (!sent) log.info(`no request to answer; would have sent ${status}`);
    return { status, sent };
  },
});
