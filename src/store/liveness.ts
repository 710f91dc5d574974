/**
 * Crash detection on read: a `running` execution whose process is gone is
 * reported as `crashed`. On this host the process is checked by PID and start
 * time; an owner on another host is judged by its heartbeat.
 *
 * @module
 */
import { processState } from "../process.ts";
import type { ExecutionRecord, ExecutionStatus } from "./types.ts";

/** How often a running execution's owner refreshes `heartbeatAt`, ms. */
export const HEARTBEAT_INTERVAL_MS = 10_000;

/** An owner on another host is presumed dead when its heartbeat is older than this, ms. */
export const HEARTBEAT_STALE_MS = 60_000;

/**
 * The status to report for a record: `crashed` for a `running` or `queued`
 * execution whose owner is dead, else its stored status.
 *
 * @example
 * ```ts
 * import { liveStatus } from "./liveness.ts";
 * liveStatus({ status: "success" } as never); // "success"
 * ```
 */
export function liveStatus(record: ExecutionRecord, now = Date.now()): ExecutionStatus {
  if ((record.status !== "running" && record.status !== "queued") || !record.owner) return record.status;
  const state = processState(record.owner);
  if (state === "alive") return record.status;
  if (state === "dead") return "crashed";
  const beat = record.heartbeatAt ? Date.parse(record.heartbeatAt) : NaN;
  return Number.isFinite(beat) && now - beat > HEARTBEAT_STALE_MS ? "crashed" : record.status;
}
