/**
 * The CLI's exit codes (docs/exit-codes.md).
 *
 * @module
 */

/** Exit codes of the `flow` CLI. */
export const ExitCode = {
  /** The workflow succeeded (or the command did what was asked). */
  Success: 0,
  /** The workflow ran and failed. */
  Failed: 1,
  /** Invalid workflow, inputs or command-line usage; nothing ran. */
  Usage: 2,
  /** Another run of the same workflow holds the lock (EX_TEMPFAIL). */
  Locked: 75,
  /** Cancelled by SIGINT or SIGTERM. */
  Cancelled: 130,
} as const;

/** A user-caused error: printed as one line, then exit with `code`. */
export class CliError extends Error {
  /** The exit code to use. */
  readonly code: number;
  constructor(message: string, code: number = ExitCode.Usage) {
    super(message);
    this.name = "CliError";
    this.code = code;
  }
}
