#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env
/**
 * The `flow` CLI entry point. See `flow --help` and docs/cli.md.
 *
 * @module
 */
import { main } from "./cli/main.ts";

if (import.meta.main) {
  // An ordinary exit, not Deno.exit(): it lets Deno finish writing the V8 code cache of this module (of the
  // bundle) on the first run, which later starts then reuse; Deno.exit() ends the process before that.
  Deno.exitCode = await main(Deno.args);
}
