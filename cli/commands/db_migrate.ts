/**
 * `flow db migrate`: brings the PostgreSQL schema up to date (servers and
 * workers also do it when they start).
 *
 * @module
 */
import { isStoreError } from "../../src/store/mod.ts";
import type { Invocation } from "../commands.ts";
import { CliError, ExitCode } from "../exit_codes.ts";
import { databaseUrl } from "../history.ts";
import { stdout } from "../output.ts";

/** Runs `flow db migrate`; resolves to the exit code. */
export default async function migrate({ options }: Invocation): Promise<number> {
  const url = databaseUrl(options.db);
  if (url === undefined) throw new CliError("db migrate: --db postgres://... (or FLOW_DATABASE_URL) is required");
  const { migratePostgres, redactUrl } = await import("../../src/store/postgres.ts");
  try {
    const applied = await migratePostgres(url);
    if (applied.length === 0) stdout.write(`${redactUrl(url)}: the schema is up to date\n`);
    for (const m of applied) stdout.write(`${redactUrl(url)}: applied ${m.version}: ${m.description}\n`);
    return ExitCode.Success;
  } catch (err) {
    if (isStoreError(err)) throw new CliError(`database: ${err.message}`);
    throw err;
  }
}
