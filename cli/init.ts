/**
 * `flow init`: a starter workflow plus the JSON Schema it references, so
 * editors validate and complete it.
 *
 * @module
 */
import { basename, join, resolve } from "../src/path.ts";
import { fileText, idFromName, starterWorkflow, workflowJsonSchema } from "../src/workflow/mod.ts";
import { CliError } from "./exit_codes.ts";
import { builtinNodes } from "../nodes/mod.ts";
import { fileErrorReason } from "../src/errors.ts";

/** Writes `workflow.json` and `workflow.schema.json` into `dir`; returns the paths written. */
export async function initProject(dir: string, force: boolean): Promise<string[]> {
  const workflow = starterWorkflow(idFromName(basename(resolve(dir))), "./workflow.schema.json");
  const files: [string, unknown][] = [
    [join(dir, "workflow.json"), workflow],
    [join(dir, "workflow.schema.json"), workflowJsonSchema(builtinNodes)],
  ];
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot create ${dir}: ${fileErrorReason(err)}`);
  }
  for (const [path, value] of files) {
    try {
      await Deno.writeTextFile(path, fileText(value), { createNew: !force });
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) {
        throw new CliError(`${path} already exists; use --force to overwrite`);
      }
      throw new CliError(`cannot write ${path}: ${fileErrorReason(err)}`);
    }
  }
  return files.map(([path]) => path);
}
