/**
 * Reading a workflow for a command: from a file or stdin (`-`), with its
 * custom node modules loaded and every problem reported at once.
 *
 * @module
 */
import { checkWithModules, compileWithModules } from "../src/imports.ts";
import { parseWorkflowText, readWorkflowFile } from "../src/load.ts";
import { builtinRegistry } from "../nodes/mod.ts";
import type { CompiledWorkflow } from "../src/validate.ts";
import type { Workflow } from "../src/workflow.ts";

/** Reads, imports node modules for, and validates a workflow; all problems in one error. Call `close` when done. */
export async function loadWorkflowArg(
  file: string,
  dirs: string[],
): Promise<{ compiled: CompiledWorkflow; close: () => void }> {
  const label = file === "-" ? "<stdin>" : file;
  const raw = await readWorkflowArg(file);
  return await compileWithModules(raw, builtinRegistry(), { file: label, dirs });
}

/** Reads and checks a workflow (with its custom node modules) without compiling it; all problems in one error. */
export async function checkWorkflowArg(file: string, dirs: string[]): Promise<Workflow> {
  const raw = await readWorkflowArg(file);
  return await checkWithModules(raw, builtinRegistry(), { file: file === "-" ? "<stdin>" : file, dirs });
}

/** Reads and parses a workflow file, or stdin for `-`. */
export async function readWorkflowArg(file: string): Promise<unknown> {
  return file === "-" ? parseWorkflowText(await readStdin(), "<stdin>") : await readWorkflowFile(file);
}

/** All of stdin as text. */
export async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}
