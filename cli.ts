#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-run
/**
 * The `flow` CLI entry point. See `flow --help` and docs/cli.md.
 *
 * @module
 */
import { exitWith } from "./cli/exit.ts";
import { main } from "./cli/main.ts";

if (import.meta.main) {
  // At once after `flow run` and `flow resume`; otherwise an ordinary exit, which lets Deno write the V8 code cache
  // of this module (of the bundle) on its first run (see cli/exit.ts).
  exitWith(await main(Deno.args));
}
