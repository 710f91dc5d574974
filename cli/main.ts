/**
 * The `flow` command line: parses the arguments against the command table
 * (`commands.ts`), then loads and runs the chosen command's module. Usage
 * errors and problems a user can cause print one line (`flow: ...`) and
 * exit with the documented code; nothing prints a stack trace.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import { parseCommandLine } from "./args.ts";
import { PROGRAM } from "./commands.ts";
import { ExitCode, reportError } from "./exit_codes.ts";
import { stderr, stdout } from "./output.ts";

/** The CLI version, from deno.json. */
export const VERSION: string = denoJson.version;

/** Runs the CLI with `args`; resolves to the exit code. Never prints a stack trace for user errors. */
export async function main(args: string[]): Promise<number> {
  try {
    const parsed = parseCommandLine(PROGRAM, args);
    if (parsed.kind === "version") {
      stdout.write(`flow ${VERSION} (deno ${Deno.version.deno})\n`);
      return ExitCode.Success;
    }
    if (parsed.kind === "help") {
      const { helpText } = await import("./help.ts");
      (parsed.error ? stderr : stdout).write(helpText(PROGRAM.name, parsed.path, parsed.command));
      return parsed.error ? ExitCode.Usage : ExitCode.Success;
    }
    const command = await parsed.command.load!();
    return await command.default(parsed.invocation);
  } catch (err) {
    return handleError(err);
  } finally {
    stdout.flush();
  }
}

/** Prints a user-caused error as documented and returns its exit code; anything else is a bug and is rethrown. */
function handleError(err: unknown): number {
  const report = reportError(err);
  if (!report) throw err;
  stderr.write(report.text);
  return report.exitCode;
}
