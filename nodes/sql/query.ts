/**
 * `sql.query`: runs one SQL statement on PostgreSQL or SQLite, with
 * parameters, and outputs the rows. Connections are opened on first use and
 * kept for the workflow version (the node's instance), closed when it is
 * unloaded.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode, type NodePermissions } from "../../src/node/node.ts";
import { NodeError } from "../../src/errors.ts";
import { credentialScrubber, hostPort } from "../connection_url.ts";
import { type Connection, Connections } from "./connections.ts";
import { sqlError } from "./errors.ts";
import { type DbTarget, describeTarget, parseDbUrl, targetNeeds } from "./target.ts";
import { toJsonRow } from "./values.ts";

/** Default of `maxRows`. */
export const DEFAULT_MAX_ROWS = 10_000;

/** Default of `maxConnections`. */
export const DEFAULT_MAX_CONNECTIONS = 4;

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    url: described(
      z.string().check(z.minLength(1)),
      "postgres://USER:PASSWORD@HOST:PORT/DATABASE (needs settings.permissions.net) or sqlite:PATH (relative to the " +
        "workflow file's folder; needs read and write); usually {{ $env.NAME }} of a secret",
    ),
    query: described(
      z.string().check(z.minLength(1)),
      "One SQL statement; parameters $1, $2, ... (PostgreSQL) or ? (SQLite) take params in order",
    ),
    readOnly: described(
      z._default(z.boolean(), false),
      "Refuse writes: SQLite opens the file read-only (needs only read), PostgreSQL sessions are read-only",
    ),
    maxRows: described(
      z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1_000_000)), DEFAULT_MAX_ROWS),
      "Output at most this many rows (truncated: true past it); default 10000",
    ),
    maxConnections: described(
      z._default(z.number().check(z.int(), z.minimum(1), z.maximum(100)), DEFAULT_MAX_CONNECTIONS),
      "PostgreSQL: connections this node keeps open at most; default 4",
    ),
  })
);

type Config = z.output<ReturnType<typeof configSchema>>;

/** The `sql.query` node type. */
export default defineNode({
  type: "sql.query",
  description: "Runs one SQL statement (config.query, with params) on PostgreSQL or SQLite (config.url); outputs rows",
  inputs: {
    params: { type: "array", description: "The query's parameters, in order ($1, $2, ... or ?)", required: false },
  },
  dynamicInputs: { type: "any", description: "Visible to config templates as $node.NAME; connect one to order nodes" },
  outputs: {
    rows: { type: "array", description: "The rows returned, as objects by column name" },
    rowCount: { type: "number", description: "Rows returned (all of them), or rows changed by INSERT/UPDATE/DELETE" },
    truncated: { type: "boolean", description: "Whether more rows came than maxRows" },
  },
  get config() {
    return configSchema();
  },
  prepare(config, tools) {
    if (config.url.includes("{{")) return;
    try {
      parseDbUrl(config.url);
    } catch (err) {
      tools.issue("url", (err as Error).message);
    }
  },
  needs(config) {
    try {
      return targetNeeds(parseDbUrl(config.url), config.readOnly);
    } catch {
      return []; // reported by prepare, or templated
    }
  },
  setup: () => new Connections(),
  dispose: (instance) => (instance as Connections).close(),
  async run({ inputs, config, permissions, instance, signal, log }) {
    const target = parseTarget(config.url);
    const file = await checkTarget(target, config.readOnly, permissions);
    const scrub = credentialScrubber(target.kind === "postgres" ? target.rawPassword : "");
    const params = inputs.params ?? [];
    // Without an instance (a node run on its own), the connection lives for this run only.
    const own = instance instanceof Connections ? undefined : new Connections();
    const connections = own ?? instance as Connections;
    try {
      const db = await connections.get(`${config.readOnly}:${config.url}`, () => open(target, file, config));
      const raw = await db.query(config.query, params, { maxRows: config.maxRows, signal });
      const truncated = raw.count > raw.rows.length && raw.rows.length === config.maxRows;
      if (truncated) log.warn(`${raw.count} rows returned; output the first ${config.maxRows} (maxRows)`);
      return { rows: raw.rows.map(toJsonRow), rowCount: raw.count, truncated };
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw sqlError(err, describeTarget(target), scrub, params.length);
    } finally {
      await own?.close();
    }
  },
});

/** The target of `url`, or a `BAD_URL` error that does not show the URL. */
function parseTarget(url: string): DbTarget {
  try {
    return parseDbUrl(url);
  } catch (err) {
    throw new NodeError(`url: ${(err as Error).message}`, { code: "BAD_URL", retryable: false });
  }
}

/**
 * Checks the target against the workflow's grants (PERMISSION_DENIED);
 * resolves to the SQLite file's absolute path (or `:memory:`).
 */
async function checkTarget(target: DbTarget, readOnly: boolean, permissions: NodePermissions): Promise<string> {
  if (target.kind === "postgres") {
    permissions.check("net", hostPort(target.host, target.port), "url");
    return "";
  }
  if (target.path === ":memory:") return ":memory:";
  const file = await permissions.checkPath("read", target.path, "url");
  if (!readOnly) await permissions.checkPath("write", target.path, "url");
  return file;
}

/** Opens the database: SQLite at once, a PostgreSQL pool that connects when queried. */
async function open(target: DbTarget, file: string, config: Config): Promise<Connection> {
  if (target.kind === "sqlite") {
    const { openSqlite } = await import("./sqlite.ts");
    return openSqlite(file, config.readOnly);
  }
  const { openPostgres } = await import("./postgres_pool.ts");
  return openPostgres(target, config.maxConnections, config.readOnly);
}
