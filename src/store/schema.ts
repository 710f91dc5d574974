/**
 * The store schema and its forward-only migrations. Each migration moves the
 * schema from `version - 1` to `version`; a database whose version is higher
 * than {@linkcode SCHEMA_VERSION} was written by a newer flow and is refused.
 *
 * The tables (the same columns in every implementation, but for SQLite's
 * `executions.journal_head`):
 * - `executions`: one row per execution, keyed by id, ordered by `created_at`;
 * - `journal`: the event stream in chunks of consecutive lines
 *   (`execution_id`, `first_seq`, `last_seq`, `body`); in SQLite, the first
 *   chunk of a run that began in the batch that created its execution (most
 *   runs of `flow serve`) is kept in the execution's row instead
 *   (`journal_head`). PostgreSQL's executions are mostly queued before they
 *   run (the distributed mode), so a row-kept chunk would be an UPDATE of a
 *   wider row there, not an INSERT saved;
 * - `workflow_versions`: the text of each workflow version executions ran,
 *   by content hash (what a worker of the distributed mode runs);
 * - `state`: persistent node state (`workflow_id`, `scope`, `key`) with a
 *   version for compare-and-set.
 *
 * @module
 */

/** The schema version this flow writes. */
export const SCHEMA_VERSION = 4;

/** One schema step. */
export interface Migration {
  /** The version it brings the schema to. */
  version: number;
  /** What it does, for `flow db migrate`. */
  description: string;
  /** The statements, separated by semicolons. */
  sql: string;
}

/** SQLite migrations, oldest first. */
export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    description: "executions, journal, workflow versions and state",
    sql: `
      CREATE TABLE executions (
        id TEXT PRIMARY KEY,
        workflow_id TEXT NOT NULL,
        workflow_name TEXT,
        file TEXT,
        hash TEXT,
        inputs TEXT NOT NULL,
        trigger TEXT NOT NULL,
        trigger_node TEXT,
        payload TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT,
        duration_ms INTEGER,
        error TEXT,
        outputs TEXT,
        resumed_from TEXT,
        hostname TEXT,
        pid INTEGER,
        proc_start TEXT,
        heartbeat_at TEXT,
        last_seq INTEGER NOT NULL DEFAULT -1
      );
      CREATE INDEX executions_by_time ON executions (created_at, id);
      CREATE INDEX executions_by_workflow ON executions (workflow_id, created_at);
      CREATE INDEX executions_by_status ON executions (status, created_at);
      CREATE TABLE journal (
        execution_id TEXT NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        body NOT NULL, -- NDJSON text, or that text deflated (a BLOB) for large chunks: see journal_codec.ts
        PRIMARY KEY (execution_id, first_seq)
      ) WITHOUT ROWID;
      CREATE TABLE workflow_versions (
        hash TEXT PRIMARY KEY,
        workflow_id TEXT NOT NULL,
        file TEXT,
        text TEXT NOT NULL,
        sources TEXT,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE state (
        workflow_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workflow_id, scope, key)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: "journal chunks appended in write order, found by a (execution_id, first_seq) index",
    // Keyed by a random execution id, a WITHOUT ROWID journal put each ~2 KB chunk on a random page: every
    // run rewrote a page somewhere in the table. A rowid table appends; only the small index entry lands at random.
    sql: `
      CREATE TABLE journal_v2 (
        execution_id TEXT NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        body NOT NULL -- NDJSON text, or that text compressed (a BLOB) for large chunks: see journal_codec.ts
      );
      INSERT INTO journal_v2 (execution_id, first_seq, last_seq, body)
        SELECT execution_id, first_seq, last_seq, body FROM journal;
      DROP TABLE journal;
      ALTER TABLE journal_v2 RENAME TO journal;
      CREATE UNIQUE INDEX journal_by_execution ON journal (execution_id, first_seq);
    `,
  },
  {
    version: 3,
    description: "large journal chunks compressed with Zstandard (those written before stay DEFLATE)",
    // No table changes: the version tells a flow that cannot read Zstandard chunks to refuse the file.
    sql: "SELECT 1",
  },
  {
    version: 4,
    description: "a run's first journal chunk kept in its execution's row when both are written together",
    // A webhook run usually starts, runs and ends within one write batch: its row and its one chunk went to two
    // tables, each with an index entry on a random page, and each deleted again by retention. In the row, the chunk
    // costs neither (about 7 µs of a 40 µs write, measured in a replay of the statements). Later chunks, and the
    // chunks of executions created before their run began (queued), still go to `journal`. A flow that predates the
    // column would not read it: the version makes it refuse the file.
    sql: "ALTER TABLE executions ADD COLUMN journal_head",
  },
];

/**
 * PostgreSQL migrations, oldest first: the same tables and columns as
 * {@linkcode sqliteMigrations}. Times are `timestamptz`; JSON stays `text`
 * (`jsonb` would reorder object keys and refuses `\u0000`, so values would not
 * come back as written); identifiers compare byte-wise (`COLLATE "C"`), as in
 * SQLite, for ordering and prefix ranges. The applied versions are recorded in
 * `flow_schema`, which the migrator itself creates.
 */
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    description: "executions, journal, workflow versions and state",
    sql: `
      CREATE TABLE executions (
        id text COLLATE "C" PRIMARY KEY,
        workflow_id text COLLATE "C" NOT NULL,
        workflow_name text,
        file text,
        hash text,
        inputs text NOT NULL,
        trigger text NOT NULL,
        trigger_node text,
        payload text,
        status text NOT NULL,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        ended_at timestamptz,
        duration_ms double precision,
        error text,
        outputs text,
        resumed_from text,
        hostname text,
        pid integer,
        proc_start text,
        heartbeat_at timestamptz,
        last_seq bigint NOT NULL DEFAULT -1
      );
      CREATE INDEX executions_by_time ON executions (created_at, id);
      CREATE INDEX executions_by_workflow ON executions (workflow_id, created_at);
      CREATE INDEX executions_by_status ON executions (status, created_at);
      CREATE TABLE journal (
        execution_id text COLLATE "C" NOT NULL,
        first_seq bigint NOT NULL,
        last_seq bigint NOT NULL,
        body text NOT NULL,
        PRIMARY KEY (execution_id, first_seq)
      );
      CREATE TABLE workflow_versions (
        hash text COLLATE "C" PRIMARY KEY,
        workflow_id text NOT NULL,
        file text,
        text text NOT NULL,
        sources text,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE state (
        workflow_id text COLLATE "C" NOT NULL,
        scope text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        value text NOT NULL,
        version bigint NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (workflow_id, scope, key)
      );
    `,
  },
  {
    version: 2,
    description: "nothing to change: version 2 reorganised the SQLite journal only",
    sql: "SELECT 1",
  },
  {
    version: 3,
    description: "nothing to change: version 3 changed how SQLite compresses journal chunks",
    sql: "SELECT 1",
  },
  {
    version: 4,
    description: "nothing to change: version 4 keeps a SQLite execution's first journal chunk in its row",
    sql: "SELECT 1",
  },
];
