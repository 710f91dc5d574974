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
    // Hidden: flow started by itself as the process that runs sandboxed code (SANDBOX_COMMAND, src/sandbox/launch.ts).
    if (args[0] === "__sandbox") return await sandboxProcess();
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

/**
 * Runs this process as a sandbox process (`src/sandbox/child.ts`): it lives
 * on until flow, which started it, disconnects. Refused, in one line, when
 * not started by flow.
 */
async function sandboxProcess(): Promise<number> {
  const { runSandboxChild } = await import("../src/sandbox/child.ts");
  if (await runSandboxChild()) return ExitCode.Success;
  stderr.write("flow: __sandbox is flow's own: it runs sandboxed code for a flow process that started it\n");
  return ExitCode.Usage;
}

/** Prints a user-caused error as documented and returns its exit code; anything else is a bug and is rethrown. */
function handleError(err: unknown): number {
  const report = reportError(err);
  if (!report) throw err;
  stderr.write(report.text);
  return report.exitCode;
}
