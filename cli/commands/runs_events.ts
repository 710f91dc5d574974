/**
 * `flow runs events ID`: an execution's journal as NDJSON, the same lines
 * `--format ndjson` printed. `--follow` tails an execution still running
 * (started elsewhere, e.g. by cron) until it ends.
 *
 * @module
 */
import type { Invocation } from "../commands.ts";
import { ExitCode } from "../exit_codes.ts";
import { requireStore } from "../history.ts";
import { findExecution } from "../../src/runtime/history.ts";
import { stdout } from "../output.ts";

/** How often `--follow` reads the journal again, ms. */
const POLL_MS = 200;

/** Runs `flow runs events`; resolves to the exit code. */
export default async function events({ args, options }: Invocation): Promise<number> {
  const store = await requireStore(options.db);
  try {
    const record = await findExecution(store, args.id as string);
    let last = -1;
    for (;;) {
      const lines = await store.readJournal(record.executionId, last);
      for (const line of lines) stdout.write(line);
      last += lines.length;
      stdout.flush();
      if (!options.follow || stdout.closed) break;
      if (lines.length === 0) {
        const now = await store.getExecution(record.executionId);
        if (!now || (now.status !== "running" && now.status !== "queued")) {
          // It ended: read what its last flush wrote, then stop.
          const rest = await store.readJournal(record.executionId, last);
          for (const line of rest) stdout.write(line);
          break;
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    }
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}
