/**
 * `http.webhook`: a trigger. Under `flow serve`, a request to
 * `/hooks/<path>` starts a run; the node outputs the request.
 *
 * @module
 */
import * as z from "zod/mini";
import { defineNode } from "../../src/node/node.ts";
import { described, once } from "../../src/workflow/zod.ts";

/** Methods a webhook can accept. */
export const WEBHOOK_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** A webhook path: `orders` or `orders/new` (served under `/hooks/`). */
export const WEBHOOK_PATH = /^\/?[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/;

/** The parsed config of `http.webhook`. */
export interface WebhookConfig {
  /** Served at `/hooks/<path>`. */
  path: string;
  /** The method it accepts. */
  method: typeof WEBHOOK_METHODS[number];
  /** How the request is answered. */
  respond: "onCompleted" | "immediately" | "node";
  /** Larger bodies get 413. */
  maxBodyBytes: number;
  /** How long an answer may take before 504, ms. */
  timeoutMs: number;
  /** How the caller is checked; secrets name environment variables listed in `settings.secrets`. */
  auth?:
    | { type: "bearer"; secret: string }
    | { type: "header"; name: string; secret: string }
    | { type: "basic"; username: string; secret: string }
    | {
      type: "hmac";
      header: string;
      prefix: string;
      algorithm: "sha256" | "sha1" | "sha512";
      encoding: "hex" | "base64";
      secret: string;
    };
}

/** The config schema, built on first use. */
export const webhookConfigSchema = once(() => {
  const secret = described(
    z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)),
    "Name of an environment variable listed in settings.secrets",
  );
  const nonEmpty = () => z.string().check(z.minLength(1));
  const auth = z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("bearer"), secret }),
    z.strictObject({ type: z.literal("header"), name: described(nonEmpty(), "Header name"), secret }),
    z.strictObject({ type: z.literal("basic"), username: nonEmpty(), secret }),
    z.strictObject({
      type: z.literal("hmac"),
      header: described(nonEmpty(), "Header holding the signature, e.g. x-hub-signature-256"),
      prefix: described(z._default(z.string(), ""), 'Text before the signature, e.g. "sha256="'),
      algorithm: z._default(z.enum(["sha256", "sha1", "sha512"]), "sha256"),
      encoding: z._default(z.enum(["hex", "base64"]), "hex"),
      secret,
    }),
  ]);
  return z.object({
    path: described(
      z.string().check(z.regex(WEBHOOK_PATH, {
        error: (iss) => `expected a path like "orders" or "orders/new"; got ${JSON.stringify(iss.input)}`,
      })),
      'Served at /hooks/<path>: "orders" is /hooks/orders',
    ),
    method: z._default(z.enum(WEBHOOK_METHODS), "POST"),
    respond: described(
      z._default(z.enum(["onCompleted", "immediately", "node"]), "onCompleted"),
      "onCompleted: 200 with the outputs when the run ends; immediately: 202 with the execution id; node: an http.respond node answers",
    ),
    maxBodyBytes: described(z._default(z.number().check(z.int(), z.minimum(0)), 1024 * 1024), "Larger bodies get 413"),
    timeoutMs: described(
      z._default(z.number().check(z.int(), z.minimum(1)), 30_000),
      "onCompleted and node: how long the request waits for the answer before 504",
    ),
    auth: z.optional(auth),
  });
});

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
  get config() {
    return webhookConfigSchema();
  },
  run({ config, trigger, nodeId }) {
    const p = trigger?.nodeId === nodeId ? trigger.payload : {};
    const given = (p.headers ?? {}) as Record<string, unknown>;
    const headers: Record<string, unknown> = {};
    for (const k of Object.keys(given)) headers[k.toLowerCase()] = given[k];
    return {
      method: typeof p.method === "string" ? p.method.toUpperCase() : config.method,
      path: typeof p.path === "string" ? p.path : `/hooks/${config.path.replace(/^\//, "")}`,
      headers,
      query: (p.query ?? {}) as Record<string, unknown>,
      body: p.body ?? null,
    };
  },
});
