/**
 * `http.request`: one HTTP request with the native `fetch`.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";
import { NodeError } from "../../src/errors.ts";

/** Methods `http.request` accepts. */
export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    url: z.optional(z.string()),
    method: z._default(z.enum(METHODS), "GET"),
    headers: z.optional(z.record(z.string(), z.string())),
    query: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
    body: z.optional(z.unknown()),
    failOnStatus: described(z._default(z.boolean(), true), "Fail on a non-2xx status"),
  })
);

/** The `http.request` node type. */
export default defineNode({
  type: "http.request",
  description: "Sends an HTTP request with fetch; outputs status, headers and the body as text",
  inputs: {
    url: { type: "string", description: "Absolute http(s) URL" },
    method: { type: "string", description: "HTTP method (default GET)", required: false },
    headers: { type: "object", description: "Request headers", required: false },
    query: { type: "object", description: "Query parameters added to the URL", required: false },
    body: { type: "any", description: "Request body; objects and arrays are sent as JSON", required: false },
  },
  outputs: {
    status: { type: "number", description: "Response status code" },
    headers: { type: "object", description: "Response headers (lower-case names)" },
    body: { type: "string", description: "Response body as text" },
  },
  get config() {
    return configSchema();
  },
  async run({ inputs, config, signal }) {
    const method = inputs.method?.toUpperCase() ?? "GET";
    if (!(METHODS as readonly string[]).includes(method)) {
      throw new NodeError(`method: expected one of ${METHODS.join(", ")}; got ${JSON.stringify(inputs.method)}`, {
        code: "BAD_INPUT",
        retryable: false,
      });
    }
    let url: URL;
    try {
      url = new URL(inputs.url);
    } catch {
      throw new NodeError(`url: not an absolute URL: ${JSON.stringify(inputs.url)}`, {
        code: "BAD_INPUT",
        retryable: false,
      });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new NodeError(`url: expected http or https; got ${url.protocol}`, { code: "BAD_INPUT", retryable: false });
    }
    for (const [k, v] of Object.entries(inputs.query ?? {})) url.searchParams.append(k, String(v));
    const headers = new Headers();
    for (const [k, v] of Object.entries(inputs.headers ?? {})) headers.set(k, String(v));
    let body: string | undefined;
    if (inputs.body !== undefined && inputs.body !== null) {
      if (typeof inputs.body === "string") body = inputs.body;
      else {
        body = JSON.stringify(inputs.body);
        if (!headers.has("content-type")) headers.set("content-type", "application/json");
      }
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const reason = err instanceof Error
        ? (err.cause instanceof Error ? err.cause.message : err.message)
        : String(err);
      throw new NodeError(`${method} ${url}: ${reason}`, { code: "NETWORK", cause: err });
    }
    const text = await res.text();
    if (config.failOnStatus && (res.status < 200 || res.status > 299)) {
      const snippet = text.length > 200 ? text.slice(0, 200) + "…" : text;
      throw new NodeError(
        `${method} ${url}: HTTP ${res.status} ${res.statusText}${snippet ? `: ${snippet.replace(/\s+/g, " ")}` : ""}`,
        { code: "HTTP_STATUS", retryable: res.status >= 500 || res.status === 429 || res.status === 408 },
      );
    }
    return { status: res.status, headers: Object.fromEntries(res.headers), body: text };
  },
});
