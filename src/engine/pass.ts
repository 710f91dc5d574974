/**
 * The scheduler: one pass over a workflow (the unit that `onError: "retry"`
 * repeats). Each node keeps a count of pending upstream inputs and is queued
 * when the last one settles, so a pass costs O(nodes + connections).
 * Independent branches run concurrently, bounded by the concurrency limit;
 * synchronous nodes complete without a microtask.
 *
 * The scheduler's four steps read top to bottom in {@linkcode Pass}: a value
 * is delivered ({@linkcode Pass.deliver}), a node whose inputs have all
 * settled is queued or skipped ({@linkcode Pass.decide}), ready nodes are
 * started up to the limit ({@linkcode Pass.pump}), and the pass finishes when
 * nothing runs and nothing is ready ({@linkcode Pass.finish}). One attempt of
 * a node (its signal, templates, config and input checks, retries) is in
 * `attempt.ts`; a sub-workflow a node runs is in `child_run.ts`.
 *
 * @module
 */
import { toErrorInfo } from "../errors.ts";
import type { ErrorInfo } from "../errors.ts";
import { NodeError } from "../errors.ts";
import type { SubworkflowResult, WorkflowRef } from "../node/node.ts";
import { type AttemptHost, scheduleRetry, startAttempt } from "./attempt.ts";
import { runChild, type RunSubworkflow } from "./child_run.ts";
import { countdown, nextTask, sliceSpent } from "./time_slice.ts";
import type { Emit, ExecutionEnv, RunError, RunScope } from "./run_context.ts";
import type { CompiledWorkflow } from "../validate/validate.ts";
import { typeName } from "../workflow/values.ts";

export type { RunSubworkflow } from "./child_run.ts";

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

/** What one pass runs and with what: the one argument of {@linkcode runPass}. */
export interface PassContext {
  /** The workflow of this (sub-)run. */
  compiled: CompiledWorkflow;
  /** Its input values, resolved. */
  inputs: Record<string, unknown>;
  /** How many nodes may run at once. */
  limit: number;
  /** Aborted on cancellation or the workflow timeout. */
  runSignal: AbortSignal;
  /** Publishes an event of this (sub-)run. */
  emit: Emit;
  /** The execution. */
  env: ExecutionEnv;
  /** Where this (sub-)run sits. */
  scope: RunScope;
  /** `$inputs`, `$env` and `$execution` of this (sub-)run. */
  expressionScope: Record<string, unknown>;
  /** Runs a sub-workflow (the executor). */
  runSubworkflow: RunSubworkflow;
}

/**
 * A node's state in a pass, one byte per node in {@linkcode Pass.state}; the
 * index of its name in {@linkcode STATUS_NAMES}. Every node starts `PENDING`.
 */
const PENDING = 0, COMPLETED = 1, FAILED = 2, SKIPPED = 3;
/** The summary's status of each state. */
const STATUS_NAMES = ["pending", "completed", "failed", "skipped"] as const satisfies Record<
  typeof PENDING | typeof COMPLETED | typeof FAILED | typeof SKIPPED,
  NodeSummary["status"]
>;
/** How a node waits for its inputs (`inputMode`), one byte per node in {@linkcode Pass.mode}. */
const WAIT_ALL = 0, WAIT_AVAILABLE = 1, WAIT_FIRST = 2;
/** Why a node outside a partial run's selection (`RunOptions.only`) without reusable outputs does not run. */
export const NOT_SELECTED = "not selected to run";

/** Runs one pass. Never rejects for node failures: they are in the result. */
export function runPass(context: PassContext): Promise<PassResult> {
  return new Pass(context).start();
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
class Pass implements AttemptHost {
  // What the pass runs and with what (the fields of PassContext, kept on the pass for the hot path).
  readonly compiled: CompiledWorkflow;
  readonly inputs: Record<string, unknown>;
  readonly limit: number;
  readonly runSignal: AbortSignal;
  readonly emit: Emit;
  readonly env: ExecutionEnv;
  readonly scope: RunScope;
  readonly expressionScope: Record<string, unknown>;
  readonly runSubworkflow: RunSubworkflow;
  readonly nodes: CompiledWorkflow["nodes"];

  // Per node, by index: upstream inputs not settled yet, inputs that got a value, whether it is queued (ready or
  // skipped), its input mode (WAIT_*), its state (PENDING...), attempts, duration of its last attempt, ms.
  readonly pending: Counts;
  readonly live: Counts;
  readonly queued: Counts;
  readonly mode: Counts;
  readonly state: Counts;
  readonly attempts: Counts;
  readonly durations: Counts;
  /** The values of each node's input slots. */
  readonly values: unknown[][];
  /** Why a node will not run (set before it is skipped). */
  readonly deadReason: (string | undefined)[];
  readonly errors = new Map<number, ErrorInfo>();
  /** `ctx.state` of each node, kept across attempts. */
  readonly nodeState = new Map<number, Map<string, unknown>>();
  /** Nodes whose outputs are workflow outputs, and those outputs. */
  readonly keepOutputs: Set<number>;
  readonly kept = new Map<number, Record<string, unknown>>();
  readonly reused = new Set<number>();
  readonly reuse: Map<string, Record<string, unknown>> | undefined;
  /** A partial run's selection (top level only). */
  readonly only: ReadonlySet<string> | undefined;

  // The queue of ready nodes (read from head), the stack of nodes to skip, and what runs.
  readonly ready: number[] = [];
  readonly skips: number[] = [];
  head = 0;
  running = 0;
  /** The failure (or abort) that stopped the pass: nothing more starts. */
  stopped: RunError | undefined;
  anyFailed: RunError | undefined;
  done = false;
  /** Set while the pass waits for its next task (see {@linkcode Pass.pump}). */
  yielding = false;
  resolve!: (result: PassResult) => void;
  /** Aborts the pass's in-flight nodes when a node fails under "stop" or the run is aborted. */
  readonly stopAbort = new AbortController();
  readonly signal: AbortSignal = this.stopAbort.signal;

  constructor(context: PassContext) {
    const { compiled, env, scope } = context;
    this.compiled = compiled;
    this.inputs = context.inputs;
    this.limit = context.limit;
    this.runSignal = context.runSignal;
    this.emit = context.emit;
    this.env = env;
    this.scope = scope;
    this.expressionScope = context.expressionScope;
    this.runSubworkflow = context.runSubworkflow;
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
      this.mode[i] = node.inputMode === "first"
        ? WAIT_FIRST
        : node.inputMode === "available"
        ? WAIT_AVAILABLE
        : WAIT_ALL;
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
      if (this.mode[t] === WAIT_FIRST) {
        this.queued[t] = 1;
        this.pending[t]--;
        this.ready.push(t);
        return;
      }
    } else if (this.mode[t] === WAIT_ALL || this.nodes[t].slots[slot].required) this.deadReason[t] ??= reason;
    if (--this.pending[t] === 0) this.decide(t);
  }

  /** All of node t's connected inputs have settled: queue it or skip it. */
  decide(t: number): void {
    this.queued[t] = 1;
    const noInput = this.mode[t] !== WAIT_ALL && this.nodes[t].upstreamCount > 0 && this.live[t] === 0;
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
        startAttempt(this, i, 1);
      }
      this.drainSkips();
    }
    if (!this.done && this.running === 0 && (this.stopped !== undefined || this.head === this.ready.length)) {
      this.finish();
    }
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

  /** Runs a sub-workflow for node `nodeId` within this execution (`ctx.runWorkflow`). */
  runChild(
    nodeId: string,
    ref: WorkflowRef,
    subInputs: Record<string, unknown>,
    iteration: number | undefined,
    nodeSignal: AbortSignal,
  ): Promise<SubworkflowResult> {
    return runChild(this, nodeId, ref, subInputs, iteration, nodeSignal);
  }

  /** A node whose outputs are reused (recorded or pinned): they flow on, it does not run. */
  settleReused(i: number, outputs: Record<string, unknown>): void {
    const node = this.nodes[i];
    this.state[i] = COMPLETED;
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

  /** Node i returned `result`: it completes (if the result is an object of outputs) and its outputs flow on. */
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
    this.state[i] = COMPLETED;
    if (this.keepOutputs.has(i)) this.kept.set(i, out);
    this.emit("node.completed", { nodeId: node.id, outputs: out, durationMs: ms });
    this.forward(i, out);
  }

  /** Node i's attempt failed: it retries, or fails and its dependants are skipped or the pass stops (onError). */
  settleFailure(i: number, attempt: number, t0: number, err: unknown, waited = false): void {
    const node = this.nodes[i];
    const info = toErrorInfo(err);
    const retry = node.retry;
    const retryable = !(err instanceof NodeError && !err.retryable) && info.code !== "INPUT_TYPE";
    if (!waited) this.durations[i] = Math.round(performance.now() - t0);
    if (this.stopped === undefined && retry && attempt < retry.maxAttempts && retryable) {
      return scheduleRetry(this, i, attempt, t0, info);
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

  /** Resolves the pass with its outputs and every node's summary. */
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
