/**
 * `flow runs show ID`: one execution: its summary, the node table (sub-runs
 * under their run paths), its error and its outputs.
 *
 * The node table is the one `flow run` printed at the end of the run: every
 * node in file order with its type (skipped and never-started ones too),
 * when the version that ran can be had: its text stored under its hash (the
 * distributed mode), or its file (and sub-workflow files) unchanged on disk.
 * Otherwise the nodes come from the journal, in the order they first ran.
 *
 * @module
 */
import type { CompiledWorkflow } from "../../src/validate/mod.ts";
import { findExecution, runDetail, type RunDetailView } from "../../src/runtime/history.ts";
import type { ExecutionRecord, Store } from "../../src/store/mod.ts";
import { palette, useColor } from "../color.ts";
import type { Invocation } from "../commands.ts";
import { ExitCode } from "../exit_codes.ts";
import { requireStore } from "../history.ts";
import { localTime, newTable, statusText } from "../history_format.ts";
import { formatDuration } from "../../src/duration.ts";
import { stdout } from "../output.ts";

/** Runs `flow runs show`; resolves to the exit code. */
export default async function show({ args, options }: Invocation): Promise<number> {
  const store = await requireStore(options.db);
  try {
    const record = await findExecution(store, args.id as string);
    const detail = await runDetail(store, record, await versionThatRan(store, record));
    if (options.format === "json") {
      stdout.write(JSON.stringify(detail, null, 2) + "\n");
      return ExitCode.Success;
    }
    stdout.write(await render(detail));
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}

/**
 * The workflow version an execution ran, compiled, when its text can be had
 * exactly: stored under the execution's hash, or read from its file when the
 * file and its sub-workflow files still hash to it. Undefined otherwise (a
 * changed or missing file, one that no longer compiles).
 */
export async function versionThatRan(
  store: Store,
  record: ExecutionRecord,
): Promise<{ hash: string; compiled: CompiledWorkflow } | undefined> {
  const { hash, file } = record;
  if (hash === undefined || file === undefined) return undefined;
  const stored = await store.getVersion(hash).catch(() => undefined);
  const sources = new Map(Object.entries(stored?.sources ?? {}));
  let text = stored?.text;
  try {
    text ??= await Deno.readTextFile(file);
  } catch {
    return undefined;
  }
  const [{ compileWithModules }, { parseWorkflowText, versionHash }, { builtinRegistry }] = await Promise.all([
    import("../../src/sandbox/mod.ts"),
    import("../../src/workflow/mod.ts"),
    import("../../nodes/mod.ts"),
  ]);
  try {
    const { compiled, close } = await compileWithModules(parseWorkflowText(text, file), builtinRegistry(), {
      file,
      sources,
    });
    close();
    return stored || await versionHash(text, sources) === hash ? { hash, compiled } : undefined;
  } catch {
    return undefined; // no longer compiles here (a module gone, a node type unknown): the journal's view
  }
}

/** The text view of an execution. */
async function render(d: RunDetailView): Promise<string> {
  const c = palette(useColor());
  const lines: string[] = [];
  const field = (name: string, value: string | undefined) => {
    if (value) lines.push(`${c.gray(name.padEnd(10))} ${value}`);
  };
  field("execution", d.executionId);
  field("workflow", d.workflowName ? `${d.workflowId} (${d.workflowName})` : d.workflowId);
  field("file", d.file);
  field("status", statusText(d.status, c));
  field("trigger", d.triggerNode ? `${d.trigger} (${d.triggerNode})` : d.trigger);
  field("started", localTime(d.startedAt ?? d.createdAt));
  field("ended", localTime(d.endedAt));
  field("duration", formatDuration(d.durationMs));
  field("resumed", d.resumedFrom && `from ${d.resumedFrom}`);
  if (Object.keys(d.inputs).length) field("inputs", JSON.stringify(d.inputs));
  let out = lines.join("\n") + "\n";
  if (d.nodes.length) {
    const table = newTable(["node", "type", "status", "attempts", "time"]);
    for (const n of d.nodes) {
      const where = n.runPath === undefined ? "" : c.gray(`${n.runPath.replaceAll("/", " › ")} › `);
      table.push([
        where + n.id,
        n.type ?? "",
        statusText(n.status, c) + (n.pinned ? c.gray(" (pinned)") : n.reused ? c.gray(" (reused)") : ""),
        n.attempts,
        formatDuration(n.durationMs),
      ]);
    }
    out += await table.render() + "\n";
  }
  if (d.error) {
    const where = d.error.nodeId ? `node "${d.error.nodeId}": ` : "";
    out += `${c.red("error")} ${where}${d.error.message} (${d.error.code})\n`;
  }
  if (Object.keys(d.outputs).length) out += c.bold("outputs ") + JSON.stringify(d.outputs, null, 2) + "\n";
  return out;
}
