/**
 * One attempt of one node, for the scheduler (`pass.ts`): its signal (the
 * pass's, or its own with the node's timeout), the `{{ }}` templates of its
 * config evaluated and the config checked again, its input types checked,
 * its `run` called, and the outcome handed back to the scheduler, at once
 * when the node returns synchronously. Retries wait here for their backoff.
 *
 * @module
 */
import { NodeError } from "../errors.ts";
import type { ErrorInfo } from "../errors.ts";
import { evaluateTemplateNow } from "../expressions/expressions.ts";
import type { NodeContext } from "../node/node.ts";
import { retryDelay } from "./retry.ts";
import { type ContextHost, type Emit, Logger, NodeRunContext } from "./run_context.ts";
import { splitConfig, zodIssues } from "../validate/validate.ts";
import type { CompiledNode } from "../validate/validate.ts";
import { copyJson, fitsPortType, formatPath, preview } from "../workflow/values.ts";

/** What an attempt needs of the scheduler that started it. */
export interface AttemptHost extends ContextHost {
  /** The nodes of the pass, by index. */
  readonly nodes: CompiledNode[];
  /** Aborted when the pass stops (a node failed under "stop", or the run was aborted). */
  readonly signal: AbortSignal;
  /** Publishes an event of this (sub-)run. */
  readonly emit: Emit;
  /** Attempts made so far, by node index. */
  readonly attempts: { [node: number]: number };
  /** Node i returned `result`; `t0` is when its attempt started. */
  settleSuccess(i: number, result: unknown, t0: number): void;
  /** Node i's attempt failed; `waited` when it failed while waiting to retry. */
  settleFailure(i: number, attempt: number, t0: number, err: unknown, waited?: boolean): void;
  /** Starts what is ready, or finishes the pass. */
  pump(): void;
  /** The values that reached node i, by port. */
  inputValues(i: number): Record<string, unknown>;
}

/** Starts attempt `attempt` of node i; settles synchronously when the node returns synchronously. */
export function startAttempt(host: AttemptHost, i: number, attempt: number): void {
  const node = host.nodes[i];
  host.attempts[i] = attempt;
  host.emit("node.started", { nodeId: node.id, nodeType: node.type, attempt });
  const t0 = performance.now();
  const { signal, cleanup } = nodeSignal(host.signal, node.timeoutMs);
  const log = new Logger(node.id, host.emit);
  const ctx = new NodeRunContext(host, node, host.inputValues(i), signal, log, attempt);
  const close = () => {
    cleanup?.();
    log.open = false;
  };
  let result: unknown;
  try {
    if (signal.aborted) throw signal.reason;
    result = node.templates.length ? applyTemplates(host, i, ctx) : runChecked(host, i, ctx);
  } catch (err) {
    close();
    return host.settleFailure(i, attempt, t0, err);
  }
  if (!isThenable(result)) {
    close();
    return host.settleSuccess(i, result, t0);
  }
  raceSignal(result, signal).then(
    (value) => {
      close();
      host.settleSuccess(i, value, t0);
      host.pump();
    },
    (err) => {
      close();
      host.settleFailure(i, attempt, t0, err);
      host.pump();
    },
  );
}

/** Emits node.retrying and starts the next attempt after the backoff, unless the pass stops first. */
export function scheduleRetry(host: AttemptHost, i: number, attempt: number, t0: number, info: ErrorInfo): void {
  const node = host.nodes[i];
  const signal = host.signal;
  const delayMs = retryDelay(node.retry!, attempt);
  host.emit("node.retrying", { nodeId: node.id, attempt: attempt + 1, delayMs, error: info });
  let waiting = true;
  const next = () => {
    if (!waiting) return;
    waiting = false;
    signal.removeEventListener("abort", onAbort);
    startAttempt(host, i, attempt + 1);
    host.pump();
  };
  const onAbort = () => {
    waiting = false;
    clearTimeout(t);
    host.settleFailure(i, attempt, t0, signal.reason, true);
    host.pump();
  };
  // No timer for a zero delay: Deno clamps nested zero timers to milliseconds.
  const t = delayMs > 0 ? setTimeout(next, delayMs) : undefined;
  signal.addEventListener("abort", onAbort, { once: true });
  if (t === undefined) queueMicrotask(next);
}

/** The pass signal, or, for a node with a timeout, its own signal that also follows the pass. */
function nodeSignal(signal: AbortSignal, timeoutMs: number | undefined): { signal: AbortSignal; cleanup?: () => void } {
  if (timeoutMs === undefined) return { signal };
  const ctl = new AbortController();
  const t = setTimeout(
    () => ctl.abort(new NodeError(`timed out after ${timeoutMs} ms`, { code: "TIMEOUT" })),
    timeoutMs,
  );
  const forward = () => ctl.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener("abort", forward, { once: true });
  return {
    signal: ctl.signal,
    cleanup: () => {
      clearTimeout(t);
      signal.removeEventListener("abort", forward);
    },
  };
}

/** Checks input types, then runs the node. */
function runChecked(host: AttemptHost, i: number, ctx: NodeContext<Record<string, unknown>, unknown>): unknown {
  const node = host.nodes[i];
  for (const slot of node.slots) {
    const value = ctx.inputs[slot.port];
    if (value !== undefined && !fitsPortType(slot.spec.type, value)) {
      const src = slot.source;
      const from = src.kind === "node"
        ? ` (from ${host.nodes[src.node].id}.${src.port})`
        : src.kind === "input"
        ? ` (from $inputs.${src.name})`
        : ` (config.${slot.port})`;
      throw new NodeError(`input "${slot.port}": expected ${slot.spec.type}; got ${preview(value)}${from}`, {
        code: "INPUT_TYPE",
        retryable: false,
      });
    }
  }
  return node.def.run(ctx);
}

/**
 * Evaluates the node's {{ }} templates, re-checks its config, then runs it:
 * synchronously while every template gives its value synchronously (the
 * plain and fast paths of expressions), else once JSONata has answered.
 */
function applyTemplates(host: AttemptHost, i: number, ctx: NodeRunContext): unknown {
  const node = host.nodes[i];
  const templates = node.templates;
  const bindings = ctx.bindings();
  const config = copyJson(node.rawConfig);
  for (let k = 0; k < templates.length; k++) {
    const value = templateValue(node, k, bindings);
    if (value instanceof Promise) return applyTemplatesLater(host, i, ctx, config, bindings, k, value);
    setPath(config, templates[k].path, value);
  }
  return configure(host, i, ctx, config);
}

/** The rest of {@linkcode applyTemplates} once template `k` waits for JSONata. */
async function applyTemplatesLater(
  host: AttemptHost,
  i: number,
  ctx: NodeRunContext,
  config: Record<string, unknown>,
  bindings: Record<string, unknown>,
  k: number,
  pending: Promise<unknown>,
): Promise<unknown> {
  const node = host.nodes[i];
  setPath(config, node.templates[k].path, await pending);
  for (let j = k + 1; j < node.templates.length; j++) {
    setPath(config, node.templates[j].path, await templateValue(node, j, bindings));
  }
  return await configure(host, i, ctx, config);
}

/** The value of the node's template k (or a Promise of it); a failure is the node's EXPRESSION error. */
function templateValue(node: CompiledNode, k: number, bindings: Record<string, unknown>): unknown {
  const { template, path } = node.templates[k];
  const fail = (err: unknown) =>
    new NodeError(
      `${formatPath(["nodes", node.index, "config", ...path])}: ${template.source}: ${(err as Error).message}`,
      { code: "EXPRESSION", retryable: false },
    );
  let value: unknown;
  try {
    value = evaluateTemplateNow(template, bindings);
  } catch (err) {
    throw fail(err);
  }
  return value instanceof Promise ? value.catch((err) => Promise.reject(fail(err))) : value;
}

/** Checks the evaluated config with the node type's schema, then runs the node. */
function configure(host: AttemptHost, i: number, ctx: NodeRunContext, config: Record<string, unknown>): unknown {
  const node = host.nodes[i];
  const split = splitConfig(node.def, config);
  if (node.def.config) {
    const r = node.def.config.safeParse(split.forSchema, { reportInput: true });
    if (!r.success) {
      const issue = zodIssues(r.error.issues, ["nodes", i, "config"])[0];
      throw new NodeError(`${issue.path}: ${issue.message}`, { code: "CONFIG", retryable: false });
    }
    ctx.config = r.data;
    for (const [key, value] of Object.entries(r.data as object)) {
      if (value !== undefined && Object.hasOwn(node.def.inputs, key) && !split.constants.has(key)) {
        split.constants.set(key, value);
      }
    }
  }
  // Connections win over config constants.
  for (const slot of node.slots) {
    if (slot.source.kind === "const") {
      const value = split.constants.get(slot.port);
      if (value === undefined) delete ctx.inputs[slot.port];
      else ctx.inputs[slot.port] = value;
    }
  }
  return runChecked(host, i, ctx);
}

/**
 * Races an async node against its signal, so a node that ignores the signal
 * cannot hold the run past its timeout or a cancellation.
 */
function raceSignal(result: PromiseLike<unknown>, signal: AbortSignal): Promise<unknown> {
  return new Promise((res, rej) => {
    if (signal.aborted) return rej(signal.reason);
    const onAbort = () => rej(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    result.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        res(value);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        rej(err);
      },
    );
  });
}

function setPath(target: Record<string, unknown>, path: (string | number)[], value: unknown) {
  let t: Record<string | number, unknown> = target;
  for (let k = 0; k < path.length - 1; k++) t = t[path[k]] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined && !Array.isArray(t)) delete t[last];
  else t[last] = value ?? null;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";
}
