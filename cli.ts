#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env
/**
 * The `flow` CLI entry point. See `flow --help` and docs/cli.md.
 *
 * @module
 */
import { main } from "./cli/main.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
