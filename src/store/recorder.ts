/**
 * The recorder: an event-bus subscriber that writes executions and their
 * journals to a store in batches. The executor does not know it exists.
 *
 * Durability: an execution's row is written (and awaited) before its first
 * node runs. Events are buffered and written together, in one transaction,
 * at most {@linkcode FLUSH_INTERVAL_MS} after they happen, or as soon as
 * {@linkcode FLUSH_EVENTS} are pending. The end of an execution starts a
 * flush at once, and {@linkcode Recorder.flush} resolves when everything
 * handed over so far is written. A process killed with `kill -9` loses at
 * most the events of the last flush interval.
 *
 * One recorder can record many executions at once (`flow serve`): their
 * events share the same batches.
 *
 * Its flush timer and heartbeat never keep the process alive (see
 * `unref_timer.ts`): a run's end and {@linkcode Recorder.close} write what is
 * pending, so await those before the process may end.
 *
 * @module
 */
import { unrefTimeout } from "../unref_timer.ts";
import { eventLine, type EventListener, type FlowEvent } from "../engine/events.ts";
import { HEARTBEAT_INTERVAL_MS } from "./liveness.ts";
import { retryDelay } from "../engine/retry.ts";
import type { RetryPolicy } from "../workflow/format.ts";
import type { ExecutionEnd, ExecutionStore, JournalChunk, NewExecution, WriteBatch } from "./types.ts";

/** Longest time an event waits in memory before it is written, ms. */
export const FLUSH_INTERVAL_MS = 50;

/** A flush starts as soon as this many events are pending. */
export const FLUSH_EVENTS = 1000;

/**
 * How a recorder with `retry` (`flow worker`) waits between attempts at a
 * write the store refused: 0.5 s, doubling up to 10 s, for as long as it
 * takes (the backoff of a node's `retry`, `../engine/retry.ts`).
 */
export const WRITE_RETRY: RetryPolicy = {
  maxAttempts: Number.MAX_SAFE_INTEGER,
  delayMs: 500,
  multiplier: 2,
  maxDelayMs: 10_000,
};

/** Options of {@linkcode Recorder}. */
export interface RecorderOptions {
  /** Override {@linkcode FLUSH_INTERVAL_MS}. */
  flushMs?: number;
  /** Override {@linkcode FLUSH_EVENTS}. */
  flushEvents?: number;
  /**
   * Called once when a write fails; the recorder then stops recording (what
   * it held is dropped). Without it, the error is kept for `flush()` to reject with.
   */
  onError?: (err: unknown) => void;
  /** Called after each successful write (the distributed mode publishes the journal lines it wrote). */
  onWritten?: (batch: WriteBatch) => void;
  /**
   * Long-running processes (`flow worker`): a failed write is tried again
   * (after 0.5 s, doubling up to 10 s: {@linkcode WRITE_RETRY}) instead of ending the recording;
   * `onError` is told of each failure, and `flush()` waits until the store is
   * back. Nothing handed over is dropped.
   */
  retry?: boolean;
  /**
   * Group commit (`flow serve`): what must be durable (a new execution, an
   * end) waits at most this many ms to be written in one transaction with
   * everything else pending, instead of a transaction each. Default 0: at once.
   */
  groupMs?: number;
  /** Override `HEARTBEAT_INTERVAL_MS`: how often running executions are marked alive. */
  heartbeatMs?: number;
}

/** The open journal chunk of one execution. */
interface Pending extends JournalChunk {
  /** Whether the execution's top-level run ended. */
  ended?: ExecutionEnd;
}

/**
 * Records executions into an {@linkcode ExecutionStore}.
 *
 * @example
 * ```ts
 * import { Recorder } from "./recorder.ts";
 * import { openSqliteStore } from "./sqlite.ts";
 * import { EventBus } from "../engine/events.ts";
 * const store = await openSqliteStore(":memory:");
 * const recorder = new Recorder(store);
 * const bus = new EventBus();
 * bus.subscribe(recorder.listener);
 * // await recorder.begin({...}); runWorkflow(compiled, { bus, executionId }); await recorder.flush();
 * await recorder.close();
 * ```
 */
export class Recorder {
  readonly #store: ExecutionStore;
  readonly #flushMs: number;
  readonly #flushEvents: number;
  readonly #onError?: (err: unknown) => void;
  readonly #onWritten?: (batch: WriteBatch) => void;
  readonly #retry: boolean;
  readonly #groupMs: number;
  readonly #heartbeatMs: number;
  #group?: { resolve: (done: Promise<void>) => void; promise: Promise<void>; timer: ReturnType<typeof setTimeout> };
  #batch: WriteBatch = {};
  #chunks = new Map<string, Pending>();
  #last?: Pending;
  #count = 0;
  /** Cancels the pending timed flush. */
  #timer?: () => void;
  #now = false;
  /** Cancels the pending heartbeat. */
  #heartbeat?: () => void;
  #active = new Set<string>();
  #writing: Promise<void> = Promise.resolve();
  #queued = false;
  #failed?: unknown;
  #closed = false;

  /** Creates a recorder writing to `store`. */
  constructor(store: ExecutionStore, options: RecorderOptions = {}) {
    this.#store = store;
    this.#flushMs = options.flushMs ?? FLUSH_INTERVAL_MS;
    this.#flushEvents = options.flushEvents ?? FLUSH_EVENTS;
    this.#onError = options.onError;
    this.#onWritten = options.onWritten;
    this.#retry = options.retry ?? false;
    this.#groupMs = options.groupMs ?? 0;
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS;
  }

  /** Whether a write failed (the recorder stopped recording). */
  get failed(): boolean {
    return this.#failed !== undefined;
  }

  /** The bus listener: subscribe it to the bus of every recorded run. */
  readonly listener: EventListener = (event) => this.#onEvent(event);

  /**
   * Records a new execution and waits until its row is written. Call it
   * before the run starts, so a run that crashes at once is still recorded.
   */
  begin(record: NewExecution): Promise<void> {
    if (this.#failed !== undefined || this.#closed) return this.flush();
    (this.#batch.created ??= []).push(record);
    if (record.status === "running") this.#track(record.executionId);
    return this.durable();
  }

  /** Marks a queued execution as running (in this process) and waits until that is written. */
  started(entry: NonNullable<WriteBatch["started"]>[number]): Promise<void> {
    if (this.#failed !== undefined || this.#closed) return this.flush();
    (this.#batch.started ??= []).push(entry);
    this.#track(entry.executionId);
    return this.durable();
  }

  /**
   * Keeps an execution this process claimed (`ExecutionStore.claim`, which
   * marked it running) alive with heartbeats, as {@linkcode Recorder.started} does; nothing is written now.
   */
  claimed(executionId: string): void {
    if (this.#failed === undefined && !this.#closed) this.#track(executionId);
  }

  /** Records the end of an execution that never ran (e.g. cancelled while queued, or crashed). */
  ended(end: ExecutionEnd): Promise<void> {
    if (this.#failed !== undefined || this.#closed) return this.flush();
    (this.#batch.ended ??= []).push(end);
    this.#active.delete(end.executionId);
    return this.durable();
  }

  #onEvent(event: FlowEvent) {
    if (this.#failed !== undefined || this.#closed) return;
    let chunk = this.#last;
    if (chunk?.executionId !== event.executionId) {
      chunk = this.#chunks.get(event.executionId);
      if (!chunk) {
        chunk = { executionId: event.executionId, firstSeq: event.seq, lastSeq: event.seq, lines: [] };
        this.#chunks.set(event.executionId, chunk);
      }
      this.#last = chunk;
    }
    chunk.lines.push(eventLine(event));
    chunk.lastSeq = event.seq;
    if (event.type === "workflow.completed" && event.parentNodeId === undefined) {
      chunk.ended = {
        executionId: event.executionId,
        status: event.status,
        endedAt: event.ts,
        durationMs: event.durationMs,
        outputs: event.outputs,
        error: event.error,
      };
      this.#active.delete(event.executionId);
      if (this.#groupMs > 0) this.durable();
      else this.#flushSoon(0);
    } else if (++this.#count >= this.#flushEvents) this.#flushSoon(0);
    else this.#flushSoon(this.#flushMs);
  }

  #track(executionId: string) {
    this.#active.add(executionId);
    if (this.#heartbeat === undefined) this.#beat();
  }

  /** Records a heartbeat of the active executions every interval while there are any. */
  #beat() {
    this.#heartbeat = unrefTimeout(this.#heartbeatMs, () => {
      this.#heartbeat = undefined;
      if (this.#active.size === 0 || this.#closed) return;
      this.#batch.heartbeat = [...this.#active];
      this.#flushSoon(0);
      this.#beat();
    });
  }

  /** Schedules a flush: right after the current event (`ms` 0) or after `ms`. */
  #flushSoon(ms: number) {
    if (ms > 0) {
      this.#timer ??= unrefTimeout(ms, () => this.flush());
      return;
    }
    if (this.#now) return;
    this.#now = true;
    queueMicrotask(() => {
      if (this.#now) this.flush();
    });
  }

  /**
   * Resolves when everything handed over so far is written: at once, or with
   * group commit (`groupMs`) in the next group write.
   */
  durable(): Promise<void> {
    if (this.#groupMs === 0) return this.flush();
    if (!this.#group) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#group = { promise, resolve, timer: setTimeout(() => this.flush(), this.#groupMs) };
    }
    return this.#group.promise;
  }

  /** Writes everything handed over so far; resolves when it is written (rejects if a write failed without onError). */
  flush(): Promise<void> {
    this.#timer?.();
    this.#timer = undefined;
    this.#now = false;
    const group = this.#group;
    this.#group = undefined;
    if (group) clearTimeout(group.timer);
    // One write at a time, and at most one waiting: the waiting one takes what is pending when it starts, so a slow
    // store (a writer thread under load) gets fewer, larger transactions instead of a growing queue of small ones.
    if (!this.#queued) {
      this.#queued = true;
      this.#writing = this.#writing.then(() => {
        this.#queued = false;
        const batch = this.#take();
        return batch ? this.#write(batch) : undefined;
      });
    }
    const done = this.#writing.then(() => {
      if (this.#failed !== undefined && !this.#onError) throw this.#failed;
    });
    group?.resolve(done);
    return done;
  }

  /** Takes the pending writes as one batch, or undefined when there are none. */
  #take(): WriteBatch | undefined {
    const batch = this.#batch;
    this.#batch = {};
    if (this.#chunks.size) {
      const ended: ExecutionEnd[] = [];
      batch.journal = [];
      for (const chunk of this.#chunks.values()) {
        batch.journal.push({
          executionId: chunk.executionId,
          firstSeq: chunk.firstSeq,
          lastSeq: chunk.lastSeq,
          lines: chunk.lines,
        });
        if (chunk.ended) ended.push(chunk.ended);
      }
      if (ended.length) batch.ended = [...(batch.ended ?? []), ...ended];
      this.#chunks = new Map();
      this.#last = undefined;
      this.#count = 0;
    }
    const empty = !batch.created && !batch.started && !batch.journal && !batch.ended && !batch.heartbeat;
    return empty ? undefined : batch;
  }

  async #write(batch: WriteBatch) {
    if (this.#failed !== undefined) return;
    for (let failures = 1; this.#retry; failures++) {
      try {
        await this.#store.write(batch);
        this.#written(batch);
        return;
      } catch (err) {
        this.#onError?.(err);
        await new Promise((r) => setTimeout(r, retryDelay(WRITE_RETRY, failures)));
      }
    }
    try {
      await this.#store.write(batch);
    } catch (err) {
      this.#failed = err;
      this.#batch = {};
      this.#chunks = new Map();
      this.#last = undefined;
      this.#onError?.(err);
      return;
    }
    this.#written(batch);
  }

  #written(batch: WriteBatch) {
    try {
      this.#onWritten?.(batch);
    } catch { /* a listener's failure does not undo the write */ }
  }

  /** Flushes and stops the timers. Later events are ignored. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      this.#heartbeat?.();
      this.#heartbeat = undefined;
    }
  }
}
