/**
 * The API server's side of the distributed mode: executions are recorded in
 * the database (PostgreSQL) as `queued` and then enqueued in BullMQ with the
 * execution id as the job id, so a job never exists without its row and a
 * retried enqueue never runs twice. Live events, results and `http.respond`
 * answers come back through Redis pub/sub (a result is the top-level
 * `workflow.completed` event of the journal lines a worker publishes once it
 * wrote them; the database is the fallback for a message missed), and
 * schedules are BullMQ job schedulers, so a tick fires once across every API
 * server.
 *
 * A reconciler re-enqueues `queued` executions whose job is missing (Redis
 * lost it, or the server died between the two writes), and fails those whose
 * job failed for good: nothing accepted is lost, nothing waits forever unseen.
 *
 * @module
 */
import { Queue } from "bullmq";
import type { EventOf, RunResult } from "../src/engine/mod.ts";
import type { TriggerResponse } from "../src/node/mod.ts";
import {
  type Accepted,
  type BackendContext,
  type ExecutionBackend,
  type Job,
  newExecution,
  type ReadyCheck,
  type RuntimeConnector,
  type ScheduleDriver,
  UnavailableError,
  type WorkflowVersion,
} from "../src/runtime/mod.ts";
import { type Metrics, scheduleNotSet } from "../src/runtime/service.ts";
import type { ExecutionRecord, Store } from "../src/store/mod.ts";
import { nextCronRun } from "../nodes/time/cron.ts";
import { redactRedisUrl, redisConnection, whenReady } from "./connection.ts";
import { REPEAT_SETTINGS } from "./cron.ts";
import { QueuedRows } from "./queued_rows.ts";
import {
  CANCEL_CHANNEL,
  DONE_CHANNEL,
  type DoneMessage,
  EVENTS_CHANNEL,
  type EventsMessage,
  JOB_RUN,
  JOB_SCHEDULE,
  KEY_PREFIX,
  QUEUE_NAME,
  RESPOND_CHANNEL,
  type RunJobData,
  type ScheduleJobData,
  schedulerId,
} from "./names.ts";

/** How often the reconciler looks for queued executions without a job, ms. */
export const RECONCILE_MS = 5_000;

/** Statuses of an execution that has not ended: `crashed` is one whose worker died, until another takes it over. */
const UNENDED: readonly string[] = ["queued", "running", "crashed"];

/** How long closing waits for Redis, ms. */
const CLOSE_MS = 5_000;

/** How often a caller waiting for a result checks the database too, ms. */
const RESULT_POLL_MS = 2_000;

/** The options of every run job. */
export const RUN_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 86400 },
} as const;

/** Options of {@linkcode connectQueue}. */
export interface QueueConnectorOptions {
  /** `redis://...` */
  url: string;
  /** The database every API server and worker shares. */
  store: Store;
  /** Log lines. */
  log: (line: string) => void;
}

/**
 * Connects an API server to the queue. Throws when Redis cannot be reached
 * at start (one line, URL redacted).
 */
export async function connectQueue(options: QueueConnectorOptions): Promise<RuntimeConnector> {
  const connector = new QueueConnector(options);
  await connector.start();
  return connector;
}

/** A waiter for an execution's result. */
type Waiter = (result: RunResult) => void;

/** The API server's connector. */
class QueueConnector implements RuntimeConnector {
  readonly #options: QueueConnectorOptions;
  readonly #queue: Queue;
  readonly #subscriber;
  readonly #producer;
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #responders = new Map<string, (r: TriggerResponse) => boolean>();
  readonly #savedVersions = new Set<string>();
  readonly #rows: QueuedRows;
  #ctx?: BackendContext;
  #reconciler?: ReturnType<typeof setInterval>;
  #closed = false;
  #started = false;
  #lastError = "";

  constructor(options: QueueConnectorOptions) {
    this.#options = options;
    this.#rows = new QueuedRows(options.store);
    const onError = (err: Error) => this.#warn(`queue: ${err.message}`);
    this.#producer = redisConnection(options.url, "producer", onError);
    this.#subscriber = redisConnection(options.url, "blocking", onError);
    this.#queue = new Queue(QUEUE_NAME, { connection: this.#producer, prefix: KEY_PREFIX, settings: REPEAT_SETTINGS });
    this.#queue.on("error", onError);
  }

  async start(): Promise<void> {
    try {
      await whenReady(this.#producer);
    } catch (err) {
      await this.close();
      throw new UnavailableError(
        `queue ${redactRedisUrl(this.#options.url)}: ${(err as Error).message}`,
        "QUEUE_UNAVAILABLE",
      );
    }
    // Results come with the journal lines (and on flow:done), not from BullMQ's event stream: reading that stream
    // made the API server parse four events per job (added, waiting, active, completed) for one it needs.
    await this.#subscriber.subscribe(EVENTS_CHANNEL, RESPOND_CHANNEL, DONE_CHANNEL);
    this.#subscriber.on("message", (channel: string, text: string) => this.#message(channel, text));
    this.#started = true;
    this.#reconciler = setInterval(() => this.#reconcile().catch(() => {}), RECONCILE_MS);
  }

  #warn(line: string) {
    // Reconnect loops repeat the same error: say it once until it changes. Before start, start says it.
    if (line === this.#lastError || !this.#started) return;
    this.#lastError = line;
    this.#options.log(`flow serve: ${line}`);
  }

  backend(ctx: BackendContext): ExecutionBackend {
    this.#ctx = ctx;
    return {
      submit: (job) => this.#submit(job),
      cancel: (id) => this.#cancel(id),
      active: async (id) => await this.#inFlight(await this.#options.store.getExecution(id)),
      counts: async () => {
        // Redis away: nothing can be counted (metrics and shutdown messages still go on).
        const c = await this.#queue.getJobCounts("active", "waiting", "delayed", "prioritized").catch(() => ({}));
        const n = c as Record<string, number>;
        return { running: n.active ?? 0, queued: (n.waiting ?? 0) + (n.delayed ?? 0) + (n.prioritized ?? 0) };
      },
      drain: () => {
        this.#closed = true;
        return Promise.resolve();
      },
    };
  }

  /** Records the execution as queued, then enqueues its job; 503 (UnavailableError) when either cannot be done. */
  async #submit(job: Job): Promise<Accepted> {
    if (this.#closed) throw new UnavailableError();
    const { store } = this.#options;
    const { version } = job;
    await this.#saveVersion(version);
    await this.#rows.write(newExecution(version.compiled, {
      executionId: job.executionId,
      inputs: job.inputs,
      trigger: job.trigger,
      fired: job.fire,
      file: version.file,
      hash: version.hash,
      status: "queued",
      createdAt: new Date().toISOString(),
      resumedFrom: job.resumedFrom,
    }));
    const done = this.#waitFor(job.executionId);
    if (job.fire?.respond) this.#responders.set(job.executionId, job.fire.respond);
    try {
      await this.#enqueue(job.executionId);
    } catch (err) {
      const message = `not accepted: the queue ${redactRedisUrl(this.#options.url)} is unreachable (${
        (err as Error).message
      })`;
      await store.write({
        ended: [{
          executionId: job.executionId,
          status: "cancelled",
          endedAt: new Date().toISOString(),
          error: { message, code: "QUEUE_UNAVAILABLE" },
        }],
      }).catch(() => {});
      this.#responders.delete(job.executionId);
      throw new UnavailableError(message, "QUEUE_UNAVAILABLE");
    }
    done.then(() => this.#responders.delete(job.executionId));
    return { executionId: job.executionId, queued: true, done };
  }

  #enqueue(executionId: string) {
    const data: RunJobData = { executionId };
    return this.#queue.add(JOB_RUN, data, { jobId: executionId, ...RUN_JOB_OPTIONS });
  }

  async #saveVersion(version: WorkflowVersion) {
    if (this.#savedVersions.has(version.hash)) return;
    await this.#options.store.saveVersion({
      hash: version.hash,
      workflowId: version.id,
      file: version.file,
      text: version.text,
      ...(version.sources.size ? { sources: Object.fromEntries(version.sources) } : {}),
    });
    this.#savedVersions.add(version.hash);
  }

  /** Resolves with the execution's result: from the workers' messages, or from the database when those are missed. */
  #waitFor(executionId: string): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      let set = this.#waiters.get(executionId);
      if (!set) this.#waiters.set(executionId, set = new Set());
      const poll = setInterval(async () => {
        const record = await this.#options.store.getExecution(executionId).catch(() => undefined);
        if (record && !await this.#inFlight(record)) this.#settle(executionId, resultOf(record));
      }, RESULT_POLL_MS);
      set.add((result) => {
        clearInterval(poll);
        resolve(result);
      });
    });
  }

  /**
   * Whether an execution is still to end: queued, running, or crashed (its
   * worker died) while its job waits to be taken over by another worker.
   */
  async #inFlight(record: ExecutionRecord | undefined): Promise<boolean> {
    if (!record || !UNENDED.includes(record.status)) return false;
    if (record.status !== "crashed") return true;
    try {
      const job = await this.#queue.getJob(record.executionId);
      return job !== undefined && !["completed", "failed"].includes(await job.getState());
    } catch {
      return true; // Redis is away: it cannot be told, so it is not over
    }
  }

  #settle(executionId: string, result: RunResult) {
    const set = this.#waiters.get(executionId);
    if (!set) return;
    this.#waiters.delete(executionId);
    for (const w of set) w(result);
  }

  /** A job that failed for good (its worker could not run it): the execution failed with that reason. */
  async #failedJob(jobId: string, reason: string) {
    const { store } = this.#options;
    const record = await store.getExecution(jobId).catch(() => undefined);
    if (!record || !UNENDED.includes(record.status)) return;
    const error = { message: `the execution could not be run: ${reason}`, code: "JOB_FAILED" };
    await store.write({
      ended: [{ executionId: jobId, status: "failed", endedAt: new Date().toISOString(), error }],
    }).catch(() => {});
    this.#settle(jobId, resultOf({ ...record, status: "failed", error }));
  }

  async #cancel(executionId: string): Promise<boolean> {
    const { store } = this.#options;
    const record = await store.getExecution(executionId);
    if (!record || !await this.#inFlight(record)) return false;
    const job = await this.#queue.getJob(executionId);
    const state = job ? await job.getState() : "unknown";
    const waits = record.status !== "running"; // queued, or crashed and waiting for another worker
    if (waits && job && ["waiting", "delayed", "prioritized", "wait"].includes(state)) {
      try {
        await job.remove();
      } catch { /* a worker took it meanwhile: cancel it there */ }
    }
    if (state !== "active" && waits && !(await this.#queue.getJob(executionId))) {
      const error = { message: "the run was cancelled while queued", code: "CANCELLED" };
      await store.write({
        ended: [{ executionId, status: "cancelled", endedAt: new Date().toISOString(), durationMs: 0, error }],
      });
      this.#settle(executionId, resultOf({ ...record, status: "cancelled", error }));
      return true;
    }
    await this.#producer.publish(CANCEL_CHANNEL, JSON.stringify({ executionId }));
    return true;
  }

  #message(channel: string, text: string) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (channel === RESPOND_CHANNEL) {
      this.#responders.get(message.executionId)?.(message.response as TriggerResponse);
      return;
    }
    if (channel === DONE_CHANNEL) {
      const done = message as DoneMessage;
      if ("result" in done) this.#settle(done.executionId, done.result);
      else this.#failedJob(done.jobId, done.failedReason).catch(() => {});
      return;
    }
    for (const event of (message as EventsMessage).events) {
      this.#ctx?.publish(event);
      // The run's end, written with its execution's end (the worker publishes lines once they are written).
      if (event.type === "workflow.completed" && event.parentNodeId === undefined) {
        this.#settle(event.executionId, resultOfEvent(event));
      }
    }
  }

  /**
   * Re-enqueues queued executions whose job is missing; fails those whose job
   * failed for good (a worker says so on `flow:done` at once; this finds the
   * ones whose message was missed).
   */
  async #reconcile() {
    if (this.#closed) return;
    const queued = await this.#options.store.listExecutions({ status: "queued", oldestFirst: true, limit: 100 });
    const cutoff = Date.now() - RECONCILE_MS;
    for (const record of queued) {
      if (Date.parse(record.createdAt) > cutoff) break;
      const job = await this.#queue.getJob(record.executionId);
      if (!job) {
        await this.#enqueue(record.executionId);
        this.#options.log(`flow serve: re-enqueued queued execution ${record.executionId} (its job was missing)`);
      } else if (await job.getState() === "failed") {
        await this.#failedJob(record.executionId, job.failedReason ?? "unknown");
      }
    }
  }

  schedules(): ScheduleDriver {
    return new QueueSchedules(this.#queue, (v) => this.#saveVersion(v), this.#options.log);
  }

  async ready(): Promise<Record<string, ReadyCheck>> {
    const checks: Record<string, ReadyCheck> = {};
    try {
      await this.#producer.ping();
      checks.queue = { ok: true, url: redactRedisUrl(this.#options.url) };
      const workers = await this.#queue.getWorkersCount();
      checks.workers = workers > 0
        ? { ok: true, live: workers }
        : { ok: false, live: 0, error: "no worker is connected" };
    } catch (err) {
      checks.queue = { ok: false, url: redactRedisUrl(this.#options.url), error: (err as Error).message };
    }
    return checks;
  }

  metrics(m: Metrics): void {
    const counts = () => this.#queue.getJobCounts("waiting", "delayed", "prioritized").catch(() => ({}));
    m.gauge("flow_queue_depth", "Jobs waiting in the queue", async () => {
      const c = await counts() as Record<string, number>;
      return (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
    });
    m.gauge("flow_queue_oldest_age_seconds", "Age of the oldest queued execution", async () => {
      const [oldest] = await this.#options.store.listExecutions({ status: "queued", oldestFirst: true, limit: 1 })
        .catch(() => []);
      return oldest ? (Date.now() - Date.parse(oldest.createdAt)) / 1000 : 0;
    });
    m.gauge("flow_workers_live", "Workers connected to the queue", () => this.#queue.getWorkersCount().catch(() => 0));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reconciler) clearInterval(this.#reconciler);
    for (const [id, set] of this.#waiters) {
      for (const w of set) w(resultOf({ executionId: id, workflowId: "", status: "running" } as ExecutionRecord));
    }
    this.#waiters.clear();
    // Closing waits for Redis; a server stopping while Redis is away does not wait for it long.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#queue.close().catch(() => {}),
      new Promise((resolve) => timer = setTimeout(resolve, CLOSE_MS)),
    ]);
    clearTimeout(timer);
    this.#subscriber.disconnect();
    this.#producer.disconnect();
  }
}

/** What a caller of an execution gets from its record. */
export function resultOf(record: ExecutionRecord): RunResult {
  return {
    executionId: record.executionId,
    workflowId: record.workflowId,
    status: record.status === "success" ? "success" : record.status === "cancelled" ? "cancelled" : "failed",
    durationMs: record.durationMs ?? 0,
    outputs: record.outputs ?? {},
    ...(record.error ? { error: record.error } : {}),
    nodes: [],
  };
}

/** What a caller of an execution gets from its top-level `workflow.completed` event (the same as from its record). */
function resultOfEvent(event: EventOf<"workflow.completed">): RunResult {
  return {
    executionId: event.executionId,
    workflowId: event.workflowId,
    status: event.status,
    durationMs: event.durationMs,
    outputs: event.outputs,
    ...(event.error ? { error: event.error } : {}),
    nodes: [],
  };
}

/** A schedule trigger of a serving version. */
interface ScheduleTrigger {
  version: WorkflowVersion;
  trigger: WorkflowVersion["triggers"][number];
}

/**
 * Schedules as BullMQ job schedulers: one per trigger, shared by every API
 * server. Cron fire times are croner's (see `cron.ts`), as in one process.
 * Each schedule is set on its own: one that cannot be set is logged with its
 * workflow and node, and the others are set all the same.
 */
export class QueueSchedules implements ScheduleDriver {
  #next = new Map<string, string>();
  #sync: Promise<void> = Promise.resolve();
  #stopped = false;

  /** Schedules on `queue`; `save` stores a version for the workers; `log` takes one line per problem. */
  constructor(
    readonly queue: Queue,
    readonly save: (v: WorkflowVersion) => Promise<void>,
    readonly log: (line: string) => void,
  ) {}

  /** Makes the job schedulers match the serving versions' schedule triggers (in order, one sync at a time). */
  sync(versions: WorkflowVersion[]): Promise<void> {
    this.#sync = this.#sync.then(() => this.#apply(versions)).catch((err) =>
      this.log(`flow serve: schedules: ${(err as Error).message}`)
    );
    return this.#sync;
  }

  async #apply(versions: WorkflowVersion[]) {
    if (this.#stopped) return;
    const set = new Set<string>();
    for (const version of versions) {
      for (const trigger of version.triggers) {
        if (trigger.kind !== "cron" && trigger.kind !== "interval") continue;
        try {
          await this.#upsert({ version, trigger });
          set.add(schedulerId(version.id, trigger.nodeId));
        } catch (err) {
          this.log(scheduleNotSet(version, trigger.nodeId, err));
        }
      }
    }
    // Schedulers of workflows gone, and those whose new version could not be set: nothing fires a stale version.
    for (const s of await this.queue.getJobSchedulers(0, -1)) {
      if (!s.key.startsWith("flow:") || set.has(s.key)) continue;
      await this.queue.removeJobScheduler(s.key).catch((err) =>
        this.log(`flow serve: schedule ${s.key} could not be removed: ${(err as Error).message}`)
      );
    }
  }

  async #upsert({ version, trigger: t }: ScheduleTrigger) {
    const id = schedulerId(version.id, t.nodeId);
    await this.save(version);
    const config = t.config as { schedule?: string; timezone?: string; startImmediately?: boolean; overlap?: string };
    const repeat = t.kind === "cron"
      ? { pattern: config.schedule!, ...(config.timezone ? { tz: config.timezone } : {}) }
      : { every: t.prepared as number, immediately: config.startImmediately ?? false };
    const data: ScheduleJobData = {
      workflowId: version.id,
      nodeId: t.nodeId,
      kind: t.kind as ScheduleJobData["kind"],
      hash: version.hash,
      file: version.file,
      overlap: (config.overlap ?? "skip") as ScheduleJobData["overlap"],
    };
    const job = await this.queue.upsertJobScheduler(id, repeat, {
      name: JOB_SCHEDULE,
      data,
      opts: { ...RUN_JOB_OPTIONS, attempts: 3 },
    });
    if (!job) throw new Error(`the schedule ${JSON.stringify(config.schedule)} has no next fire`);
    if (job.timestamp !== undefined && job.delay !== undefined) {
      this.#next.set(id, new Date(job.timestamp + job.delay).toISOString());
    }
  }

  /** When a trigger of a version fires next, ISO 8601. */
  nextFire(version: WorkflowVersion, nodeId: string): string | undefined {
    const t = version.triggers.find((x) => x.nodeId === nodeId);
    if (t?.kind === "cron") return nextCronRun(t.config as { schedule: string; timezone?: string })?.toISOString();
    return this.#next.get(schedulerId(version.id, nodeId));
  }

  /** Stops setting schedules; the schedulers stay in Redis. */
  stop(): void {
    // The schedulers live in Redis for the whole cluster: an API server stopping does not stop them.
    this.#stopped = true;
  }
}
