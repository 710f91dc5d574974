/**
 * `flow worker`: takes executions from the queue and runs them with the same
 * executor, events and store as one process does.
 *
 * - A job carries only the execution id; everything else (inputs, trigger
 *   payload, the workflow version's text by content hash) is read from the
 *   database, where it was committed before the job was enqueued.
 * - A worker runs exactly the version the API server accepted: the texts
 *   stored under its hash (the workflow file and every sub-workflow file it
 *   uses), never the files on its own disk; a version it cannot get fails the
 *   execution with a clear error.
 * - A worker claims an execution with one statement (`Store.claim`: queued or
 *   crashed becomes running by this process), so it runs at most once at a time.
 * - A job whose worker died (BullMQ marks it stalled) is taken over by another
 *   worker, which continues the same execution from its journal: nodes
 *   recorded complete are reused, not called again.
 * - Events are written to the journal and published on Redis for every API
 *   server's live streams; the top-level `workflow.completed` among them is
 *   the result an API server waits for (an end without a journal, and a job
 *   that failed for good, go on `flow:done`). Cancel messages reach the
 *   worker running the job.
 * - A job's own value is empty: the result is in the database and on
 *   `flow:done`, and BullMQ keeps finished jobs for an hour (up to 10,000), so
 *   a result there would hold every large output in Redis's memory too.
 *
 * @module
 */
import { DelayedError, type Job, Worker } from "bullmq";
import type { ReusableResults, RunResult } from "../src/engine/mod.ts";
import type { FiredTrigger, Registry } from "../src/node/mod.ts";
import { buildVersion, runRecorded, type WorkflowVersion } from "../src/runtime/mod.ts";
import {
  type ExecutionRecord,
  foldJournal,
  parseJournal,
  Recorder,
  RetentionPruner,
  reusableResults,
  type Store,
  type WriteBatch,
} from "../src/store/mod.ts";
import { currentProcess } from "../src/process.ts";
import { resolveInputs } from "../src/validate/mod.ts";
import { redisConnection } from "./connection.ts";
import { resultOf } from "./connector.ts";
import { REPEAT_SETTINGS } from "./cron.ts";
import {
  CANCEL_CHANNEL,
  DONE_CHANNEL,
  type DoneMessage,
  EVENTS_CHANNEL,
  eventsMessage,
  JOB_SCHEDULE,
  KEY_PREFIX,
  QUEUE_NAME,
  RESPOND_CHANNEL,
  type RunJobData,
  type ScheduleJobData,
} from "./names.ts";

/** How long a job's lock lasts without renewal; a worker silent this long is presumed dead, ms. */
export const LOCK_MS = 30_000;

/** How often a job handed out again checks whether the worker running its execution is done, ms. */
const OWNER_POLL_MS = 1000;

/** How long closing waits for Redis once no run is left here, ms. */
const CLOSE_MS = 5_000;

/** Options of {@linkcode FlowWorker.start}. */
export interface FlowWorkerOptions {
  /** `redis://...` */
  url: string;
  /** The shared database. */
  store: Store;
  /** Node types. */
  registry: Registry;
  /** Folders of custom node modules. */
  nodeDirs?: string[];
  /** Executions running at once (default 4). */
  concurrency?: number;
  /** Executions of each workflow that retention keeps (default 1000; 0: every execution). */
  keep?: number;
  /** Lock duration (default {@linkcode LOCK_MS}; `FLOW_WORKER_LOCK_MS` overrides it for tests). */
  lockMs?: number;
  /** Log lines. */
  log: (line: string) => void;
}

/** A worker process's queue consumer. */
export class FlowWorker {
  readonly #options: FlowWorkerOptions;
  readonly #worker: Worker;
  readonly #recorder: Recorder;
  readonly #pruner: RetentionPruner;
  readonly #publisher;
  readonly #subscriber;
  readonly #versions = new Map<string, Promise<WorkflowVersion>>();
  readonly #jobOf = new Map<string, string>();
  readonly #idleWaiters: (() => void)[] = [];
  #lastError = "";

  private constructor(options: FlowWorkerOptions) {
    this.#options = options;
    const onError = (err: Error) => this.#warn(`queue: ${err.message}`);
    this.#publisher = redisConnection(options.url, "blocking", onError, true);
    this.#subscriber = redisConnection(options.url, "blocking", onError);
    this.#recorder = new Recorder(options.store, {
      retry: true,
      onError: (err) => this.#warn(`database: ${(err as Error).message}; retrying`),
      onWritten: (batch) => this.#publish(batch),
    });
    // Retention: a workflow whose runs ended here is pruned to the newest `keep` (1,000) once it has 1% more.
    this.#pruner = new RetentionPruner(options.store, (err) => this.#warn(`retention: ${(err as Error).message}`), {
      keep: options.keep,
    });
    const lockMs = options.lockMs ?? Number(Deno.env.get("FLOW_WORKER_LOCK_MS") || LOCK_MS);
    this.#worker = new Worker(QUEUE_NAME, (job, token, signal) => this.#process(job, token, signal), {
      connection: redisConnection(options.url, "blocking", onError),
      prefix: KEY_PREFIX,
      concurrency: options.concurrency ?? 4,
      lockDuration: lockMs,
      stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
      maxStalledCount: 10,
      autorun: false,
      // A worker schedules a job scheduler's next fire when it takes the current one: croner's time, as the API's.
      settings: REPEAT_SETTINGS,
    });
    this.#worker.on("error", onError);
    // A job that failed for good (finishedOn is set when it is not retried), its attempts or its takeovers spent
    // (BullMQ fails a job stalled too often when a worker next takes it): the API servers record why.
    this.#worker.on("failed", (job, err) => {
      if (job?.id !== undefined && job.finishedOn !== undefined) {
        this.#done({ jobId: job.id, failedReason: err.message });
      }
    });
  }

  /** Connects and starts taking jobs. */
  static async start(options: FlowWorkerOptions): Promise<FlowWorker> {
    const worker = new FlowWorker(options);
    await worker.#subscriber.subscribe(CANCEL_CHANNEL);
    worker.#subscriber.on("message", (_channel: string, text: string) => {
      try {
        const { executionId } = JSON.parse(text);
        worker.#worker.cancelJob(worker.#jobOf.get(executionId) ?? executionId, "cancelled through the API");
      } catch { /* not ours */ }
    });
    worker.#worker.run().catch((err) => options.log(`flow worker: ${(err as Error).message}`));
    await worker.#worker.waitUntilReady();
    return worker;
  }

  #warn(line: string) {
    if (line === this.#lastError) return;
    this.#lastError = line;
    this.#options.log(`flow worker: ${line}`);
  }

  /** Resolves when no execution runs here. */
  #idle(): Promise<void> {
    return this.#jobOf.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Executions running here. */
  get running(): number {
    return this.#jobOf.size;
  }

  /** Publishes the journal lines just written, for the API servers' live streams. */
  #publish(batch: WriteBatch) {
    for (const chunk of batch.journal ?? []) {
      this.#publisher.publish(EVENTS_CHANNEL, eventsMessage(chunk)).catch(() => {});
    }
  }

  /** Tells the API servers how an execution ended when no journal line of this worker does. */
  #done(message: DoneMessage) {
    this.#publisher.publish(DONE_CHANNEL, JSON.stringify(message)).catch(() => {});
  }

  async #process(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<null> {
    const { store } = this.#options;
    const executionId = job.name === JOB_SCHEDULE
      ? await this.#scheduled(job as Job<ScheduleJobData>, token)
      : (job.data as RunJobData).executionId;
    if (executionId === undefined) return null; // a skipped schedule fire
    const claim = await this.#claim(executionId, job.id!, signal);
    if ("ended" in claim) return this.#ended(resultOf(claim.ended));
    const record = claim.claimed;
    try {
      let version: WorkflowVersion;
      try {
        version = await this.#version(record.hash, record.workflowId, record.file);
      } catch (err) {
        const error = { message: (err as Error).message, code: "VERSION_UNAVAILABLE" };
        await store.write({ ended: [{ executionId, status: "failed", endedAt: new Date().toISOString(), error }] });
        return this.#ended(resultOf({ ...record, status: "failed", error }));
      }
      const release = version.acquire();
      try {
        const takeover = record.status !== "queued";
        await runRecorded(version.compiled, {
          recorder: this.#recorder,
          trigger: record.trigger,
          triggerNode: record.triggerNode,
          file: record.file,
          hash: record.hash,
          claimed: true,
          executionId,
          inputs: record.inputs,
          signal,
          state: store,
          instances: version.instances,
          fired: this.#fired(record),
          reuse: await this.#reuse(record, takeover),
          resumedFrom: takeover ? executionId : record.resumedFrom,
          firstSeq: takeover ? record.lastSeq + 1 : 0,
        });
        this.#pruner.ended(record.workflowId);
        return null;
      } finally {
        release();
      }
    } finally {
      this.#unclaimed(executionId);
    }
  }

  /** Tells the API servers `result` (an end that no journal line of this worker tells). */
  #ended(result: RunResult): null {
    this.#done({ executionId: result.executionId, result });
    return null;
  }

  /**
   * Claims an execution for this process: one statement when it is queued
   * (or crashed, or claimed here before by a job that did not get to run it).
   * Otherwise reads why not: an execution that ended resolves as such; one
   * still run by a live worker (its lock expired while Redis was away or its
   * process stalled; a dead owner's run reads as `crashed`) is waited for, so
   * that it never runs twice at once, then claimed.
   */
  async #claim(
    executionId: string,
    jobId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ claimed: ExecutionRecord } | { ended: ExecutionRecord }> {
    const { store, log } = this.#options;
    for (let reads = 0, waiting = false;; reads++) {
      // Never claimed twice here at once: the store lets an owner claim what it claimed before.
      if (!claimedHere.has(executionId)) {
        claimedHere.add(executionId);
        this.#jobOf.set(executionId, jobId);
        const claimed = await store.claim({ executionId, startedAt: new Date().toISOString(), owner: currentProcess() })
          .catch((err) => {
            this.#unclaimed(executionId);
            throw err;
          });
        if (claimed) return { claimed };
        this.#unclaimed(executionId);
      }
      if (signal?.aborted) throw new Error("the worker is shutting down");
      // A dead owner's run, read as crashed, is claimed at once; a run going on, or a claim that keeps losing, waits.
      if (waiting || reads > 1) await new Promise((resolve) => setTimeout(resolve, OWNER_POLL_MS));
      const current = await store.getExecution(executionId);
      if (!current) throw new Error(`execution ${executionId} is not in the database`);
      if (!["queued", "crashed", "running"].includes(current.status)) return { ended: current };
      if (current.status === "running" && !waiting) {
        const owner = current.owner ? `${current.owner.hostname} pid ${current.owner.pid}` : "another worker";
        log(`flow worker: execution ${executionId} is still run by ${owner}; waiting for it`);
      }
      waiting = current.status === "running";
    }
  }

  /** Ends this process's claim of an execution (its run ended, or never began). */
  #unclaimed(executionId: string) {
    claimedHere.delete(executionId);
    this.#jobOf.delete(executionId);
    if (this.#jobOf.size === 0) { for (const idle of this.#idleWaiters.splice(0)) idle(); }
  }

  /** The trigger that fired, with its recorded payload; `http.respond` answers go back through Redis. */
  #fired(record: ExecutionRecord): FiredTrigger | undefined {
    if (!record.triggerNode) return undefined;
    return {
      nodeId: record.triggerNode,
      payload: record.payload ?? {},
      respond: (response) => {
        this.#publisher.publish(RESPOND_CHANNEL, JSON.stringify({ executionId: record.executionId, response }))
          .catch(() => {});
        return true;
      },
    };
  }

  /** What to reuse: a resumed execution's completed nodes, and on takeover this execution's own. */
  async #reuse(record: ExecutionRecord, takeover: boolean): Promise<ReusableResults | undefined> {
    const { store } = this.#options;
    const sources = [record.resumedFrom, takeover ? record.executionId : undefined].filter((x): x is string => !!x);
    if (sources.length === 0) return undefined;
    const events = [];
    for (const id of sources) events.push(...parseJournal(await store.readJournal(id)));
    return reusableResults(foldJournal(events).nodes);
  }

  /** The version an execution needs, by content hash; compiled once per hash. */
  #version(hash: string | undefined, workflowId: string, file: string | undefined): Promise<WorkflowVersion> {
    if (!hash) return Promise.reject(new Error(`workflow "${workflowId}": the execution names no version hash`));
    let version = this.#versions.get(hash);
    if (!version) {
      version = this.#load(hash, workflowId, file);
      this.#versions.set(hash, version);
      version.catch(() => this.#versions.delete(hash));
    }
    return version;
  }

  async #load(hash: string, workflowId: string, file: string | undefined): Promise<WorkflowVersion> {
    const stored = await this.#options.store.getVersion(hash);
    const short = hash.slice(0, 19);
    if (!stored) {
      throw new Error(`workflow "${workflowId}" version ${short} is not in the database; no other version is run`);
    }
    const version = await buildVersion(
      stored.file ?? file ?? `${Deno.cwd()}/${workflowId}.json`,
      stored.text,
      this.#options.registry,
      this.#options.nodeDirs ?? [],
      new Map(Object.entries(stored.sources ?? {})),
    ).catch((err) => {
      throw new Error(`workflow "${workflowId}" version ${short} does not load here: ${err.message}`);
    });
    if (version.hash !== hash) {
      throw new Error(`workflow "${workflowId}": the stored text hashes to ${version.hash.slice(0, 19)}, not ${short}`);
    }
    return version;
  }

  /**
   * A schedule fire: its execution (created here, with an id derived from the
   * job id, so a retried job does not make a second one), or undefined when
   * the fire is skipped by its overlap policy.
   */
  async #scheduled(job: Job<ScheduleJobData>, token: string | undefined): Promise<string | undefined> {
    const { store } = this.#options;
    const d = job.data;
    const executionId = await uuidFrom(`${job.id}:${job.timestamp}`);
    if (await store.getExecution(executionId)) return executionId;
    const busy = d.overlap === "allow" ? undefined : await this.#running(d.workflowId, d.nodeId);
    if (busy && d.overlap === "queue") {
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    const now = new Date().toISOString();
    // A job scheduler's job carries its due time as prevMillis; its timestamp plus delay can be off by the
    // milliseconds between the two clock readings that made them.
    const due = typeof job.opts.prevMillis === "number" ? job.opts.prevMillis : job.timestamp + (job.opts.delay ?? 0);
    const scheduledAt = new Date(due).toISOString();
    const base = {
      executionId,
      workflowId: d.workflowId,
      file: d.file,
      hash: d.hash,
      trigger: d.kind,
      triggerNode: d.nodeId,
      payload: { scheduledAt, firedAt: now },
      createdAt: now,
    } as const;
    if (busy) {
      await store.write({
        created: [{ ...base, inputs: {}, status: "queued" }],
        ended: [{
          executionId,
          status: "skipped",
          endedAt: now,
          durationMs: 0,
          error: { message: `the previous run (${busy}) was still running (overlap "skip")`, code: "OVERLAP" },
        }],
      });
      return undefined;
    }
    let inputs: Record<string, unknown> = {};
    try {
      inputs = resolveInputs((await this.#version(d.hash, d.workflowId, d.file)).compiled, {});
    } catch { /* a version that does not load fails the execution when it runs */ }
    await store.write({ created: [{ ...base, inputs, status: "queued" }] });
    return executionId;
  }

  /** A running or queued execution of a schedule trigger, if any. */
  async #running(workflowId: string, nodeId: string): Promise<string | undefined> {
    for (const status of ["running", "queued"] as const) {
      const list = await this.#options.store.listExecutions({ workflowId, status, limit: 100 });
      const hit = list.find((r) => r.triggerNode === nodeId);
      if (hit) return hit.executionId;
    }
    return undefined;
  }

  /**
   * Stops taking jobs, lets running executions finish for up to `graceMs`,
   * cancels what is left (recorded as cancelled), flushes the journal and disconnects.
   */
  async close(graceMs: number): Promise<void> {
    const closing = this.#worker.close().catch(() => {});
    // The runs here end (or the grace ends) whether or not Redis answers.
    if (!await settlesWithin(Promise.race([closing, this.#idle()]), graceMs)) {
      this.#worker.cancelAllJobs("the worker is shutting down");
      await this.#idle();
    }
    if (!await settlesWithin(closing, CLOSE_MS)) {
      this.#options.log("flow worker: the queue does not answer; jobs left active are taken over by other workers");
    }
    await this.#pruner.close();
    await this.#recorder.close();
    await Promise.all([...this.#versions.values()].map((v) => v.then((x) => x.retire()).catch(() => {})));
    this.#subscriber.disconnect();
    this.#publisher.disconnect();
  }
}

/**
 * Executions claimed by this process and not yet released, by every worker in it: the store lets an owner claim
 * again what it claimed (a claim whose run never began), so the process itself must not claim one it is running.
 */
const claimedHere = new Set<string>();

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A UUID derived from a name (SHA-256, version 8 layout): the same name gives the same id. */
async function uuidFrom(name: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name))).slice(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
