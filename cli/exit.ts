/**
 * How the `flow` process ends once its command returns.
 *
 * Normally it ends as a Deno program does when nothing is left to run: Deno
 * tears its runtime down first, about 4 ms, or 7 ms once `node:sqlite` is
 * loaded. That teardown does one thing flow needs: the first run of a new
 * build of the module writes its V8 code cache (which makes every later
 * start about 30 ms faster) when the event loop first turns, and a command
 * that never waited for I/O never turned it. `Deno.exit()` skips the
 * teardown, so it is used only after a command that did wait for I/O has
 * finished everything it started: `flow run` and `flow resume`
 * ({@linkcode exitAtOnce}), whose output is flushed, history written and
 * Workers stopped by then (`flow run` leaves its SQLite connection open on
 * purpose: see `execute.ts`).
 *
 * @module
 */

let atOnce = false;

/**
 * Lets the process end with `Deno.exit()` when the command returns. Call it
 * only once everything the command started has finished (output written,
 * files closed, every write committed), and only from a command that has
 * awaited I/O.
 */
export function exitAtOnce(): void {
  atOnce = true;
}

/** Ends the process with `code`: at once after {@linkcode exitAtOnce}, else when the event loop is done. */
export function exitWith(code: number): void {
  if (atOnce) Deno.exit(code);
  Deno.exitCode = code;
}
