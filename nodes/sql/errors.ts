/**
 * What a database driver threw, as the `NodeError` a `sql.query` fails
 * with: the database named (never its URL), the server's message and
 * SQLSTATE, the password scrubbed from anything the driver said, and
 * whether another attempt may help.
 *
 * @module
 */
import { NodeError } from "../../src/errors.ts";

/** Network errors of the drivers, in words. */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: "connection refused (is the server running?)",
  ECONNRESET: "the connection was reset",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "unknown host (name resolution failed)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
  CONNECT_TIMEOUT: "no answer in time",
  CONNECTION_CLOSED: "the server closed the connection",
  CONNECTION_DESTROYED: "the connection was closed",
  CONNECTION_ENDED: "the connection was closed",
};

/**
 * SQLSTATE classes after which the same statement may succeed: a
 * serialization failure or deadlock (40), a server short of resources (53),
 * an operator's intervention such as a restart (57), a broken connection
 * (08; but not 08P01, a protocol violation such as a wrong parameter count).
 */
function retryableState(state: string): boolean {
  return state !== "08P01" && /^(40|53|57|08)/.test(state);
}

/** The primary result codes of SQLite after which the same statement may succeed: BUSY, LOCKED. */
const SQLITE_RETRYABLE = new Set([5, 6]);
/** SQLite's SQLITE_RANGE: a parameter number beyond those of the statement. */
const SQLITE_RANGE = 25;
/** SQLite's SQLITE_CANTOPEN. */
const SQLITE_CANTOPEN = 14;

/**
 * The error `sql.query` fails with for `err`, thrown while querying the
 * database named `label` (`postgres 127.0.0.1:5432/app`): `DB_AUTH` (the
 * server refused the login; not retried), `DB_UNREACHABLE` (no connection;
 * retried), `BAD_PARAMS` (not retried), else `SQL_ERROR` (retried only when
 * it may help: a deadlock, a lock held by another process).
 *
 * @example
 * ```ts
 * import { sqlError } from "./errors.ts";
 * const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
 * sqlError(err, "postgres 127.0.0.1:5432/app", (s) => s, 0).message;
 * // "postgres 127.0.0.1:5432/app: cannot connect: connection refused (is the server running?)"
 * ```
 */
export function sqlError(err: unknown, label: string, scrub: (text: string) => string, params: number): NodeError {
  if (err instanceof NodeError) return err;
  const e = (err ?? {}) as Record<string, unknown>;
  const text = scrub(String(e.message ?? err).split("\n")[0]);
  const code = typeof e.code === "string" ? e.code : "";
  const fail = (message: string, errorCode: string, retryable: boolean) =>
    new NodeError(message, { code: errorCode, retryable, cause: err });

  if (typeof e.severity === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    // A PostgreSQL server's error: SQLSTATE, with its detail and hint.
    const detail = [e.detail, e.hint].filter((x) => typeof x === "string" && x).map((x) => scrub(String(x)));
    const where = typeof e.position === "string" && e.position ? ` at character ${e.position} of the query` : "";
    const message = `${label}: ${text}${where} (SQLSTATE ${code})${detail.length ? `: ${detail.join("; ")}` : ""}`;
    if (code.startsWith("28")) return fail(message, "DB_AUTH", false);
    const counts = /supplies (\d+) parameters?, but prepared statement .* requires (\d+)/.exec(text);
    if (counts) return fail(paramsMessage(Number(counts[2]), Number(counts[1])), "BAD_PARAMS", false);
    return fail(message, "SQL_ERROR", retryableState(code));
  }
  if (code === "ERR_SQLITE_ERROR") {
    // Opening a file gives no result code, only the message.
    const primary = typeof e.errcode === "number"
      ? e.errcode & 0xff
      : /unable to open database/.test(text)
      ? SQLITE_CANTOPEN
      : 0;
    if (primary === SQLITE_RANGE) {
      return fail(`params: more than the query takes (${params} given)`, "BAD_PARAMS", false);
    }
    if (primary === SQLITE_CANTOPEN) return fail(`${label}: cannot open: ${text}`, "DB_UNREACHABLE", false);
    return fail(`${label}: ${text}`, "SQL_ERROR", SQLITE_RETRYABLE.has(primary));
  }
  if (UNREACHABLE[code]) return fail(`${label}: cannot connect: ${UNREACHABLE[code]}`, "DB_UNREACHABLE", true);
  return fail(`${label}: ${text}`, "SQL_ERROR", true);
}

/**
 * The message for a query given too few or too many parameters:
 * `params: the query takes 2 parameters; got 1`.
 */
export function paramsMessage(takes: number, got: number): string {
  return `params: the query takes ${takes} parameter${takes === 1 ? "" : "s"}; got ${got}`;
}
