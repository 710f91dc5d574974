/**
 * The scheduler: one pass over a workflow (the unit that `onError: "retry"`
 * repeats). Each node keeps a count of pending upstream inputs and is queued
 * when the last one settles, so a pass costs O(nodes + connections).
 * Independent branches run concurrently, bounded by the concurrency limit;
 * synchronous nodes complete without a microtask.
 *
 * @module
 */
import { NodeError, toErrorInfo, WorkflowValidationError } from "../errors.ts";
import type { ErrorInfo } from "../errors.ts";
import { evaluateTemplateNow } from "../expressions/expressions.ts";
import type { NodeContext, SubworkflowResult, WorkflowRef } from "../node/node.ts";
import { retryDelay } from "./retry.ts";
import { countdown, nextTask, sliceSpent } from "./time_slice.ts";
import {
  type ContextHost,
  type Emit,
  type ExecutionEnv,
  Logger,
  NodeRunContext,
  type RunError,
  type RunScope,
} from "./run_context.ts";
import {
  type CompiledRef,
  type CompiledWorkflow,
  resolveInputs,
  splitConfig,
  zodIssues,
} from "../validate/validate.ts";
import { copyJson, fitsPortType, formatPath, preview, typeName } from "../workflow/values.ts";

/** Final state of one node. */
export interface NodeSummary {
  /** Node id. */
  id: string;
  /** Node type. */
  type: string;
  /** What happened to it; `pending` if the run stopped before it ran. */
  status: "completed" | "failed" | "skipped" | "pending";
  /** Attempts made (0 for a node that was skipped or reused). */
  attempts: number;
  /** Duration of the last attempt, ms. */
  durationMs?: number;
  /** Why it failed. */
  error?: ErrorInfo;
  /** Why it was skipped. */
  reason?: string;
  /** Set when its outputs were reused (resume, a partial run, pinned data): it did not run. */
  reused?: true;
  /** With `reused`: the outputs were pinned data. */
  pinned?: true;
}

/** The outcome of one pass. */
export interface PassResult {
  /** success, or failed when a node failed. */
  status: "success" | "failed";
  /** The workflow's declared outputs that have a value. */
  outputs: Record<string, unknown>;
  /** The first failure (the one that stopped the pass, if any). */
  error?: RunError;
  /** Every node's final state, in file order. */
  nodes: NodeSummary[];
}

/** How a pass calls back into the executor for sub-workflows. */
export type RunSubworkflow = (
  child: CompiledWorkflow,
  inputs: Record<string, unknown>,
  scope: RunScope,
  signal: AbortSignal,
) => Promise<SubworkflowResult>;

// Node states (0 = not run yet).
const DONE = 1, FAILED = 2, SKIPPED = 3;
// Input modes.
const ALL = 0, AVAILABLE = 1, FIRST = 2;
const STATUS_NAMES = ["pending", "completed", "failed", "skipped"] as const;
/** Why a node outside a partial run's selection (`RunOptions.only`) without reusable outputs does not run. */
export const NOT_SELECTED = "not selected to run";

/**
 * Runs one pass over `compiled`. Never rejects for node failures.
 *
 * @param runSignal aborted on cancellation or the workflow timeout
 */
export function runPass(
  compiled: CompiledWorkflow,
  inputs: Record<string, unknown>,
  limit: number,
  runSignal: AbortSignal,
  emit: Emit,
  env: ExecutionEnv,
  scope: RunScope,
  expressionScope: Record<string, unknown>,
  runSubworkflow: RunSubworkflow,
): Promise<PassResult> {
  return new Pass(compiled, inputs, limit, runSignal, emit, env, scope, expressionScope, runSubworkflow).start();
}

/** Per-node numbers of a pass, by node index. */
type Counts = { [node: number]: number };

/** Passes up to this many nodes keep their counts in plain arrays. */
const SMALL_PASS = 64;

/**
 * Counts for `n` nodes, all 0: a typed array (compact) for a large pass, a
 * plain array for a small one, which is many times cheaper to create (a loop
 * runs a small pass per item, and seven typed arrays cost microseconds).
 */
function counts(n: number, typed: new (n: number) => Counts): Counts {
  return n <= SMALL_PASS ? new Array<number>(n).fill(0) : new typed(n);
}

/** The state of one pass: per-node counters, a ready queue and a skip stack. */
class Pass implements ContextHost {
  readonly nodes: CompiledWorkflow["nodes"];
  readonly pending: Counts;
  readonly live: Counts;
  readonly queued: Counts;
  readonly mode: Counts;
  readonly state: Counts;
  readonly attempts: Counts;
  readonly durations: Counts;
  readonly values: unknown[][];
  readonly deadReason: (string | undefined)[];
  readonly errors = new Map<number, ErrorInfo>();
  readonly nodeState = new Map<number, Map<string, unknown>>();
  readonly keepOutputs: Set<number>;
  readonly kept = new Map<number, Record<string, unknown>>();
  readonly reused = new Set<number>();
  readonly reuse: Map<string, Record<string, unknown>> | undefined;
  /** A partial run's selection (top level only). */
  readonly only: ReadonlySet<string> | undefined;
  readonly ready: number[] = [];
  readonly skips: number[] = [];
  head = 0;
  running = 0;
  stopped: RunError | undefined;
  anyFailed: RunError | undefined;
  done = false;
  /** Set while the pass waits for its next task (see {@linkcode Pass.pump}). */
  yielding = false;
  resolve!: (result: PassResult) => void;
  /** Aborts the pass's in-flight nodes when a node fails under "stop" or the run is aborted. */
  readonly stopAbort = new AbortController();
  readonly signal: AbortSignal = this.stopAbort.signal;

  constructor(
    readonly compiled: CompiledWorkflow,
    readonly inputs: Record<string, unknown>,
    readonly limit: number,
    readonly runSignal: AbortSignal,
    readonly emit: Emit,
    readonly env: ExecutionEnv,
    readonly scope: RunScope,
    readonly expressionScope: Record<string, unknown>,
    readonly runSubworkflow: RunSubworkflow,
  ) {
    const n = compiled.nodes.length;
    this.nodes = compiled.nodes;
    this.pending = counts(n, Int32Array);
    this.live = counts(n, Int32Array);
    this.queued = counts(n, Uint8Array);
    this.mode = counts(n, Uint8Array);
    this.state = counts(n, Uint8Array);
    this.attempts = counts(n, Int32Array);
    this.durations = counts(n, Float64Array);
    this.values = new Array(n);
    this.deadReason = new Array(n);
    this.keepOutputs = new Set(compiled.outputs.flatMap((o) => o.source.kind === "node" ? [o.source.node] : []));
    this.reuse = env.reuse?.get(scope.runPath ?? "");
    this.only = scope.depth === 0 ? env.only : undefined;
  }

  /** Seeds inputs and constants, queues the nodes that need nothing, and runs. */
  start(): Promise<PassResult> {
    const promise = new Promise<PassResult>((r) => this.resolve = r);
    if (this.runSignal.aborted) this.onRunAbort();
    else this.runSignal.addEventListener("abort", this.onRunAbort, { once: true });
    this.seed();
    if (this.only) this.settleUnselected(this.only);
    for (const i of this.compiled.order) if (this.pending[i] === 0 && !this.queued[i]) this.decide(i);
    this.pump();
    return promise;
  }

  /** Pumps again in the task {@linkcode Pass.pump} yielded to. */
  readonly resume = (): void => {
    this.yielding = false;
    this.pump();
  };

  readonly onRunAbort = (): void => {
    this.stopped ??= toErrorInfo(this.runSignal.reason);
    this.stopAbort.abort(this.runSignal.reason);
  };

  /** Input counters, modes, and the values known before anything runs (constants and workflow inputs). */
  seed(): void {
    const { nodes, inputs } = this;
    const fired = this.scope.depth === 0 ? this.env.trigger?.nodeId : undefined;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (fired !== undefined && node.def.trigger && node.id !== fired) {
        this.deadReason[i] = `trigger "${node.id}" did not fire`;
      }
      this.pending[i] = node.upstreamCount;
      this.mode[i] = node.inputMode === "first" ? FIRST : node.inputMode === "available" ? AVAILABLE : ALL;
      const v = new Array(node.slots.length);
      for (let s = 0; s < node.slots.length; s++) {
        const slot = node.slots[s];
        const src = slot.source;
        if (src.kind === "const") v[s] = src.value;
        else if (src.kind === "input") {
          v[s] = inputs[src.name];
          if (v[s] === undefined && slot.required) this.deadReason[i] ??= `workflow input "${src.name}" has no value`;
        }
      }
      this.values[i] = v;
    }
  }

  /**
   * A partial run: every node outside the selection is settled before
   * anything runs, reused when `reuse` has its outputs (and it is not a
   * trigger that did not fire), else skipped. They
   * are all marked queued first, so what they deliver to each other is only
   * counted: none of them runs, whatever reaches it.
   */
  settleUnselected(only: ReadonlySet<string>): void {
    const outside: number[] = [];
    for (const i of this.compiled.order) {
      if (only.has(this.nodes[i].id)) continue;
      this.queued[i] = 1;
      outside.push(i);
    }
    for (const i of outside) {
      const recorded = this.reuse?.get(this.nodes[i].id);
      // A trigger that did not fire stays dead, whatever was recorded for it.
      if (recorded && this.deadReason[i] === undefined) this.settleReused(i, recorded);
      else {
        this.deadReason[i] ??= NOT_SELECTED;
        this.skips.push(i);
      }
    }
  }

  /** A value (or, when undefined, the news that none will come) reaches input `slot` of node `t`. */
  deliver(t: number, slot: number, value: unknown, reason: string): void {
    if (this.queued[t]) { // "first" mode: already on its way
      this.pending[t]--;
      return;
    }
    if (value !== undefined) {
      this.values[t][slot] = value;
      this.live[t]++;
      if (this.mode[t] === FIRST) {
        this.queued[t] = 1;
        this.pending[t]--;
        this.ready.push(t);
        return;
      }
    } else if (this.mode[t] === ALL || this.nodes[t].slots[slot].required) this.deadReason[t] ??= reason;
    if (--this.pending[t] === 0) this.decide(t);
  }

  /** All of node t's connected inputs have settled: queue it or skip it. */
  decide(t: number): void {
    this.queued[t] = 1;
    const noInput = this.mode[t] !== ALL && this.nodes[t].upstreamCount > 0 && this.live[t] === 0;
    if (this.deadReason[t] === undefined && !noInput) this.ready.push(t);
    else {
      this.deadReason[t] ??= "none of its inputs arrived";
      this.skips.push(t);
    }
  }

  /** Skips queued nodes and, transitively, what can no longer get its inputs. */
  drainSkips(): void {
    while (this.skips.length) {
      const k = this.skips.pop()!;
      const node = this.nodes[k];
      this.state[k] = SKIPPED;
      this.emit("node.skipped", { nodeId: node.id, reason: this.deadReason[k]! });
      for (const edge of node.outgoing) {
        this.deliver(edge.to, edge.slot, undefined, `upstream "${node.id}" was skipped`);
      }
    }
  }

  /**
   * Starts ready nodes up to the limit; finishes when nothing runs and nothing
   * is ready. After a time slice of work it continues in a later task (see
   * time_slice.ts), so signals, timers and the recorder get their turn.
   */
  pump(): void {
    if (this.yielding) return; // the pump scheduled by nextTask starts what is ready
    this.drainSkips();
    while (this.stopped === undefined && this.running < this.limit && this.head < this.ready.length) {
      if (--countdown.left === 0 && sliceSpent()) {
        this.yielding = true;
        nextTask(this.resume);
        return;
      }
      const i = this.ready[this.head++];
      // In a partial run only selected nodes get here, and they run.
      const recorded = this.only ? undefined : this.reuse?.get(this.nodes[i].id);
      if (recorded) this.settleReused(i, recorded);
      else {
        this.running++;
        this.invoke(i, 1);
      }
      this.drainSkips();
    }
    if (!this.done && this.running === 0 && (this.stopped !== undefined || this.head === this.ready.length)) {
      this.finish();
    }
  }

  /** Starts one attempt of node i; settles synchronously when the node returns synchronously. */
  invoke(i: number, attempt: number): void {
    const node = this.nodes[i];
    this.attempts[i] = attempt;
    this.emit("node.started", { nodeId: node.id, nodeType: node.type, attempt });
    const t0 = performance.now();
    const { signal: nodeSignal, cleanup } = this.nodeSignal(node.timeoutMs);
    const log = new Logger(node.id, this.emit);
    const ctx = new NodeRunContext(this, node, this.inputValues(i), nodeSignal, log, attempt);
    const close = () => {
      cleanup?.();
      log.open = false;
    };
    let result: unknown;
    try {
      if (nodeSignal.aborted) throw nodeSignal.reason;
      result = node.templates.length ? this.applyTemplates(i, ctx) : this.runChecked(i, ctx);
    } catch (err) {
      close();
      return this.settleFailure(i, attempt, t0, err);
    }
    if (!isThenable(result)) {
      close();
      return this.settleSuccess(i, result, t0);
    }
    raceSignal(result, nodeSignal).then(
      (value) => {
        close();
        this.settleSuccess(i, value, t0);
        this.pump();
      },
      (err) => {
        close();
        this.settleFailure(i, attempt, t0, err);
        this.pump();
      },
    );
  }

  /** The values that reached node i, by port. */
  inputValues(i: number): Record<string, unknown> {
    const node = this.nodes[i];
    const ins: Record<string, unknown> = {};
    const v = this.values[i];
    for (let s = 0; s < node.slots.length; s++) {
      if (v[s] !== undefined) ins[node.slots[s].port] = v[s];
    }
    return ins;
  }

  /** Node i's connected inputs (not config constants), by port: `$node` in expressions. */
  connectedInputs(i: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const node = this.nodes[i];
    const v = this.values[i];
    for (let s = 0; s < node.slots.length; s++) {
      if (node.slots[s].source.kind !== "const" && v[s] !== undefined) out[node.slots[s].port] = v[s];
    }
    return out;
  }

  /** The pass signal, or, for a node with a timeout, its own signal that also follows the pass. */
  nodeSignal(timeoutMs: number | undefined): { signal: AbortSignal; cleanup?: () => void } {
    const signal = this.signal;
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
  runChecked(i: number, ctx: NodeContext<Record<string, unknown>, unknown>): unknown {
    const node = this.nodes[i];
    for (const slot of node.slots) {
      const value = ctx.inputs[slot.port];
      if (value !== undefined && !fitsPortType(slot.spec.type, value)) {
        const src = slot.source;
        const from = src.kind === "node"
          ? ` (from ${this.nodes[src.node].id}.${src.port})`
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
  applyTemplates(i: number, ctx: NodeRunContext): unknown {
    const templates = this.nodes[i].templates;
    const bindings = ctx.bindings();
    const config = copyJson(this.nodes[i].rawConfig);
    for (let k = 0; k < templates.length; k++) {
      const value = this.templateValue(i, k, bindings);
      if (value instanceof Promise) return this.applyTemplatesLater(i, ctx, config, bindings, k, value);
      setPath(config, templates[k].path, value);
    }
    return this.configure(i, ctx, config);
  }

  /** The rest of {@linkcode Pass.applyTemplates} once template `k` waits for JSONata. */
  async applyTemplatesLater(
    i: number,
    ctx: NodeRunContext,
    config: Record<string, unknown>,
    bindings: Record<string, unknown>,
    k: number,
    pending: Promise<unknown>,
  ): Promise<unknown> {
    const templates = this.nodes[i].templates;
    setPath(config, templates[k].path, await pending);
    for (let j = k + 1; j < templates.length; j++) {
      setPath(config, templates[j].path, await this.templateValue(i, j, bindings));
    }
    return await this.configure(i, ctx, config);
  }

  /** The value of node i's template k (or a Promise of it); a failure is the node's EXPRESSION error. */
  templateValue(i: number, k: number, bindings: Record<string, unknown>): unknown {
    const { template } = this.nodes[i].templates[k];
    const fail = (err: unknown) =>
      new NodeError(
        `${formatPath(["nodes", i, "config", ...this.nodes[i].templates[k].path])}: ${template.source}: ${
          (err as Error).message
        }`,
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
  configure(i: number, ctx: NodeRunContext, config: Record<string, unknown>): unknown {
    const node = this.nodes[i];
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
    return this.runChecked(i, ctx);
  }

  /** Runs a sub-workflow for node `nodeId` within this execution. */
  async runChild(
    nodeId: string,
    ref: WorkflowRef,
    subInputs: Record<string, unknown>,
    iteration: number | undefined,
    nodeSignal: AbortSignal,
  ): Promise<SubworkflowResult> {
    const { scope, env } = this;
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
    return await this.runSubworkflow(child, resolved, {
      parentNodeId: nodeId,
      iteration,
      runPath: scope.runPath === undefined ? step : `${scope.runPath}/${step}`,
      depth: scope.depth + 1,
      trail,
    }, nodeSignal);
  }

  /** A node whose outputs are reused (recorded or pinned): they flow on, it does not run. */
  settleReused(i: number, outputs: Record<string, unknown>): void {
    const node = this.nodes[i];
    this.state[i] = DONE;
    this.reused.add(i);
    if (this.keepOutputs.has(i)) this.kept.set(i, outputs);
    const pinned = this.scope.depth === 0 && this.env.pinned?.has(node.id) ? { pinned: true as const } : {};
    this.emit("node.completed", { nodeId: node.id, outputs, durationMs: 0, reused: true, ...pinned });
    this.forward(i, outputs);
  }

  /** Delivers a completed node's outputs to its dependants. */
  forward(i: number, out: Record<string, unknown>): void {
    const node = this.nodes[i];
    for (const edge of node.outgoing) {
      const value = out[edge.port];
      this.deliver(edge.to, edge.slot, value, value === undefined ? `no value on "${node.id}.${edge.port}"` : "");
    }
  }

  settleSuccess(i: number, result: unknown, t0: number): void {
    const node = this.nodes[i];
    const outputs = result === undefined ? {} : result;
    if (typeName(outputs) !== "object") {
      return this.settleFailure(
        i,
        this.attempts[i],
        t0,
        new NodeError(`${node.type} returned ${typeName(outputs)}; a node must return an object of outputs`, {
          code: "BAD_OUTPUT",
          retryable: false,
        }),
      );
    }
    const out = outputs as Record<string, unknown>;
    const ms = this.durations[i] = Math.round(performance.now() - t0);
    this.running--;
    this.state[i] = DONE;
    if (this.keepOutputs.has(i)) this.kept.set(i, out);
    this.emit("node.completed", { nodeId: node.id, outputs: out, durationMs: ms });
    this.forward(i, out);
  }

  settleFailure(i: number, attempt: number, t0: number, err: unknown, waited = false): void {
    const node = this.nodes[i];
    const info = toErrorInfo(err);
    const retry = node.retry;
    const retryable = !(err instanceof NodeError && !err.retryable) && info.code !== "INPUT_TYPE";
    if (!waited) this.durations[i] = Math.round(performance.now() - t0);
    if (this.stopped === undefined && retry && attempt < retry.maxAttempts && retryable) {
      return this.scheduleRetry(i, attempt, t0, info);
    }
    this.running--;
    this.state[i] = FAILED;
    this.errors.set(i, info);
    this.emit("node.failed", { nodeId: node.id, error: info, durationMs: this.durations[i] });
    this.anyFailed ??= { ...info, nodeId: node.id };
    if (this.stopped !== undefined) return;
    if (node.onError === "continue") {
      for (const edge of node.outgoing) this.deliver(edge.to, edge.slot, undefined, `upstream "${node.id}" failed`);
    } else {
      this.stopped = { ...info, nodeId: node.id };
      this.stopAbort.abort(new DOMException(`the run stopped because node "${node.id}" failed`, "AbortError"));
    }
  }

  /** Emits node.retrying and starts the next attempt after the backoff, unless the pass stops first. */
  scheduleRetry(i: number, attempt: number, t0: number, info: ErrorInfo): void {
    const node = this.nodes[i];
    const signal = this.signal;
    const delayMs = retryDelay(node.retry!, attempt);
    this.emit("node.retrying", { nodeId: node.id, attempt: attempt + 1, delayMs, error: info });
    let waiting = true;
    const next = () => {
      if (!waiting) return;
      waiting = false;
      signal.removeEventListener("abort", onAbort);
      this.invoke(i, attempt + 1);
      this.pump();
    };
    const onAbort = () => {
      waiting = false;
      clearTimeout(t);
      this.settleFailure(i, attempt, t0, signal.reason, true);
      this.pump();
    };
    // No timer for a zero delay: Deno clamps nested zero timers to milliseconds.
    const t = delayMs > 0 ? setTimeout(next, delayMs) : undefined;
    signal.addEventListener("abort", onAbort, { once: true });
    if (t === undefined) queueMicrotask(next);
  }

  finish(): void {
    this.done = true;
    this.runSignal.removeEventListener("abort", this.onRunAbort);
    const outputs: Record<string, unknown> = {};
    for (const { name, source } of this.compiled.outputs) {
      const value = source.kind === "input" ? this.inputs[source.name] : this.kept.get(source.node)?.[source.port];
      if (value !== undefined) outputs[name] = value;
    }
    const error = this.stopped ?? this.anyFailed;
    this.resolve({
      status: error ? "failed" : "success",
      outputs,
      nodes: this.summaries(),
      ...(error ? { error } : {}),
    });
  }

  /** Every node's final state, in file order. */
  summaries(): NodeSummary[] {
    return this.nodes.map((node, i) => {
      const s = this.state[i];
      const summary: NodeSummary = {
        id: node.id,
        type: node.type,
        status: STATUS_NAMES[s],
        attempts: this.attempts[i],
      };
      if (this.attempts[i]) summary.durationMs = this.durations[i];
      if (this.errors.has(i)) summary.error = this.errors.get(i);
      if (s === SKIPPED) summary.reason = this.deadReason[i];
      if (this.reused.has(i)) {
        summary.reused = true;
        if (this.scope.depth === 0 && this.env.pinned?.has(node.id)) summary.pinned = true;
      }
      return summary;
    });
  }
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
