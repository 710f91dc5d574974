/**
 * Dispatch: starts executions in this process within limits. At most
 * `maxRuns` run at once and at most `maxWaiting` wait beyond that (recorded as
 * `queued`, run in order); past both, work is refused with a
 * {@linkcode BusyError}, never dropped. Cancel reaches running and queued
 * executions alike; `drain` lets runs finish within a grace period and
 * cancels the rest.
 *
 * @module
 */
import { isoNow } from "../engine/clock.ts";
import { EventBus, type EventListener } from "../engine/events.ts";
import type { RunResult } from "../engine/executor.ts";
import { currentProcess } from "../process.ts";
import type { Recorder } from "../store/recorder.ts";
import type { StateStore } from "../store/types.ts";
import { type Accepted, BusyError, type ExecutionBackend, type Job, UnavailableError } from "./backend.ts";
import { newExecution, runRecorded } from "./recorded.ts";

/** Options of {@linkcode Dispatcher}. */
export interface DispatcherOptions {
  /** Executions running at once. */
  maxRuns: number;
  /** Executions waiting for a slot beyond that (the waiting limit). */
  maxWaiting: number;
  /** Where executions are recorded (when a job has history on). */
  recorder?: Recorder;
  /** Backend of `ctx.store`. */
  state: StateStore;
  /** Every event of every execution. */
  onEvent: EventListener;
  /** Called when an execution ends. */
  onEnd?: (result: RunResult, job: Job) => void;
}

/** An execution in this process. */
interface Inflight {
  job: Job;
  controller: AbortController;
  queued: boolean;
  acceptedAt: string;
  done: Promise<RunResult>;
  resolve: (result: RunResult) => void;
}

export { type Accepted, BusyError, type Job, UnavailableError } from "./backend.ts";

/** Runs executions in this process, within limits. */
export class Dispatcher implements ExecutionBackend {
  readonly #options: DispatcherOptions;
  readonly #inflight = new Map<string, Inflight>();
  readonly #waiting: Inflight[] = [];
  #running = 0;
  #closed = false;

  /** Creates a dispatcher. */
  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  /** Executions running now. */
  get running(): number {
    return this.#running;
  }

  /** Executions waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Whether an execution is running or queued here. */
  has(executionId: string): boolean {
    return this.#inflight.has(executionId);
  }

  /** When an execution in flight ends (undefined when it is not here). */
  done(executionId: string): Promise<RunResult> | undefined {
    return this.#inflight.get(executionId)?.done;
  }

  /**
   * Accepts a job: starts it, or queues it (recorded as `queued` before this
   * resolves), or throws a {@linkcode BusyError} / {@linkcode UnavailableError}.
   */
  async submit(job: Job): Promise<Accepted> {
    if (this.#closed) throw new UnavailableError();
    const { maxRuns, maxWaiting, recorder } = this.#options;
    const slot = this.#running < maxRuns;
    if (!slot && this.#waiting.length >= maxWaiting) {
      throw new BusyError(
        `${this.#running} executions are running and ${this.#waiting.length} are queued (the limits)`,
      );
    }
    let resolve!: (r: RunResult) => void;
    const done = new Promise<RunResult>((r) => resolve = r);
    const flight: Inflight = {
      job,
      controller: new AbortController(),
      queued: !slot,
      acceptedAt: isoNow(),
      done,
      resolve,
    };
    this.#inflight.set(job.executionId, flight);
    if (slot) {
      this.#start(flight);
      return { executionId: job.executionId, queued: false, done };
    }
    this.#waiting.push(flight);
    if (job.history && recorder) {
      await recorder.begin(newExecution(job.version.compiled, {
        executionId: job.executionId,
        inputs: job.inputs,
        trigger: job.trigger,
        fired: job.fire,
        file: job.version.file,
        hash: job.version.hash,
        status: "queued",
        createdAt: flight.acceptedAt,
        resumedFrom: job.resumedFrom,
        owner: currentProcess(),
      }));
    }
    return { executionId: job.executionId, queued: true, done };
  }

  #start(flight: Inflight) {
    this.#running++;
    const { job } = flight;
    const wasQueued = flight.queued;
    flight.queued = false;
    const release = job.version.acquire();
    const bus = new EventBus();
    bus.subscribe(this.#options.onEvent);
    runRecorded(job.version.compiled, {
      recorder: job.history ? this.#options.recorder : undefined,
      trigger: job.trigger,
      triggerNode: job.fire?.nodeId,
      file: job.version.file,
      hash: job.version.hash,
      createdAt: flight.acceptedAt,
      queued: wasQueued,
      awaitRecord: false,
      executionId: job.executionId,
      inputs: job.inputs,
      bus,
      signal: flight.controller.signal,
      state: this.#options.state,
      instances: job.version.instances,
      fired: job.fire,
      reuse: job.reuse,
      only: job.only,
      pinned: job.pinned,
      resumedFrom: job.resumedFrom,
    }).then(
      (result) => this.#end(flight, result, release),
      (err) => this.#end(flight, failure(job, err), release),
    );
  }

  #end(flight: Inflight, result: RunResult, release: () => void) {
    release();
    this.#running--;
    this.#inflight.delete(flight.job.executionId);
    flight.resolve(result);
    this.#options.onEnd?.(result, flight.job);
    this.#pump();
  }

  #pump() {
    while (this.#running < this.#options.maxRuns && this.#waiting.length) this.#start(this.#waiting.shift()!);
  }

  /** Cancels a running or queued execution; false when it is not here. */
  cancel(executionId: string): Promise<boolean> {
    return Promise.resolve(this.cancelNow(executionId));
  }

  /** Whether an execution runs or waits here. */
  active(executionId: string): Promise<boolean> {
    return Promise.resolve(this.has(executionId));
  }

  /** Executions running and waiting here. */
  counts(): Promise<{ running: number; queued: number }> {
    return Promise.resolve({ running: this.#running, queued: this.#waiting.length });
  }

  /** {@linkcode Dispatcher.cancel}, synchronously. */
  cancelNow(executionId: string): boolean {
    const flight = this.#inflight.get(executionId);
    if (!flight) return false;
    if (!flight.queued) {
      flight.controller.abort();
      return true;
    }
    this.#waiting.splice(this.#waiting.indexOf(flight), 1);
    this.#inflight.delete(executionId);
    const result = cancelledWhileQueued(flight.job);
    if (flight.job.history) {
      this.#options.recorder?.ended({
        executionId,
        status: "cancelled",
        endedAt: new Date().toISOString(),
        durationMs: 0,
        outputs: {},
        error: result.error,
      });
    }
    flight.resolve(result);
    this.#options.onEnd?.(result, flight.job);
    return true;
  }

  /**
   * Stops accepting work, lets what runs or waits finish for up to `graceMs`,
   * then cancels what is left and waits for it to end.
   */
  async drain(graceMs: number): Promise<void> {
    this.#closed = true;
    const all = () => Promise.all([...this.#inflight.values()].map((f) => f.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
    await Promise.race([all(), grace]);
    clearTimeout(timer);
    for (const flight of [...this.#waiting]) this.cancelNow(flight.job.executionId);
    for (const flight of this.#inflight.values()) flight.controller.abort();
    await all();
  }
}

function cancelledWhileQueued(job: Job): RunResult {
  return {
    executionId: job.executionId,
    workflowId: job.version.id,
    status: "cancelled",
    durationMs: 0,
    outputs: {},
    error: { message: "the run was cancelled while queued", code: "CANCELLED" },
    nodes: [],
  };
}

/** The result of a run that could not start (e.g. the store failed when it was recorded). */
function failure(job: Job, err: unknown): RunResult {
  return {
    executionId: job.executionId,
    workflowId: job.version.id,
    status: "failed",
    durationMs: 0,
    outputs: {},
    error: { message: err instanceof Error ? err.message : String(err), code: "START_FAILED" },
    nodes: [],
  };
}
