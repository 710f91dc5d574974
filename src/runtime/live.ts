/**
 * Live event streams of one execution: its journal from a given `seq`, then
 * its events as they happen, in order and without gaps, until its top-level
 * `workflow.completed`. A run that already ended replays from the journal
 * alone and looks the same as one watched live.
 *
 * @module
 */
import { eventLine, type FlowEvent } from "../engine/events.ts";
import type { ExecutionStore } from "../store/types.ts";

/** One event line of a stream. */
export interface StreamedEvent {
  /** The event's `seq`. */
  seq: number;
  /** Its type (for SSE `event:`). */
  type: string;
  /** Its NDJSON line, ending in a newline. */
  line: string;
}

/** What a live stream needs from the runtime. */
export interface LiveSource {
  /** The store holding journals (absent when history is off). */
  store?: ExecutionStore;
  /** Whether the execution runs or waits (here or on a worker). */
  active(executionId: string): boolean | Promise<boolean>;
  /** Subscribes to the execution's events; returns the unsubscribe function. */
  subscribe(listener: (e: FlowEvent) => void, executionId: string): () => void;
  /** Writes what the recorder holds, so the journal is complete up to now. */
  flush(): Promise<void>;
}

/** The type of a journal line: events are written with `type` first. */
function lineType(line: string): string {
  return line.startsWith('{"type":"') ? line.slice(9, line.indexOf('"', 9)) : String(JSON.parse(line).type);
}

/** Whether a line or event is the end of the top-level run. */
function endsRun(type: string, line: string): boolean {
  return type === "workflow.completed" && JSON.parse(line).parentNodeId === undefined;
}

/**
 * The events of `executionId` with `seq > after`: the journal, then live
 * events, ending with the top-level `workflow.completed` (or when the
 * execution is neither recorded further nor running here). Stops early when
 * `signal` aborts.
 */
export async function* watchExecution(
  source: LiveSource,
  executionId: string,
  after: number,
  signal?: AbortSignal,
): AsyncGenerator<StreamedEvent> {
  const buffer: FlowEvent[] = [];
  let wake: (() => void) | undefined;
  const off = source.subscribe((e) => {
    buffer.push(e);
    wake?.();
  }, executionId);
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  let last = after;
  let ended = false;
  /** The journal after `last`: a worker writes its events there before it publishes them live. */
  async function* journal(): AsyncGenerator<StreamedEvent> {
    for (const line of source.store ? await source.store.readJournal(executionId, last) : []) {
      const type = lineType(line);
      yield { seq: ++last, type, line };
      if (endsRun(type, line)) {
        ended = true;
        return;
      }
    }
  }
  try {
    if (source.store) await source.flush();
    yield* journal();
    if (ended) return;
    for (;;) {
      while (buffer.length) {
        const e = buffer.shift()!;
        // A live event was missed (pub/sub does not keep what it could not deliver): catch up from the journal.
        if (e.seq > last + 1) yield* journal();
        if (ended) return;
        if (e.seq <= last) continue;
        last = e.seq;
        const line = eventLine(e);
        yield { seq: e.seq, type: e.type, line };
        if (e.type === "workflow.completed" && e.parentNodeId === undefined) return;
      }
      if (signal?.aborted) return;
      // It ended elsewhere (on a worker): its last events can be in the journal before they arrive live.
      if (!await source.active(executionId)) return yield* journal();
      await new Promise<void>((resolve) => wake = resolve);
      wake = undefined;
    }
  } finally {
    off();
    signal?.removeEventListener("abort", onAbort);
  }
}
