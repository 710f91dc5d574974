/**
 * `flow validate FILES...`: checks each file without running it; prints
 * `FILE: ok (...)` or every problem, and exits with 2 if any file is invalid.
 *
 * @module
 */
import { WorkflowValidationError } from "../../src/errors.ts";
import type { Invocation } from "../commands.ts";
import { ExitCode } from "../exit_codes.ts";
import { checkWorkflowArg } from "../load.ts";
import { stderr, stdout } from "../output.ts";
import { permissionsOf } from "../../src/permissions/mod.ts";
import type { Workflow } from "../../src/workflow/mod.ts";

/** Runs `flow validate`; resolves to the exit code. */
export default async function validate({ args, options }: Invocation): Promise<number> {
  let code: number = ExitCode.Success;
  for (const file of args.files as string[]) {
    try {
      const wf = await checkWorkflowArg(file, options.nodes as string[]);
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
      stdout.write(`${file}: ok (${count(wf.nodes.length, "node")}, ${count(wf.connections.length, "connection")})\n`);
      for (const line of grantLines(wf, file)) stdout.write(`  ${line}\n`);
    } catch (err) {
      if (!(err instanceof WorkflowValidationError)) throw err;
      stderr.write(err.message + "\n");
      code = ExitCode.Usage;
    }
  }
  return code;
}

/**
 * What the workflow may reach, for a reviewer: its `settings.permissions`
 * (which bound its sub-workflows'), resolved, then each custom node
 * module's grants. Nothing when it grants nothing.
 */
function grantLines(wf: Workflow, file: string): string[] {
  const label = file === "-" ? "<stdin>" : file;
  const lines = permissionsOf(wf.settings?.permissions, label).describe();
  (wf.imports ?? []).forEach((entry, i) => {
    if (typeof entry === "string" || !entry.permissions) return;
    const granted = permissionsOf(entry.permissions, label).describe();
    if (granted.length) lines.push(`imports[${i}] ${entry.path}: ${granted.join("; ")}`);
  });
  return lines;
}
