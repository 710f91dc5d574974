/**
 * Event streams over HTTP: Server-Sent Events (`id:` is `seq`, `event:` the
 * type, `data:` the event JSON, comments as heartbeats) or NDJSON (one event
 * line per line). Each event's JSON line is made once and framed here.
 *
 * @module
 */
import type { StreamedEvent } from "../src/runtime/service.ts";

/** How often an idle SSE stream gets a heartbeat comment, ms. */
export const HEARTBEAT_MS = 15_000;

const encoder = new TextEncoder();

/** An event to send: an execution's (with its `seq`, the SSE `id:`), or one that is no execution's (a file change). */
export type OutgoingEvent = Omit<StreamedEvent, "seq"> & { seq?: number };

/** SSE framing of one event (without `id:` when it has no `seq`). */
export function sseFrame(e: OutgoingEvent): string {
  const id = e.seq === undefined ? "" : `id: ${e.seq}\n`;
  return `${id}event: ${e.type}\ndata: ${e.line.endsWith("\n") ? e.line.slice(0, -1) : e.line}\n\n`;
}

/**
 * A response streaming `events`: SSE or NDJSON. The stream ends when the
 * events end; a client going away stops the source.
 */
export function streamResponse(
  events: AsyncGenerator<OutgoingEvent>,
  format: "sse" | "ndjson",
  stop: AbortController,
  headers: Record<string, string> = {},
): Response {
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (format === "sse") {
        controller.enqueue(encoder.encode(": flow event stream\n\n"));
        heartbeat = setInterval(() => {
          try {
            controller.enqueue(encoder.encode(": heartbeat\n\n"));
          } catch { /* closed */ }
        }, HEARTBEAT_MS);
      }
    },
    async pull(controller) {
      const next = await events.next();
      if (next.done) {
        clearInterval(heartbeat);
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(format === "sse" ? sseFrame(next.value) : next.value.line));
    },
    async cancel() {
      clearInterval(heartbeat);
      stop.abort();
      await events.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "content-type": format === "sse" ? "text/event-stream; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "cache-control": "no-cache",
      ...headers,
    },
  });
}

/** Whether a request asks for SSE. */
export function wantsSse(accept: string | undefined): boolean {
  return (accept ?? "").includes("text/event-stream");
}
