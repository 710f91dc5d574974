/**
 * "Listen for a test request": the editor asks for a one-time URL for an
 * `http.webhook` node (`/hooks/@test/<token>`, a path no webhook can claim:
 * `@` is not allowed in webhook paths); the next request to it is read as the
 * node would read it (its method, body limit and credentials), run through
 * the node in an editor run, and its outputs are pinned. With `run`, the
 * editor run is the whole workflow (with its other pins). The URL expires;
 * what happened is on `GET /api/v1/events` (`event: editor`) and in a poll.
 *
 * The URL needs no API token: like a webhook, it is called by other
 * programs, and its random token (32 bytes) is its credential, good once.
 *
 * @module
 */
import type { Context } from "hono";
import type { WebhookConfig } from "../nodes/http/webhook.ts";
import type { FlowEvent } from "../src/engine/mod.ts";
import type { FlowRuntime } from "../src/runtime/service.ts";
import { HttpError } from "./errors.ts";
import { webhookPayload } from "./hooks.ts";

/** The path prefix of test request URLs. */
export const TEST_HOOK_PREFIX = "/hooks/@test/";

/** Default and longest time a test request URL waits, seconds. */
export const TEST_REQUEST_TTL = { default: 120, max: 3600 } as const;

/** How long a finished listener's status stays readable, ms. */
const KEEP_FINISHED_MS = 10 * 60_000;

/** One listener, as the API shows it. */
export interface TestRequestView {
  /** The workflow. */
  workflowId: string;
  /** The webhook node. */
  nodeId: string;
  /** `listening`, `captured`, `expired` or `cancelled`. */
  status: "listening" | "captured" | "expired" | "cancelled";
  /** The one-time URL (while listening). */
  url?: string;
  /** The method it accepts (the node's). */
  method: string;
  /** Whether the capture starts a run of the whole workflow. */
  run: boolean;
  /** When it stops listening, ISO 8601. */
  expiresAt: string;
  /** When a request was captured. */
  capturedAt?: string;
  /** The editor run that read it (and, with `run`, ran the workflow). */
  executionId?: string;
}

interface Listener extends TestRequestView {
  token: string;
  cancelTimer: () => void;
  finishedAt?: number;
}

/** The listeners of one server, one per webhook node at most. */
export class TestRequests {
  readonly #runtime: FlowRuntime;
  readonly #byToken = new Map<string, Listener>();
  readonly #byNode = new Map<string, Listener>();

  /** Listeners of `runtime`'s workflows. */
  constructor(runtime: FlowRuntime) {
    this.#runtime = runtime;
  }

  /**
   * Listens for the next request for webhook node `nodeId` (replacing a
   * listener it had). Throws a 404 for an unknown workflow or node, 400
   * `NOT_A_WEBHOOK` for a node that is not an `http.webhook` trigger.
   */
  listen(
    workflowId: string,
    nodeId: string,
    options: { run: boolean; ttlSeconds: number; baseUrl: string },
  ): TestRequestView {
    const config = webhookConfig(this.#runtime, workflowId, nodeId);
    this.cancel(workflowId, nodeId);
    this.#forgetOld();
    const token = randomToken();
    const listener: Listener = {
      workflowId,
      nodeId,
      status: "listening",
      url: `${options.baseUrl.replace(/\/+$/, "")}${TEST_HOOK_PREFIX}${token}`,
      method: config.method,
      run: options.run,
      expiresAt: new Date(Date.now() + options.ttlSeconds * 1000).toISOString(),
      token,
      cancelTimer: () => {},
    };
    const timer = setTimeout(() => {
      if (listener.status !== "listening") return;
      this.#finish(listener, "expired");
      this.#runtime.publishEditor({ type: "test-request.expired", workflowId, nodeId });
    }, options.ttlSeconds * 1000);
    Deno.unrefTimer(timer); // a listener never keeps the server from stopping
    listener.cancelTimer = () => clearTimeout(timer);
    this.#byToken.set(token, listener);
    this.#byNode.set(key(workflowId, nodeId), listener);
    return view(listener);
  }

  /** The listener of a node (listening or finished in the last minutes), or undefined. */
  status(workflowId: string, nodeId: string): TestRequestView | undefined {
    const l = this.#byNode.get(key(workflowId, nodeId));
    return l ? view(l) : undefined;
  }

  /** Stops listening for a node; false when it was not listening. */
  cancel(workflowId: string, nodeId: string): boolean {
    const l = this.#byNode.get(key(workflowId, nodeId));
    if (!l || l.status !== "listening") return false;
    this.#finish(l, "cancelled");
    return true;
  }

  /**
   * Handles a request to a test URL: 404 unless a listener waits there
   * (each URL answers once), 405 for another method, the node's own body
   * limit and credentials, then an editor run that captures the request as
   * the node's pinned outputs. 200 `{ "captured": true, "executionId", ... }`
   * once the pin is stored.
   */
  async handle(c: Context): Promise<Response> {
    const token = c.req.path.slice(TEST_HOOK_PREFIX.length);
    const listener = this.#byToken.get(token);
    if (!listener || listener.status !== "listening") {
      throw new HttpError(
        404,
        "NOT_FOUND",
        "no test request is awaited at this URL (it expired, was used, or never was)",
      );
    }
    const { workflowId, nodeId } = listener;
    const config = webhookConfig(this.#runtime, workflowId, nodeId);
    const method = c.req.method.toUpperCase();
    if (method !== config.method) {
      throw new HttpError(
        405,
        "METHOD_NOT_ALLOWED",
        `${method} is not allowed here; node "${nodeId}" takes ${config.method}`,
        {
          allow: config.method,
        },
      );
    }
    // The payload shows the node's own path, as a request to its webhook would (the token is not data).
    const payload = await webhookPayload(c, config, `/hooks/${config.path.replace(/^\/+/, "")}`);
    if (listener.status !== "listening") throw new HttpError(404, "NOT_FOUND", "this test request URL was just used");
    this.#finish(listener, "captured");
    listener.capturedAt = new Date().toISOString();
    const executionId = crypto.randomUUID();
    listener.executionId = executionId;
    const outputs = this.#outputsOf(executionId, nodeId);
    const accepted = await this.#runtime.startEditorRun(workflowId, {
      mode: listener.run ? "all" : "node",
      node: nodeId,
      trigger: nodeId,
      payload,
      ignorePins: [nodeId],
    }, { executionId });
    const captured = await Promise.race([outputs.promise, accepted.done.then(() => undefined)]);
    outputs.stop();
    if (!captured) {
      const result = await accepted.done;
      throw new HttpError(
        500,
        "CAPTURE_FAILED",
        `node "${nodeId}" did not complete: ${result.error?.message ?? result.status}`,
      );
    }
    await this.#runtime.pin(workflowId, { nodeId, outputs: captured, source: "test-request", executionId });
    this.#runtime.publishEditor({ type: "test-request.captured", workflowId, nodeId, executionId });
    return c.json({ captured: true, workflowId, nodeId, executionId, run: listener.run }, 200, {
      "x-flow-execution-id": executionId,
    });
  }

  /** Resolves to the outputs of `nodeId` when execution `executionId` completes it. */
  #outputsOf(executionId: string, nodeId: string) {
    const { promise, resolve } = Promise.withResolvers<Record<string, unknown>>();
    const stop = this.#runtime.subscribe((e: FlowEvent) => {
      if (e.type === "node.completed" && e.nodeId === nodeId && e.runPath === undefined) resolve(e.outputs);
    }, executionId);
    return { promise, stop };
  }

  #finish(l: Listener, status: "captured" | "expired" | "cancelled") {
    l.status = status;
    l.cancelTimer();
    l.finishedAt = Date.now();
    this.#byToken.delete(l.token);
  }

  /** Forgets finished listeners older than a while. */
  #forgetOld() {
    const before = Date.now() - KEEP_FINISHED_MS;
    for (const [k, l] of this.#byNode) if (l.finishedAt !== undefined && l.finishedAt < before) this.#byNode.delete(k);
  }
}

/** The config of webhook node `nodeId` of served workflow `workflowId`. */
function webhookConfig(runtime: FlowRuntime, workflowId: string, nodeId: string): WebhookConfig {
  const version = runtime.workflow(workflowId)?.version;
  if (!version) throw new HttpError(404, "NOT_FOUND", `no workflow "${workflowId}" is being served`);
  const node = version.compiled.nodes.find((n) => n.id === nodeId);
  if (!node) throw new HttpError(404, "NOT_FOUND", `workflow "${workflowId}" has no node "${nodeId}"`);
  const trigger = version.triggers.find((t) => t.nodeId === nodeId);
  if (!trigger || trigger.kind !== "webhook") {
    throw new HttpError(
      400,
      "NOT_A_WEBHOOK",
      `node "${nodeId}" is a ${node.type}, not a webhook trigger (http.webhook)`,
    );
  }
  return trigger.config as unknown as WebhookConfig;
}

function key(workflowId: string, nodeId: string): string {
  return `${workflowId}\u0000${nodeId}`;
}

function view(l: Listener): TestRequestView {
  const { token: _t, cancelTimer: _c, finishedAt: _f, url, ...rest } = l;
  return { ...rest, ...(l.status === "listening" ? { url } : {}) };
}

/** 32 random bytes, base64url. */
function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
