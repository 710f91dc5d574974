/// <reference lib="dom" />
/**
 * Reads an SSE event stream of the API with `fetch` and hands the events
 * over in batches, at most one batch per animation frame, so that a run
 * emitting thousands of events a second costs the page one render a frame.
 * A dropped connection is resumed after the last seen `seq`.
 *
 * @module
 */
import type { FlowEvent } from "../../src/engine/events.ts";
import { API_BASE } from "./api.ts";

/** Options of {@linkcode streamEvents}. */
export interface StreamOptions {
  /** The API path, e.g. `/runs/ID/events` or `/events`. */
  path: string;
  /** Gets each batch, in order. */
  onBatch: (events: FlowEvent[]) => void;
  /** Called once the stream has ended by itself (the run completed). */
  onEnd?: () => void;
  /** Called when the stream cannot be read (it is retried). */
  onError?: (message: string) => void;
  /** Stops the stream. */
  signal: AbortSignal;
  /** For per-run streams: resume after the last seq on reconnection. */
  resumable?: boolean;
}

/** How long to wait before reconnecting, ms. */
const RETRY_MS = 1000;

/** Follows a stream until it ends or `signal` aborts; see the module doc. */
export async function streamEvents(options: StreamOptions): Promise<void> {
  const { signal } = options;
  const batcher = new Batcher(options.onBatch);
  let lastSeq = -1;
  signal.addEventListener("abort", () => batcher.cancel());
  while (!signal.aborted) {
    try {
      const url = `${API_BASE}${options.path}${options.resumable && lastSeq >= 0 ? `?after=${lastSeq}` : ""}`;
      const res = await fetch(url, { headers: { accept: "text/event-stream" }, signal });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      for await (const event of parseSse(res.body, signal)) {
        lastSeq = event.seq;
        batcher.push(event);
      }
      batcher.flush();
      if (options.resumable) {
        options.onEnd?.();
        return;
      }
    } catch (err) {
      if (signal.aborted) return;
      options.onError?.((err as Error).message);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** Parses SSE frames (`data:` lines) into events. */
async function* parseSse(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<FlowEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart());
        if (data.length) yield JSON.parse(data.join("\n")) as FlowEvent;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Collects events and delivers them once per animation frame (or every 250 ms in a hidden tab). */
class Batcher {
  #pending: FlowEvent[] = [];
  #frame: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deliver: (events: FlowEvent[]) => void;

  constructor(deliver: (events: FlowEvent[]) => void) {
    this.#deliver = deliver;
  }

  push(event: FlowEvent) {
    this.#pending.push(event);
    if (this.#frame !== undefined || this.#timer !== undefined) return;
    if (document.hidden) this.#timer = setTimeout(() => this.flush(), 250);
    else this.#frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.cancel();
    if (!this.#pending.length) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#deliver(batch);
  }

  cancel() {
    if (this.#frame !== undefined) cancelAnimationFrame(this.#frame);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#frame = undefined;
    this.#timer = undefined;
  }
}
