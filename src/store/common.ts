/**
 * What the SQL stores share: the executions columns, a row as an
 * {@linkcode ExecutionRecord}, journal chunks split back into lines, and the
 * error for a database written by a newer flow.
 *
 * @module
 */
import { SCHEMA_VERSION } from "./schema.ts";
import { type ExecutionRecord, type StoredVersion, StoreError } from "./types.ts";

/** A database row by column name. */
export type Row = Record<string, unknown>;

/** The columns of `executions`, in table order. */
export const EXECUTION_COLUMN_NAMES: readonly string[] = [
  "id",
  "workflow_id",
  "workflow_name",
  "file",
  "hash",
  "inputs",
  "trigger",
  "trigger_node",
  "payload",
  "status",
  "created_at",
  "started_at",
  "ended_at",
  "duration_ms",
  "error",
  "outputs",
  "resumed_from",
  "hostname",
  "pid",
  "proc_start",
  "heartbeat_at",
  "last_seq",
];

/** The columns of `executions`, for a select list. */
export const EXECUTION_COLUMNS: string = EXECUTION_COLUMN_NAMES.join(", ");

/** Appends the lines of a journal chunk that come after `afterSeq` to `out`; returns the seq after its last line. */
export function splitChunk(firstSeq: number, body: string, afterSeq: number, out: string[]): number {
  let seq = firstSeq;
  let start = 0;
  while (start < body.length) {
    const end = body.indexOf("\n", start);
    const stop = end < 0 ? body.length : end + 1;
    if (seq > afterSeq) out.push(body.slice(start, stop));
    seq++;
    start = stop;
  }
  return seq;
}

/** A column value as text: timestamps a driver returns as `Date` become ISO 8601. */
function text(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/** An `executions` row as a record (JSON columns hold JSON text). */
export function toRecord(r: Row): ExecutionRecord {
  const str = (v: unknown) => v === null || v === undefined ? undefined : text(v);
  const json = (v: unknown) => v === null || v === undefined ? undefined : JSON.parse(String(v));
  return {
    executionId: String(r.id),
    workflowId: String(r.workflow_id),
    workflowName: str(r.workflow_name),
    file: str(r.file),
    hash: str(r.hash),
    inputs: json(r.inputs) ?? {},
    trigger: String(r.trigger) as ExecutionRecord["trigger"],
    triggerNode: str(r.trigger_node),
    payload: json(r.payload),
    status: String(r.status) as ExecutionRecord["status"],
    createdAt: text(r.created_at),
    startedAt: str(r.started_at),
    endedAt: str(r.ended_at),
    durationMs: r.duration_ms === null ? undefined : Number(r.duration_ms),
    error: json(r.error),
    outputs: json(r.outputs),
    resumedFrom: str(r.resumed_from),
    owner: r.pid === null || r.hostname === null
      ? undefined
      : { hostname: String(r.hostname), pid: Number(r.pid), procStart: str(r.proc_start) },
    heartbeatAt: str(r.heartbeat_at),
    lastSeq: Number(r.last_seq),
  };
}

/** The error for a database whose schema version is above {@linkcode SCHEMA_VERSION}. */
export function newerSchema(location: string, found: number): StoreError {
  return new StoreError(
    `${location} was written by a newer flow (schema version ${found}; this flow knows up to ${SCHEMA_VERSION}); upgrade flow`,
  );
}

/** A `workflow_versions` row as a stored version. */
export function toStoredVersion(r: Row): StoredVersion {
  return {
    hash: String(r.hash),
    workflowId: String(r.workflow_id),
    file: r.file === null || r.file === undefined ? undefined : String(r.file),
    text: String(r.text),
    ...(r.sources === null || r.sources === undefined ? {} : { sources: JSON.parse(String(r.sources)) }),
  };
}
