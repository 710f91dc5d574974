/**
 * The executor: runs a compiled workflow. Each node keeps a count of pending
 * upstream inputs and is queued when the last one settles, so a run costs
 * O(nodes + connections). Independent branches run concurrently, bounded by
 * the concurrency limit; synchronous nodes complete without a microtask.
 *
 * @module
 */
import { type ErrorInfo, NodeError, toErrorInfo } from "./errors.ts";
import { EventBus, type EventListener, type EventPayloads, type EventType, type RunStatus } from "./events.ts";
import type { LogLevel, NodeContext, NodeLogger } from "./node.ts";
import { retryDelay } from "./retry.ts";
import type { CompiledNode, CompiledWorkflow } from "./validate.ts";
import { fitsPortType, preview, typeName } from "./values.ts";

/** Options of {@linkcode runWorkflow}. */
export interface RunOptions {
  /** Workflow input values, already resolved (see `resolveInputs`). */
  inputs?: Record<string, unknown>;
  /** Bus to publish events on; a new one by default. */
  bus?: EventBus;
  /** Shortcut to subscribe one listener. */
  onEvent?: EventListener;
  /** Aborting it cancels the run (status `cancelled`). */
  signal?: AbortSignal;
  /** Overrides `settings.concurrency`. */
  concurrency?: number;
  /** Execution id; a random UUID by default. */
  executionId?: string;
}

/** Final state of one node. */
export interface NodeSummary {
  /** Node id. */
  id: string;
  /** Node type. */
  type: string;
  /** What happened to it; `pending` if the run stopped before it ran. */
  status: "completed" | "failed" | "skipped" | "pending";
  /** Attempts made. */
  attempts: number;
  /** Duration of the last attempt, ms. */
  durationMs?: number;
  /** Why it failed. */
  error?: ErrorInfo;
  /** Why it was skipped. */
  reason?: string;
}

/** The result of a run. */
export interface RunResult {
  /** Execution id. */
  executionId: string;
  /** Workflow id. */
  workflowId: string;
  /** success, failed or cancelled. */
  status: RunStatus;
  /** Wall time of the whole run, ms. */
  durationMs: number;
  /** The workflow's declared outputs that have a value. */
  outputs: Record<string, unknown>;
  /** Why the run failed or was cancelled. */
  error?: ErrorInfo & { nodeId?: string };
  /** Every node's final state, in file order. */
  nodes: NodeSummary[];
}

// Node states (0 = not run yet).
const DONE = 1, FAILED = 2, SKIPPED = 3;

/**
 * Runs a compiled workflow and resolves when it has finished, failed or been
 * cancelled. Never rejects for node failures: they are in the result.
 *
 * @example
 * ```ts
 * import { runWorkflow } from "./executor.ts";
 * import { validateWorkflow } from "./validate.ts";
 * import { Registry } from "./registry.ts";
 * const compiled = validateWorkflow({ nodes: [], connections: [] }, new Registry());
 * const result = await runWorkflow(compiled);
 * console.log(result.status); // "success"
 * ```
 */
export async function runWorkflow(compiled: CompiledWorkflow, options: RunOptions = {}): Promise<RunResult> {
  const executionId = options.executionId ?? crypto.randomUUID();
  const workflowId = compiled.id;
  const bus = options.bus ?? new EventBus();
  const off = options.onEvent ? bus.subscribe(options.onEvent) : undefined;
  let seq = 0;
  const emit = <T extends EventType>(type: T, payload: EventPayloads[T]) => {
    bus.publish({ type, executionId, workflowId, seq: seq++, ts: new Date().toISOString(), ...payload } as never);
  };

  const started = performance.now();
  const inputs = options.inputs ?? {};
  const limit = options.concurrency ?? compiled.settings.concurrency;

  // Run-level abort: external cancellation or the workflow timeout.
  const runAbort = new AbortController();
  let cancelled = false;
  let timedOut: ErrorInfo | undefined;
  const onExternalAbort = () => {
    cancelled = true;
    runAbort.abort(new DOMException("the run was cancelled", "AbortError"));
  };
  if (options.signal?.aborted) onExternalAbort();
  options.signal?.addEventListener("abort", onExternalAbort, { once: true });
  const timeoutMs = compiled.settings.timeoutMs;
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = { message: `workflow timed out after ${timeoutMs} ms`, code: "TIMEOUT" };
    runAbort.abort(new DOMException(timedOut.message, "TimeoutError"));
  }, timeoutMs);

  emit("workflow.started", { name: compiled.workflow.name, nodeCount: compiled.nodes.length });
  let result: Attempt;
  try {
    for (let attempt = 1;; attempt++) {
      result = await runOnce(compiled, inputs, limit, runAbort.signal, emit, executionId);
      if (
        result.status !== "failed" || cancelled || timedOut || compiled.settings.onError !== "retry" ||
        attempt > compiled.settings.maxWorkflowRetries
      ) break;
      emit("workflow.retrying", { attempt: attempt + 1, error: result.error! });
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onExternalAbort);
  }
  const status: RunStatus = cancelled ? "cancelled" : result.status;
  const error = cancelled ? { message: "the run was cancelled", code: "CANCELLED" } : timedOut ?? result.error;
  const durationMs = Math.round(performance.now() - started);
  emit("workflow.completed", { status, durationMs, outputs: result.outputs, ...(error ? { error } : {}) });
  off?.();
  return { executionId, workflowId, status, durationMs, outputs: result.outputs, error, nodes: result.nodes };
}

interface Attempt {
  status: "success" | "failed";
  outputs: Record<string, unknown>;
  error?: ErrorInfo & { nodeId?: string };
  nodes: NodeSummary[];
}

type Emit = <T extends EventType>(type: T, payload: EventPayloads[T]) => void;

class Logger implements NodeLogger {
  constructor(readonly nodeId: string, readonly emit: Emit) {}
  #log(level: LogLevel, message: string) {
    this.emit("node.log", { nodeId: this.nodeId, level, message: String(message) });
  }
  debug(message: string) {
    this.#log("debug", message);
  }
  info(message: string) {
    this.#log("info", message);
  }
  warn(message: string) {
    this.#log("warn", message);
  }
  error(message: string) {
    this.#log("error", message);
  }
}

/** One pass over the workflow (the unit that `onError: "retry"` repeats). */
function runOnce(
  compiled: CompiledWorkflow,
  inputs: Record<string, unknown>,
  limit: number,
  runSignal: AbortSignal,
  emit: Emit,
  executionId: string,
): Promise<Attempt> {
  const nodes = compiled.nodes;
  const n = nodes.length;
  const pending = new Int32Array(n);
  const state = new Uint8Array(n);
  const attempts = new Int32Array(n);
  const durations = new Float64Array(n);
  const values: unknown[][] = new Array(n);
  const deadReason: (string | undefined)[] = new Array(n);
  const errors = new Map<number, ErrorInfo>();
  const nodeState = new Map<number, Map<string, unknown>>();
  const keepOutputs = new Set(compiled.outputs.flatMap((o) => o.source.kind === "node" ? [o.source.node] : []));
  const kept = new Map<number, Record<string, unknown>>();
  const ready: number[] = [];
  let head = 0;
  let running = 0;
  let stopped: (ErrorInfo & { nodeId?: string }) | undefined;
  let anyFailed: (ErrorInfo & { nodeId?: string }) | undefined;
  let done = false;
  let resolve!: (a: Attempt) => void;
  const promise = new Promise<Attempt>((r) => resolve = r);

  // Stop: aborts in-flight nodes of this pass when a node fails under "stop"
  // or the run itself is aborted.
  const stopAbort = new AbortController();
  const signal = stopAbort.signal;
  const onRunAbort = () => {
    stopped ??= toErrorInfo(runSignal.reason);
    stopAbort.abort(runSignal.reason);
  };
  if (runSignal.aborted) onRunAbort();
  else runSignal.addEventListener("abort", onRunAbort, { once: true });

  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    pending[i] = node.upstreamCount;
    const v = new Array(node.slots.length);
    for (let s = 0; s < node.slots.length; s++) {
      const slot = node.slots[s];
      const src = slot.source;
      if (src.kind === "const") v[s] = src.value;
      else if (src.kind === "input") {
        v[s] = inputs[src.name];
        if (v[s] === undefined && slot.required) deadReason[i] ??= `workflow input "${src.name}" has no value`;
      }
    }
    values[i] = v;
  }
  for (const i of compiled.order) if (pending[i] === 0) enqueue(i);
  pump();
  return promise;

  function enqueue(i: number) {
    if (deadReason[i] === undefined) {
      ready.push(i);
      return;
    }
    // Skip i and, transitively, every node left without a required input.
    const stack = [i];
    while (stack.length) {
      const k = stack.pop()!;
      state[k] = SKIPPED;
      emit("node.skipped", { nodeId: nodes[k].id, reason: deadReason[k]! });
      for (const edge of nodes[k].outgoing) {
        const t = edge.to;
        deadReason[t] ??= `upstream "${nodes[k].id}" was skipped`;
        if (--pending[t] === 0) {
          if (deadReason[t] === undefined) ready.push(t);
          else stack.push(t);
        }
      }
    }
  }

  function pump() {
    while (stopped === undefined && running < limit && head < ready.length) {
      running++;
      invoke(ready[head++], 1);
    }
    if (!done && running === 0 && (stopped !== undefined || head === ready.length)) finish();
  }

  function invoke(i: number, attempt: number) {
    const node = nodes[i];
    attempts[i] = attempt;
    emit("node.started", { nodeId: node.id, nodeType: node.type, attempt });
    const t0 = performance.now();

    const ins: Record<string, unknown> = {};
    const v = values[i];
    for (let s = 0; s < node.slots.length; s++) {
      const value = v[s];
      if (value === undefined) continue;
      const slot = node.slots[s];
      if (!fitsPortType(slot.spec.type, value)) {
        const src = slot.source;
        const from = src.kind === "node" ? ` (from ${nodes[src.node].id}.${src.port})` : "";
        return settleFailure(
          i,
          attempt,
          t0,
          new NodeError(`input "${slot.port}": expected ${slot.spec.type}; got ${preview(value)}${from}`, {
            code: "INPUT_TYPE",
            retryable: false,
          }),
        );
      }
      ins[slot.port] = value;
    }

    // A per-node timeout gets its own signal; otherwise the pass signal is shared.
    let nodeSignal = signal;
    let cleanup: (() => void) | undefined;
    if (node.timeoutMs !== undefined) {
      const ctl = new AbortController();
      const ms = node.timeoutMs;
      const t = setTimeout(
        () => ctl.abort(new NodeError(`timed out after ${ms} ms`, { code: "TIMEOUT" })),
        ms,
      );
      const forward = () => ctl.abort(signal.reason);
      if (signal.aborted) forward();
      else signal.addEventListener("abort", forward, { once: true });
      nodeSignal = ctl.signal;
      cleanup = () => {
        clearTimeout(t);
        signal.removeEventListener("abort", forward);
      };
    }

    const ctx: NodeContext<Record<string, unknown>, unknown> = {
      inputs: ins,
      config: node.config,
      signal: nodeSignal,
      log: new Logger(node.id, emit),
      get state() {
        let s = nodeState.get(i);
        if (!s) nodeState.set(i, s = new Map());
        return s;
      },
      nodeId: node.id,
      attempt,
      executionId,
    };

    let result: unknown;
    try {
      if (nodeSignal.aborted) throw nodeSignal.reason;
      result = node.def.run(ctx);
    } catch (err) {
      cleanup?.();
      return settleFailure(i, attempt, t0, err);
    }
    if (!isThenable(result)) {
      cleanup?.();
      return settleSuccess(i, result, t0);
    }
    // Async: race the node against its signal, so a node that ignores the
    // signal cannot hold the run past its timeout or a cancellation.
    new Promise((res, rej) => {
      if (nodeSignal.aborted) return rej(nodeSignal.reason);
      const onAbort = () => rej(nodeSignal.reason);
      nodeSignal.addEventListener("abort", onAbort, { once: true });
      (result as Promise<unknown>).then(
        (value) => {
          nodeSignal.removeEventListener("abort", onAbort);
          res(value);
        },
        (err) => {
          nodeSignal.removeEventListener("abort", onAbort);
          rej(err);
        },
      );
    }).then(
      (value) => {
        cleanup?.();
        settleSuccess(i, value, t0);
        pump();
      },
      (err) => {
        cleanup?.();
        settleFailure(i, attempt, t0, err);
        pump();
      },
    );
  }

  function settleSuccess(i: number, result: unknown, t0: number) {
    const node = nodes[i];
    const outputs = result === undefined ? {} : result;
    if (typeName(outputs) !== "object") {
      return settleFailure(
        i,
        attempts[i],
        t0,
        new NodeError(`${node.type} returned ${typeName(outputs)}; a node must return an object of outputs`, {
          code: "BAD_OUTPUT",
          retryable: false,
        }),
      );
    }
    const out = outputs as Record<string, unknown>;
    const ms = durations[i] = Math.round(performance.now() - t0);
    running--;
    state[i] = DONE;
    if (keepOutputs.has(i)) kept.set(i, out);
    emit("node.completed", { nodeId: node.id, outputs: out, durationMs: ms });
    for (const edge of node.outgoing) {
      const t = edge.to;
      const value = out[edge.port];
      if (value === undefined) {
        deadReason[t] ??= `no value on "${node.id}.${edge.port}"`;
      } else values[t][edge.slot] = value;
      if (--pending[t] === 0) enqueue(t);
    }
  }

  function settleFailure(i: number, attempt: number, t0: number, err: unknown) {
    const node = nodes[i];
    const info = toErrorInfo(err);
    if (stopped !== undefined && signal.aborted && err === signal.reason) {
      // Aborted because the pass is stopping: report it as such.
      Object.assign(info, toErrorInfo(signal.reason));
    }
    const retry = node.retry;
    const retryable = !(err instanceof NodeError && !err.retryable) && info.code !== "INPUT_TYPE";
    if (stopped === undefined && retry && attempt < retry.maxAttempts && retryable) {
      const delayMs = retryDelay(retry, attempt);
      emit("node.retrying", { nodeId: node.id, attempt: attempt + 1, delayMs, error: info });
      const t = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        invoke(i, attempt + 1);
        pump();
      }, delayMs);
      const onAbort = () => {
        clearTimeout(t);
        settleFailure(i, attempt, t0, signal.reason);
        pump();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      return;
    }
    const ms = durations[i] = Math.round(performance.now() - t0);
    running--;
    state[i] = FAILED;
    errors.set(i, info);
    emit("node.failed", { nodeId: node.id, error: info, durationMs: ms });
    anyFailed ??= { ...info, nodeId: node.id };
    if (stopped !== undefined) return;
    if (node.onError === "continue") {
      for (const edge of node.outgoing) {
        const t = edge.to;
        deadReason[t] ??= `upstream "${node.id}" failed`;
        if (--pending[t] === 0) enqueue(t);
      }
    } else {
      stopped = { ...info, nodeId: node.id };
      stopAbort.abort(new DOMException(`the run stopped because node "${node.id}" failed`, "AbortError"));
    }
  }

  function finish() {
    done = true;
    runSignal.removeEventListener("abort", onRunAbort);
    const outputs: Record<string, unknown> = {};
    for (const { name, source } of compiled.outputs) {
      const value = source.kind === "input" ? inputs[source.name] : kept.get(source.node)?.[source.port];
      if (value !== undefined) outputs[name] = value;
    }
    const summaries: NodeSummary[] = nodes.map((node: CompiledNode, i) => ({
      id: node.id,
      type: node.type,
      status: state[i] === DONE
        ? "completed"
        : state[i] === FAILED
        ? "failed"
        : state[i] === SKIPPED
        ? "skipped"
        : "pending",
      attempts: attempts[i],
      ...(attempts[i] ? { durationMs: durations[i] } : {}),
      ...(errors.has(i) ? { error: errors.get(i) } : {}),
      ...(state[i] === SKIPPED ? { reason: deadReason[i] } : {}),
    }));
    const error = stopped ?? anyFailed;
    resolve({ status: error ? "failed" : "success", outputs, nodes: summaries, ...(error ? { error } : {}) });
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";
}
