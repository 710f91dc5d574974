/**
 * Persistent state through the real CLI: the `state.get`/`state.set` nodes
 * across runs, `ctx.store` in a sandboxed node, the 1 MiB limit, and
 * `flow state list|get|delete`.
 */
import assert from "node:assert/strict";
import { ROOT, writeWorkflow } from "./helpers.ts";
import { jsonOf, tempState } from "./history_helpers.ts";

const cursor = {
  id: "cursor",
  inputs: { next: { type: "any" } },
  nodes: [
    { id: "read", type: "state.get", config: { key: "cursor", default: 0 } },
    // Reads first: the value to write waits for the read.
    { id: "next", type: "transform.set", config: { value: "{{ $node.v }}" } },
    { id: "write", type: "state.set", config: { key: "cursor" } },
  ],
  connections: [
    { from: "$inputs.next", to: "next.v" },
    { from: "read.value", to: "next.after" },
    { from: "next.value", to: "write.value" },
  ],
  outputs: { before: "read.value", after: "write.value" },
};

Deno.test("state.get and state.set keep a value across runs (with or without history)", async () => {
  await using state = await tempState();
  const wf = await writeWorkflow(cursor);
  const run = async (next: string, ...flags: string[]) => {
    const r = await state.flow(["run", wf, "-f", "json", "--input-json", JSON.stringify({ next }), ...flags]);
    return jsonOf<{ outputs: unknown }>(r).outputs;
  };
  assert.deepEqual(await run("a"), { before: 0, after: "a" }, "the default when nothing is stored");
  assert.deepEqual(await run("b", "--no-history"), { before: "a", after: "b" });
  assert.deepEqual(await run("c"), { before: "b", after: "c" });
  assert.equal(jsonOf<unknown[]>(await state.flow(["runs", "-f", "json"])).length, 2, "state is not history");
});

Deno.test("flow state list, get and delete; --node picks a node's own scope", async () => {
  await using state = await tempState();
  // A sandboxed node (ctx.store through the host): its own scope "tick" and the workflow-wide one.
  const counter = await writeWorkflow({
    id: "sandboxed-counter",
    imports: [`${ROOT}tests/fixtures/state_nodes/counter.ts`],
    nodes: [{ id: "tick", type: "fx.counter" }],
    connections: [],
    outputs: { count: "tick.count", seen: "tick.seen" },
  });
  assert.deepEqual(jsonOf<{ outputs: unknown }>(await state.flow(["run", counter, "-f", "json"])).outputs, {
    count: 1,
    seen: null,
  });
  assert.deepEqual(jsonOf<{ outputs: unknown }>(await state.flow(["run", counter, "-f", "json"])).outputs, {
    count: 2,
    seen: 1,
  });
  assert.equal(
    (await state.flow(["run", await writeWorkflow(cursor), "-q", "--input-json", '{"next":{"id":42}}'])).code,
    0,
  );

  const table = await state.flow(["state", "list"]);
  assert.equal(table.code, 0, table.stderr);
  const rows = table.stdout.trimEnd().split("\n");
  assert.match(rows[1], /│ workflow +│ scope +│ key +│ value +│ version │ updated +│/);
  assert.match(rows[2], /│ cursor +│ \(workflow\) │ cursor │ \{"id":42\} +│ 1 +│ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d │/);
  assert.match(rows[3], /│ sandboxed-counter │ \(workflow\) │ last +│ 2 +│ 2 /);
  assert.match(rows[4], /│ sandboxed-counter │ tick +│ count +│ 2 +│ 2 /);
  assert.equal(rows.length, 6);

  type Row = { workflowId: string; scope: string; key: string; value: unknown; version: number };
  const json = jsonOf<Row[]>(await state.flow(["state", "list", "sandboxed-counter", "-f", "json"]));
  assert.deepEqual(json.map((r) => [r.scope, r.key, r.value, r.version]), [["", "last", 2, 2], [
    "tick",
    "count",
    2,
    2,
  ]]);
  const own = jsonOf<Row[]>(await state.flow(["state", "list", "sandboxed-counter", "--node", "tick", "-f", "json"]));
  assert.deepEqual(own.map((r) => r.key), ["count"]);

  const get = await state.flow(["state", "get", "cursor", "cursor"]);
  assert.equal(get.code, 0);
  assert.equal(get.stdout, '{\n  "id": 42\n}\n');
  assert.equal((await state.flow(["state", "get", "sandboxed-counter", "count", "--node", "tick"])).stdout, "2\n");
  const missing = await state.flow(["state", "get", "sandboxed-counter", "count"]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'flow: no value for key "count" in (workflow) of workflow "sandboxed-counter"\n');

  const one = await state.flow(["state", "delete", "sandboxed-counter", "count", "--node", "tick"]);
  assert.equal(one.stdout, "deleted 1 value\n");
  assert.equal(
    (await state.flow(["state", "delete", "sandboxed-counter", "count", "--node", "tick"])).stdout,
    "deleted 0 values\n",
  );
  assert.equal((await state.flow(["state", "delete", "sandboxed-counter"])).stdout, "deleted 1 value\n");
  assert.deepEqual(jsonOf<Row[]>(await state.flow(["state", "list", "-f", "json"])).map((r) => r.workflowId), [
    "cursor",
  ]);
  // The counter starts again from nothing.
  assert.deepEqual(jsonOf<{ outputs: unknown }>(await state.flow(["run", counter, "-f", "json"])).outputs, {
    count: 1,
    seen: null,
  });
  assert.equal((await state.flow(["state", "delete", "cursor"])).stdout, "deleted 1 value\n");
  assert.equal((await state.flow(["state", "list", "cursor"])).stdout, "no state stored\n");
});

Deno.test("a value over 1 MiB fails the node with a clear error; the stored value is kept", async () => {
  await using state = await tempState();
  const wf = await writeWorkflow(cursor);
  const dir = wf.slice(0, wf.lastIndexOf("/"));
  assert.equal((await state.flow(["run", wf, "-q", "--input-json", '{"next":"small"}'])).code, 0);
  await Deno.writeTextFile(`${dir}/big.json`, JSON.stringify({ next: "x".repeat(1024 * 1024) }));
  const r = await state.flow(["run", wf, "-f", "json", "--input-file", `${dir}/big.json`]);
  assert.equal(r.code, 1);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.error.code, "STATE_TOO_LARGE");
  assert.equal(summary.error.nodeId, "write");
  assert.equal(
    summary.error.message,
    'state key "cursor": the value is 1048578 bytes of JSON; the limit is 1048576 (1 MiB)',
  );
  assert.equal((await state.flow(["state", "get", "cursor", "cursor"])).stdout, '"small"\n');
});
