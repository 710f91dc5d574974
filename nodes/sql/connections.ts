/**
 * The database connections of one `sql.query` node: opened on first use,
 * one per database URL the node is given (a URL from a template may differ
 * between runs), kept across the runs of a workflow version (the node's
 * instance, `setup`), and closed when that version is unloaded (`dispose`:
 * reload, shutdown, the end of `flow run`).
 *
 * @module
 */

/** What a statement gave, as the driver gave it. */
export interface RawResult {
  /** The rows kept, at most the `maxRows` asked for (driver values: dates, bytes, big integers). */
  rows: Record<string, unknown>[];
  /** The rows returned in all (beyond `maxRows` too), or the rows changed by a statement that returns none. */
  count: number;
}

/** One open database: a PostgreSQL pool, or an SQLite file. */
export interface Connection {
  /** Runs one statement with its parameters; rejects with the driver's error. */
  query(sql: string, params: unknown[], options: { maxRows: number; signal: AbortSignal }): Promise<RawResult>;
  /** Closes it; queries in flight finish first (PostgreSQL, for a few seconds at most). */
  close(): Promise<void>;
}

/**
 * The connections of one node, by URL. A connection that fails to open is
 * forgotten, so the next attempt tries again.
 *
 * @example
 * ```ts ignore
 * import { Connections } from "./connections.ts";
 * const connections = new Connections();
 * const db = await connections.get("sqlite::memory:", () => openSqlite(":memory:", false));
 * await connections.close();
 * ```
 */
export class Connections {
  #open = new Map<string, Promise<Connection>>();
  #closed = false;

  /** The connection for `key` (the URL), opened with `open` the first time. */
  get(key: string, open: () => Promise<Connection>): Promise<Connection> {
    if (this.#closed) return Promise.reject(new Error("the node's connections are closed (the workflow was unloaded)"));
    let connection = this.#open.get(key);
    if (!connection) {
      connection = open();
      this.#open.set(key, connection);
      connection.catch(() => {
        if (this.#open.get(key) === connection) this.#open.delete(key);
      });
    }
    return connection;
  }

  /** Closes every connection (once); errors while closing are ignored. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(open.map(async (c) => {
      try {
        await (await c).close();
      } catch { /* it failed to open, or is gone already */ }
    }));
  }
}
