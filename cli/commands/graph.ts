/**
 * `flow graph FILE`: validates a workflow and prints its graph as Mermaid,
 * Graphviz DOT, or a self-contained SVG laid out as the console lays it out
 * (`--format svg`, optionally coloured by an execution's result: `--run ID`).
 *
 * @module
 */
import { findExecution, runDetail } from "../../src/runtime/history.ts";
import type { CompiledWorkflow } from "../../src/validate/mod.ts";
import type { Invocation } from "../commands.ts";
import { CliError, ExitCode } from "../exit_codes.ts";
import type { RunColours } from "../graph_svg.ts";
import { toDot, toMermaid } from "../graph_render.ts";
import { requireStore } from "../history.ts";
import { loadWorkflowArg } from "../load.ts";
import { stdout } from "../output.ts";

/** Runs `flow graph`; resolves to the exit code. */
export default async function graph({ args, options }: Invocation): Promise<number> {
  if (options.run !== undefined && options.format !== "svg") {
    throw new CliError(`--run colours the SVG: add --format svg (got --format ${options.format})`);
  }
  const { compiled: wf, close } = await loadWorkflowArg(args.file as string, []);
  close();
  if (options.format === "svg") {
    const run = options.run === undefined ? undefined : await runColours(wf, options.run as string, options.db);
    // Loaded here: ELK and the console's model are a lazy part of the bundle.
    const { renderSvg } = await import("../graph_svg.ts");
    stdout.write(await renderSvg(wf, run));
  } else stdout.write(options.format === "dot" ? toDot(wf) : toMermaid(wf));
  return ExitCode.Success;
}

/** The result of execution `id` (or a unique prefix) of this workflow, from the history. */
async function runColours(wf: CompiledWorkflow, id: string, db: unknown): Promise<RunColours> {
  const store = await requireStore(db);
  try {
    const record = await findExecution(store, id);
    if (record.workflowId !== wf.id) {
      throw new CliError(
        `--run ${id}: execution ${record.executionId} ran workflow "${record.workflowId}", not "${wf.id}"`,
      );
    }
    const detail = await runDetail(store, record);
    return {
      executionId: record.executionId,
      status: record.status,
      nodes: new Map(detail.nodes.filter((n) => n.runPath === undefined).map((n) => [n.id, n.status])),
    };
  } finally {
    await store.close();
  }
}
