/**
 * Names shared by API servers and workers: the BullMQ queue, its key prefix,
 * the pub/sub channels and the schedule ids.
 *
 * @module
 */
import type { FlowEvent, RunResult } from "../src/engine/mod.ts";

/** The BullMQ queue of executions. */
export const QUEUE_NAME = "executions";

/** The Redis key prefix of every flow key (BullMQ's `prefix`). */
export const KEY_PREFIX = "flow";

/** Journal lines a worker wrote: `{ executionId, firstSeq, lines }`. */
export const EVENTS_CHANNEL = "flow:events";

/** Cancel an execution on whichever worker runs it: `{ executionId }`. */
export const CANCEL_CHANNEL = "flow:cancel";

/** An `http.respond` answer for the API server holding the request: `{ executionId, response }`. */
export const RESPOND_CHANNEL = "flow:respond";

/**
 * How an execution ended, for the API server waiting for it, when its end is
 * not in a journal chunk on {@linkcode EVENTS_CHANNEL} (whose top-level
 * `workflow.completed` line tells the rest): a result (the version could not
 * be run, or the execution had already ended), or a job that failed for good.
 * See {@linkcode DoneMessage}.
 */
export const DONE_CHANNEL = "flow:done";

/** Job names. */
export const JOB_RUN = "run";
/** A schedule's fire (made by a BullMQ job scheduler). */
export const JOB_SCHEDULE = "schedule";

/** The id of the job scheduler of a schedule trigger. */
export function schedulerId(workflowId: string, nodeId: string): string {
  return `flow:${workflowId}:${nodeId}`;
}

/** What a run job carries: the execution id; everything else is in the database. */
export interface RunJobData {
  /** The execution (already recorded as queued). */
  executionId: string;
}

/** What a schedule job carries (the scheduler's template). */
export interface ScheduleJobData {
  /** The workflow. */
  workflowId: string;
  /** The trigger node. */
  nodeId: string;
  /** `cron` or `interval`. */
  kind: "cron" | "interval";
  /** The version's content hash (its text is in the database). */
  hash: string;
  /** The version's file. */
  file: string;
  /** Overlap policy. */
  overlap: "skip" | "queue" | "allow";
}

/** A journal chunk published after it was written (the text is {@linkcode eventsMessage}'s). */
export interface EventsMessage {
  /** The execution. */
  executionId: string;
  /** `seq` of the first event. */
  firstSeq: number;
  /** The events. */
  events: FlowEvent[];
}

/**
 * The text of the {@linkcode EventsMessage} of a journal chunk: its NDJSON
 * lines are JSON already, so they go in as they are (a newline is JSON
 * whitespace), neither escaped as strings here nor parsed twice by the API
 * servers.
 */
export function eventsMessage(chunk: { executionId: string; firstSeq: number; lines: readonly string[] }): string {
  return `{"executionId":${JSON.stringify(chunk.executionId)},"firstSeq":${chunk.firstSeq},"events":[${
    chunk.lines.join(",")
  }]}`;
}

/** What {@linkcode DONE_CHANNEL} carries: an execution's result, or a job that failed for good and why. */
export type DoneMessage =
  | { executionId: string; result: RunResult }
  | { jobId: string; failedReason: string };
