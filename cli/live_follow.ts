/**
 * `flow runs events ID --follow` at a terminal: the live view of `flow run`
 * (`live.ts`) for an execution running elsewhere (cron, `flow serve`, a
 * worker), fed from its journal, then the summary of `flow run`, read from
 * the history. The loops' totals are known when the version that ran can be
 * had (as `flow runs show` finds it). Ctrl-C stops following, not the
 * execution, and leaves the terminal tidy.
 *
 * @module
 */
import type { FlowEvent } from "../mod.ts";
import { runDetail, type RunDetailView } from "../src/runtime/history.ts";
import type { ExecutionRecord, Store } from "../src/store/mod.ts";
import { palette, useColor } from "./color.ts";
import { versionThatRan } from "./commands/runs_show.ts";
import { ExitCode } from "./exit_codes.ts";
import { liveReporter } from "./live.ts";
import { stdout } from "./output.ts";
import { LoopTotals, RunProgress } from "./progress.ts";
import type { RunSummaryInput } from "./reporters.ts";

/**
 * Follows an execution in the live view: `tail` passes its journal lines to
 * a writer until it has ended. Resolves to the exit code.
 */
export async function followLive(
  store: Store,
  record: ExecutionRecord,
  tail: (write: (line: string) => void) => Promise<void>,
): Promise<number> {
  const version = await versionThatRan(store, record);
  const progress = new RunProgress(version ? new LoopTotals(version.compiled, record.inputs) : undefined);
  const reporter = liveReporter(stdout, palette(useColor()), progress);
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const stop = () => {
    reporter.dispose();
    stdout.flush();
    Deno.exit(ExitCode.Cancelled);
  };
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    await tail((line) => reporter.onEvent(JSON.parse(line) as FlowEvent));
    const ended = await store.getExecution(record.executionId) ?? record;
    await reporter.onResult(summaryOf(await runDetail(store, ended, version)));
    return ExitCode.Success;
  } finally {
    reporter.dispose();
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
}

/** The summary of `flow run` for an execution read back from the history: its top-level nodes. */
function summaryOf(detail: RunDetailView): RunSummaryInput {
  return {
    status: detail.status,
    durationMs: detail.durationMs ?? 0,
    ...(detail.error ? { error: detail.error } : {}),
    outputs: detail.outputs,
    nodes: detail.nodes.filter((n) => n.runPath === undefined),
  };
}
