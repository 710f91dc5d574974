/**
 * FlowRuntime: flow as a long-running service. It holds the catalog of
 * workflows (with hot reload), the schedules, dispatch within limits, the
 * store, live event streams and metrics. `flow serve` and programs that
 * embed flow use it; the HTTP layer is a thin adapter over it.
 *
 * @module
 */
import { DEFAULT_MAX_RUNS, DEFAULT_MAX_WAITING } from "../defaults.ts";
import { ExitCode, FlowError } from "../errors.ts";
import { EventBus, type FlowEvent } from "../engine/events.ts";
import type { RunResult } from "../engine/executor.ts";
import type { FiredTrigger } from "../node/node.ts";
import type { Registry } from "../node/registry.ts";
import { MemoryStateStore } from "../store/memory.ts";
import { Recorder } from "../store/recorder.ts";
import { RetentionPruner } from "../store/retention.ts";
import type { ExecutionRecord, StateStore, Store, Trigger } from "../store/types.ts";
import { resolveInputs } from "../validate/validate.ts";
import { Catalog, type CatalogEntry, type ChangeOrigin, type FileChange, serving } from "./catalog.ts";
import { ServedRoots } from "../sources/roots.ts";
import { WorkflowSources } from "./sources.ts";
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
import { type EditorRunRequest, type EditorRunView, prepareEditorRun } from "./editor_runs.ts";
import { type Pin, Pins, type PinSource } from "./pins.ts";
import { secretRedactor } from "../engine/redact.ts";
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
  /** Executions running at once in this process (default {@linkcode DEFAULT_MAX_RUNS}, 16). */
  maxRuns?: number;
  /** Executions waiting for a slot beyond that, in this process (default {@linkcode DEFAULT_MAX_WAITING}, 1000). */
  maxWaiting?: number;
  /**
   * The former name of `maxWaiting` (the waiting limit, not the distributed
   * mode's queue); `maxWaiting` wins.
   *
   * @deprecated Use `maxWaiting`.
   */
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
  /** Its name in the API: the path relative to its served directory (see `ServedRoots`). */
  path: string;
  /** Whether it serves. */
  valid: boolean;
  /** Problems of the file's current content and conflicts, one line each. */
  errors: string[];
  /** Its triggers. */
  triggers: { nodeId: string; kind: string; method?: string; path?: string; nextFireAt?: string }[];
  /** Content hash of the serving version. */
  hash?: string;
}

/** A served file written or removed, as `GET /api/v1/events` sends it (`event: file`). */
export interface FileEvent {
  /** `file.written` or `file.removed`. */
  type: FileChange["type"];
  /** Its name (the path relative to its served directory). */
  file: string;
  /** Its workflow id, when it has one. */
  id?: string;
  /** SHA-256 (hex) of its new bytes (`file.written`). */
  etag?: string;
  /** `api` (a write through the API) or `disk` (any other writer, seen by the watcher). */
  origin: ChangeOrigin;
}

/**
 * A change the editor follows, as `GET /api/v1/events` sends it (`event:
 * editor`): a pin set or removed, a test request captured or expired.
 */
export interface EditorEvent {
  /** What happened. */
  type: "pin.set" | "pin.deleted" | "test-request.captured" | "test-request.expired";
  /** The workflow. */
  workflowId: string;
  /** The node. */
  nodeId: string;
  /** `pin.set`: where the pinned outputs came from. */
  source?: PinSource;
  /** The execution involved (a pin from a run; the run a test request started). */
  executionId?: string;
}

/** Why a request about a workflow or run cannot be served: `NOT_FOUND`, HTTP 404, exit 2. */
export class NotFoundError extends FlowError {
  /** Creates the error. */
  constructor(message: string) {
    super(message, { code: "NOT_FOUND", status: 404, exitCode: ExitCode.Usage });
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
  /** The served paths, naming files for the API and confining its writes. */
  readonly roots: ServedRoots;
  /** The served files as the editor reads and writes them. */
  readonly sources: WorkflowSources;
  /** Folders of custom node modules (`--nodes`). */
  readonly nodeDirs: readonly string[];
  /** Pinned node outputs, for editor runs (kept beside persistent node state). */
  readonly pins: Pins;
  /**
   * Where editor runs run: the backend, or, in the distributed mode, this
   * process (a partial run's plan and pins do not travel through the queue).
   */
  readonly #editorBackend: ExecutionBackend;
  readonly #recorder?: Recorder;
  readonly #pruner?: RetentionPruner;
  readonly #history: boolean;
  readonly #log: (line: string) => void;
  readonly #all = new EventBus();
  readonly #fileListeners = new EventBus<FileEvent>();
  readonly #editorListeners = new EventBus<EditorEvent>();
  readonly #byExecution = new Map<string, EventBus>();
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
    this.nodeDirs = options.nodeDirs ?? [];
    this.roots = new ServedRoots(options.paths);
    this.catalog = new Catalog(options.paths, options.registry, {
      nodeDirs: options.nodeDirs,
      log: this.#log,
      changed: () => this.schedules?.sync(this.#servingVersions()),
      file: (change) => this.#publishFile(change),
    });
    this.sources = new WorkflowSources(this.catalog, this.roots);
    const ctx: BackendContext = {
      store: this.store,
      recorder: this.#recorder,
      state: this.state,
      publish: (e) => this.#publish(e),
      ended: (result, job) => this.#ended(result, job),
      log: this.#log,
    };
    this.#connector = options.connector;
    // Runs in this process, within the limits; with a connector (the distributed mode), only the editor's runs.
    const inProcess = () =>
      new Dispatcher({
        maxRuns: options.maxRuns ?? DEFAULT_MAX_RUNS,
        maxWaiting: options.maxWaiting ?? options.queue ?? DEFAULT_MAX_WAITING,
        recorder: this.#recorder,
        state: this.state,
        onEvent: ctx.publish,
        onEnd: ctx.ended,
      });
    this.backend = this.#connector?.backend(ctx) ?? inProcess();
    this.#editorBackend = this.#connector ? inProcess() : this.backend;
    this.pins = new Pins(this.state);
    this.schedules = this.#connector?.schedules(ctx) ?? new Schedules({
      run: (fire) => this.#runSchedule(fire),
      skipped: (fire, running) => this.#recordSkipped(fire, running),
      log: this.#log,
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

  /**
   * Watches for changes (unless `watch: false`), then loads the workflows
   * and starts their schedules. Watching starts first: a file added or
   * changed while the others load is loaded once they are, not missed.
   */
  async load(): Promise<void> {
    if (this.#watch) this.catalog.watch();
    await this.catalog.load();
    this.schedules.sync(this.#servingVersions());
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
      path: this.roots.name(entry.file) ?? entry.file,
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

  /**
   * Starts an editor run of workflow `id` (trigger `editor`): the whole
   * workflow, a node and its ancestors, or one node, with the workflow's
   * pins unless `pins: false` (see `editor_runs.ts`); `executionId` lets a
   * caller subscribe to its events before it starts. Throws as
   * {@linkcode FlowRuntime.startRun} does, and a `PartialRunError`.
   */
  async startEditorRun(
    id: string,
    request: EditorRunRequest,
    options: { executionId?: string } = {},
  ): Promise<Accepted & { plan: EditorRunView }> {
    const version = this.workflow(id)?.version;
    if (!version) throw new NotFoundError(`no workflow "${id}" is being served`);
    const run = await prepareEditorRun(version, request, { store: this.store, pins: this.pins });
    const accepted = await this.submit({
      version,
      inputs: run.inputs,
      trigger: "editor",
      fire: run.fire,
      reuse: run.plan.reuse,
      only: run.plan.only,
      pinned: run.plan.pinned,
      resumedFrom: run.resumedFrom,
      executionId: options.executionId,
    });
    return { ...accepted, plan: run.view };
  }

  /** Submits a job for a version (webhooks use it with their own payload). */
  submit(job: Omit<Job, "executionId" | "history"> & { executionId?: string }): Promise<Accepted> {
    const history = this.#history && job.version.compiled.workflow.settings?.history !== false;
    const backend = job.trigger === "editor" ? this.#editorBackend : this.backend;
    const accepted = backend.submit({ ...job, executionId: job.executionId ?? crypto.randomUUID(), history });
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
  async cancel(executionId: string): Promise<boolean> {
    if (this.#editorBackend !== this.backend && await this.#editorBackend.cancel(executionId)) return true;
    return await this.backend.cancel(executionId);
  }

  /** Whether an execution runs or waits (on the backend, or as an editor run here). */
  async #active(executionId: string): Promise<boolean> {
    if (this.#editorBackend !== this.backend && await this.#editorBackend.active(executionId)) return true;
    return await this.backend.active(executionId);
  }

  /** The full id of an execution given by id or unique prefix (the store's, or one in flight without history). */
  async executionId(idOrPrefix: string): Promise<string> {
    if (await this.#active(idOrPrefix)) return idOrPrefix;
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
        active: (id) => this.#active(id),
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
    if (executionId === undefined) return this.#all.subscribe(listener);
    let bus = this.#byExecution.get(executionId);
    if (!bus) this.#byExecution.set(executionId, bus = new EventBus());
    const off = bus.subscribe(listener);
    return () => {
      off();
      if (bus!.size === 0 && this.#byExecution.get(executionId) === bus) this.#byExecution.delete(executionId);
    };
  }

  /** Subscribes to the served files' changes (written or removed, by the API or on disk); returns the unsubscribe function. */
  subscribeFiles(listener: (e: FileEvent) => void): () => void {
    return this.#fileListeners.subscribe(listener);
  }

  /** Subscribes to the editor's changes (pins, test requests); returns the unsubscribe function. */
  subscribeEditor(listener: (e: EditorEvent) => void): () => void {
    return this.#editorListeners.subscribe(listener);
  }

  /** Tells the editor's subscribers of a change. */
  publishEditor(event: EditorEvent): void {
    this.#editorListeners.publish(event);
  }

  /**
   * Pins a node of a served workflow (its outputs redacted of the workflow's
   * secrets first), and says so on the editor's event stream. Throws a
   * {@linkcode NotFoundError} for a workflow that is not served or a node it
   * does not have, and a `PinError`.
   */
  async pin(workflowId: string, pin: Omit<Pin, "pinnedAt" | "nodeType">): Promise<Pin> {
    const version = this.workflow(workflowId)?.version;
    if (!version) throw new NotFoundError(`no workflow "${workflowId}" is being served`);
    const node = version.compiled.nodes.find((n) => n.id === pin.nodeId);
    if (!node) throw new NotFoundError(`workflow "${workflowId}" has no node "${pin.nodeId}"`);
    const redact = secretRedactor(version.compiled, (name) => Deno.env.get(name));
    const stored: Pin = {
      ...pin,
      outputs: redact ? redact(pin.outputs) : pin.outputs,
      nodeType: node.type,
      pinnedAt: new Date().toISOString(),
    };
    await this.pins.set(workflowId, stored);
    const { source, executionId } = stored;
    this.publishEditor({
      type: "pin.set",
      workflowId,
      nodeId: pin.nodeId,
      source,
      ...(executionId ? { executionId } : {}),
    });
    return stored;
  }

  /** Unpins a node; resolves to whether it was pinned. */
  async unpin(workflowId: string, nodeId: string): Promise<boolean> {
    const removed = await this.pins.delete(workflowId, nodeId);
    if (removed) this.publishEditor({ type: "pin.deleted", workflowId, nodeId });
    return removed;
  }

  #publishFile(change: FileChange) {
    const file = this.roots.name(change.file);
    if (file === undefined) return;
    const { type, id, etag, origin } = change;
    const event: FileEvent = { type, file, ...(id ? { id } : {}), ...(etag ? { etag } : {}), origin };
    this.#fileListeners.publish(event);
  }

  #publish(e: FlowEvent) {
    this.#countNodes(e);
    this.#all.publish(e);
    this.#byExecution.get(e.executionId)?.publish(e);
  }

  /** Stops schedules, drains runs for up to `graceMs`, cancels the rest, flushes the store. */
  async shutdown(graceMs: number): Promise<void> {
    this.schedules.stop();
    await Promise.all([
      this.backend.drain(graceMs),
      this.#editorBackend !== this.backend ? this.#editorBackend.drain(graceMs) : undefined,
    ]);
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
