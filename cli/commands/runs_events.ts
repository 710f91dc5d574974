/**
 * `flow runs events ID`: an execution's journal as NDJSON, the same lines
 * `--format ndjson` printed. `--follow` tails an execution still running
 * (started elsewhere, e.g. by cron) until it ends; at a terminal, it shows
 * the live view of `flow run` instead (`live_follow.ts`), unless
 * `--verbose`.
 *
 * @module
 */
import type { ExecutionStore } from "../../src/store/mod.ts";
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
    const follow = options.follow === true;
    // A person following an execution at a terminal gets the live view of `flow run`; anything else the NDJSON.
    // The live view loads the run's reporters: only when following.
    if (follow && (await import("../live.ts")).liveViewWanted(options.verbose as boolean | undefined)) {
      const { followLive } = await import("../live_follow.ts");
      return await followLive(store, record, (write) => readJournal(store, record.executionId, true, write));
    }
    await readJournal(store, record.executionId, follow, (line) => stdout.write(line));
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}

/**
 * Passes an execution's journal lines to `write` (flushing stdout after
 * each batch); with `follow`, goes on reading until the execution has
 * ended and its last lines are read, or stdout's reader has gone away.
 */
export async function readJournal(
  store: ExecutionStore,
  executionId: string,
  follow: boolean,
  write: (line: string) => void,
): Promise<void> {
  let last = -1;
  for (;;) {
    const lines = await store.readJournal(executionId, last);
    for (const line of lines) write(line);
    last += lines.length;
    stdout.flush();
    if (!follow || stdout.closed) break;
    if (lines.length === 0) {
      const now = await store.getExecution(executionId);
      if (!now || (now.status !== "running" && now.status !== "queued")) {
        // It ended: read what its last flush wrote, then stop.
        const rest = await store.readJournal(executionId, last);
        for (const line of rest) write(line);
        break;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
