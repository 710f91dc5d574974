/**
 * The database a `sql.query` URL names: `sqlite:PATH` (a file, relative to
 * the workflow file's folder), `sqlite::memory:`, or
 * `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE`; what it needs
 * from `settings.permissions`; and how messages name it (never with the
 * password).
 *
 * @module
 */
import type { PermissionNeed } from "../../src/node/node.ts";
import { hostPort, schemeOf } from "../connection_url.ts";

/** The `sslmode` values a PostgreSQL URL may give, as postgres.js takes them. */
export const SSL_MODES = ["disable", "prefer", "require", "verify-full"] as const;

/** One of {@linkcode SSL_MODES}. */
export type SslMode = typeof SSL_MODES[number];

/** An SQLite database file (or an in-memory database). */
export interface SqliteTarget {
  /** SQLite. */
  kind: "sqlite";
  /** The path as written (relative to the workflow file's folder), or `:memory:`. */
  path: string;
}

/** A PostgreSQL server and database. */
export interface PostgresTarget {
  /** PostgreSQL. */
  kind: "postgres";
  /** The host name or address (an IPv6 address without brackets). */
  host: string;
  /** The port (5432 unless the URL says). */
  port: number;
  /** The database (the user's name unless the URL says). */
  database: string;
  /** The user name, decoded. */
  user: string;
  /** The password, decoded; empty when the URL has none. */
  password: string;
  /** The password as the URL writes it (percent-encoded), for scrubbing messages. */
  rawPassword: string;
  /** TLS: `disable` (the default), `prefer`, `require` (unverified) or `verify-full`. */
  sslmode: SslMode;
}

/** What a `sql.query` URL names. */
export type DbTarget = SqliteTarget | PostgresTarget;

const EXPECTED = "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH";

/**
 * Parses a database URL; throws an `Error` whose message never holds the
 * URL (it may hold a password) but says what is wrong with it.
 *
 * @example
 * ```ts
 * import { parseDbUrl } from "./target.ts";
 * parseDbUrl("sqlite:data/app.db"); // { kind: "sqlite", path: "data/app.db" }
 * parseDbUrl("postgres://flow:s3cret@127.0.0.1/app").port; // 5432
 * ```
 */
export function parseDbUrl(url: string): DbTarget {
  if (/^sqlite:/i.test(url)) {
    const path = url.slice("sqlite:".length);
    if (path === "") throw new Error(`${EXPECTED}; got "sqlite:" without a path`);
    return { kind: "sqlite", path };
  }
  if (!/^postgres(ql)?:\/\//i.test(url)) throw new Error(`${EXPECTED}; got a URL of ${schemeOf(url)}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${EXPECTED}; got a postgres URL that does not parse`);
  }
  if (!u.hostname) throw new Error(`${EXPECTED}; got a postgres URL without a host (sockets are not supported)`);
  if (u.hostname.includes(",")) throw new Error(`${EXPECTED}; got several hosts (give one)`);
  if (!u.username) throw new Error(`${EXPECTED}; got a postgres URL without a user name`);
  let sslmode: SslMode = "disable";
  for (const [key, value] of u.searchParams) {
    if (key !== "sslmode") {
      throw new Error(`${EXPECTED}; got the URL parameter ${JSON.stringify(key)} (only sslmode is supported)`);
    }
    if (!(SSL_MODES as readonly string[]).includes(value)) {
      throw new Error(`sslmode: expected one of ${SSL_MODES.join(", ")}; got ${JSON.stringify(value)}`);
    }
    sslmode = value as SslMode;
  }
  const user = decodeURIComponent(u.username);
  const path = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (path.includes("/")) throw new Error(`${EXPECTED}; got a database name with "/"`);
  return {
    kind: "postgres",
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port ? Number(u.port) : 5432,
    database: path || user,
    user,
    password: decodeURIComponent(u.password),
    rawPassword: u.password,
    sslmode,
  };
}

/**
 * How messages name a database: `postgres 127.0.0.1:5432/app` or
 * `sqlite:data/app.db`; never with the password (nor the user).
 */
export function describeTarget(target: DbTarget): string {
  return target.kind === "sqlite"
    ? `sqlite:${target.path}`
    : `postgres ${hostPort(target.host, target.port)}/${target.database}`;
}

/**
 * What a database needs from `settings.permissions`: a file, `read` (and
 * `write` unless `readOnly`; any statement may write, so both are asked
 * whatever the query); a PostgreSQL server, `net` for its `host:port`; an
 * in-memory SQLite database, nothing.
 */
export function targetNeeds(target: DbTarget, readOnly: boolean): PermissionNeed[] {
  if (target.kind === "postgres") {
    return [{ permission: "net", value: hostPort(target.host, target.port), field: ["url"] }];
  }
  if (target.path === ":memory:") return [];
  const needs: PermissionNeed[] = [{ permission: "read", value: target.path, field: ["url"] }];
  if (!readOnly) needs.push({ permission: "write", value: target.path, field: ["url"] });
  return needs;
}
