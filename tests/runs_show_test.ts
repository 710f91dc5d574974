/**
 * `flow runs show` prints the node table `flow run` printed at the end of the
 * run: the same nodes in the same (file) order, each with its type, skipped
 * and never-started nodes included, for plain workflows, failed runs and
 * workflows with sub-workflow files; a file edited since falls back to the
 * journal's order. `flow runs` with filters that match nothing says so.
 */
import assert from "node:assert/strict";
import { tempState } from "./history_helpers.ts";

/** The rows of the first box-drawn table in `text`: node, type, status and attempts of each. */
function nodeRows(text: string): string[][] {
  return text.split("\n")
    .filter((l) => l.startsWith("│"))
    .slice(1)
    .map((l) => l.split("│").slice(1, 5).map((cell) => cell.trim()));
}

/**
 * File order differs from run order (`last` runs last, `first` first);
 * `on_true` and `after_true` are skipped (their journal has no type).
 */
const ordered = {
  id: "order",
  nodes: [
    { id: "last", type: "debug.log" },
    { id: "gate", type: "control.if", config: { condition: "$value > 5" } },
    { id: "on_true", type: "debug.log" },
    { id: "first", type: "transform.set", config: { value: 1 } },
    { id: "middle", type: "transform.set", config: { value: "{{ $node.x }}" } },
    { id: "after_true", type: "transform.set", config: { value: "{{ $node.x }}" } },
  ],
  connections: [
    { from: "first.value", to: "gate.value" },
    { from: "gate.true", to: "on_true.message" },
    { from: "on_true.message", to: "after_true.x" },
    { from: "first.value", to: "middle.x" },
    { from: "middle.value", to: "last.message" },
  ],
};

/** Runs `file` with pretty output, then shows the run; returns both tables. */
async function runAndShow(state: Awaited<ReturnType<typeof tempState>>, file: string) {
  const run = await state.flow(["run", file, "--format", "pretty"], { env: { NO_COLOR: "1" } });
  const id = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(run.stdout + run.stderr)?.[0];
  assert.ok(id, `no execution id in:\n${run.stdout}${run.stderr}`);
  const show = await state.flow(["runs", "show", id], { env: { NO_COLOR: "1" } });
  assert.equal(show.code, 0, show.stderr);
  return { id, ran: nodeRows(run.stdout), shown: nodeRows(show.stdout) };
}

Deno.test("flow runs show: the run's own node table, in file order with every type", async (t) => {
  await using state = await tempState();

  await t.step("skipped nodes have their type; the order is the file's, not the run's", async () => {
    const file = `${state.dir}/order.json`;
    await Deno.writeTextFile(file, JSON.stringify(ordered, null, 2));
    const { ran, shown } = await runAndShow(state, file);
    assert.deepEqual(ran.map((r) => r[0]), ["last", "gate", "on_true", "first", "middle", "after_true"]);
    assert.deepEqual(shown, ran);
    assert.deepEqual(shown[2], ["on_true", "debug.log", "skipped", "0"]);
  });

  await t.step("a failed run: nodes that never started are pending, as flow run said", async () => {
    const file = `${state.dir}/fails.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        id: "fails",
        nodes: [
          { id: "after", type: "debug.log" },
          { id: "bad", type: "transform.json_parse", config: { json: "{" } },
          { id: "ok", type: "transform.set", config: { value: 1 } },
        ],
        connections: [{ from: "bad.parsed", to: "after.message" }],
      }),
    );
    const { ran, shown } = await runAndShow(state, file);
    assert.ok(ran.some((r) => r[2] !== "completed"), JSON.stringify(ran));
    assert.deepEqual(shown, ran);
    assert.equal(shown[0][1], "debug.log");
  });

  await t.step("a workflow with a sub-workflow file: its version hash covers both files", async () => {
    await Deno.writeTextFile(
      `${state.dir}/child.json`,
      JSON.stringify({
        id: "child",
        nodes: [{ id: "double", type: "transform.set", config: { value: 2 } }],
        connections: [],
        outputs: { v: "double.value" },
      }),
    );
    const file = `${state.dir}/parent.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        id: "parent",
        nodes: [
          { id: "z_log", type: "debug.log" },
          { id: "sub", type: "flow.subworkflow", config: { workflowFile: "./child.json" } },
          { id: "never", type: "debug.log" },
          { id: "gate", type: "control.if", config: { condition: "false" } },
        ],
        connections: [
          { from: "sub.outputs", to: "z_log.message" },
          { from: "sub.outputs", to: "gate.value" },
          { from: "gate.true", to: "never.message" },
        ],
      }),
    );
    const { ran, shown } = await runAndShow(state, file);
    // The sub-run's nodes follow the top-level ones in runs show; the top-level table is the run's.
    assert.deepEqual(shown.slice(0, ran.length), ran);
    assert.deepEqual(ran.map((r) => [r[0], r[1]]), [
      ["z_log", "debug.log"],
      ["sub", "flow.subworkflow"],
      ["never", "debug.log"],
      ["gate", "control.if"],
    ]);
  });

  await t.step("a file edited since: the journal's order, nothing taken from the new file", async () => {
    const file = `${state.dir}/edited.json`;
    await Deno.writeTextFile(file, JSON.stringify({ ...ordered, id: "edited" }));
    const { id } = await runAndShow(state, file);
    await Deno.writeTextFile(file, JSON.stringify({ ...ordered, id: "edited", nodes: [...ordered.nodes].reverse() }));
    const shown = nodeRows((await state.flow(["runs", "show", id], { env: { NO_COLOR: "1" } })).stdout);
    assert.deepEqual(shown.map((r) => r[0]).sort(), ordered.nodes.map((n) => n.id).sort());
    assert.notDeepEqual(shown.map((r) => r[0]), [...ordered.nodes].reverse().map((n) => n.id));
  });
});

Deno.test("flow runs: filters that match nothing say so", async () => {
  await using state = await tempState();
  assert.equal((await state.flow(["runs"])).stdout, "no executions recorded yet\n");
  const file = `${state.dir}/order.json`;
  await Deno.writeTextFile(file, JSON.stringify(ordered));
  assert.equal((await state.flow(["run", file, "-q"])).code, 0);
  const cases: [string[], string][] = [
    [["--workflow", "nope"], 'no executions of workflow "nope" recorded\n'],
    [["--status", "failed"], "no failed executions recorded\n"],
    [["--workflow", "order", "--status", "failed"], 'no failed executions of workflow "order" recorded\n'],
  ];
  for (const [args, said] of cases) {
    const r = await state.flow(["runs", ...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, said, args.join(" "));
  }
});
