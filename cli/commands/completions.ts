/**
 * `flow completions SHELL`: prints a completion script generated from the command table.
 *
 * @module
 */
import { type Invocation, PROGRAM, type SHELLS } from "../commands.ts";
import { completionScript } from "../completions.ts";
import { ExitCode } from "../exit_codes.ts";
import { stdout } from "../output.ts";

/** Runs `flow completions`; resolves to the exit code. */
export default function completions({ args }: Invocation): number {
  stdout.write(completionScript(args.shell as typeof SHELLS[number], PROGRAM));
  return ExitCode.Success;
}
