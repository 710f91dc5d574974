/**
 * The executor: runs a compiled workflow as one execution. It owns what
 * spans a whole (sub-)run: events, cancellation, the workflow timeout,
 * `onError: "retry"` passes and sub-workflows. The scheduling of nodes within
 * a pass is in `pass.ts`.
 *
 * Recording, resume and persistent state come in as seams: a recorder is just
 * another subscriber of the bus, `reuse` hands the run results to reuse, and
 * `state` is the backend of every node's `ctx.store`.
 *
 * @module
 */
import type { ErrorInfo } from "../errors.ts";
import { EventBus, type EventListener, type RunStatus } from "./events.ts";
import { hasSetup, type NodeInstances, setupInstances } from "./instances.ts";
import type { FiredTrigger, SubworkflowResult } from "../node/node.ts";
import { type NodeSummary, type PassResult, runPass } from "./pass.ts";
import { secretRedactor } from "./redact.ts";
import type { Emit, ExecutionEnv, ReusableResults, RunScope } from "./run_context.ts";
import { MemoryStateStore } from "../store/memory.ts";
import type { StateStore } from "../store/types.ts";
import type { CompiledWorkflow } from "../validate/validate.ts";
import { isoNow } from "./clock.ts";

export type { NodeSummary } from "./pass.ts";
export type { ReusableResults } from "./run_context.ts";

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
  /**
   * Outputs to reuse instead of running nodes (resume, partial runs, pinned
   * data): nodes found here report `node.completed` with `reused: true` and
   * do not run.
   */
  reuse?: ReusableResults;
  /**
   * A partial run: the ids of the top-level nodes to run. They run even when
   * `reuse` holds their outputs. Every other top-level node does not run:
   * its outputs are taken from `reuse` at once when it holds them (reported
   * as reused, as `flow resume` reports them), else it is skipped with the
   * reason `not selected to run`. Ids that name no node are ignored.
   * Sub-workflows of the selected nodes run whole. Default: every node.
   */
  only?: ReadonlySet<string>;
  /**
   * Top-level nodes whose entry in `reuse` is pinned data rather than a
   * recorded result: their `node.completed` also says `pinned: true`.
   */
  pinned?: ReadonlySet<string>;
  /** The execution this run resumes; reported in the top-level `workflow.started`. */
  resumedFrom?: string;
  /**
   * The `seq` of the first event (default 0). A worker that takes over an
   * execution whose worker died continues its journal from here.
   */
  firstSeq?: number;
  /**
   * Backend of `ctx.store` (persistent node state). Default: one in-memory
   * store shared by every run of this process.
   */
  state?: StateStore;
  /** The trigger that fired (webhook, schedule): its node gets the payload; the other trigger nodes are skipped. */
  fired?: FiredTrigger;
  /**
   * Node instances of a loaded workflow version (`ctx.instance`). Without
   * them, nodes with `setup` are set up for this run and disposed after it.
   */
  instances?: NodeInstances;
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

/**
 * The default `ctx.store` backend of every run of this process without `state`
 * (keyed by workflow and node id; see docs/architecture.md, "State kept by modules").
 */
let processState: StateStore | undefined;

/**
 * Runs a compiled workflow and resolves when it has finished, failed or been
 * cancelled. Never rejects for node failures: they are in the result.
 *
 * @example
 * ```ts
 * import { runWorkflow } from "./executor.ts";
 * import { validateWorkflow } from "../validate/validate.ts";
 * import { Registry } from "../node/registry.ts";
 * const compiled = validateWorkflow({ nodes: [], connections: [] }, new Registry());
 * const result = await runWorkflow(compiled);
 * console.log(result.status); // "success"
 * ```
 */
export async function runWorkflow(compiled: CompiledWorkflow, options: RunOptions = {}): Promise<RunResult> {
  const bus = options.bus ?? new EventBus();
  const off = options.onEvent ? bus.subscribe(options.onEvent) : undefined;
  const getEnv = options.getEnv ?? ((name: string) => Deno.env.get(name));
  const ownInstances = !options.instances && hasSetup(compiled) ? await setupInstances(compiled) : undefined;
  const env: ExecutionEnv = {
    executionId: options.executionId ?? crypto.randomUUID(),
    bus,
    seq: options.firstSeq ?? 0,
    startedAt: isoNow(),
    getEnv,
    envValues: new Map(),
    maxDepth: options.maxDepth ?? MAX_DEPTH,
    redact: secretRedactor(compiled, getEnv),
    reuse: options.reuse,
    only: options.only,
    pinned: options.pinned,
    state: options.state ?? (processState ??= new MemoryStateStore()),
    resumedFrom: options.resumedFrom,
    trigger: options.fired,
    instances: options.instances ?? ownInstances,
  };
  try {
    const result = await execute(compiled, options.inputs ?? {}, env, { depth: 0, trail: [compiled.id] }, {
      signal: options.signal,
      concurrency: options.concurrency,
    });
    return env.redact ? env.redact(result) : result;
  } finally {
    off?.();
    await ownInstances?.dispose();
  }
}

/** Runs one workflow (top-level or nested) within an execution. */
async function execute(
  compiled: CompiledWorkflow,
  inputs: Record<string, unknown>,
  env: ExecutionEnv,
  scope: RunScope,
  options: { signal?: AbortSignal; concurrency?: number },
): Promise<RunResult> {
  const workflowId = compiled.id;
  const emit = emitter(env, workflowId, scope);
  const started = performance.now();
  const limit = options.concurrency ?? compiled.settings.concurrency;
  const run = runControl(compiled.settings.timeoutMs, options.signal);
  const expressionScope = {
    inputs,
    env: envValues(compiled, env),
    execution: { id: env.executionId, workflowId, startedAt: env.startedAt },
  };
  const resumed = scope.depth > 0
    ? {}
    : env.resumedFrom === env.executionId
    ? { takeover: true as const }
    : env.resumedFrom !== undefined
    ? { resumedFrom: env.resumedFrom }
    : {};
  emit("workflow.started", { name: compiled.workflow.name, nodeCount: compiled.nodes.length, ...resumed });
  const runChild = (child: CompiledWorkflow, childInputs: Record<string, unknown>, s: RunScope, sig: AbortSignal) =>
    execute(child, childInputs, env, s, { signal: sig }).then(toSubworkflowResult);
  let result: PassResult;
  try {
    for (let attempt = 1;; attempt++) {
      result = await runPass({
        compiled,
        inputs,
        limit,
        runSignal: run.signal,
        emit,
        env,
        scope,
        expressionScope,
        runSubworkflow: runChild,
      });
      if (
        result.status !== "failed" || run.cancelled || run.timedOut || compiled.settings.onError !== "retry" ||
        attempt > compiled.settings.maxWorkflowRetries
      ) break;
      emit("workflow.retrying", { attempt: attempt + 1, error: result.error! });
    }
  } finally {
    run.dispose();
  }
  const status: RunStatus = run.cancelled ? "cancelled" : result.status;
  const error = run.cancelled ? { message: "the run was cancelled", code: "CANCELLED" } : run.timedOut ?? result.error;
  const durationMs = Math.round(performance.now() - started);
  emit("workflow.completed", { status, durationMs, outputs: result.outputs, ...(error ? { error } : {}) });
  return {
    executionId: env.executionId,
    workflowId,
    status,
    durationMs,
    outputs: result.outputs,
    error,
    nodes: result.nodes,
  };
}

function toSubworkflowResult(r: RunResult): SubworkflowResult {
  return { status: r.status, outputs: r.outputs, ...(r.error ? { error: r.error } : {}) };
}

/** Publishes the events of one (sub-)run: base fields, then the payload, then where it sits; redacted. */
function emitter(env: ExecutionEnv, workflowId: string, scope: RunScope): Emit {
  const { executionId, bus } = env;
  const extra = scope.parentNodeId === undefined ? undefined : {
    parentNodeId: scope.parentNodeId,
    ...(scope.iteration === undefined ? {} : { iteration: scope.iteration }),
    runPath: scope.runPath,
  };
  return (type, payload) => {
    let event = { type, executionId, workflowId, seq: env.seq++, ts: isoNow(), ...payload, ...extra };
    if (env.redact) event = env.redact(event);
    bus.publish(event as never);
  };
}

/** Run-level abort: external cancellation or the workflow timeout. */
function runControl(timeoutMs: number | undefined, external: AbortSignal | undefined) {
  const abort = new AbortController();
  const control = {
    signal: abort.signal,
    cancelled: false,
    timedOut: undefined as ErrorInfo | undefined,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      external?.removeEventListener("abort", onExternalAbort);
    },
  };
  const onExternalAbort = () => {
    control.cancelled = true;
    abort.abort(new DOMException("the run was cancelled", "AbortError"));
  };
  if (external?.aborted) onExternalAbort();
  external?.addEventListener("abort", onExternalAbort, { once: true });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
    control.timedOut = { message: `workflow timed out after ${timeoutMs} ms`, code: "TIMEOUT" };
    abort.abort(new DOMException(control.timedOut.message, "TimeoutError"));
  }, timeoutMs);
  return control;
}

/** `$env` of a workflow: read once per execution, so every loop iteration of a sub-workflow sees the same values. */
function envValues(compiled: CompiledWorkflow, env: ExecutionEnv): Record<string, string> {
  let values = env.envValues.get(compiled);
  if (!values) {
    values = {};
    for (const name of [...compiled.settings.env, ...compiled.settings.secrets]) {
      const v = env.getEnv(name);
      if (v !== undefined) values[name] = v;
    }
    env.envValues.set(compiled, values);
  }
  return values;
}
