import assert from "node:assert/strict";
import { builtinRegistry, defineNode, loadWorkflow, runWorkflow } from "../mod.ts";
import { MemoryStateStore } from "../src/store/memory.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { MAX_STATE_BYTES } from "../src/engine/state.ts";
import { ofType, ROOT, runObject, testRegistry, writeWorkflow } from "./helpers.ts";

Deno.test("state.set and state.get keep a value across runs, in the workflow-wide scope", async () => {
  const state = new MemoryStateStore();
  const wf = {
    id: "cursor",
    inputs: { next: { type: "number" } },
    nodes: [
      { id: "read", type: "state.get", config: { key: "cursor", default: 0 } },
      { id: "write", type: "state.set", config: { key: "cursor" } },
    ],
    connections: [{ from: "$inputs.next", to: "write.value" }],
    outputs: { before: "read.value", after: "write.value" },
  };
  const first = await runObject(wf, { inputs: { next: 5 }, state });
  assert.deepEqual(first.result.outputs, { before: 0, after: 5 });
  const second = await runObject(wf, { inputs: { next: 9 }, state });
  assert.deepEqual(second.result.outputs, { before: 5, after: 9 });
  const rows = await state.listState({ workflowId: "cursor" });
  assert.deepEqual(rows.map((r) => [r.scope, r.key, r.value, r.version]), [["", "cursor", 9, 2]]);
});

Deno.test("ctx.store is scoped to the workflow and the node; store.workflow is shared", async () => {
  const state = new MemoryStateStore();
  const { registry } = testRegistry();
  registry.register(defineNode({
    type: "test.bump",
    description: "bumps its own counter and a shared one",
    inputs: { in: { type: "any", required: false } },
    outputs: { own: { type: "number" }, shared: { type: "number" } },
    async run({ store }) {
      const own = await store.update<number>("n", (n) => (n ?? 0) + 1);
      const shared = await store.workflow.update<number>("n", (n) => (n ?? 0) + 1);
      return { own, shared };
    },
  }));
  const wf = (id: string) => ({
    id,
    nodes: [{ id: "a", type: "test.bump" }, { id: "b", type: "test.bump" }],
    connections: [{ from: "a.own", to: "b.in" }],
    outputs: { a: "a.own", b: "b.own", shared: "b.shared" },
  });
  const one = await runObject(wf("one"), { registry, state });
  assert.deepEqual(one.result.outputs, { a: 1, b: 1, shared: 2 });
  const again = await runObject(wf("one"), { registry, state });
  assert.deepEqual(again.result.outputs, { a: 2, b: 2, shared: 4 });
  const other = await runObject(wf("two"), { registry, state });
  assert.deepEqual(other.result.outputs, { a: 1, b: 1, shared: 2 }, "another workflow id has its own state");
});

Deno.test("update is atomic: concurrent updates through two SQLite connections count exactly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-state-" });
  const a = await openSqliteStore(`${dir}/flow.db`);
  const b = await openSqliteStore(`${dir}/flow.db`);
  try {
    const { registry } = testRegistry();
    const seen: number[] = [];
    registry.register(defineNode({
      type: "test.count",
      description: "bumps the shared counter",
      inputs: { in: { type: "any", required: false } },
      outputs: { n: { type: "number" } },
      async run({ store }) {
        const n = await store.workflow.update<number>("count", (v) => (v ?? 0) + 1);
        seen.push(n);
        return { n };
      },
    }));
    const wf = {
      id: "counter",
      nodes: Array.from({ length: 20 }, (_, i) => ({ id: `c${i}`, type: "test.count" })),
      connections: [],
    };
    await Promise.all([runObject(wf, { registry, state: a }), runObject(wf, { registry, state: b })]);
    assert.deepEqual(seen.sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("state values must be JSON and at most 1 MiB: the node fails with a clear error", async (t) => {
  const { registry } = testRegistry();
  registry.register(defineNode({
    type: "test.store_value",
    description: "stores its input",
    inputs: { value: { type: "any" } },
    outputs: {},
    async run({ inputs, store }) {
      await store.set("k", inputs.value);
      return {};
    },
  }));
  const run = (value: unknown) =>
    runObject({
      id: "big",
      inputs: { v: { type: "any" } },
      nodes: [{ id: "put", type: "test.store_value" }],
      connections: [{ from: "$inputs.v", to: "put.value" }],
    }, { registry, inputs: { v: value }, state: new MemoryStateStore() });
  await t.step("over 1 MiB", async () => {
    const { result } = await run("x".repeat(MAX_STATE_BYTES));
    assert.equal(result.status, "failed");
    assert.equal(result.error?.code, "STATE_TOO_LARGE");
    assert.equal(
      result.error?.message,
      `state key "k": the value is ${MAX_STATE_BYTES + 2} bytes of JSON; the limit is ${MAX_STATE_BYTES} (1 MiB)`,
    );
  });
  await t.step("exactly 1 MiB is accepted", async () => {
    const { result } = await run("x".repeat(MAX_STATE_BYTES - 2));
    assert.equal(result.status, "success");
  });
});

Deno.test("a sandboxed custom node uses ctx.store through the host", async () => {
  const state = new MemoryStateStore();
  const file = await writeWorkflow({
    id: "sandboxed-counter",
    imports: [`${ROOT}tests/fixtures/state_nodes/counter.ts`],
    nodes: [{ id: "tick", type: "fx.counter" }],
    connections: [],
    outputs: { count: "tick.count", seen: "tick.seen", removed: "tick.removed" },
  });
  const loaded = await loadWorkflow(file, builtinRegistry());
  try {
    const first = await runWorkflow(loaded, { state });
    assert.equal(first.status, "success", JSON.stringify(first.error));
    assert.deepEqual(first.outputs, { count: 1, seen: null, removed: true });
    const second = await runWorkflow(loaded, { state });
    assert.deepEqual(second.outputs, { count: 2, seen: 1, removed: true });
    const rows = await state.listState({ workflowId: "sandboxed-counter" });
    assert.deepEqual(rows.map((r) => [r.scope, r.key, r.value]), [["", "last", 2], ["tick", "count", 2]]);
  } finally {
    loaded.close();
  }
});

Deno.test("reused results: nodes found in `reuse` report node.completed with reused and do not run", async () => {
  const { registry, stats } = testRegistry();
  const wf = {
    nodes: [
      { id: "a", type: "test.sleep", config: { ms: 1 } },
      { id: "b", type: "test.sleep", config: { ms: 1 } },
    ],
    connections: [{ from: "a.out", to: "b.in" }],
    outputs: { b: "b.out" },
  };
  const reuse = new Map([["", new Map([["a", { out: "recorded" }]])]]);
  const { result, events } = await runObject(wf, { registry, reuse, resumedFrom: "earlier" });
  assert.equal(stats.calls, 1, "only b ran");
  assert.deepEqual(result.outputs, { b: "recorded" });
  assert.equal(ofType(events, "workflow.started")[0].resumedFrom, "earlier");
  const completed = ofType(events, "node.completed");
  assert.deepEqual(completed.map((e) => [e.nodeId, e.reused ?? false]), [["a", true], ["b", false]]);
  assert.deepEqual(result.nodes.map((n) => [n.id, n.status, n.attempts, n.reused ?? false]), [
    ["a", "completed", 0, true],
    ["b", "completed", 1, false],
  ]);
});
