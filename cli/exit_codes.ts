/**
 * The CLI's exit codes (docs/exit-codes.md) and how a user-caused error is
 * printed: one line (`flow: ...`), never a stack trace.
 *
 * @module
 */
// Not the store: printing an error must not load it (a command that uses no store never does).
import { asFlowError, ExitCode, FlowError, INVALID, STORE_UNAVAILABLE } from "../src/errors.ts";

export { ExitCode };

/** The stable code of each exit code a {@linkcode CliError} ends with. */
const CLI_CODES: Record<number, string> = { [ExitCode.Locked]: "LOCKED", [ExitCode.Failed]: "FAILED" };

/** A user-caused error of the command line: printed as one line, then exit with `exitCode`. */
export class CliError extends FlowError {
  /** Creates the error; `exitCode` defaults to 2 (usage). */
  constructor(message: string, exitCode: number = ExitCode.Usage) {
    super(message, { code: CLI_CODES[exitCode] ?? "USAGE", status: 400, exitCode });
    this.name = "CliError";
  }
}

/**
 * What the CLI says of an error that stops a command before its end, by the
 * error's code: a store failing is the history's problem.
 */
const CONTEXT: Record<string, string> = { [STORE_UNAVAILABLE]: "history: " };

/**
 * How the CLI reports `err`: the text for stderr and the exit code, for any
 * {@linkcode FlowError} (from whichever part of the bundle it came); undefined
 * for anything else, which is a bug. An invalid workflow prints its issues,
 * one a line, each already naming its file; any other error one line.
 */
export function reportError(err: unknown): { text: string; exitCode: number } | undefined {
  const known = asFlowError(err);
  if (!known) return undefined;
  const text = known.code === INVALID ? known.message : `flow: ${CONTEXT[known.code] ?? ""}${known.message}`;
  return { text: `${text}\n`, exitCode: known.exitCode };
}
