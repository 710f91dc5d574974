/**
 * The store of the distributed mode: PostgreSQL through the `postgres` driver,
 * with the semantics of the SQLite store (`sqlite.ts`). Every write batch is
 * one transaction (its statements pipelined); compare-and-set of state is one
 * statement; the schema is migrated on open under an advisory lock, so that
 * processes starting together do not race.
 *
 * @module
 */
import postgres from "postgres";
import { EXECUTION_COLUMN_NAMES, newerSchema, type Row, splitChunk, toRecord, toStoredVersion } from "./common.ts";
import { liveStatus } from "./liveness.ts";
import type { ProcessIdentity } from "../process.ts";
import { type Migration, postgresMigrations, SCHEMA_VERSION } from "./schema.ts";
import {
  type ExecutionEnd,
  type ExecutionFilter,
  type ExecutionRecord,
  type ExecutionStart,
  type JournalChunk,
  type NewExecution,
  type PruneOptions,
  type StateEntry,
  type StateRef,
  type StateRow,
  type Store,
  type StoredVersion,
  StoreError,
  type WriteBatch,
} from "./types.ts";

/**
 * What a claim returns: every column of the row as it was (`y`). Written out once: the driver's `sql(names)` helper
 * escapes each name and scans the statement's text with its keyword patterns on every call (about 25 µs a claim).
 */
const CLAIMED_COLUMNS = EXECUTION_COLUMN_NAMES.map((c) => `y.${c}`).join(", ");

/** A connection pool (or a transaction on one of its connections). */
type Sql = postgres.Sql | postgres.TransactionSql;

/** Options of {@linkcode openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Most connections at once. Default 4: a run writes in batches, state updates are single statements. */
  maxConnections?: number;
}

/** Seconds to wait for a connection before giving up. */
const CONNECT_TIMEOUT_S = 10;

/** Idle connections are closed after this many seconds. */
const IDLE_TIMEOUT_S = 60;

/** The advisory lock that serialises migrations (`"flow"` in ASCII). */
const MIGRATION_LOCK = 0x666c6f77;

/**
 * Opens the PostgreSQL store at `url` (`postgres://user:password@host:port/database`),
 * migrating the schema when needed. Throws a {@linkcode StoreError} with one
 * line (the URL's password redacted) when the server cannot be reached, refuses
 * the login or the database, or holds a schema from a newer flow.
 *
 * @example
 * ```ts ignore
 * import { openPostgresStore } from "./postgres.ts";
 * const store = await openPostgresStore("postgres://flow@127.0.0.1:5432/flow");
 * await store.close();
 * ```
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const location = redactUrl(url);
  const sql = connect(url, location, options.maxConnections ?? 4);
  try {
    await migrate(sql, location);
    return new PostgresStore(sql, location);
  } catch (err) {
    await sql.end({ timeout: 0 }).catch(() => {});
    throw toStoreError(err, location, url);
  }
}

/**
 * Brings the database at `url` to {@linkcode SCHEMA_VERSION} (for `flow db
 * migrate`); resolves to the migrations it applied, none when it was current.
 * Throws a {@linkcode StoreError} like {@linkcode openPostgresStore}.
 */
export async function migratePostgres(url: string): Promise<Migration[]> {
  const location = redactUrl(url);
  const sql = connect(url, location, 1);
  try {
    return await migrate(sql, location);
  } catch (err) {
    throw toStoreError(err, location, url);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** `url` with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.href;
  } catch {
    return "(unparsable PostgreSQL URL)";
  }
}

/** A pool on `url`; a malformed URL is a {@linkcode StoreError}. */
function connect(url: string, location: string, max: number): postgres.Sql {
  try {
    return postgres(url, {
      max,
      idle_timeout: IDLE_TIMEOUT_S,
      connect_timeout: CONNECT_TIMEOUT_S,
      fetch_types: false,
      onnotice: () => {},
      connection: { application_name: "flow" },
    });
  } catch (err) {
    throw toStoreError(err, location, url);
  }
}

// ---------------------------------------------------------------------------
// Migrations

/** The highest applied version, 0 for an empty database. */
async function schemaVersion(sql: Sql): Promise<number> {
  const [{ exists }] = await sql`SELECT to_regclass('flow_schema') IS NOT NULL AS exists`;
  if (!exists) return 0;
  const [{ version }] = await sql`SELECT COALESCE(MAX(version), 0)::int AS version FROM flow_schema`;
  return Number(version);
}

/** Applies the missing migrations under the advisory lock; refuses a newer schema. */
async function migrate(sql: postgres.Sql, location: string): Promise<Migration[]> {
  const current = await schemaVersion(sql);
  if (current === SCHEMA_VERSION) return [];
  if (current > SCHEMA_VERSION) throw newerSchema(location, current);
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS flow_schema (
      version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    const locked = await schemaVersion(tx); // another process may have migrated meanwhile
    if (locked > SCHEMA_VERSION) throw newerSchema(location, locked);
    const applied: Migration[] = [];
    for (const m of postgresMigrations) {
      if (m.version <= locked) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO flow_schema (version, description) VALUES (${m.version}, ${m.description})`;
      applied.push(m);
    }
    return applied;
  });
}

// ---------------------------------------------------------------------------
// Errors

/** What a driver error code means, in words. */
const CONNECTION_ERRORS: Record<string, string> = {
  ECONNREFUSED: "cannot connect: connection refused (is the server running?)",
  ECONNRESET: "the connection was reset",
  ENOTFOUND: "cannot connect: unknown host",
  EAI_AGAIN: "cannot connect: unknown host",
  CONNECT_TIMEOUT: `cannot connect: no answer within ${CONNECT_TIMEOUT_S} s`,
  CONNECTION_CLOSED: "the server closed the connection",
  CONNECTION_DESTROYED: "the connection was closed",
  CONNECTION_ENDED: "the store is closed",
};

/** A one-line {@linkcode StoreError} for whatever the driver threw; never shows the password. */
function toStoreError(err: unknown, location: string, url?: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: unknown })?.code;
  let message = typeof code === "string" && CONNECTION_ERRORS[code]
    ? CONNECTION_ERRORS[code]
    : (err instanceof Error ? err.message : String(err)).split("\n")[0];
  const password = url ? passwordOf(url) : "";
  if (password) message = message.replaceAll(password, "***");
  return new StoreError(`${location}: ${message}`, { cause: err });
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------------------
// The store

/** The PostgreSQL store. Create it with {@linkcode openPostgresStore}. */
export class PostgresStore implements Store {
  readonly location: string;
  #sql: postgres.Sql;
  #closed = false;

  /** Wraps an open pool on a migrated database. */
  constructor(sql: postgres.Sql, location: string) {
    this.#sql = sql;
    this.location = location;
  }

  /** Runs `fn` on the pool; errors become {@linkcode StoreError}s. */
  async #run<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError(`${this.location}: the store is closed`);
    try {
      return await fn(this.#sql);
    } catch (err) {
      throw toStoreError(err, this.location);
    }
  }

  async write(batch: WriteBatch): Promise<void> {
    const statements = batchStatements(batch);
    if (statements.length === 0) return;
    // One statement is atomic by itself: no BEGIN and COMMIT, two round trips fewer (a queued execution's row, a
    // worker's start, a short run's end).
    if (statements.length === 1) await this.#run((sql) => statements[0](sql));
    else await this.#run((sql) => sql.begin((tx) => statements.map((statement) => statement(tx))));
  }

  claim(start: ExecutionStart & { owner: ProcessIdentity }): Promise<ExecutionRecord | undefined> {
    return this.#run(async (sql) => {
      const { owner } = start;
      // One statement: the row is updated where it is claimable, and returned as the statement's snapshot saw it
      // before (y). A claim racing another waits for its row lock, then re-checks the condition: one wins.
      const [row] = await sql`UPDATE executions SET ${startColumns(sql, start)} FROM executions y
        WHERE executions.id = ${start.executionId} AND y.id = executions.id
          AND (executions.status IN ('queued', 'crashed') OR (executions.status = 'running'
            AND executions.hostname = ${owner.hostname} AND executions.pid = ${owner.pid}
            AND executions.proc_start IS NOT DISTINCT FROM ${owner.procStart ?? null}))
        RETURNING ${sql.unsafe(CLAIMED_COLUMNS)}`;
      return row ? toRecord(row) : undefined;
    });
  }

  getExecution(executionId: string): Promise<ExecutionRecord | undefined> {
    return this.#run(async (sql) => {
      const [row] = await sql`SELECT ${sql(EXECUTION_COLUMN_NAMES as string[])} FROM executions
        WHERE id = ${executionId}`;
      return row ? await this.#live(toRecord(row)) : undefined;
    });
  }

  findExecutionIds(prefix: string, limit: number): Promise<string[]> {
    return this.#run(async (sql) => {
      // A range on the primary key (byte-wise collation): ids in [prefix, prefix + U+FFFF).
      const rows = await sql`SELECT id FROM executions WHERE id >= ${prefix} AND id < ${prefix + "\uffff"}
        ORDER BY created_at DESC LIMIT ${limit}`;
      return rows.map((r) => String(r.id));
    });
  }

  listExecutions(filter: ExecutionFilter): Promise<ExecutionRecord[]> {
    return this.#run(async (sql) => {
      // An unknown cursor does not filter (as in SQLite); a known one compares in SQL, at full precision.
      const cursorKnown = filter.before !== undefined &&
        (await sql`SELECT 1 FROM executions WHERE id = ${filter.before}`).length > 0;
      const where = listConditions(sql, filter, cursorKnown);
      const wanted = filter.status;
      const out: ExecutionRecord[] = [];
      // Paging in SQL while the running/crashed split filters here.
      const order = filter.oldestFirst ? sql`ORDER BY created_at ASC, id ASC` : sql`ORDER BY created_at DESC, id DESC`;
      for (let offset = 0;; offset += filter.limit) {
        const rows = await sql`SELECT ${sql(EXECUTION_COLUMN_NAMES as string[])} FROM executions ${where}
          ${order} LIMIT ${filter.limit} OFFSET ${offset}`;
        for (const row of rows) {
          const record = await this.#live(toRecord(row));
          if (wanted === undefined || record.status === wanted) out.push(record);
          if (out.length === filter.limit) return out;
        }
        if (rows.length < filter.limit) return out;
      }
    });
  }

  /** Reports a dead owner's `running` execution as `crashed`, and records that. */
  async #live(record: ExecutionRecord): Promise<ExecutionRecord> {
    const status = liveStatus(record);
    if (status === record.status) return record;
    try {
      await this.#sql`UPDATE executions SET status = 'crashed'
        WHERE id = ${record.executionId} AND status IN ('running', 'queued')`;
    } catch { /* read-only or unreachable: it is detected again on the next read */ }
    return { ...record, status };
  }

  readJournal(executionId: string, afterSeq = -1): Promise<string[]> {
    return this.#run(async (sql) => {
      const rows = await sql`SELECT first_seq, body FROM journal
        WHERE execution_id = ${executionId} AND last_seq > ${afterSeq} ORDER BY first_seq`;
      const lines: string[] = [];
      for (const row of rows) splitChunk(Number(row.first_seq), String(row.body), afterSeq, lines);
      return lines;
    });
  }

  prune(options: PruneOptions): Promise<number> {
    return this.#run(async (sql) => {
      const conditions = [sql`e.status NOT IN ('running', 'queued')`];
      if (options.workflowId !== undefined) conditions.push(sql`e.workflow_id = ${options.workflowId}`);
      if (options.olderThan !== undefined) conditions.push(sql`e.created_at < ${options.olderThan}`);
      const keep = options.keep ?? 0;
      const slack = Math.max(0, options.slack ?? 0);
      // With keep: per workflow, older than its Nth newest execution. That cutoff is read once per workflow (one index
      // scan of N entries), not once per row: a subquery per row made the prune after each run O(N²). With slack, only
      // workflows with more than keep + slack executions.
      const cutoffs = keep <= 0 ? sql`` : sql`USING (SELECT w.workflow_id, (SELECT k.created_at FROM executions k
          WHERE k.workflow_id = w.workflow_id ORDER BY k.created_at DESC LIMIT 1 OFFSET ${keep - 1}) AS before
        FROM (SELECT DISTINCT workflow_id FROM executions
          ${options.workflowId === undefined ? sql`` : sql`WHERE workflow_id = ${options.workflowId}`}) w
        ${
        slack === 0 ? sql`` : sql`WHERE EXISTS (SELECT 1 FROM executions k WHERE k.workflow_id = w.workflow_id
          ORDER BY k.created_at DESC LIMIT 1 OFFSET ${keep + slack})`
      }) cut`;
      if (keep > 0) conditions.push(sql`cut.workflow_id = e.workflow_id`, sql`e.created_at < cut.before`);
      // One statement: the executions and their journals go together.
      const [{ n }] = await sql`WITH doomed AS (DELETE FROM executions e ${cutoffs}
          WHERE ${and(sql, conditions)} RETURNING e.id),
        lines AS (DELETE FROM journal WHERE execution_id IN (SELECT id FROM doomed))
        SELECT count(*)::int AS n FROM doomed`;
      return Number(n);
    });
  }

  saveVersion(version: StoredVersion): Promise<void> {
    return this.#run(async (sql) => {
      await sql`INSERT INTO workflow_versions (hash, workflow_id, file, text, sources, created_at)
        VALUES (${version.hash}, ${version.workflowId}, ${version.file ?? null}, ${version.text},
          ${version.sources ? JSON.stringify(version.sources) : null}, now())
        ON CONFLICT (hash) DO NOTHING`;
    });
  }

  getVersion(hash: string): Promise<StoredVersion | undefined> {
    return this.#run(async (sql) => {
      const [r] = await sql`SELECT hash, workflow_id, file, text, sources FROM workflow_versions WHERE hash = ${hash}`;
      return r ? toStoredVersion(r) : undefined;
    });
  }

  getState(ref: StateRef): Promise<StateEntry | undefined> {
    return this.#run(async (sql) => {
      const [row] = await sql`SELECT value, version FROM state
        WHERE workflow_id = ${ref.workflowId} AND scope = ${ref.scope} AND key = ${ref.key}`;
      return row ? { value: JSON.parse(String(row.value)), version: Number(row.version) } : undefined;
    });
  }

  putState(ref: StateRef, json: string, expectedVersion?: number): Promise<number | false> {
    return this.#run(async (sql) => {
      const now = new Date().toISOString();
      const { workflowId, scope, key } = ref;
      let rows: Row[];
      if (expectedVersion === undefined) {
        rows = await sql`INSERT INTO state (workflow_id, scope, key, value, version, updated_at)
          VALUES (${workflowId}, ${scope}, ${key}, ${json}, 1, ${now})
          ON CONFLICT (workflow_id, scope, key) DO UPDATE
          SET value = excluded.value, version = state.version + 1, updated_at = excluded.updated_at
          RETURNING version`;
      } else if (expectedVersion === 0) {
        rows = await sql`INSERT INTO state (workflow_id, scope, key, value, version, updated_at)
          VALUES (${workflowId}, ${scope}, ${key}, ${json}, 1, ${now})
          ON CONFLICT (workflow_id, scope, key) DO NOTHING RETURNING version`;
      } else {
        rows = await sql`UPDATE state SET value = ${json}, version = version + 1, updated_at = ${now}
          WHERE workflow_id = ${workflowId} AND scope = ${scope} AND key = ${key} AND version = ${expectedVersion}
          RETURNING version`;
      }
      return rows.length ? Number(rows[0].version) : false;
    });
  }

  deleteState(ref: StateRef): Promise<boolean> {
    return this.#run(async (sql) => {
      const result = await sql`DELETE FROM state
        WHERE workflow_id = ${ref.workflowId} AND scope = ${ref.scope} AND key = ${ref.key}`;
      return result.count > 0;
    });
  }

  listState(filter: { workflowId?: string; scope?: string; keyPrefix?: string }): Promise<StateRow[]> {
    return this.#run(async (sql) => {
      const conditions = [];
      if (filter.workflowId !== undefined) conditions.push(sql`workflow_id = ${filter.workflowId}`);
      if (filter.scope !== undefined) conditions.push(sql`scope = ${filter.scope}`);
      if (filter.keyPrefix !== undefined) {
        conditions.push(sql`key >= ${filter.keyPrefix} AND key < ${filter.keyPrefix + "\uffff"}`);
      }
      const rows = await sql`SELECT workflow_id, scope, key, value, version, updated_at FROM state
        ${conditions.length ? sql`WHERE ${and(sql, conditions)}` : sql``} ORDER BY workflow_id, scope, key`;
      return rows.map((r) => ({
        workflowId: String(r.workflow_id),
        scope: String(r.scope),
        key: String(r.key),
        value: JSON.parse(String(r.value)),
        version: Number(r.version),
        updatedAt: (r.updated_at as Date).toISOString(),
      }));
    });
  }

  clearState(filter: { workflowId: string; scope?: string }): Promise<number> {
    return this.#run(async (sql) => {
      const result = filter.scope === undefined
        ? await sql`DELETE FROM state WHERE workflow_id = ${filter.workflowId}`
        : await sql`DELETE FROM state WHERE workflow_id = ${filter.workflowId} AND scope = ${filter.scope}`;
      return result.count;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** One statement of a write batch, built on the pool or on a transaction. */
type Statement = (sql: Sql) => postgres.PendingQuery<Row[]>;

/**
 * The statements of one write batch, in order (created, started, journal, ended, heartbeat). A journal chunk and
 * the end of its execution in the same batch are one statement (the chunk's append and one UPDATE of the row),
 * so a short run's end is a single statement.
 */
function batchStatements(batch: WriteBatch): Statement[] {
  const statements: Statement[] = [];
  // New executions: one INSERT of every row (a server's group commit, an API server's enqueues written together).
  const created = (batch.created ?? []).map(executionRow);
  if (created.length) {
    statements.push((sql) =>
      sql`INSERT INTO executions ${sql(created, ...EXECUTION_INSERT_COLUMNS)} ON CONFLICT (id) DO NOTHING`
    );
  }
  for (const s of batch.started ?? []) {
    statements.push((sql) => sql`UPDATE executions SET ${startColumns(sql, s)} WHERE id = ${s.executionId}`);
  }
  const now = new Date().toISOString();
  const ends = new Map((batch.ended ?? []).map((e) => [e.executionId, e]));
  const endedWithChunk = new Set<ExecutionEnd>();
  for (const chunk of batch.journal ?? []) {
    if (chunk.lines.length === 0) continue;
    const end = ends.get(chunk.executionId);
    if (end) endedWithChunk.add(end);
    statements.push((sql) => chunkStatement(sql, chunk, now, end));
  }
  for (const e of batch.ended ?? []) {
    if (!endedWithChunk.has(e)) {
      statements.push((sql) => sql`UPDATE executions SET ${endColumns(sql, e)} WHERE id = ${e.executionId}`);
    }
  }
  // Every running execution's sign of life in one statement (a worker beats for all it runs at once).
  const beating = batch.heartbeat ?? [];
  if (beating.length) {
    statements.push((sql) => sql`UPDATE executions SET heartbeat_at = ${now} WHERE id IN ${sql([...beating])}`);
  }
  return statements;
}

/** The columns a new execution's row sets. */
const EXECUTION_INSERT_COLUMNS = [
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
  "resumed_from",
  "hostname",
  "pid",
  "proc_start",
  "heartbeat_at",
  "last_seq",
] as const;

/** A new execution as the row {@linkcode EXECUTION_INSERT_COLUMNS} name. */
function executionRow(e: NewExecution): Record<(typeof EXECUTION_INSERT_COLUMNS)[number], string | number | null> {
  return {
    id: e.executionId,
    workflow_id: e.workflowId,
    workflow_name: e.workflowName ?? null,
    file: e.file ?? null,
    hash: e.hash ?? null,
    inputs: JSON.stringify(e.inputs),
    trigger: e.trigger,
    trigger_node: e.triggerNode ?? null,
    payload: e.payload === undefined ? null : JSON.stringify(e.payload),
    status: e.status,
    created_at: e.createdAt,
    started_at: e.startedAt ?? null,
    resumed_from: e.resumedFrom ?? null,
    hostname: e.owner?.hostname ?? null,
    pid: e.owner?.pid ?? null,
    proc_start: e.owner?.procStart ?? null,
    heartbeat_at: e.heartbeatAt ?? e.startedAt ?? null,
    last_seq: -1,
  };
}

/** `status = 'running', ...`: what the start of an execution (a `started` write, a claim) sets. */
function startColumns(sql: Sql, s: ExecutionStart): postgres.Fragment {
  return sql`status = 'running', started_at = COALESCE(executions.started_at, ${s.startedAt}),
    hostname = ${s.owner?.hostname ?? null}, pid = ${s.owner?.pid ?? null}, proc_start = ${s.owner?.procStart ?? null},
    heartbeat_at = ${s.startedAt}, ended_at = NULL, duration_ms = NULL, error = NULL`;
}

/** `status = ..., ended_at = ..., ...`: what the end of an execution sets. */
function endColumns(sql: Sql, e: ExecutionEnd): postgres.Fragment {
  return sql`status = ${e.status}, ended_at = ${e.endedAt}, duration_ms = ${e.durationMs ?? null},
    outputs = ${e.outputs === undefined ? null : JSON.stringify(e.outputs)},
    error = ${e.error === undefined ? null : JSON.stringify(e.error)}`;
}

/**
 * Appending a journal chunk (a chunk written twice is kept once) and moving `last_seq`, with the execution's end
 * when it ended in the same batch: one statement (a data-modifying WITH runs once, in the same snapshot).
 */
function chunkStatement(sql: Sql, chunk: JournalChunk, now: string, end?: ExecutionEnd): postgres.PendingQuery<Row[]> {
  return sql`WITH appended AS (INSERT INTO journal (execution_id, first_seq, last_seq, body)
      VALUES (${chunk.executionId}, ${chunk.firstSeq}, ${chunk.lastSeq}, ${chunk.lines.join("")})
      ON CONFLICT DO NOTHING)
    UPDATE executions SET last_seq = GREATEST(last_seq, ${chunk.lastSeq}), heartbeat_at = ${now}
      ${end ? sql`, ${endColumns(sql, end)}` : sql``}
    WHERE id = ${chunk.executionId}`;
}

/**
 * The WHERE clause of {@linkcode PostgresStore.listExecutions} (empty when nothing filters). Not async: a
 * fragment is a thenable, which an `await` would run as a query.
 */
function listConditions(sql: postgres.Sql, filter: ExecutionFilter, cursorKnown: boolean): postgres.Fragment {
  const conditions = [];
  if (filter.workflowId !== undefined) conditions.push(sql`workflow_id = ${filter.workflowId}`);
  // A dead owner's running or queued execution reads as crashed: fetch those too, filter after.
  const wanted = filter.status;
  if (wanted === "crashed") conditions.push(sql`status IN ('running', 'queued', 'crashed')`);
  else if (wanted !== undefined) conditions.push(sql`status = ${wanted}`);
  if (filter.triggers !== undefined) {
    conditions.push(filter.triggers.length ? sql`trigger IN ${sql([...filter.triggers])}` : sql`FALSE`);
  }
  if (filter.notTriggers?.length) conditions.push(sql`trigger NOT IN ${sql([...filter.notTriggers])}`);
  if (cursorKnown) {
    const cursor = sql`(SELECT c.created_at, c.id FROM executions c WHERE c.id = ${filter.before!})`;
    conditions.push(filter.oldestFirst ? sql`(created_at, id) > ${cursor}` : sql`(created_at, id) < ${cursor}`);
  }
  return conditions.length ? sql`WHERE ${and(sql, conditions)}` : sql``;
}

/** `a AND b AND ...` of SQL fragments. */
function and(sql: postgres.Sql, conditions: postgres.Fragment[]): postgres.Fragment {
  return conditions.reduce((all, c) => sql`${all} AND ${c}`);
}
