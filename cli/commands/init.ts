/**
 * `flow init [DIR]`: writes a starter workflow and its schema.
 *
 * @module
 */
import type { Invocation } from "../commands.ts";
import { ExitCode } from "../exit_codes.ts";
import { initProject } from "../init.ts";
import { stdout } from "../output.ts";

/** Runs `flow init`; resolves to the exit code. */
export default async function init({ args, options }: Invocation): Promise<number> {
  for (const path of await initProject(args.dir as string, options.force === true)) stdout.write(`wrote ${path}\n`);
  return ExitCode.Success;
}
