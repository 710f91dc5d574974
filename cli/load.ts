/**
 * Reading a workflow for a command: from a file or stdin (`-`), with its
 * custom node modules loaded and every problem reported at once.
 *
 * @module
 */
import { checkWithModules, compileWithModules } from "../src/sandbox/mod.ts";
import {
  decodeWorkflowText,
  parseWorkflowText,
  readWorkflowStream,
  readWorkflowText as readFileText,
  type Workflow,
} from "../src/workflow/mod.ts";
import { builtinRegistry } from "../nodes/mod.ts";
import type { CompiledWorkflow } from "../src/validate/mod.ts";

/** A workflow read for a command. */
export interface LoadedArg {
  /** The compiled workflow. */
  compiled: CompiledWorkflow;
  /** Stops its custom node modules' Workers. */
  close: () => void;
  /** The file's text. */
  text: string;
  /** The file's absolute path (undefined for stdin). */
  path?: string;
  /** The texts of the sub-workflow files it uses, by absolute path (for `versionHash`). */
  sources: Map<string, string>;
}

/** Reads, imports node modules for, and validates a workflow; all problems in one error. Call `close` when done. */
export async function loadWorkflowArg(file: string, dirs: string[]): Promise<LoadedArg> {
  const label = file === "-" ? "<stdin>" : file;
  const text = await readWorkflowText(file);
  const raw = parseWorkflowText(text, label);
  const sources = new Map<string, string>();
  const { compiled, close } = await compileWithModules(raw, builtinRegistry(), { file: label, dirs, sources });
  return { compiled, close, text, sources, path: file === "-" ? undefined : await absolute(file) };
}

/** Reads and checks a workflow (with its custom node modules) without compiling it; all problems in one error. */
export async function checkWorkflowArg(file: string, dirs: string[]): Promise<Workflow> {
  const raw = await readWorkflowArg(file);
  return await checkWithModules(raw, builtinRegistry(), { file: file === "-" ? "<stdin>" : file, dirs });
}

/** Reads and parses a workflow file, or stdin for `-`. */
export async function readWorkflowArg(file: string): Promise<unknown> {
  return parseWorkflowText(await readWorkflowText(file), file === "-" ? "<stdin>" : file);
}

/**
 * The text of a workflow file, or of stdin for `-`: unreadable files, more
 * than the size limit and text that is not UTF-8 are validation errors
 * naming the file (`src/workflow/load.ts`).
 */
export async function readWorkflowText(file: string): Promise<string> {
  if (file === "-") return decodeWorkflowText(await readWorkflowStream(Deno.stdin.readable, "<stdin>"), "<stdin>");
  return await Promise.resolve(readFileText(file));
}

/** The absolute, symlink-free path of an existing file. */
async function absolute(file: string): Promise<string> {
  try {
    return await Deno.realPath(file);
  } catch {
    return file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
  }
}
