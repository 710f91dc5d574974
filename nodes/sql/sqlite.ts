/**
 * SQLite databases for `sql.query`, through `node:sqlite`: one handle per
 * file, its prepared statements cached, one statement per query, `?`
 * parameters counted before they are bound (SQLite would bind a missing one
 * as NULL without a word).
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { NodeError } from "../../src/errors.ts";
import type { Connection, RawResult } from "./connections.ts";
import { paramsMessage } from "./errors.ts";

/** How long a statement waits for another process's lock on the file before failing with `SQLITE_BUSY`. */
export const BUSY_TIMEOUT_MS = 5000;

/** Prepared statements kept per database. */
const CACHED_STATEMENTS = 64;

/** A prepared statement and what was learnt about it. */
interface Prepared {
  statement: StatementSync;
  /** Whether it returns rows (a SELECT, a RETURNING clause). */
  returnsRows: boolean;
  /** The highest parameter number it uses, when SQLite's plan tells. */
  parameters: number | undefined;
}

/**
 * Opens an SQLite database (`:memory:`, or an absolute path; the file is
 * created unless `readOnly`).
 *
 * @example
 * ```ts
 * import { openSqlite } from "./sqlite.ts";
 * const db = openSqlite(":memory:", false);
 * const r = await db.query("SELECT ? + 1 AS n", [41], { maxRows: 10, signal: new AbortController().signal });
 * console.log(r.rows); // [{ n: 42n }]
 * await db.close();
 * ```
 */
export function openSqlite(path: string, readOnly: boolean): Connection {
  const db = new DatabaseSync(path, { readOnly, timeout: BUSY_TIMEOUT_MS });
  const cache = new Map<string, Prepared>();
  return {
    query(sql, params, { maxRows }) {
      return Promise.resolve(run(prepared(db, cache, sql), params, maxRows));
    },
    close() {
      cache.clear();
      if (db.isOpen) db.close();
      return Promise.resolve();
    },
  };
}

function run(p: Prepared, params: unknown[], maxRows: number): RawResult {
  if (p.parameters !== undefined && params.length < p.parameters) {
    throw new NodeError(paramsMessage(p.parameters, params.length), { code: "BAD_PARAMS", retryable: false });
  }
  const bound = params.map(sqliteParam);
  if (!p.returnsRows) {
    const { changes } = p.statement.run(...bound);
    return { rows: [], count: Number(changes) };
  }
  const rows: Record<string, unknown>[] = [];
  let count = 0;
  for (const row of p.statement.iterate(...bound)) {
    if (++count <= maxRows) rows.push(row as Record<string, unknown>);
  }
  return { rows, count };
}

/** The statement for `sql`, prepared once and kept (the most recently used {@linkcode CACHED_STATEMENTS}). */
function prepared(db: DatabaseSync, cache: Map<string, Prepared>, sql: string): Prepared {
  const known = cache.get(sql);
  if (known) {
    cache.delete(sql);
    cache.set(sql, known);
    return known;
  }
  const p = prepare(db, sql);
  cache.set(sql, p);
  if (cache.size > CACHED_STATEMENTS) cache.delete(cache.keys().next().value!);
  return p;
}

function prepare(db: DatabaseSync, sql: string): Prepared {
  // node:sqlite crashes the process when asked to prepare no statement (only blanks, comments or ";"):
  // such a query is refused before it gets there.
  const start = skipBlanks(sql);
  if (start === sql.length) throw badQuery("query: holds no statement");
  const text = sql.slice(start);
  const statement = db.prepare(text);
  const source = statement.sourceSQL;
  if (text.startsWith(source) && skipBlanks(text, source.length) < text.length) {
    throw badQuery("query: holds more than one statement; a sql.query runs one");
  }
  statement.setReadBigInts(true);
  return { statement, returnsRows: statement.columns().length > 0, parameters: parameterCount(db, source) };
}

/**
 * The highest parameter number `sql` uses, from its plan (`EXPLAIN`: one
 * `Variable` step per parameter read); undefined when there is no plan to
 * read (an `EXPLAIN` statement itself).
 */
function parameterCount(db: DatabaseSync, sql: string): number | undefined {
  try {
    let max = 0;
    for (const step of db.prepare(`EXPLAIN ${sql}`).iterate()) {
      const { opcode, p1 } = step as { opcode: string; p1: number };
      if (opcode === "Variable" && p1 > max) max = p1;
    }
    return max;
  } catch {
    return undefined;
  }
}

/** The index of the first character of `sql` from `from` on that is not a blank, a comment or a `;`. */
function skipBlanks(sql: string, from = 0): number {
  let i = from;
  while (i < sql.length) {
    if (/\s|;/.test(sql[i])) i++;
    else if (sql.startsWith("--", i)) {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith("/*", i)) {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else break;
  }
  return i;
}

/**
 * A parameter as SQLite binds it: text, a number or NULL as they are,
 * `true`/`false` as 1/0 (SQLite has no booleans), an object or array as
 * its JSON text.
 */
function sqliteParam(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" || typeof value === "number") return value;
  return JSON.stringify(value);
}

function badQuery(message: string): NodeError {
  return new NodeError(message, { code: "BAD_QUERY", retryable: false });
}
