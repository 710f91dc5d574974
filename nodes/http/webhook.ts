/**
 * `http.webhook`: a trigger. Under `flow serve`, a request to
 * `/hooks/<path>` starts a run; the node outputs the request.
 *
 * @module
 */
import { z } from "zod";
import { defineNode } from "../../src/node.ts";

/** Methods a webhook can accept. */
export const WEBHOOK_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** A webhook path: `orders` or `orders/new` (served under `/hooks/`). */
export const WEBHOOK_PATH = /^\/?[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/;

const secret = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).describe(
  "Name of an environment variable listed in settings.secrets",
);

/** How a webhook checks the caller. */
export const WebhookAuthSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("bearer"), secret }),
  z.strictObject({ type: z.literal("header"), name: z.string().min(1).describe("Header name"), secret }),
  z.strictObject({ type: z.literal("basic"), username: z.string().min(1), secret }),
  z.strictObject({
    type: z.literal("hmac"),
    header: z.string().min(1).describe("Header holding the signature, e.g. x-hub-signature-256"),
    prefix: z.string().default("").describe('Text before the signature, e.g. "sha256="'),
    algorithm: z.enum(["sha256", "sha1", "sha512"]).default("sha256"),
    encoding: z.enum(["hex", "base64"]).default("hex"),
    secret,
  }),
]);

/** The config of `http.webhook`. */
export const WebhookConfigSchema = z.object({
  path: z.string().regex(WEBHOOK_PATH, {
    error: (iss) => `expected a path like "orders" or "orders/new"; got ${JSON.stringify(iss.input)}`,
  }).describe('Served at /hooks/<path>: "orders" is /hooks/orders'),
  method: z.enum(WEBHOOK_METHODS).default("POST"),
  respond: z.enum(["onCompleted", "immediately", "node"]).default("onCompleted").describe(
    "onCompleted: 200 with the outputs when the run ends; immediately: 202 with the execution id; node: an http.respond node answers",
  ),
  maxBodyBytes: z.number().int().min(0).default(1024 * 1024).describe("Larger bodies get 413"),
  timeoutMs: z.number().int().min(1).default(30_000).describe(
    "onCompleted and node: how long the request waits for the answer before 504",
  ),
  auth: WebhookAuthSchema.optional(),
});

/** The parsed config of `http.webhook`. */
export type WebhookConfig = z.output<typeof WebhookConfigSchema>;

/** The `http.webhook` node type. */
export default defineNode({
  type: "http.webhook",
  description: "Trigger: a request to /hooks/<path> starts a run (flow serve); outputs the request",
  trigger: "webhook",
  inputs: {},
  outputs: {
    method: { type: "string", description: "Request method" },
    path: { type: "string", description: "Request path, e.g. /hooks/orders" },
    headers: { type: "object", description: "Request headers (lower-case names)" },
    query: { type: "object", description: "Query parameters" },
    body: { type: "any", description: "JSON and form bodies parsed, text otherwise; null when empty" },
  },
  config: WebhookConfigSchema,
  run({ config, trigger, nodeId }) {
    const p = trigger?.nodeId === nodeId ? trigger.payload : {};
    const headers: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((p.headers ?? {}) as Record<string, unknown>)) headers[k.toLowerCase()] = v;
    return {
      method: typeof p.method === "string" ? p.method.toUpperCase() : config.method,
      path: typeof p.path === "string" ? p.path : `/hooks/${config.path.replace(/^\//, "")}`,
      headers,
      query: (p.query ?? {}) as Record<string, unknown>,
      body: p.body ?? null,
    };
  },
});
