/**
 * FlowRuntime: flow as a long-running service. It holds the catalog of
 * workflows (with hot reload), the schedules, dispatch within limits, the
 * store, live event streams and metrics. `flow serve` and programs that
 * embed flow use it; the HTTP layer is a thin adapter over it.
 *
 * @module
 */
import type { FlowEvent } from "../events.ts";
import type { RunResult } from "../executor.ts";
import type { FiredTrigger } from "../node.ts";
import type { Registry } from "../registry.ts";
import { MemoryStateStore } from "../store/memory.ts";
import { Recorder } from "../store/recorder.ts";
import { RetentionPruner } from "../store/retention.ts";
import type { ExecutionRecord, StateStore, Store, Trigger } from "../store/types.ts";
import { resolveInputs } from "../validate.ts";
import { Catalog, type CatalogEntry, serving } from "./catalog.ts";
import { type StreamedEvent, watchExecution } from "./live.ts";
import { newExecution } from "./recorded.ts";
import type {
  Accepted,
  BackendContext,
  ExecutionBackend,
  Job,
  ReadyCheck,
  RuntimeConnector,
  ScheduleDriver,
} from "./backend.ts";
import { Dispatcher } from "./dispatcher.ts";
import { findExecution } from "./lookup.ts";
import { Metrics } from "./metrics.ts";
import { planResume } from "./resume.ts";
import { type ScheduleFire, Schedules } from "./schedules.ts";
import { chooseTrigger } from "./triggers.ts";
import type { WorkflowVersion } from "./version.ts";

/** How long a write that must be durable waits to share a transaction with others (group commit), ms. */
export const GROUP_COMMIT_MS = 5;

/** Options of {@linkcode FlowRuntime.start}. */
export interface RuntimeOptions {
  /** Workflow files and directories (absolute paths). */
  paths: string[];
  /** Node types (built-ins and any registered by the program). */
  registry: Registry;
  /** Folders of custom node modules (`--nodes`). */
  nodeDirs?: string[];
  /** Where executions and persistent state live; without it, nothing is recorded and state is in memory. */
  store?: Store;
  /** Executions of each workflow that retention keeps (default 1000; 0: every execution). */
  keep?: number;
  /** Record executions (default true when there is a store). */
  history?: boolean;
  /** Executions running at once (default 16). */
  maxRuns?: number;
  /** Executions waiting beyond that (default 1000). */
  queue?: number;
  /** Watch the paths and reload what changes (default true). */
  watch?: boolean;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
  /** Another dispatch (the distributed mode); default: executions run in this process. */
  connector?: RuntimeConnector;
}

/** A workflow as the API lists it. */
export interface WorkflowInfo {
  /** Workflow id (undefined for a file that never loaded). */
  id?: string;
  /** Its name. */
  name?: string;
  /** Absolute path of the file. */
  file: string;
  /** Whether it serves. */
  valid: boolean;
  /** Problems of the file's current content and conflicts, one line each. */
  errors: string[];
  /** Its triggers. */
  triggers: { nodeId: string; kind: string; method?: string; path?: string; nextFireAt?: string }[];
  /** Content hash of the serving version. */
  hash?: string;
}

/** Why a request about a workflow or run cannot be served. */
export class NotFoundError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

/** The service runtime. */
export class FlowRuntime {
  /** The workflows. */
  readonly catalog: Catalog;
  /** Where executions run: in this process within limits, or on workers. */
  readonly backend: ExecutionBackend;
  /** Schedule triggers. */
  readonly schedules: ScheduleDriver;
  /** Metrics. */
  readonly metrics: Metrics = new Metrics();
  /** The store, when there is one. */
  readonly store?: Store;
  /** Backend of `ctx.store`. */
  readonly state: StateStore;
  /** Node types of the served workflows. */
  readonly registry: Registry;
  readonly #recorder?: Recorder;
  readonly #pruner?: RetentionPruner;
  readonly #history: boolean;
  readonly #log: (line: string) => void;
  readonly #all = new Set<(e: FlowEvent) => void>();
  readonly #byExecution = new Map<string, Set<(e: FlowEvent) => void>>();
  /** The type of each node attempt in progress, by execution, then run path and node id (for the node metric). */
  readonly #nodeTypes = new Map<string, Map<string, string>>();
  readonly #watch: boolean;
  readonly #connector?: RuntimeConnector;
  readonly #closing = new AbortController();
  #ready = false;

  private constructor(options: RuntimeOptions) {
    this.#log = options.log ?? ((line) => console.error(line));
    this.store = options.store;
    this.registry = options.registry;
    this.#watch = options.watch !== false;
    this.state = options.store ?? new MemoryStateStore();
    this.#history = options.history ?? options.store !== undefined;
    if (options.store) {
      this.#recorder = new Recorder(options.store, {
        // Many runs at once: a new execution or an end waits up to 5 ms to share one transaction.
        groupMs: GROUP_COMMIT_MS,
        onError: (err) =>
          this.#log(`flow serve: history: ${(err as Error).message}; executions are no longer recorded`),
      });
      // Retention: a workflow whose runs ended is pruned to the newest `keep` (1,000) once it has 1% more (at most once a
      // second).
      this.#pruner = new RetentionPruner(
        options.store,
        (err) => this.#log(`flow serve: retention: ${(err as Error).message}`),
        { keep: options.keep },
      );
    }
    this.catalog = new Catalog(options.paths, options.registry, {
      nodeDirs: options.nodeDirs,
      log: this.#log,
      changed: () => this.schedules?.sync(this.#servingVersions()),
    });
    const ctx: BackendContext = {
      store: this.store,
      recorder: this.#recorder,
      state: this.state,
      publish: (e) => this.#publish(e),
      ended: (result, job) => this.#ended(result, job),
      log: this.#log,
    };
    this.#connector = options.connector;
    this.backend = this.#connector?.backend(ctx) ?? new Dispatcher({
      maxRuns: options.maxRuns ?? 16,
      queue: options.queue ?? 1000,
      recorder: this.#recorder,
      state: this.state,
      onEvent: ctx.publish,
      onEnd: ctx.ended,
    });
    this.schedules = this.#connector?.schedules(ctx) ?? new Schedules({
      run: (fire) => this.#runSchedule(fire),
      skipped: (fire, running) => this.#recordSkipped(fire, running),
    });
    this.#defineMetrics();
  }

  /** Creates a runtime that serves nothing until {@linkcode FlowRuntime.load}. */
  static create(options: RuntimeOptions): FlowRuntime {
    return new FlowRuntime(options);
  }

  /** Creates a runtime and loads its workflows. */
  static async start(options: RuntimeOptions): Promise<FlowRuntime> {
    const runtime = new FlowRuntime(options);
    await runtime.load();
    return runtime;
  }

  /** Loads the workflows, starts their schedules and (unless `watch: false`) watches for changes. */
  async load(): Promise<void> {
    await this.catalog.load();
    this.schedules.sync(this.#servingVersions());
    if (this.#watch) this.catalog.watch();
    this.#ready = true;
  }

  /** Aborted when {@linkcode FlowRuntime.shutdown} has drained the runs: open event streams end. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /** Whether the workflows are loaded (and the store open). */
  get ready(): boolean {
    return this.#ready;
  }

  #servingVersions(): WorkflowVersion[] {
    return this.catalog.entries().filter(serving).map((e) => e.version!);
  }

  /** Every workflow file with its state and triggers. */
  workflows(): WorkflowInfo[] {
    return this.catalog.entries().map((entry) => this.#info(entry));
  }

  /** One workflow by id: the serving version, or an entry whose file is invalid. */
  workflow(id: string): { info: WorkflowInfo; version?: WorkflowVersion } | undefined {
    const entry = this.catalog.get(id) ?? this.catalog.entries().find((e) => e.version?.id === id);
    return entry ? { info: this.#info(entry), version: serving(entry) ? entry.version : undefined } : undefined;
  }

  #info(entry: CatalogEntry): WorkflowInfo {
    const v = entry.version;
    return {
      id: v?.id,
      name: v?.compiled.workflow.name,
      file: entry.file,
      valid: serving(entry) && entry.errors.length === 0,
      errors: [...entry.errors, ...entry.conflicts],
      hash: v?.hash,
      triggers: (v?.triggers ?? []).map((t) => ({
        nodeId: t.nodeId,
        kind: t.kind,
        ...(t.kind === "webhook"
          ? { method: String(t.config.method), path: `/hooks/${String(t.config.path).replace(/^\/+/, "")}` }
          : { nextFireAt: this.schedules.nextFire(v!, t.nodeId) }),
      })),
    };
  }

  /**
   * Starts a run of workflow `id`. Throws a {@linkcode NotFoundError}, a
   * `WorkflowValidationError` for bad inputs, a `TriggerChoiceError`, or a
   * `BusyError`/`UnavailableError` when it cannot be accepted.
   */
  startRun(
    id: string,
    request: { inputs?: Record<string, unknown>; trigger?: Trigger; fire?: FiredTrigger; triggerNode?: string },
  ): Promise<Accepted> {
    const version = this.workflow(id)?.version;
    if (!version) throw new NotFoundError(`no workflow "${id}" is being served`);
    const inputs = resolveInputs(version.compiled, request.inputs ?? {}, (name) => `; give inputs.${name}`);
    const fire = request.fire ?? chooseTrigger(version.compiled, request.triggerNode, undefined);
    return this.submit({ version, inputs, trigger: request.trigger ?? "api", fire });
  }

  /** Submits a job for a version (webhooks use it with their own payload). */
  submit(job: Omit<Job, "executionId" | "history"> & { executionId?: string }): Promise<Accepted> {
    const history = this.#history && job.version.compiled.workflow.settings?.history !== false;
    const accepted = this.backend.submit({ ...job, executionId: job.executionId ?? crypto.randomUUID(), history });
    return accepted.then((a) => {
      this.metrics.inc("flow_runs_started_total", { workflow: job.version.id, trigger: job.trigger });
      return a;
    });
  }

  /** Resumes a failed, cancelled or crashed execution as a new one. */
  async resume(idOrPrefix: string, options: { force?: boolean } = {}): Promise<Accepted> {
    if (!this.store) throw new NotFoundError("there is no history to resume from (history is off)");
    const from = await findExecution(this.store, idOrPrefix);
    const version = this.workflow(from.workflowId)?.version;
    if (!version) throw new NotFoundError(`workflow "${from.workflowId}" is not being served`);
    const plan = await planResume(this.store, from, version.hash, options);
    return await this.submit({
      version,
      inputs: from.inputs,
      trigger: "api",
      resumedFrom: from.executionId,
      reuse: plan.reuse,
    });
  }

  /** Cancels a running or queued execution; false when it is neither. */
  cancel(executionId: string): Promise<boolean> {
    return this.backend.cancel(executionId);
  }

  /** The full id of an execution given by id or unique prefix (the store's, or one in flight without history). */
  async executionId(idOrPrefix: string): Promise<string> {
    if (await this.backend.active(idOrPrefix)) return idOrPrefix;
    return (await this.getExecution(idOrPrefix)).executionId;
  }

  /** Readiness: workflows loaded, store open, and the connector's checks (queue, workers). */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, ReadyCheck> }> {
    const checks: Record<string, ReadyCheck> = { workflows: { ok: this.#ready } };
    if (this.store) {
      try {
        await this.store.listExecutions({ limit: 1 });
        checks.store = { ok: true, location: this.store.location };
      } catch (err) {
        checks.store = { ok: false, location: this.store.location, error: (err as Error).message };
      }
    }
    if (this.#connector) Object.assign(checks, await this.#connector.ready());
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  /** An execution: from the store, or (history off) a summary while it is in flight. */
  async getExecution(idOrPrefix: string): Promise<ExecutionRecord> {
    if (this.store) return await findExecution(this.store, idOrPrefix);
    throw new NotFoundError(`no execution matches "${idOrPrefix}" (history is off)`);
  }

  /** Waits until everything recorded so far is written. */
  async flush(): Promise<void> {
    await this.#recorder?.flush();
  }

  /** Waits until everything recorded so far is written, in the next group write (before answering "accepted"). */
  async durable(): Promise<void> {
    await this.#recorder?.durable();
  }

  /** The events of an execution after `seq` (journal, then live) until it ends; see `watchExecution`. */
  watch(executionId: string, after: number, signal?: AbortSignal): AsyncGenerator<StreamedEvent> {
    return watchExecution(
      {
        store: this.store,
        active: (id) => this.backend.active(id),
        subscribe: (listener, id) => this.subscribe(listener, id),
        flush: () => this.flush(),
      },
      executionId,
      after,
      signal,
    );
  }

  /** Subscribes to every event (`executionId` undefined) or one execution's; returns the unsubscribe function. */
  subscribe(listener: (e: FlowEvent) => void, executionId?: string): () => void {
    if (executionId === undefined) {
      this.#all.add(listener);
      return () => this.#all.delete(listener);
    }
    let set = this.#byExecution.get(executionId);
    if (!set) this.#byExecution.set(executionId, set = new Set());
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.#byExecution.delete(executionId);
    };
  }

  #publish(e: FlowEvent) {
    this.#countNodes(e);
    for (const l of this.#all) l(e);
    const set = this.#byExecution.get(e.executionId);
    if (set) { for (const l of set) l(e); }
  }

  /** Stops schedules, drains runs for up to `graceMs`, cancels the rest, flushes the store. */
  async shutdown(graceMs: number): Promise<void> {
    this.schedules.stop();
    await this.backend.drain(graceMs);
    this.#closing.abort();
    await this.#pruner?.close();
    await this.#recorder?.close();
    await this.catalog.close();
    await this.#connector?.close();
  }

  async #runSchedule(fire: ScheduleFire): Promise<void> {
    try {
      const accepted = await this.submit({
        version: fire.version,
        inputs: resolveInputs(fire.version.compiled, {}),
        trigger: fire.trigger.kind === "cron" ? "cron" : "interval",
        fire: { nodeId: fire.trigger.nodeId, payload: { scheduledAt: fire.scheduledAt, firedAt: fire.firedAt } },
      });
      await accepted.done;
    } catch (err) {
      this.#log(
        `flow serve: ${fire.version.id}: ${fire.trigger.nodeId} fired but no run started: ${(err as Error).message}`,
      );
    }
  }

  #recordSkipped(fire: ScheduleFire, running: string | undefined) {
    const { version, trigger } = fire;
    this.metrics.inc("flow_schedule_skipped_total", { workflow: version.id });
    if (!this.#recorder || !this.#history) return;
    const now = new Date().toISOString();
    const executionId = crypto.randomUUID();
    const error = {
      message: `the previous run${running ? ` (${running})` : ""} was still running (overlap "skip")`,
      code: "OVERLAP",
    };
    this.#recorder.begin(newExecution(version.compiled, {
      executionId,
      inputs: {},
      trigger: trigger.kind === "cron" ? "cron" : "interval",
      fired: { nodeId: trigger.nodeId, payload: { scheduledAt: fire.scheduledAt, firedAt: fire.firedAt } },
      file: version.file,
      hash: version.hash,
      status: "queued",
      createdAt: now,
    })).then(() => this.#recorder!.ended({ executionId, status: "skipped", endedAt: now, durationMs: 0, error }));
  }

  #ended(result: RunResult, job: Job) {
    // Once the run's records are written (the next group commit), so that the prune counts them.
    if (this.#history && this.#pruner) {
      this.#recorder!.durable().then(() => this.#pruner!.ended(job.version.id), () => {});
    }
    this.metrics.inc("flow_runs_completed_total", { workflow: job.version.id, status: result.status });
    this.metrics.observe("flow_run_duration_seconds", { workflow: job.version.id }, result.durationMs / 1000);
  }

  #countNodes(e: FlowEvent) {
    if (e.type !== "node.started" && e.type !== "node.completed" && e.type !== "node.failed") return;
    // Keyed by the event's own strings where it can (a new string per event costs its hash on every request).
    const key = e.runPath === undefined ? e.nodeId : `${e.runPath}\u0000${e.nodeId}`;
    let types = this.#nodeTypes.get(e.executionId);
    if (e.type === "node.started") {
      if (!types) this.#nodeTypes.set(e.executionId, types = new Map());
      types.set(key, e.nodeType);
      return;
    }
    const type = types?.get(key);
    if (type === undefined) return;
    types!.delete(key);
    if (types!.size === 0) this.#nodeTypes.delete(e.executionId);
    this.metrics.observe("flow_node_duration_seconds", { type }, e.durationMs / 1000);
  }

  #defineMetrics() {
    const m = this.metrics;
    m.counter("flow_runs_started_total", "Executions started (or queued), by workflow and trigger");
    m.counter("flow_runs_completed_total", "Executions ended, by workflow and status");
    m.histogram("flow_run_duration_seconds", "Execution wall time, by workflow");
    m.histogram("flow_node_duration_seconds", "Node attempt duration, by node type");
    m.gauge("flow_runs_in_flight", "Executions running now", async () => (await this.backend.counts()).running);
    m.gauge("flow_runs_queued", "Executions waiting for a slot", async () => (await this.backend.counts()).queued);
    m.counter("flow_webhook_requests_total", "Webhook requests, by status code");
    m.counter("flow_schedule_skipped_total", "Schedule fires skipped because the previous run was still going");
    m.gauge("flow_workflows_serving", "Workflows serving", () => this.#servingVersions().length);
    this.#connector?.metrics?.(m);
  }
}
