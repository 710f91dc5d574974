/**
 * A long run of synchronous nodes gives the event loop its turn (see
 * src/engine/time_slice.ts), through the real CLI: Ctrl-C and `settings.timeoutMs`
 * stop it where it is, its history is written as it goes (a `kill -9` loses
 * only the last few milliseconds, and `flow resume` reuses the rest), and
 * `flow serve` takes requests while one runs.
 */
import assert from "node:assert/strict";
import { layeredWorkflow } from "../bench/scale.ts";
import { ofType, runCli, writeWorkflow } from "./helpers.ts";
import { eventsOf, jsonOf, tempState } from "./history_helpers.ts";
import { Served, waitFor, webhookWorkflow, writeFiles } from "./serve_helpers.ts";

/** A loop over `count` items of one synchronous node: seconds of work for 200,000, and no node ever waits. */
function spinLoop(count: number) {
  return {
    nodes: [
      { id: "items", type: "transform.set", config: { value: `{{ [1..${count}] }}` } },
      {
        id: "each",
        type: "control.loop",
        config: {
          workflow: {
            nodes: [{ id: "one", type: "transform.set", config: { value: 1 } }],
            connections: [],
            outputs: { one: "one.value" },
          },
        },
      },
    ],
    connections: [{ from: "items.value", to: "each.items" }],
    outputs: { results: "each.results" },
  };
}

/** An execution's status in the history, and its nodes recorded completed. */
async function recordedCompleted(state: Awaited<ReturnType<typeof tempState>>, executionId: string) {
  const detail = jsonOf<{ status: string; nodes: { id: string; status: string }[] }>(
    await state.flow(["runs", "show", executionId, "-f", "json"]),
  );
  return { status: detail.status, nodes: detail.nodes.filter((n) => n.status === "completed") };
}

/**
 * Starts `flow run --format ndjson` of the scale benchmark's layered workflow
 * of 50,000 `time.delay` nodes of 0 ms (500 layers of 100, node `nL_J` fed by
 * `n(L-1)_J`), which complete synchronously: a few hundred milliseconds
 * through the CLI here, and no node ever waits. With `work`, each node is
 * instead a `transform.set` that evaluates that expression: about 140 µs a
 * node for `$count([1..20000])`, seconds for the whole run. Returns once node
 * `untilNode` has completed: the run is then busy and goes on.
 */
async function startLongRun(
  state: Awaited<ReturnType<typeof tempState>>,
  id: string,
  untilNode: string,
  work?: string,
) {
  const layered = layeredWorkflow(50_000, "time.delay");
  const nodes = work === undefined
    ? layered.nodes
    : layered.nodes.map((n) => ({ id: n.id, type: "transform.set", config: { value: `{{ ${work} }}` } }));
  const run = state.spawn(["run", await writeWorkflow({ ...layered, id, nodes }), "--format", "ndjson"]);
  const { executionId } = JSON.parse(await run.waitForLine('"type":"workflow.started"'));
  await run.waitForLine('"type":"node.completed"', `"nodeId":"${untilNode}"`);
  return { run, executionId: executionId as string };
}

Deno.test("SIGINT stops a long run of synchronous nodes where it is: exit 130, recorded cancelled", async () => {
  if (Deno.build.os === "windows") return;
  await using state = await tempState();
  // Layer 5 is done: the run is busy, 49,000 nodes (seconds of work) from its end. Nodes that take a while each: by the
  // time this test reads a line, a run of 0 ms delays is far past it, or over.
  const { run, executionId } = await startLongRun(state, "long-sync", "n5_0", "$count([1..20000])");
  await using _run = run;
  run.child.kill("SIGINT");
  const r = await run.finish();
  assert.equal(r.code, 130, r.stderr);
  const { events } = eventsOf(r);
  const completed = ofType(events, "node.completed").length;
  assert.ok(completed < 25_000, `stopped early, not after the whole run: ${completed} of 50,000 nodes completed`);
  assert.equal(ofType(events, "workflow.completed").at(-1)?.status, "cancelled");
  const recorded = await recordedCompleted(state, executionId);
  assert.equal(recorded.status, "cancelled");
  assert.equal(recorded.nodes.length, completed, "the history holds every node.completed that was printed");
});

Deno.test("settings.timeoutMs ends a long run of synchronous nodes on time", async () => {
  const wf = await writeWorkflow({ id: "long-timeout", ...spinLoop(200_000), settings: { timeoutMs: 200 } });
  const r = await runCli(["run", wf, "--format", "json", "--no-history"]);
  assert.equal(r.code, 1, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary.error, { code: "TIMEOUT", message: "workflow timed out after 200 ms" });
  assert.equal(summary.nodes.find((n: { id: string }) => n.id === "each").error.code, "TIMEOUT");
});

Deno.test("kill -9 in a long run of synchronous nodes: what completed was written as it went, and resume reuses it", async () => {
  if (Deno.build.os !== "linux") return; // crash detection by PID and start time reads /proc
  await using state = await tempState();
  // 20,000 nodes and 40,000 events in, hundreds of milliseconds into the run, which goes on.
  const { run, executionId } = await startLongRun(state, "long-crash", "n200_0");
  await using _run = run;
  run.child.kill("SIGKILL");
  assert.equal((await run.finish()).code, 137);

  const crashed = await recordedCompleted(state, executionId);
  assert.equal(crashed.status, "crashed");
  // Events are written at most 50 ms after they happen, also in a run that never waits (before the scheduler's
  // time slices, such a run wrote none before it ended). It was killed 20,000 nodes in: at most the last 50 ms of
  // them may be missing.
  assert.ok(crashed.nodes.length >= 10_000, `only ${crashed.nodes.length} completed nodes were recorded`);

  const resumed = await state.flow(["resume", executionId, "--format", "ndjson"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const { events } = eventsOf(resumed);
  const reused = ofType(events, "node.completed").filter((e) => e.reused).length;
  assert.equal(reused, crashed.nodes.length, "every recorded node is reused");
  assert.equal(ofType(events, "node.started").length, 50_000 - reused, "the rest runs");
  assert.equal(ofType(events, "workflow.completed").at(-1)?.status, "success");
});

Deno.test("flow serve takes a cancel request while a long run of synchronous nodes goes on", async () => {
  const dir = await writeFiles({
    "spin.json": webhookWorkflow("spin", { path: "spin", respond: "immediately" }, spinLoop(200_000)),
  });
  await using server = await Served.start([dir]);
  const started = await server.json("/hooks/spin", { method: "POST", json: {} });
  assert.equal(started.status, 202);
  const id = started.body.executionId;
  // Its events arrive as it runs: once an item's node has completed, the loop is under way.
  const stream = await server.fetch(`/api/v1/runs/${id}/events`);
  const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
  let tail = "";
  while (!tail.includes('"nodeId":"one"')) {
    const { value, done } = await reader.read();
    assert.ok(!done, "the event stream ended before an item ran");
    tail = tail.slice(-20) + value;
  }
  await reader.cancel();
  const cancel = await server.json(`/api/v1/runs/${id}/cancel`, { method: "POST" });
  assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
  const ended = await waitFor(async () => {
    const run = await server.json(`/api/v1/runs/${id}`);
    return run.body.status !== "running" && run.body;
  }, { timeoutMs: 60_000 });
  assert.equal(ended.status, "cancelled");
});
