/**
 * The default store: one SQLite file (`$FLOW_STATE_DIR/flow.db`) through
 * Deno's built-in `node:sqlite`. WAL mode lets readers run beside a writer,
 * a busy timeout lets concurrent `flow run` processes wait their turn, and
 * every write batch is one `BEGIN IMMEDIATE` transaction.
 *
 * @module
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { EXECUTION_COLUMNS, newerSchema, type Row, splitChunk, toRecord, toStoredVersion } from "./common.ts";
import { COMPRESS_ABOVE, decodeChunk, encodeChunk, loadCodec, textLength } from "./journal_codec.ts";
import { liveStatus } from "./liveness.ts";
import type { ProcessIdentity } from "../process.ts";
import { SCHEMA_VERSION, sqliteMigrations } from "./schema.ts";
import { batchStatements, START_COLUMNS, startParams } from "./sqlite_batch.ts";
import type { SqliteWriter, WriteStatement } from "./sqlite_writer.ts";
import {
  type ExecutionFilter,
  type ExecutionRecord,
  type ExecutionStart,
  type PruneOptions,
  type StateEntry,
  type StateRef,
  type StateRow,
  type Store,
  type StoredVersion,
  StoreError,
  type WriteBatch,
} from "./types.ts";

/** Journal chunks back into lines (shared with the PostgreSQL store). */
export { splitChunk };

/** The columns a claim compares with the row it read (what a claim, a start, a journal write or an end changes). */
const CLAIM_COLUMNS = ["status", "last_seq", "hostname", "pid", "proc_start"] as const;

/** How long a writer waits for another process's transaction, ms. */
const BUSY_TIMEOUT_MS = 15_000;
/** WAL pages (4 KiB) past which a commit checkpoints (on the committing thread): 4 MiB. */
const AUTOCHECKPOINT_PAGES = 1000;
/**
 * The same threshold for a store opened with `keepWal`, whose WAL is left
 * for the next process: 128 pages, 512 KiB, a dozen short runs. The first
 * process to open the database reads the whole WAL back (about 4 µs a page).
 */
const KEPT_WAL_PAGES = 128;
/** The largest WAL, in bytes, that a `keepWal` store which committed once or never leaves (see {@linkcode SqliteStore.close}). */
const KEPT_WAL_BYTES = KEPT_WAL_PAGES * 4096;
/** The same threshold on the main connection once a {@linkcode SqliteWriter} writes the batches: a backstop, 64 MiB. */
const BACKSTOP_PAGES = 16384;

/** Deno's built-in SQLite module. */
type Driver = typeof import("node:sqlite");
let driver: Driver | undefined;

/**
 * Imports `node:sqlite` on first use. Imported statically, it would load
 * (about 4 ms) in every command of the single-file bundle, `flow --version`
 * included: a bundler keeps an external module's import at the top of the
 * file, even when the module importing it is only loaded when needed.
 */
async function loadDriver(): Promise<Driver> {
  return driver ??= await import("node:sqlite");
}

/** Options of {@linkcode openSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * A short-lived process (a `flow` command): closing leaves a small WAL for
   * the next process instead of folding it into the database. See
   * {@linkcode SqliteStore.close}.
   */
  keepWal?: boolean;
}

/**
 * Opens (creating and migrating when needed) the SQLite store at `path`.
 * Throws a {@linkcode StoreError} with one clear line when the file is not a
 * readable flow database or was written by a newer flow.
 *
 * @example
 * ```ts
 * import { openSqliteStore } from "./sqlite.ts";
 * const store = await openSqliteStore(":memory:");
 * await store.close();
 * ```
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const { DatabaseSync } = await loadDriver();
  let db: DatabaseSync | undefined;
  const keepWal = (options.keepWal ?? false) && path !== ":memory:";
  try {
    db = new DatabaseSync(path);
    // One call for all of them (each call costs a round trip into SQLite; a short `flow run` opens the store once).
    // wal_autocheckpoint: a commit that takes the WAL past this many pages copies it into the database (a disk sync).
    db.exec(
      `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; ${path === ":memory:" ? "" : "PRAGMA journal_mode = WAL;"}
       PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = ${keepWal ? KEPT_WAL_PAGES : AUTOCHECKPOINT_PAGES};`,
    );
    migrate(db, path);
    return new SqliteStore(db, path, keepWal);
  } catch (err) {
    closeQuietly(db);
    throw toStoreError(err, path);
  }
}

/** Brings the schema to {@linkcode SCHEMA_VERSION}; refuses a newer one. */
function migrate(db: DatabaseSync, path: string) {
  const version = () => Number((db.prepare("PRAGMA user_version").get() as Row).user_version);
  let current = version();
  if (current === SCHEMA_VERSION) return;
  if (current > SCHEMA_VERSION) throw newerSchema(path, current);
  db.exec("BEGIN IMMEDIATE");
  try {
    current = version(); // another process may have migrated meanwhile
    if (current > SCHEMA_VERSION) throw newerSchema(path, current);
    for (const m of sqliteMigrations) {
      if (m.version > current) db.exec(m.sql);
    }
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

/** One set of executions a prune deletes: the `WHERE` clause on `executions` and its parameters. */
interface PruneTarget {
  where: string;
  params: (string | number)[];
}

/**
 * What a prune deletes: one target, or with `keep`, one per workflow that has
 * more than `keep` executions (more than `keep + slack`, with `slack`).
 * `cutoff(workflowId, n)` is the creation time of that workflow's nth newest
 * execution (one index scan of n entries), so each DELETE compares with a
 * constant. A subquery per row made the prune after each run cost O(N²):
 * 25 ms once a workflow had 1,000 runs.
 */
function pruneTargets(
  options: PruneOptions,
  workflows: () => string[],
  cutoff: (workflowId: string, keep: number) => string | undefined,
): PruneTarget[] {
  const where = ["status NOT IN ('running', 'queued')"];
  const params: (string | number)[] = [];
  if (options.olderThan !== undefined) {
    where.push("created_at < ?");
    params.push(options.olderThan);
  }
  if (options.workflowId !== undefined) {
    where.push("workflow_id = ?");
    params.push(options.workflowId);
  }
  const keep = options.keep ?? 0;
  if (keep <= 0) return [{ where: where.join(" AND "), params }]; // keep 0 keeps none
  if (options.workflowId === undefined) where.push("workflow_id = ?");
  where.push("created_at < ?");
  const slack = Math.max(0, options.slack ?? 0);
  const targets: PruneTarget[] = [];
  for (const workflowId of options.workflowId === undefined ? workflows() : [options.workflowId]) {
    if (slack > 0 && cutoff(workflowId, keep + slack + 1) === undefined) continue; // keep + slack or fewer
    const before = cutoff(workflowId, keep);
    if (before === undefined) continue; // keep or fewer
    const own = options.workflowId === undefined ? [workflowId] : [];
    targets.push({ where: where.join(" AND "), params: [...params, ...own, before] });
  }
  return targets;
}

/** Closes a connection that may be unusable or closed already, or was never opened. */
function closeQuietly(db: DatabaseSync | undefined) {
  try {
    db?.close();
  } catch { /* already closed, or unusable: nothing left to release */ }
}

/** A one-line {@linkcode StoreError} for whatever SQLite threw. */
function toStoreError(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StoreError(`${path}: ${message.split("\n")[0]}`, { cause: err });
}

/** The SQLite store. Create it with {@linkcode openSqliteStore}. */
export class SqliteStore implements Store {
  readonly location: string;
  #db: DatabaseSync;
  #statements = new Map<string, StatementSync>();
  #closed = false;
  #writer?: SqliteWriter;
  #starting?: Promise<string | undefined>;
  readonly #keepWal: boolean;
  /**
   * Write transactions (`BEGIN … COMMIT`) this store committed. Writes of a
   * single statement (state, crash marks) are not counted: that only makes
   * {@linkcode SqliteStore.close} check the WAL's size where it need not.
   */
  #commits = 0;

  /** Wraps an open, migrated database; `keepWal` as in {@linkcode SqliteStoreOptions}. */
  constructor(db: DatabaseSync, location: string, keepWal = false) {
    this.#db = db;
    this.location = location;
    this.#keepWal = keepWal;
  }

  /**
   * Moves write transactions (and the WAL checkpoints they trigger) off this
   * thread, to a {@linkcode SqliteWriter} Worker with its own connection: for
   * a process that writes for a long time and must not stall on disk writes
   * (`flow serve`). Writes go through this connection until the Worker runs,
   * so nobody has to wait for it to start. Reads stay on this thread and see
   * every write that has resolved. Resolves to undefined once the Worker
   * runs (or the store was closed first), or to why writes stay on this
   * thread (an in-memory database, a Worker that cannot start).
   */
  writeInBackground(): Promise<string | undefined> {
    return this.#starting ??= this.#startWriter();
  }

  async #startWriter(): Promise<string | undefined> {
    if (this.location === ":memory:") return "an in-memory database has one connection";
    if (this.#closed) return undefined; // nothing to write any more
    let writer: SqliteWriter;
    try {
      // Imported here: only a long-lived writer (flow serve) starts one, and a short command need not load it.
      const { SqliteWriter } = await import("./sqlite_writer.ts");
      writer = await SqliteWriter.start(this.location, {
        busyTimeoutMs: BUSY_TIMEOUT_MS,
        autocheckpointPages: AUTOCHECKPOINT_PAGES,
      });
    } catch (err) {
      return (err as Error).message;
    }
    if (this.#closed) {
      await writer.close(); // nothing to write any more
      return undefined;
    }
    this.#db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.#writer = writer;
    return undefined;
  }

  #stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (!s) this.#statements.set(sql, s = this.#db.prepare(sql));
    return s;
  }

  /** Runs `fn` in one immediate transaction; errors become {@linkcode StoreError}s. */
  #tx<T>(fn: () => T): T {
    if (this.#closed) throw new StoreError(`${this.location}: the store is closed`);
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      const result = fn();
      this.#db.exec("COMMIT");
      this.#commits++;
      return result;
    } catch (err) {
      try {
        if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      } catch { /* the connection is gone */ }
      throw toStoreError(err, this.location);
    }
  }

  /** Runs a read; errors become {@linkcode StoreError}s. */
  #read<T>(fn: () => T): T {
    if (this.#closed) throw new StoreError(`${this.location}: the store is closed`);
    try {
      return fn();
    } catch (err) {
      throw toStoreError(err, this.location);
    }
  }

  async write(batch: WriteBatch): Promise<void> {
    // Encode journal chunks before the transaction: large ones are compressed (zlib loads on first need).
    const lengths = (batch.journal ?? []).map((c) => textLength(c.lines));
    await loadCodec(lengths.some((n) => n > COMPRESS_ABOVE));
    const bodies = (batch.journal ?? []).map((c, i) => encodeChunk(c.lines, lengths[i]));
    const statements: WriteStatement[] = [];
    batchStatements(batch, bodies, (sql, params, unless, reuse) => statements.push({ sql, params, unless, reuse }) - 1);
    await this.#apply(statements);
  }

  /**
   * Runs `statements` as one transaction: on the writer thread when there is
   * one, else on this connection. With `changes`, resolves to the rows each
   * changed (0 for one skipped by its `unless`).
   */
  async #apply(statements: WriteStatement[], changes = false): Promise<number[]> {
    if (!this.#writer) return this.#tx(() => this.#runHere(statements));
    if (this.#closed) throw new StoreError(`${this.location}: the store is closed`);
    try {
      return await this.#writer.run(statements, changes);
    } catch (err) {
      throw toStoreError(err, this.location);
    }
  }

  /** Runs statements on this connection (inside a transaction), as the writer thread does; the rows each changed. */
  #runHere(statements: WriteStatement[]): number[] {
    const changes: number[] = [];
    for (const { sql, params, unless, reuse } of statements) {
      if (unless !== undefined && changes[unless] > 0) {
        changes.push(0);
        continue;
      }
      const values = reuse ? params.with(reuse[0], statements[reuse[1]].params[reuse[2]]) : params;
      changes.push(Number(this.#stmt(sql).run(...values).changes));
    }
    return changes;
  }

  async claim(start: ExecutionStart & { owner: ProcessIdentity }): Promise<ExecutionRecord | undefined> {
    const { executionId, owner } = start;
    const read = () =>
      this.#async(() =>
        this.#stmt(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = ?`).get(executionId)
      ) as Promise<Row | undefined>;
    // A compare-and-set of the row as read (the write may run on the writer thread, outside a read's transaction):
    // when it changes nothing, the row is read again; it is not claimable if it did not change meanwhile.
    for (let before = await read(); before;) {
      const [changed] = await this.#apply([{
        sql: `UPDATE executions SET ${START_COLUMNS}
          WHERE id = ? AND ${CLAIM_COLUMNS.map((c) => `${c} IS ?`).join(" AND ")}
            AND (status IN ('queued', 'crashed')
              OR (status = 'running' AND hostname = ? AND pid = ? AND proc_start IS ?))`,
        params: [
          ...startParams(start),
          executionId,
          ...CLAIM_COLUMNS.map((c) => before![c] as SQLInputValue),
          owner.hostname,
          owner.pid,
          owner.procStart ?? null,
        ],
      }], true);
      if (changed) return toRecord(before);
      const after = await read();
      if (!after || CLAIM_COLUMNS.every((c) => after[c] === before![c])) return undefined;
      before = after;
    }
    return undefined;
  }

  getExecution(executionId: string): Promise<ExecutionRecord | undefined> {
    return this.#async(() => {
      const row = this.#stmt(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = ?`).get(executionId) as
        | Row
        | undefined;
      return row ? this.#live(toRecord(row)) : undefined;
    });
  }

  findExecutionIds(prefix: string, limit: number): Promise<string[]> {
    return this.#async(() => {
      // A range scan on the primary key: ids in [prefix, prefix + U+FFFF).
      const rows = this.#stmt(
        "SELECT id FROM executions WHERE id >= ? AND id < ? ORDER BY created_at DESC LIMIT ?",
      ).all(prefix, prefix + "\uffff", limit) as Row[];
      return rows.map((r) => String(r.id));
    });
  }

  listExecutions(filter: ExecutionFilter): Promise<ExecutionRecord[]> {
    return this.#async(() => {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (filter.workflowId !== undefined) {
        where.push("workflow_id = ?");
        params.push(filter.workflowId);
      }
      // A dead owner's running or queued execution reads as crashed: fetch those too, filter below.
      const wanted = filter.status;
      if (wanted === "crashed") where.push("status IN ('running', 'queued', 'crashed')");
      else if (wanted !== undefined) {
        where.push("status = ?");
        params.push(wanted);
      }
      for (const [list, op] of [[filter.triggers, "IN"], [filter.notTriggers, "NOT IN"]] as const) {
        if (list === undefined || (list.length === 0 && op === "NOT IN")) continue;
        where.push(list.length ? `trigger ${op} (${list.map(() => "?").join(", ")})` : "0");
        params.push(...list);
      }
      if (filter.before !== undefined) {
        const cursor = this.#stmt("SELECT created_at FROM executions WHERE id = ?").get(filter.before) as
          | Row
          | undefined;
        if (cursor) {
          const cmp = filter.oldestFirst ? ">" : "<";
          where.push(`(created_at ${cmp} ? OR (created_at = ? AND id ${cmp} ?))`);
          params.push(String(cursor.created_at), String(cursor.created_at), filter.before);
        }
      }
      const order = filter.oldestFirst ? "ASC" : "DESC";
      const sql = `SELECT ${EXECUTION_COLUMNS} FROM executions ${where.length ? "WHERE " + where.join(" AND ") : ""}
        ORDER BY created_at ${order}, id ${order} LIMIT ?`;
      const out: ExecutionRecord[] = [];
      // Paging in SQL while the running/crashed split filters in JS.
      let offset = 0;
      for (;;) {
        const rows = this.#stmt(`${sql} OFFSET ?`).all(...params, filter.limit, offset) as Row[];
        for (const row of rows) {
          const record = this.#live(toRecord(row));
          if (wanted === undefined || record.status === wanted) out.push(record);
          if (out.length === filter.limit) return out;
        }
        if (rows.length < filter.limit) return out;
        offset += rows.length;
      }
    });
  }

  /** Reports a dead owner's `running` execution as `crashed`, and records that. */
  #live(record: ExecutionRecord): ExecutionRecord {
    const status = liveStatus(record);
    if (status === record.status) return record;
    try {
      this.#stmt("UPDATE executions SET status = 'crashed' WHERE id = ? AND status IN ('running', 'queued')").run(
        record.executionId,
      );
    } catch { /* read-only or busy: it is detected again on the next read */ }
    return { ...record, status };
  }

  async readJournal(executionId: string, afterSeq = -1): Promise<string[]> {
    // The chunk kept in the execution's row (seq 0 on) and the ones in `journal`, in order. A retried batch may
    // have put a copy of the row's chunk in `journal` too: a chunk that starts at a seq already read is skipped.
    const rows = await this.#async(() =>
      this.#stmt(
        `SELECT 0 AS first_seq, journal_head AS body FROM executions WHERE id = ? AND journal_head IS NOT NULL
         UNION ALL
         SELECT first_seq, body FROM journal WHERE execution_id = ? AND last_seq > ? ORDER BY first_seq`,
      ).all(executionId, executionId, afterSeq) as Row[]
    );
    await loadCodec(rows.some((r) => typeof r.body !== "string"));
    const lines: string[] = [];
    let next = 0;
    for (const row of rows) {
      const first = Number(row.first_seq);
      if (first < next) continue;
      next = splitChunk(first, decodeChunk(row.body), afterSeq, lines);
    }
    return lines;
  }

  prune(options: PruneOptions): Promise<number> {
    return this.#async(() => {
      const targets = pruneTargets(
        options,
        () =>
          (this.#stmt("SELECT DISTINCT workflow_id FROM executions").all() as Row[]).map((r) => String(r.workflow_id)),
        (workflowId, keep) => {
          const row = this.#stmt(
            "SELECT created_at FROM executions WHERE workflow_id = ? ORDER BY created_at DESC LIMIT 1 OFFSET ?",
          ).get(workflowId, keep - 1) as Row | undefined;
          return row === undefined ? undefined : String(row.created_at);
        },
        // Most prunes (the one after each `flow run`) find nothing: a read says so without a write transaction.
      ).filter((t) => this.#stmt(`SELECT 1 FROM executions WHERE ${t.where} LIMIT 1`).get(...t.params) !== undefined);
      return targets.flatMap(({ where, params }) => [
        { sql: `DELETE FROM journal WHERE execution_id IN (SELECT id FROM executions WHERE ${where})`, params },
        { sql: `DELETE FROM executions WHERE ${where}`, params },
      ]);
    }).then((deletes) => this.#deleteRows(deletes));
  }

  /**
   * Runs a prune's DELETEs as one transaction (on the writer thread when
   * there is one: the thousands of rows a busy server prunes at a time would
   * hold up requests) and counts the executions deleted (every second
   * statement's changes).
   */
  async #deleteRows(deletes: WriteStatement[]): Promise<number> {
    if (deletes.length === 0) return 0;
    const changes = await this.#apply(deletes, true);
    return changes.reduce((sum, n, i) => i % 2 ? sum + n : sum, 0);
  }

  saveVersion(version: StoredVersion): Promise<void> {
    return this.#async(() => {
      this.#stmt(
        `INSERT INTO workflow_versions (hash, workflow_id, file, text, sources, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO NOTHING`,
      ).run(
        version.hash,
        version.workflowId,
        version.file ?? null,
        version.text,
        version.sources ? JSON.stringify(version.sources) : null,
        new Date().toISOString(),
      );
    });
  }

  getVersion(hash: string): Promise<StoredVersion | undefined> {
    return this.#async(() => {
      const r = this.#stmt("SELECT hash, workflow_id, file, text, sources FROM workflow_versions WHERE hash = ?")
        .get(hash) as
          | Row
          | undefined;
      return r ? toStoredVersion(r) : undefined;
    });
  }

  getState(ref: StateRef): Promise<StateEntry | undefined> {
    return this.#async(() => {
      const row = this.#stmt("SELECT value, version FROM state WHERE workflow_id = ? AND scope = ? AND key = ?")
        .get(ref.workflowId, ref.scope, ref.key) as Row | undefined;
      return row ? { value: JSON.parse(String(row.value)), version: Number(row.version) } : undefined;
    });
  }

  putState(ref: StateRef, json: string, expectedVersion?: number): Promise<number | false> {
    return this.#async(() => {
      const now = new Date().toISOString();
      const key = [ref.workflowId, ref.scope, ref.key];
      let row: Row | undefined;
      if (expectedVersion === undefined) {
        row = this.#stmt(
          `INSERT INTO state (workflow_id, scope, key, value, version, updated_at) VALUES (?, ?, ?, ?, 1, ?)
           ON CONFLICT (workflow_id, scope, key) DO UPDATE
           SET value = excluded.value, version = state.version + 1, updated_at = excluded.updated_at
           RETURNING version`,
        ).get(...key, json, now) as Row | undefined;
      } else if (expectedVersion === 0) {
        row = this.#stmt(
          `INSERT INTO state (workflow_id, scope, key, value, version, updated_at) VALUES (?, ?, ?, ?, 1, ?)
           ON CONFLICT (workflow_id, scope, key) DO NOTHING RETURNING version`,
        ).get(...key, json, now) as Row | undefined;
      } else {
        row = this.#stmt(
          `UPDATE state SET value = ?, version = version + 1, updated_at = ?
           WHERE workflow_id = ? AND scope = ? AND key = ? AND version = ? RETURNING version`,
        ).get(json, now, ...key, expectedVersion) as Row | undefined;
      }
      return row ? Number(row.version) : false;
    });
  }

  deleteState(ref: StateRef): Promise<boolean> {
    return this.#async(() =>
      Number(
        this.#stmt("DELETE FROM state WHERE workflow_id = ? AND scope = ? AND key = ?")
          .run(ref.workflowId, ref.scope, ref.key).changes,
      ) > 0
    );
  }

  listState(filter: { workflowId?: string; scope?: string; keyPrefix?: string }): Promise<StateRow[]> {
    return this.#async(() => {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.workflowId !== undefined) {
        where.push("workflow_id = ?");
        params.push(filter.workflowId);
      }
      if (filter.scope !== undefined) {
        where.push("scope = ?");
        params.push(filter.scope);
      }
      if (filter.keyPrefix !== undefined) {
        where.push("key >= ? AND key < ?");
        params.push(filter.keyPrefix, filter.keyPrefix + "\uffff");
      }
      const rows = this.#stmt(
        `SELECT workflow_id, scope, key, value, version, updated_at FROM state
         ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY workflow_id, scope, key`,
      ).all(...params) as Row[];
      return rows.map((r) => ({
        workflowId: String(r.workflow_id),
        scope: String(r.scope),
        key: String(r.key),
        value: JSON.parse(String(r.value)),
        version: Number(r.version),
        updatedAt: String(r.updated_at),
      }));
    });
  }

  clearState(filter: { workflowId: string; scope?: string }): Promise<number> {
    return this.#async(() => {
      const result = filter.scope === undefined
        ? this.#stmt("DELETE FROM state WHERE workflow_id = ?").run(filter.workflowId)
        : this.#stmt("DELETE FROM state WHERE workflow_id = ? AND scope = ?").run(filter.workflowId, filter.scope);
      return Number(result.changes);
    });
  }

  /**
   * Closes the store. The last connection to a database in WAL mode to close
   * normally folds the WAL into the database and deletes it: about 2 ms of
   * copying and disk syncs, and the next process to write then re-creates
   * the WAL and syncs its header, 2 ms more. A store opened with `keepWal`
   * skips both: before closing it opens a read-only connection, which keeps
   * this one from being the last, and which cannot fold the WAL in when it
   * closes after it. The WAL's transactions are as durable as any; the next
   * process reads them back.
   *
   * What bounds the kept WAL is SQLite's own checkpoint: a commit that takes
   * it past 128 pages (512 KiB) copies it into the database, and the next
   * write transaction starts it over from its first page. That next write
   * must come from the same connection: a process that opens a kept WAL
   * cannot tell what an earlier one already copied, and copies it all again
   * at its first commit. So a connection that committed twice or more (a
   * recorded run: its start, then its end) keeps the WAL whatever its size,
   * while one that committed once or never keeps it only under 512 KiB and
   * folds in a larger one, which restarts it; otherwise a series of
   * single-write commands would copy a WAL that only grows.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    if (!this.#starting) {
      const keep = this.#keepWal && (this.#commits >= 2 || this.#walBytes() <= KEPT_WAL_BYTES);
      const holder = keep ? this.#walHolder() : undefined;
      this.#closeDb();
      closeQuietly(holder);
      return Promise.resolve();
    }
    // The writer's connection first (once it has started): the last one to close folds the WAL into the database.
    return this.#starting.then(() => this.#writer?.close()).then(() => this.#closeDb());
  }

  /** The size of the WAL file (its largest extent since it was created), or Infinity when unknown. */
  #walBytes(): number {
    try {
      return Deno.statSync(`${this.location}-wal`).size;
    } catch {
      return Infinity;
    }
  }

  /** A read-only connection that has read (so holds its shared lock), or undefined when none opens. */
  #walHolder(): DatabaseSync | undefined {
    if (!driver) return undefined;
    let holder: DatabaseSync | undefined;
    try {
      holder = new driver.DatabaseSync(this.location, { readOnly: true });
      holder.prepare("PRAGMA user_version").get();
      return holder;
    } catch {
      closeQuietly(holder);
      return undefined; // then this connection folds the WAL in as it closes, as without keepWal
    }
  }

  #closeDb() {
    this.#statements.clear();
    closeQuietly(this.#db);
  }

  /** Runs a synchronous read as a promise, with one-line errors. */
  #async<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.#read(fn));
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
