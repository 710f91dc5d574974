/**
 * The live view of `flow run` in a terminal (issue 27), through the real CLI
 * on a pseudo-terminal (`tests/pty.ts`): a loop of 3,000 items leaves fewer
 * than 100 lines and the summary on the screen, shows a progress bar while
 * it runs, and still prints its failed item's error; `--verbose` prints
 * every line; piped, `NO_COLOR`, `TERM=dumb`, `--quiet` and `--format
 * ndjson` or `json` never see the block; Ctrl-C leaves the terminal tidy; a
 * pinned node (`--use-pins`) gets its line.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { FlowEvent } from "../mod.ts";
import { parseNdjson, runCli, writeWorkflow } from "./helpers.ts";
import { tempState } from "./history_helpers.ts";
import { Served, writeFiles } from "./serve_helpers.ts";
import { PtyCli, runInPty, screenText } from "./pty.ts";

/**
 * A loop over `count` items, `concurrency` at a time, each waiting `ms` then
 * checking its item; item 1234 fails (the loop goes on), then a count of the
 * results: about two seconds for 3,000 items here.
 */
function loopWorkflow(count = 3000, concurrency = 8, ms = 1) {
  return {
    id: "live-loop",
    nodes: [
      { id: "items", type: "transform.set", config: { value: `{{ [1..${count}] }}` } },
      {
        id: "each",
        type: "control.loop",
        config: {
          concurrency,
          onItemError: "continue",
          workflow: {
            nodes: [
              { id: "wait", type: "time.delay", config: { ms } },
              {
                id: "check",
                type: "transform.set",
                config: { value: "{{ $inputs.item = 1234 ? $error('item 1234 is bad') : $inputs.item }}" },
              },
            ],
            connections: [
              { from: "$inputs.item", to: "wait.value" },
              { from: "wait.value", to: "check.after" },
            ],
            outputs: { v: "check.value" },
          },
        },
      },
      { id: "count", type: "transform.set", config: { value: "{{ $count($node.results) }}" } },
    ],
    connections: [
      { from: "items.value", to: "each.items" },
      { from: "each.results", to: "count.results" },
    ],
    outputs: { count: "count.value" },
  };
}

/** Text without its colour codes. */
function withoutColours(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[\d;]*m/g, "");
}

// deno-lint-ignore no-control-regex
const CURSOR_MOVES = /\x1b\[\d*[ABCDJKFGH]|\x1b\[\?25[lh]|\r/;

/** The lines above the summary table (the table starts with its top border). */
function linesBeforeSummary(lines: string[]): string[] {
  const end = lines.findIndex((l) => l.startsWith("┌"));
  assert.ok(end >= 0, `a summary table:\n${lines.join("\n")}`);
  return lines.slice(0, end);
}

/** An events file and its events, once the run has written it. */
async function eventsFile(): Promise<{ path: string; read: () => Promise<FlowEvent[]> }> {
  const path = await Deno.makeTempFile({ suffix: ".ndjson" });
  return { path, read: async () => parseNdjson(await Deno.readTextFile(path)) };
}

/**
 * Checks that `lines` hold one line per event in order, as the pretty format
 * prints them: its symbol, and the node (under its run path) it is about.
 */
function assertLinePerEvent(lines: string[], events: FlowEvent[]) {
  const shown = events.filter((e) => !(e.type === "workflow.completed" && e.parentNodeId === undefined));
  assert.equal(lines.length, shown.length, "one line per event");
  const symbols: Record<string, string> = {
    "workflow.started": "▸",
    "workflow.completed": "▪",
    "node.started": "→",
    "node.completed": "✓",
    "node.failed": "✗",
    "node.skipped": "⊘",
    "node.retrying": "↻",
    "node.log": "│",
  };
  shown.forEach((e, i) => {
    const symbol = e.type === "workflow.started" && e.parentNodeId === undefined ? "▶" : symbols[e.type];
    assert.match(lines[i], /^ *\d+ms /, `line ${i + 1} starts with its time: ${lines[i]}`);
    assert.ok(lines[i].includes(` ${symbol} `), `line ${i + 1} is a ${e.type}: ${lines[i]}`);
    if ("nodeId" in e && e.type !== "node.log") {
      const where = e.runPath === undefined ? "" : `${e.runPath.replaceAll("/", " › ")} › `;
      assert.ok(lines[i].includes(`${where}${e.nodeId}`), `line ${i + 1} names ${where}${e.nodeId}: ${lines[i]}`);
    }
  });
}

Deno.test("in a terminal, a loop of 3,000 items shows a progress bar and leaves fewer than 100 lines and the summary", async () => {
  const wf = await writeWorkflow(loopWorkflow());
  const { code, text } = await runInPty(["run", wf, "--no-history"]);
  assert.equal(code, 0, text);
  // While it ran: the block, with the loop's bar, its items, rate and time left, and the run's counts.
  const drawn = withoutColours(text);
  assert.match(drawn, /\n {2}each █+░* \d+\/3000 items · [\d.]+\/s · ETA /, "a progress bar for the loop");
  assert.match(drawn, /\d\/3 nodes done · 1 running \(each\) · /, "the run's counts");
  const screen = screenText(text);
  const above = linesBeforeSummary(screen.lines);
  assert.ok(above.length < 100, `fewer than 100 lines above the summary, got ${above.length}:\n${above.join("\n")}`);
  // The failed item's error is there, under its run path; the block is gone; the summary follows.
  assert.ok(
    above.some((l) => /✗ each\[1233\] › check .*item 1234 is bad/.test(l)),
    `the failed item's line:\n${above.join("\n")}`,
  );
  assert.ok(!screen.lines.some((l) => l.includes("█") || l.includes("nodes done")), "the block is erased");
  assert.match(screen.lines.join("\n"), /✔ success in \d+ ms\noutputs \{\n {2}"count": 3000\n\}$/);
  assert.ok(screen.cursorVisible, "the cursor is shown again");
});

Deno.test("the same loop piped prints one line per event, as before, with no cursor movement", async () => {
  const wf = await writeWorkflow(loopWorkflow());
  const events = await eventsFile();
  const r = await runCli(["run", wf, "--no-history", "--events", events.path]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!CURSOR_MOVES.test(r.stdout), "no cursor movement, no carriage return");
  assertLinePerEvent(linesBeforeSummary(r.stdout.split("\n")), await events.read());
});

Deno.test("in a terminal, --verbose (and -v) prints every event's line and no status block", async () => {
  const wf = await writeWorkflow(loopWorkflow());
  for (const flag of ["--verbose", "-v"]) {
    const events = await eventsFile();
    const { code, text } = await runInPty(["run", wf, "--no-history", flag, "--events", events.path]);
    assert.equal(code, 0, text);
    assert.ok(!CURSOR_MOVES.test(text), `${flag}: no cursor movement, no carriage return`);
    assertLinePerEvent(linesBeforeSummary(screenText(text).lines), await events.read());
  }
});

Deno.test("in a terminal, NO_COLOR, TERM=dumb, --quiet, --format ndjson and json never see the status block", async () => {
  const wf = await writeWorkflow(loopWorkflow());
  for (const env of [{ NO_COLOR: "1" }, { TERM: "dumb" }] as Record<string, string>[]) {
    const events = await eventsFile();
    const { code, text } = await runInPty(["run", wf, "--no-history", "--events", events.path], env);
    assert.equal(code, 0, text);
    assert.ok(!CURSOR_MOVES.test(text), `${JSON.stringify(env)}: no cursor movement, no carriage return`);
    assertLinePerEvent(linesBeforeSummary(screenText(text).lines), await events.read());
  }
  const quiet = await runInPty(["run", wf, "--no-history", "--quiet"]);
  assert.equal(quiet.code, 0, quiet.text);
  assert.equal(quiet.text, "", "--quiet prints nothing on success");
  const ndjson = await runInPty(["run", wf, "--no-history", "--format", "ndjson"]);
  assert.equal(ndjson.code, 0, ndjson.text);
  assert.ok(!CURSOR_MOVES.test(ndjson.text), "ndjson: no cursor movement, no carriage return");
  const lines = parseNdjson(ndjson.text);
  assert.equal(lines.at(-1)?.type, "workflow.completed");
  assert.ok(lines.length > 12_000, `every event, got ${lines.length}`);
  const json = await runInPty(["run", wf, "--no-history", "--format", "json"]);
  assert.equal(json.code, 0, json.text);
  assert.ok(!CURSOR_MOVES.test(json.text), "json: no cursor movement, no carriage return");
  assert.deepEqual(JSON.parse(json.text).outputs, { count: 3000 });
});

Deno.test("in a terminal, Ctrl-C or SIGTERM during the live view cancels and leaves the terminal tidy", async (t) => {
  // 3,000 items of 5 ms, two at a time: about 8 seconds, stopped at its first bar.
  const wf = await writeWorkflow(loopWorkflow(3000, 2, 5));
  const stops: [string, (cli: PtyCli) => Promise<void>][] = [
    ["Ctrl-C typed", (cli) => cli.type("\x03")],
    ["SIGTERM sent", (cli) => Promise.resolve(cli.signal("SIGTERM"))],
  ];
  for (const [label, stop] of stops) {
    await t.step(label, async () => {
      await using cli = new PtyCli(["run", wf, "--no-history"]);
      await cli.waitFor(/\d+\/3000 items/);
      await stop(cli);
      const { code, text } = await cli.finish();
      assert.equal(code, 130, text);
      const screen = screenText(text);
      assert.ok(screen.cursorVisible, "the cursor is shown again");
      assert.ok(!screen.lines.some((l) => l.includes("█") || l.includes("nodes done")), "no block left behind");
      assert.match(screen.lines.at(-1)!, /■ cancelled in \d+ ms/);
      assert.ok(screen.lines.length < 20, `a few lines:\n${screen.lines.join("\n")}`);
    });
  }
});

Deno.test("in a terminal, flow runs events --follow shows the live view of a run going on elsewhere", async () => {
  await using state = await tempState();
  // 3,000 items of 2 ms, four at a time: at least 1.5 s, run by another process.
  const wf = await writeWorkflow(loopWorkflow(3000, 4, 2));
  await using run = state.spawn(["run", wf, "--format", "ndjson"]);
  const { executionId } = JSON.parse(await run.waitForLine('"type":"workflow.started"'));
  const ran = run.finish(); // read its output meanwhile, or it waits for a reader
  const { code, text } = await runInPty(["runs", "events", executionId.slice(0, 8), "--follow"], {
    FLOW_STATE_DIR: state.dir,
  });
  assert.equal(code, 0, text);
  // The total is known: the version that ran is the file, unchanged.
  assert.match(withoutColours(text), /\n {2}each █+░* \d+\/3000 items · /, "a progress bar for the loop");
  const screen = screenText(text);
  const above = linesBeforeSummary(screen.lines);
  assert.ok(above.length < 100, `fewer than 100 lines above the summary, got ${above.length}:\n${above.join("\n")}`);
  assert.ok(above.some((l) => /✗ each\[1233\] › check .*item 1234 is bad/.test(l)), above.join("\n"));
  assert.ok(!screen.lines.some((l) => l.includes("█") || l.includes("nodes done")), "the block is erased");
  assert.match(
    screen.lines.join("\n"),
    /│ count +│ transform\.set +│ completed +│[^\n]*\n└[^\n]*\n✔ success in \d+ ms\n/,
  );
  assert.ok(screen.cursorVisible, "the cursor is shown again");
  assert.equal((await ran).code, 0);
});

Deno.test({
  name: "in a terminal, a pinned node (flow run --use-pins) gets its line and its summary row says pinned",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // The loop's items come from a pinned node: 500 items instead of the file's 3,000.
    const stateDir = await Deno.makeTempDir({ prefix: "flow-live-pins-" });
    const dir = await writeFiles({ "pinned-loop.json": loopWorkflow(3000, 4, 2) });
    {
      await using server = await Served.start([dir], { stateDir });
      const pin = await server.json("/api/v1/workflows/live-loop/pins/items", {
        method: "PUT",
        json: { outputs: { value: Array.from({ length: 1500 }, (_, i) => i + 1) } },
      });
      assert.equal(pin.status, 200, JSON.stringify(pin.body));
    }
    const { code, text } = await runInPty(["run", `${dir}/pinned-loop.json`, "--no-history", "--use-pins"], {
      FLOW_STATE_DIR: stateDir,
    });
    assert.equal(code, 0, text);
    // The total is the pin's.
    assert.match(withoutColours(text), /\n {2}each █+░* \d+\/1500 items · /, "a progress bar of the pin's items");
    const screen = screenText(text);
    const above = linesBeforeSummary(screen.lines);
    assert.ok(above.some((l) => /✓ items pinned$/.test(l)), `the pinned node's line:\n${above.join("\n")}`);
    assert.ok(above.length < 100, `fewer than 100 lines above the summary, got ${above.length}:\n${above.join("\n")}`);
    assert.match(screen.lines.join("\n"), /│ items +│ transform\.set +│ pinned +│/, "its summary row");
    assert.match(screen.lines.join("\n"), /"count": 1500\n\}$/);
    assert.ok(screen.cursorVisible, "the cursor is shown again");
  },
});

Deno.test("in a terminal, a loop item's debug.log line and retry are printed above the block, under its run path", async () => {
  // 600 items of 5 ms, four at a time: the block shows. Item 7 logs; item 5 runs `false`, which fails, is retried once, then fails.
  const wf = await writeWorkflow({
    id: "live-lines",
    settings: { permissions: { run: ["false"] } },
    nodes: [
      { id: "items", type: "transform.set", config: { value: "{{ [1..600] }}" } },
      {
        id: "each",
        type: "control.loop",
        config: {
          concurrency: 4,
          onItemError: "continue",
          workflow: {
            nodes: [
              { id: "wait", type: "time.delay", config: { ms: 5 } },
              { id: "seven", type: "control.if", config: { condition: "$value = 7" } },
              { id: "note", type: "debug.log", config: { level: "warn" } },
              { id: "five", type: "control.if", config: { condition: "$value = 5" } },
              { id: "bad", type: "exec.command", retry: { maxAttempts: 2, delayMs: 1 }, config: { command: "false" } },
            ],
            connections: [
              { from: "$inputs.item", to: "wait.value" },
              { from: "wait.value", to: "seven.value" },
              { from: "seven.true", to: "note.message" },
              { from: "wait.value", to: "five.value" },
              { from: "five.true", to: "bad.after" },
            ],
            outputs: { v: "wait.value" },
          },
        },
      },
    ],
    connections: [{ from: "items.value", to: "each.items" }],
    outputs: { results: "each.results" },
  });
  const { code, text } = await runInPty(["run", wf, "--no-history", "--format", "pretty"]);
  assert.equal(code, 0, text);
  assert.match(withoutColours(text), /\n {2}each █+░* \d+\/600 items · /, "the block was drawn");
  const above = linesBeforeSummary(screenText(text).lines);
  assert.ok(above.length < 10, `a few lines above the summary, got ${above.length}:\n${above.join("\n")}`);
  const lineOf = (re: RegExp) => {
    const found = above.filter((l) => re.test(l));
    assert.equal(found.length, 1, `one line matching ${re}:\n${above.join("\n")}`);
  };
  lineOf(/│ each\[6\] › note 7$/);
  lineOf(/↻ each\[4\] › bad retry 2 in 1 ms: false exited with code 1/);
  lineOf(/✗ each\[4\] › bad false exited with code 1/);
});

Deno.test("in a terminal, runs events --follow: Ctrl-C stops following and leaves the terminal tidy; -v and NO_COLOR get NDJSON", async () => {
  await using state = await tempState();
  // 3,000 items of 5 ms, two at a time: about 8 seconds, run by another process.
  const wf = await writeWorkflow(loopWorkflow(3000, 2, 5));
  await using run = state.spawn(["run", wf, "--format", "ndjson"]);
  const { executionId } = JSON.parse(await run.waitForLine('"type":"workflow.started"'));
  const ran = run.finish(); // read its output meanwhile, or it waits for a reader
  const env = { FLOW_STATE_DIR: state.dir };
  for (const [label, args, extra] of [["-v", ["-v"], {}], ["NO_COLOR", [], { NO_COLOR: "1" }]] as const) {
    // Not followed to the end: a few events, then Ctrl-C.
    await using cli = new PtyCli(["runs", "events", executionId, "--follow", ...args], { ...env, ...extra });
    await cli.waitFor('"type":"node.started"');
    await cli.type("\x03");
    const { text } = await cli.finish();
    assert.ok(!CURSOR_MOVES.test(text), `${label}: no cursor movement, no carriage return`);
    const first = JSON.parse(text.split("\n")[0]);
    assert.equal(first.type, "workflow.started", `${label}: NDJSON`);
  }
  await using cli = new PtyCli(["runs", "events", executionId, "--follow"], env);
  await cli.waitFor(/\d+\/3000 items/);
  await cli.type("\x03");
  const { code, text } = await cli.finish();
  assert.equal(code, 130, text);
  const screen = screenText(text);
  assert.ok(screen.cursorVisible, "the cursor is shown again");
  assert.ok(!screen.lines.some((l) => l.includes("█") || l.includes("nodes done")), "no block left behind");
  // The run goes on: following is not running.
  const result = await ran;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(parseNdjson(result.stdout).at(-1)?.type, "workflow.completed");
});
