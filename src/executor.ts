/**
 * The executor: runs a compiled workflow. Each node keeps a count of pending
 * upstream inputs and is queued when the last one settles, so a run costs
 * O(nodes + connections). Independent branches run concurrently, bounded by
 * the concurrency limit; synchronous nodes complete without a microtask.
 *
 * @module
 */
import { type ErrorInfo, NodeError, toErrorInfo, WorkflowValidationError } from "./errors.ts";
import { evaluateTemplate, type Expression } from "./expressions.ts";
import { EventBus, type EventListener, type EventPayloads, type EventType, type RunStatus } from "./events.ts";
import type { LogLevel, NodeContext, NodeLogger, SubworkflowResult, WorkflowRef } from "./node.ts";
import { retryDelay } from "./retry.ts";
import {
  type CompiledRef,
  type CompiledWorkflow,
  resolveInputs,
  splitConfig,
  workflowTree,
  zodIssues,
} from "./validate.ts";
import { fitsPortType, formatPath, preview, typeName } from "./values.ts";

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
  /** Overrides `settings.concurrency` of the top-level workflow. */
  concurrency?: number;
  /** Execution id; a random UUID by default. */
  executionId?: string;
  /** Reads an environment variable (for `settings.env` and `settings.secrets`); default `Deno.env.get`. */
  getEnv?: (name: string) => string | undefined;
  /** How deep sub-workflows may nest; default 16. */
  maxDepth?: number;
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

/** Default limit on sub-workflow nesting. */
export const MAX_DEPTH = 16;

/** What every (sub-)run of one execution shares. */
interface Env {
  executionId: string;
  bus: EventBus;
  seq: number;
  startedAt: string;
  getEnv: (name: string) => string | undefined;
  /** `$env` of each workflow, read on its first run. */
  envValues: Map<CompiledWorkflow, Record<string, string>>;
  maxDepth: number;
  redact: (<T>(value: T) => T) | undefined;
}

/** Where a (sub-)run sits: its events carry parentNodeId, iteration and runPath. */
interface Scope {
  parentNodeId?: string;
  iteration?: number;
  /** The chain of parent nodes from the top-level run, e.g. `each[3]/detail`. */
  runPath?: string;
  depth: number;
  trail: string[];
}

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
  const bus = options.bus ?? new EventBus();
  const off = options.onEvent ? bus.subscribe(options.onEvent) : undefined;
  const getEnv = options.getEnv ?? ((name: string) => Deno.env.get(name));
  const env: Env = {
    executionId: options.executionId ?? crypto.randomUUID(),
    bus,
    seq: 0,
    startedAt: new Date().toISOString(),
    getEnv,
    envValues: new Map(),
    maxDepth: options.maxDepth ?? MAX_DEPTH,
    redact: makeRedactor(secretValues(compiled, getEnv)),
  };
  try {
    const result = await execute(compiled, options.inputs ?? {}, env, { depth: 0, trail: [compiled.id] }, {
      signal: options.signal,
      concurrency: options.concurrency,
    });
    return env.redact ? env.redact(result) : result;
  } finally {
    off?.();
  }
}

/** Runs one workflow (top-level or nested) within an execution. */
async function execute(
  compiled: CompiledWorkflow,
  inputs: Record<string, unknown>,
  env: Env,
  scope: Scope,
  options: { signal?: AbortSignal; concurrency?: number },
): Promise<RunResult> {
  const workflowId = compiled.id;
  const { executionId, bus } = env;
  const extra = scope.parentNodeId === undefined ? undefined : {
    parentNodeId: scope.parentNodeId,
    ...(scope.iteration === undefined ? {} : { iteration: scope.iteration }),
    runPath: scope.runPath,
  };
  const emit: Emit = (type, payload) => {
    let event = { type, executionId, workflowId, seq: env.seq++, ts: new Date().toISOString(), ...payload, ...extra };
    if (env.redact) event = env.redact(event);
    bus.publish(event as never);
  };

  const started = performance.now();
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

  // Read once per execution and workflow: every loop iteration of a sub-workflow sees the same values.
  let envValues = env.envValues.get(compiled);
  if (!envValues) {
    envValues = {};
    for (const name of [...compiled.settings.env, ...compiled.settings.secrets]) {
      const v = env.getEnv(name);
      if (v !== undefined) envValues[name] = v;
    }
    env.envValues.set(compiled, envValues);
  }
  const expressionScope = {
    inputs,
    env: envValues,
    execution: { id: executionId, workflowId, startedAt: env.startedAt },
  };

  emit("workflow.started", { name: compiled.workflow.name, nodeCount: compiled.nodes.length });
  let result: Attempt;
  try {
    for (let attempt = 1;; attempt++) {
      result = await runOnce(compiled, inputs, limit, runAbort.signal, emit, env, scope, expressionScope);
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
  return { executionId, workflowId, status, durationMs, outputs: result.outputs, error, nodes: result.nodes };
}

interface Attempt {
  status: "success" | "failed";
  outputs: Record<string, unknown>;
  error?: ErrorInfo & { nodeId?: string };
  nodes: NodeSummary[];
}

type Emit = <T extends EventType>(type: T, payload: EventPayloads[T]) => void;

/** Emits node.log for one attempt; silent once that attempt has settled. */
class Logger implements NodeLogger {
  open = true;
  constructor(readonly nodeId: string, readonly emit: Emit) {}
  #log(level: LogLevel, message: string) {
    if (this.open) this.emit("node.log", { nodeId: this.nodeId, level, message: String(message) });
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

// Node states (0 = not run yet).
const DONE = 1, FAILED = 2, SKIPPED = 3;
// Input modes.
const ALL = 0, AVAILABLE = 1, FIRST = 2;

/** One pass over the workflow (the unit that `onError: "retry"` repeats). */
function runOnce(
  compiled: CompiledWorkflow,
  inputs: Record<string, unknown>,
  limit: number,
  runSignal: AbortSignal,
  emit: Emit,
  env: Env,
  scope: Scope,
  expressionScope: Record<string, unknown>,
): Promise<Attempt> {
  const nodes = compiled.nodes;
  const n = nodes.length;
  const pending = new Int32Array(n);
  const live = new Int32Array(n);
  const queued = new Uint8Array(n);
  const mode = new Uint8Array(n);
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
  const skips: number[] = [];
  let head = 0;
  let running = 0;
  let stopped: (ErrorInfo & { nodeId?: string }) | undefined;
  let anyFailed: (ErrorInfo & { nodeId?: string }) | undefined;
  let done = false;
  let resolve!: (a: Attempt) => void;
  const promise = new Promise<Attempt>((r) => resolve = r);

  /** What a node's run function gets; methods live on the prototype, so an attempt allocates little. */
  class Context implements NodeContext<Record<string, unknown>, unknown> {
    config: unknown;
    readonly nodeId: string;
    readonly executionId = env.executionId;
    readonly prepared: unknown;
    constructor(
      readonly index: number,
      readonly inputs: Record<string, unknown>,
      readonly signal: AbortSignal,
      readonly log: Logger,
      readonly attempt: number,
    ) {
      const node = nodes[index];
      this.config = node.config;
      this.nodeId = node.id;
      this.prepared = node.prepared;
    }
    get state(): Map<string, unknown> {
      let s = nodeState.get(this.index);
      if (!s) nodeState.set(this.index, s = new Map());
      return s;
    }
    /** The node's connected inputs (not config constants), by port: `$node` in expressions. */
    connected(): Record<string, unknown> {
      const out: Record<string, unknown> = {};
      const node = nodes[this.index];
      const v = values[this.index];
      for (let s = 0; s < node.slots.length; s++) {
        if (node.slots[s].source.kind !== "const" && v[s] !== undefined) out[node.slots[s].port] = v[s];
      }
      return out;
    }
    bindings(): Record<string, unknown> {
      return { ...expressionScope, node: this.connected() };
    }
    // Getters returning bound functions: nodes may destructure them, and only those that do pay for them.
    get evaluate(): (expression: Expression, extra?: Record<string, unknown>) => Promise<unknown> {
      return (expression, extra) => {
        const bindings = this.bindings();
        return expression.evaluate(bindings.node, extra ? { ...bindings, ...extra } : bindings);
      };
    }
    get runWorkflow(): NodeContext<unknown, unknown>["runWorkflow"] {
      return (ref: WorkflowRef, subInputs: Record<string, unknown>, opts?: { iteration?: number }) =>
        runChild(this.nodeId, ref, subInputs, opts?.iteration, this.signal);
    }
  }

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
    mode[i] = node.inputMode === "first" ? FIRST : node.inputMode === "available" ? AVAILABLE : ALL;
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
  for (const i of compiled.order) if (pending[i] === 0 && !queued[i]) decide(i);
  pump();
  return promise;

  /** A value (or, when undefined, the news that none will come) reaches input `slot` of node `t`. */
  function deliver(t: number, slot: number, value: unknown, reason: string) {
    if (queued[t]) { // "first" mode: already on its way
      pending[t]--;
      return;
    }
    if (value !== undefined) {
      values[t][slot] = value;
      live[t]++;
      if (mode[t] === FIRST) {
        queued[t] = 1;
        pending[t]--;
        ready.push(t);
        return;
      }
    } else if (mode[t] === ALL || nodes[t].slots[slot].required) deadReason[t] ??= reason;
    if (--pending[t] === 0) decide(t);
  }

  /** All of node t's connected inputs have settled: queue it or skip it. */
  function decide(t: number) {
    queued[t] = 1;
    const noInput = mode[t] !== ALL && nodes[t].upstreamCount > 0 && live[t] === 0;
    if (deadReason[t] === undefined && !noInput) ready.push(t);
    else {
      deadReason[t] ??= "none of its inputs arrived";
      skips.push(t);
    }
  }

  /** Skips queued nodes and, transitively, what can no longer get its inputs. */
  function drainSkips() {
    while (skips.length) {
      const k = skips.pop()!;
      state[k] = SKIPPED;
      emit("node.skipped", { nodeId: nodes[k].id, reason: deadReason[k]! });
      for (const edge of nodes[k].outgoing) {
        deliver(edge.to, edge.slot, undefined, `upstream "${nodes[k].id}" was skipped`);
      }
    }
  }

  function pump() {
    drainSkips();
    while (stopped === undefined && running < limit && head < ready.length) {
      running++;
      invoke(ready[head++], 1);
      drainSkips();
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
      if (v[s] !== undefined) ins[node.slots[s].port] = v[s];
    }

    // A per-node timeout gets its own signal; otherwise the pass signal is shared.
    let nodeSignal = signal;
    let cleanup: (() => void) | undefined;
    if (node.timeoutMs !== undefined) {
      const ctl = new AbortController();
      const ms = node.timeoutMs;
      const t = setTimeout(() => ctl.abort(new NodeError(`timed out after ${ms} ms`, { code: "TIMEOUT" })), ms);
      const forward = () => ctl.abort(signal.reason);
      if (signal.aborted) forward();
      else signal.addEventListener("abort", forward, { once: true });
      nodeSignal = ctl.signal;
      cleanup = () => {
        clearTimeout(t);
        signal.removeEventListener("abort", forward);
      };
    }

    const log = new Logger(node.id, emit);
    const ctx = new Context(i, ins, nodeSignal, log, attempt);

    let result: unknown;
    try {
      if (nodeSignal.aborted) throw nodeSignal.reason;
      result = node.templates.length ? applyTemplates(i, ctx, ctx.bindings()) : runChecked(i, ctx);
    } catch (err) {
      cleanup?.();
      log.open = false;
      return settleFailure(i, attempt, t0, err);
    }
    if (!isThenable(result)) {
      cleanup?.();
      log.open = false;
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
        log.open = false;
        settleSuccess(i, value, t0);
        pump();
      },
      (err) => {
        cleanup?.();
        log.open = false;
        settleFailure(i, attempt, t0, err);
        pump();
      },
    );
  }

  /** Checks input types, then runs the node. */
  function runChecked(i: number, ctx: NodeContext<Record<string, unknown>, unknown>): unknown {
    const node = nodes[i];
    for (const slot of node.slots) {
      const value = ctx.inputs[slot.port];
      if (value !== undefined && !fitsPortType(slot.spec.type, value)) {
        const src = slot.source;
        const from = src.kind === "node"
          ? ` (from ${nodes[src.node].id}.${src.port})`
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

  /** Evaluates the node's {{ }} templates, re-checks its config, then runs it. */
  async function applyTemplates(
    i: number,
    ctx: Context,
    bindings: Record<string, unknown>,
  ): Promise<unknown> {
    const node = nodes[i];
    const config = structuredClone(node.rawConfig);
    for (const { path, template } of node.templates) {
      let value: unknown;
      try {
        value = await evaluateTemplate(template, bindings);
      } catch (err) {
        throw new NodeError(
          `${formatPath(["nodes", i, "config", ...path])}: ${template.source}: ${(err as Error).message}`,
          { code: "EXPRESSION", retryable: false },
        );
      }
      setPath(config, path, value);
    }
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
    return await runChecked(i, ctx);
  }

  /** Runs a sub-workflow for node `nodeId` within this execution. */
  async function runChild(
    nodeId: string,
    ref: WorkflowRef,
    subInputs: Record<string, unknown>,
    iteration: number | undefined,
    nodeSignal: AbortSignal,
  ): Promise<SubworkflowResult> {
    const child = (ref as CompiledRef).compiled;
    if (!child) throw new NodeError(`sub-workflow ${ref.label} is not compiled`, { code: "BAD_SUBWORKFLOW" });
    const trail = [...scope.trail, ref.label];
    if (scope.depth + 1 > env.maxDepth) {
      throw new NodeError(
        `sub-workflow nesting deeper than ${env.maxDepth} levels: ${trail.slice(0, 4).join(" > ")} > ... > ${
          trail.slice(-2).join(" > ")
        }`,
        { code: "RECURSION_LIMIT", retryable: false },
      );
    }
    let resolved: Record<string, unknown>;
    try {
      resolved = resolveInputs(child, subInputs, (name) => `; connect or set input "${name}" of "${nodeId}"`);
    } catch (err) {
      if (!(err instanceof WorkflowValidationError)) throw err;
      const first = err.issues[0];
      throw new NodeError(`sub-workflow ${ref.label}: ${first.path}: ${first.message}`, {
        code: "BAD_INPUT",
        retryable: false,
      });
    }
    const step = iteration === undefined ? nodeId : `${nodeId}[${iteration}]`;
    const r = await execute(child, resolved, env, {
      parentNodeId: nodeId,
      iteration,
      runPath: scope.runPath === undefined ? step : `${scope.runPath}/${step}`,
      depth: scope.depth + 1,
      trail,
    }, { signal: nodeSignal });
    return { status: r.status, outputs: r.outputs, ...(r.error ? { error: r.error } : {}) };
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
      deliver(edge.to, edge.slot, out[edge.port], `no value on "${node.id}.${edge.port}"`);
    }
  }

  function settleFailure(i: number, attempt: number, t0: number, err: unknown, waited = false) {
    const node = nodes[i];
    const info = toErrorInfo(err);
    const retry = node.retry;
    const retryable = !(err instanceof NodeError && !err.retryable) && info.code !== "INPUT_TYPE";
    if (!waited) durations[i] = Math.round(performance.now() - t0);
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
        settleFailure(i, attempt, t0, signal.reason, true);
        pump();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      return;
    }
    running--;
    state[i] = FAILED;
    errors.set(i, info);
    emit("node.failed", { nodeId: node.id, error: info, durationMs: durations[i] });
    anyFailed ??= { ...info, nodeId: node.id };
    if (stopped !== undefined) return;
    if (node.onError === "continue") {
      for (const edge of node.outgoing) deliver(edge.to, edge.slot, undefined, `upstream "${node.id}" failed`);
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
    const summaries: NodeSummary[] = nodes.map((node, i) => ({
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

/** The values of every secret declared by the workflow and its sub-workflows. */
function secretValues(root: CompiledWorkflow, getEnv: (name: string) => string | undefined): string[] {
  const values = new Set<string>();
  for (const { workflow } of workflowTree(root)) {
    for (const name of workflow.settings.secrets) {
      const v = getEnv(name);
      if (!v || v.length < 3) continue;
      // The value as written, and as it appears inside URLs and JSON text.
      values.add(v);
      values.add(encodeURIComponent(v));
      values.add(new URLSearchParams({ v }).toString().slice(2));
      values.add(JSON.stringify(v).slice(1, -1));
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** Replaces every secret value in strings (deeply) with `***`. */
function makeRedactor(secrets: string[]): (<T>(value: T) => T) | undefined {
  if (secrets.length === 0) return undefined;
  const scrub = (s: string) => {
    for (const secret of secrets) if (s.includes(secret)) s = s.replaceAll(secret, "***");
    return s;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[scrub(k)] = walk(x);
      return out;
    }
    return v;
  };
  return <T>(value: T) => walk(value) as T;
}
