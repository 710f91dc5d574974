/**
 * PostgreSQL pools for `sql.query`, through postgres.js. Loaded with
 * `import()` only by a workflow that queries PostgreSQL (a lazy part of the
 * single-file bundle, scripts/bundle.ts): it rejects with the driver's own
 * errors, which the node turns into its error codes.
 *
 * Everything is passed to the driver explicitly, so that it never falls back
 * to flow's own environment (`PGHOST`, `PGPASSWORD`, ...): the workflow
 * reaches only the server its URL names, with only the credentials it gives.
 *
 * @module
 */
import postgres from "postgres";
import type { Connection } from "./connections.ts";
import type { PostgresTarget } from "./target.ts";

/** Seconds to wait for a connection before failing. */
export const CONNECT_TIMEOUT_S = 10;

/** Idle connections are closed after this many seconds. */
export const IDLE_TIMEOUT_S = 60;

/** Every query a prepared statement; `simple: false` (not typed by postgres.js): never the simple protocol. */
const UNSAFE_OPTIONS = { prepare: true, simple: false } as postgres.UnsafeQueryOptions;

/**
 * A pool of at most `max` connections to `target`, opened as queries need
 * them (read-only sessions when `readOnly`). Each query runs as one prepared
 * statement (one statement per query; `$1`, `$2`, ... parameters), and is
 * cancelled on the server when `signal` aborts.
 *
 * @example
 * ```ts ignore
 * import { openPostgres } from "./postgres_pool.ts";
 * import { parseDbUrl } from "./target.ts";
 * const db = openPostgres(parseDbUrl("postgres://flow@127.0.0.1/flow") as PostgresTarget, 4, false);
 * await db.query("SELECT $1::int + 1 AS n", [41], { maxRows: 10, signal: new AbortController().signal });
 * await db.close();
 * ```
 */
export function openPostgres(target: PostgresTarget, max: number, readOnly: boolean): Connection {
  const sql = postgres({
    host: target.host,
    port: target.port,
    database: target.database,
    username: target.user,
    // A function: an empty password must not fall back to flow's PGPASSWORD.
    pass: () => target.password,
    ssl: target.sslmode === "disable" ? false : target.sslmode,
    max,
    idle_timeout: IDLE_TIMEOUT_S,
    connect_timeout: CONNECT_TIMEOUT_S,
    max_lifetime: null,
    prepare: true,
    debug: false,
    onnotice: () => {},
    // int8 (count(*), bigserial) as a BigInt, output as a number when it is safe: not as text.
    types: { bigint: postgres.BigInt },
    connection: {
      application_name: "flow",
      ...(readOnly ? { default_transaction_read_only: true } : {}),
    },
  });
  return {
    async query(text, params, { maxRows, signal }) {
      signal.throwIfAborted();
      const values = params.map((v) => v === undefined ? null : isObject(v) ? sql.json(v as postgres.JSONValue) : v);
      // Always the extended protocol, which takes one statement only.
      const pending = sql.unsafe(text, values as postgres.ParameterOrJSON<never>[], UNSAFE_OPTIONS);
      const cancel = () => pending.cancel();
      signal.addEventListener("abort", cancel, { once: true });
      try {
        const result = await pending;
        const rows = result.length > maxRows ? result.slice(0, maxRows) : [...result];
        return { rows: rows as Record<string, unknown>[], count: result.count ?? result.length };
      } finally {
        signal.removeEventListener("abort", cancel);
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/** A plain object (sent as `json`; arrays are sent as PostgreSQL arrays). */
function isObject(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
