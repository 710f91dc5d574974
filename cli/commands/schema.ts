/**
 * `flow schema`: prints the JSON Schema of the workflow file, with the
 * built-in node types for editors to offer.
 *
 * @module
 */
import { builtinNodes } from "../../nodes/mod.ts";
import { workflowJsonSchema } from "../../src/workflow/mod.ts";
import { ExitCode } from "../exit_codes.ts";
import { stdout } from "../output.ts";

/** Runs `flow schema`; resolves to the exit code. */
export default function schema(): number {
  stdout.write(JSON.stringify(workflowJsonSchema(builtinNodes), null, 2) + "\n");
  return ExitCode.Success;
}
