/**
 * A {@linkcode WriteBatch} as the SQLite statements that apply it, in order.
 * The SQLite store runs them on its connection, or hands them to its
 * {@linkcode SqliteWriter} thread, through a {@linkcode Runner}.
 *
 * A run that starts and ends within one batch (most webhook runs) is written
 * as one complete row: its start, journal position and end fold into the
 * INSERT, instead of three UPDATEs of the row just inserted, and its first
 * journal chunk goes into the row's `journal_head` instead of the `journal`
 * table. When the execution already existed (the INSERT changes nothing),
 * those UPDATEs and the chunk's INSERT into `journal` run after all: each is
 * given the INSERT's index as `unless`.
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import { EXECUTION_COLUMN_NAMES, EXECUTION_COLUMNS } from "./common.ts";
import type { ExecutionEnd, ExecutionStart, JournalChunk, NewExecution, WriteBatch } from "./types.ts";

/**
 * Runs (or queues) one statement of a write transaction and returns its
 * index. With `unless`, the statement is skipped when the statement at that
 * index changed a row. With `reuse` (`[position, statement, parameter]`),
 * `params[position]` is the earlier statement's `params[parameter]`, sent once.
 */
export type Runner = (
  sql: string,
  params: SQLInputValue[],
  unless?: number,
  reuse?: [number, number, number],
) => number;

/** The position of `journal_head` among the parameters of an execution's INSERT (after its columns). */
const HEAD_PARAM = EXECUTION_COLUMN_NAMES.length;

/**
 * Emits the statements of `batch` through `run`: new executions, starts,
 * journal chunks (`bodies[i]` is chunk `i` encoded), ends, heartbeats.
 */
export function batchStatements(batch: WriteBatch, bodies: (string | Uint8Array)[], run: Runner): void {
  const starts = new Map(batch.started?.map((s) => [s.executionId, s]));
  const ends = new Map(batch.ended?.map((e) => [e.executionId, e]));
  const lastSeqs = new Map<string, number>();
  for (const c of batch.journal ?? []) {
    if (c.lines.length) lastSeqs.set(c.executionId, Math.max(c.lastSeq, lastSeqs.get(c.executionId) ?? -1));
  }
  const now = new Date().toISOString();
  const heads = headChunks(batch);
  // The INSERT of each execution created in this batch, by id: its own updates run only if it changed nothing.
  const inserts = new Map<string, number>();
  for (const e of batch.created ?? []) {
    const id = e.executionId;
    const head = heads.get(id);
    const row = {
      start: starts.get(id),
      end: ends.get(id),
      lastSeq: lastSeqs.get(id),
      head: head === undefined ? undefined : bodies[head],
    };
    inserts.set(id, insertExecution(run, e, row, now));
  }
  for (const s of batch.started ?? []) markStarted(run, s, inserts.get(s.executionId));
  batch.journal?.forEach((chunk, i) => {
    const id = chunk.executionId;
    // For an execution that also ends in this batch, the end's UPDATE moves `last_seq` too: one statement, not two.
    appendChunk(run, chunk, bodies[i], now, inserts.get(id), {
      moveLastSeq: !ends.has(id),
      inRow: heads.get(id) === i,
    });
  });
  for (const e of batch.ended ?? []) markEnded(run, e, lastSeqs.get(e.executionId), inserts.get(e.executionId));
  for (const id of batch.heartbeat ?? []) run("UPDATE executions SET heartbeat_at = ? WHERE id = ?", [now, id]);
}

/**
 * The chunk of each execution created in `batch` that goes into its row, by
 * execution id: the index of its chunk that starts at seq 0 (a first chunk).
 */
function headChunks(batch: WriteBatch): Map<string, number> {
  const heads = new Map<string, number>();
  if (!batch.created?.length) return heads;
  const created = new Set(batch.created.map((e) => e.executionId));
  batch.journal?.forEach((c, i) => {
    if (c.firstSeq === 0 && c.lines.length && created.has(c.executionId)) heads.set(c.executionId, i);
  });
  return heads;
}

/** What a batch writes of an execution it creates, besides the execution itself. */
interface RowParts {
  start?: ExecutionStart;
  end?: ExecutionEnd;
  /** The last journal line of it written in the batch. */
  lastSeq?: number;
  /** Its first journal chunk, encoded, when written in the batch. */
  head?: string | Uint8Array;
}

/** The INSERT of a new execution as it stands at the end of the batch; a no-op when it exists. */
function insertExecution(run: Runner, e: NewExecution, { start, end, lastSeq, head }: RowParts, now: string): number {
  const owner = start ? start.owner : e.owner;
  const heartbeat = lastSeq !== undefined ? now : start ? start.startedAt : e.heartbeatAt ?? e.startedAt;
  return run(
    `INSERT INTO executions (${EXECUTION_COLUMNS}, journal_head)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO NOTHING`,
    [
      e.executionId,
      e.workflowId,
      e.workflowName ?? null,
      e.file ?? null,
      e.hash ?? null,
      JSON.stringify(e.inputs),
      e.trigger,
      e.triggerNode ?? null,
      e.payload === undefined ? null : JSON.stringify(e.payload),
      end?.status ?? (start ? "running" : e.status),
      e.createdAt,
      e.startedAt ?? start?.startedAt ?? null,
      end?.endedAt ?? null,
      end?.durationMs ?? null,
      end?.error === undefined ? null : JSON.stringify(end.error),
      end?.outputs === undefined ? null : JSON.stringify(end.outputs),
      e.resumedFrom ?? null,
      owner?.hostname ?? null,
      owner?.pid ?? null,
      owner?.procStart ?? null,
      heartbeat ?? null,
      lastSeq ?? -1,
      head ?? null,
    ],
  );
}

/** What the start of an execution (a `started` write, a claim) sets; its parameters are {@linkcode startParams}. */
export const START_COLUMNS = `status = 'running', started_at = COALESCE(started_at, ?), hostname = ?, pid = ?,
  proc_start = ?, heartbeat_at = ?, ended_at = NULL, duration_ms = NULL, error = NULL`;

/** The parameters of {@linkcode START_COLUMNS}. */
export function startParams(s: ExecutionStart): SQLInputValue[] {
  return [s.startedAt, s.owner?.hostname ?? null, s.owner?.pid ?? null, s.owner?.procStart ?? null, s.startedAt];
}

function markStarted(run: Runner, s: ExecutionStart, unless: number | undefined) {
  run(`UPDATE executions SET ${START_COLUMNS} WHERE id = ?`, [...startParams(s), s.executionId], unless);
}

/** The end of an execution, and the last journal line of it written in the same batch (`lastSeq`). */
function markEnded(run: Runner, e: ExecutionEnd, lastSeq: number | undefined, unless: number | undefined) {
  run(
    `UPDATE executions SET status = ?, ended_at = ?, duration_ms = ?, outputs = ?, error = ?,
      last_seq = MAX(last_seq, ?) WHERE id = ?`,
    [
      e.status,
      e.endedAt,
      e.durationMs ?? null,
      e.outputs === undefined ? null : JSON.stringify(e.outputs),
      e.error === undefined ? null : JSON.stringify(e.error),
      lastSeq ?? -1,
      e.executionId,
    ],
    unless,
  );
}

/**
 * Appends a chunk (once: a retried batch's chunk is already there) and, when
 * `moveLastSeq`, moves `last_seq` unless the statement at index `unless` (the
 * execution's INSERT) did. A chunk `inRow` went into that INSERT's row: it is
 * appended only when the INSERT changed nothing.
 */
function appendChunk(
  run: Runner,
  chunk: JournalChunk,
  body: string | Uint8Array,
  now: string,
  unless: number | undefined,
  { moveLastSeq, inRow }: { moveLastSeq: boolean; inRow: boolean },
) {
  if (chunk.lines.length === 0) return;
  // A chunk in the row is appended here only if the INSERT changed nothing; the INSERT carries its body.
  run(
    "INSERT INTO journal (execution_id, first_seq, last_seq, body) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    [chunk.executionId, chunk.firstSeq, chunk.lastSeq, inRow ? null : body],
    inRow ? unless : undefined,
    inRow && unless !== undefined ? [3, unless, HEAD_PARAM] : undefined,
  );
  if (!moveLastSeq) return;
  run(
    "UPDATE executions SET last_seq = MAX(last_seq, ?), heartbeat_at = ? WHERE id = ?",
    [chunk.lastSeq, now, chunk.executionId],
    unless,
  );
}
