/**
 * `flow runs prune`: deletes old executions and their journals.
 *
 * @module
 */
import { DURATION_HINT, parseDuration } from "../../src/duration.ts";
import type { Invocation } from "../commands.ts";
import { CliError, ExitCode } from "../exit_codes.ts";
import { requireStore } from "../history.ts";
import { stdout } from "../output.ts";

/** Runs `flow runs prune`; resolves to the exit code. */
export default async function prune({ options }: Invocation): Promise<number> {
  const keep = options.keep as number | undefined;
  const olderThan = options.olderThan as string | undefined;
  if (keep === undefined && olderThan === undefined) {
    throw new CliError("runs prune: give --keep N, --older-than DURATION, or both");
  }
  let cutoff: string | undefined;
  if (olderThan !== undefined) {
    const ms = parseDuration(olderThan);
    if (ms === undefined) {
      throw new CliError(`--older-than: expected ${DURATION_HINT}; got ${JSON.stringify(olderThan)}`);
    }
    cutoff = new Date(Date.now() - ms).toISOString();
  }
  const store = await requireStore(options.db);
  try {
    const n = await store.prune({ keep, olderThan: cutoff, workflowId: options.workflow as string | undefined });
    stdout.write(`pruned ${n} execution${n === 1 ? "" : "s"}\n`);
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}
