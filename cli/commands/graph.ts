/**
 * `flow graph FILE`: validates a workflow and prints its graph as Mermaid or DOT.
 *
 * @module
 */
import type { Invocation } from "../commands.ts";
import { ExitCode } from "../exit_codes.ts";
import { toDot, toMermaid } from "../graph_render.ts";
import { loadWorkflowArg } from "../load.ts";
import { stdout } from "../output.ts";

/** Runs `flow graph`; resolves to the exit code. */
export default async function graph({ args, options }: Invocation): Promise<number> {
  const { compiled: wf, close } = await loadWorkflowArg(args.file as string, []);
  close();
  stdout.write(options.format === "dot" ? toDot(wf) : toMermaid(wf));
  return ExitCode.Success;
}
