/**
 * `flow worker`: takes executions from the queue and runs them (the
 * distributed mode, docs/scale-out.md). SIGTERM or SIGINT: it takes no new
 * jobs, lets its own finish for up to `--grace` (then cancels them, recorded
 * as cancelled), and exits 0.
 *
 * @module
 */
import { isStoreError } from "../../src/store/mod.ts";
import { builtinRegistry } from "../../nodes/mod.ts";
import type { Invocation } from "../commands.ts";
import { CliError, ExitCode } from "../exit_codes.ts";
import { databaseUrl, keepPerWorkflow, openStore } from "../history.ts";
import { stderr, stdout } from "../output.ts";
import { queueUrl, waitForSignal } from "../signals.ts";

/** Runs `flow worker`; resolves to the exit code once it has shut down. */
export default async function worker({ options }: Invocation): Promise<number> {
  const url = queueUrl(options.queue);
  if (url === undefined) throw new CliError("worker: --queue redis://... (or FLOW_QUEUE_URL) is required");
  const db = databaseUrl(options.db);
  if (db === undefined) throw new CliError("worker: --db postgres://... (or FLOW_DATABASE_URL) is required");
  const graceMs = options.grace as number;
  const keep = keepPerWorkflow();
  let store;
  try {
    store = await openStore(db);
  } catch (err) {
    if (isStoreError(err)) throw new CliError(`database: ${err.message}`);
    throw err;
  }
  const log = (line: string) => stderr.write(line + "\n");
  const { FlowWorker } = await import("../../queue/worker.ts");
  const { redactRedisUrl } = await import("../../queue/connection.ts");
  let running;
  try {
    running = await FlowWorker.start({
      url,
      store,
      registry: builtinRegistry(),
      nodeDirs: options.nodes as string[],
      concurrency: options.concurrency as number,
      keep,
      log,
    });
  } catch (err) {
    await store.close();
    throw new CliError(`queue ${redactRedisUrl(url)}: ${(err as Error).message}`);
  }
  stdout.write(`flow worker: connected to ${redactRedisUrl(url)} and ${store.location}\n`);
  stdout.flush();
  await waitForSignal(() => log("flow worker: second signal; exiting now"));
  log(`flow worker: shutting down; waiting up to ${graceMs} ms for ${running.running} run(s)`);
  await running.close(graceMs);
  await store.close();
  log("flow worker: stopped");
  // Connections the libraries keep (Redis, PostgreSQL pools, timers) must not hold the process: it has shut down.
  stdout.flush();
  Deno.exit(ExitCode.Success);
}
