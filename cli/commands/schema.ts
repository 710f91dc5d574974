/**
 * `flow schema`: prints the JSON Schema of the workflow file.
 *
 * @module
 */
import { workflowJsonSchema } from "../../src/workflow/mod.ts";
import { ExitCode } from "../exit_codes.ts";
import { stdout } from "../output.ts";

/** Runs `flow schema`; resolves to the exit code. */
export default function schema(): number {
  stdout.write(JSON.stringify(workflowJsonSchema(), null, 2) + "\n");
  return ExitCode.Success;
}
