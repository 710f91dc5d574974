/**
 * The pretty output of `flow run` piped or written to a file is what it was
 * before the live view existed (issue 27), line by line: a fixed workflow
 * (a loop with a log line and a failed item, a retry, a failure, a skip) is
 * compared with its recorded output (`tests/fixtures/pretty/`), with the
 * times and the execution id masked, without colour and with FORCE_COLOR.
 *
 * `FLOW_UPDATE_GOLDEN=1 deno test -A tests/pretty_output_test.ts` records
 * the expected output again.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ROOT, runCli } from "./helpers.ts";

const WORKFLOW = `${ROOT}tests/fixtures/pretty/lines.json`;

/**
 * What changes from run to run masked: the execution id, the timestamps and
 * durations, and the widths of the summary table (its columns fit the
 * durations).
 */
export function maskRun(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>")
    // deno-lint-ignore no-control-regex
    .replace(/ *\d+ms(?=\x1b\[39m| )/g, "<t>")
    .replace(/\d+ ms/g, "<n> ms")
    .replace(/─+/g, "─")
    .replace(/ +│/g, " │");
}

for (const [name, env] of [["plain", { NO_COLOR: "1" }], ["colour", { NO_COLOR: "", FORCE_COLOR: "1" }]] as const) {
  Deno.test(`flow run piped prints the pretty lines it printed before the live view (${name})`, async () => {
    const r = await runCli(["run", WORKFLOW, "--no-history"], { env });
    assert.equal(r.code, 1, r.stderr);
    const got = maskRun(r.stdout);
    const file = `${ROOT}tests/fixtures/pretty/lines.${name}.txt`;
    if (Deno.env.get("FLOW_UPDATE_GOLDEN") === "1") await Deno.writeTextFile(file, got);
    assert.equal(got, await Deno.readTextFile(file));
    // deno-lint-ignore no-control-regex
    assert.ok(!/\x1b\[\d*[ABJKFG]|\x1b\[\?25|\r/.test(r.stdout), "no cursor movement, no carriage return");
  });
}
