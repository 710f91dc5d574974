/**
 * `flow runs`: recent executions from the history, newest first.
 *
 * @module
 */
import { EXECUTION_STATUSES, type ExecutionStatus, type Trigger, TRIGGERS } from "../../src/store/mod.ts";
import { runSummary } from "../../src/runtime/history.ts";
import { palette, useColor } from "../color.ts";
import type { Invocation } from "../commands.ts";
import { CliError, ExitCode } from "../exit_codes.ts";
import { requireStore } from "../history.ts";
import { durationText, localTime, newTable, shortId, statusText } from "../history_format.ts";
import { stdout } from "../output.ts";

/** Runs `flow runs`; resolves to the exit code. */
export default async function runs({ options }: Invocation): Promise<number> {
  const status = options.status as string | undefined;
  if (status !== undefined && !(EXECUTION_STATUSES as readonly string[]).includes(status)) {
    throw new CliError(`--status: expected one of ${EXECUTION_STATUSES.join(", ")}; got ${JSON.stringify(status)}`);
  }
  const triggers = options.trigger as string[];
  for (const t of triggers) {
    if (t !== "all" && !(TRIGGERS as readonly string[]).includes(t)) {
      throw new CliError(`--trigger: expected one of ${TRIGGERS.join(", ")} or all; got ${JSON.stringify(t)}`);
    }
  }
  const store = await requireStore(options.db);
  try {
    const list = await store.listExecutions({
      workflowId: options.workflow as string | undefined,
      status: status as ExecutionStatus | undefined,
      limit: options.limit as number,
      // The editor's test runs are hidden unless asked for: --trigger editor, or --trigger all.
      ...(triggers.length === 0
        ? { notTriggers: ["editor"] }
        : triggers.includes("all")
        ? {}
        : { triggers: triggers as Trigger[] }),
    });
    const format = options.format as "table" | "json" | "ndjson";
    if (format === "json") stdout.write(JSON.stringify(list.map(runSummary), null, 2) + "\n");
    else if (format === "ndjson") { for (const r of list) stdout.write(JSON.stringify(runSummary(r)) + "\n"); }
    else if (list.length === 0) {
      // Said only when the filter hid something: an editor run of what was asked for exists.
      const hidden = triggers.length === 0 && (await store.listExecutions({
            workflowId: options.workflow as string | undefined,
            status: status as ExecutionStatus | undefined,
            triggers: ["editor"],
            limit: 1,
          })).length > 0;
      stdout.write(noneText(options.workflow as string | undefined, status, hidden) + "\n");
    } else {
      const c = palette(useColor());
      const table = newTable(["id", "workflow", "status", "started", "duration", "trigger"]);
      for (const r of list) {
        table.push([
          shortId(r.executionId),
          r.workflowId,
          statusText(r.status, c),
          localTime(r.startedAt ?? r.createdAt),
          durationText(r),
          r.triggerNode ? `${r.trigger} (${r.triggerNode})` : r.trigger,
        ]);
      }
      stdout.write(await table.render() + "\n");
    }
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}

/**
 * What an empty list says: nothing at all, or nothing for the workflow and
 * status asked for; and that editor runs were hidden, when they were.
 */
function noneText(workflow: string | undefined, status: string | undefined, editorHidden: boolean): string {
  const hidden = editorHidden ? " (editor runs are hidden: --trigger editor shows them)" : "";
  if (workflow === undefined && status === undefined) return `no executions recorded yet${hidden}`;
  const what = status === undefined ? "executions" : `${status} executions`;
  return `no ${what}${workflow === undefined ? "" : ` of workflow ${JSON.stringify(workflow)}`} recorded${hidden}`;
}
