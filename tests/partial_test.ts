/**
 * Partial runs in the engine (`runWorkflow`'s `only`, `reuse` and `pinned`)
 * and their planning (`planPartialRun`): what runs, what is reused and
 * reported as reused (as `flow resume` reports it), what is skipped.
 *
 * @module
 */
import assert from "node:assert/strict";
import { defineNode, validateWorkflow } from "../mod.ts";
import { PartialRunError, planPartialRun } from "../src/runtime/partial.ts";
import { ofType, runObject, testRegistry } from "./helpers.ts";
import { z } from "zod";

/** A registry whose `test.count` nodes count their calls by node id. */
function counting() {
  const { registry } = testRegistry();
  const calls: string[] = [];
  registry.register(defineNode({
    type: "test.count",
    description: "records its call; out = in + 1 (in defaults to config.start)",
    inputs: { in: { type: "number", required: false } },
    outputs: { out: { type: "number" } },
    config: z.object({ start: z.number().default(0) }),
    run: ({ inputs, config, nodeId }) => {
      calls.push(nodeId);
      return { out: (inputs.in ?? config.start) + 1 };
    },
  }));
  return { registry, calls };
}

/** a -> b -> c, plus d beside them (a -> d). */
const chain = {
  nodes: [
    { id: "a", type: "test.count" },
    { id: "b", type: "test.count" },
    { id: "c", type: "test.count" },
    { id: "d", type: "test.count" },
  ],
  connections: [{ from: "a.out", to: "b.in" }, { from: "b.out", to: "c.in" }, { from: "a.out", to: "d.in" }],
  outputs: { c: "c.out" },
};

Deno.test("only: selected nodes run; others are reused from reuse (reported reused) or skipped as not selected", async () => {
  const { registry, calls } = counting();
  const { result, events } = await runObject(chain, {
    registry,
    only: new Set(["c"]),
    reuse: new Map([["", new Map([["b", { out: 41 }], ["c", { out: 0 }]])]]),
  });
  assert.deepEqual(calls, ["c"], "only c ran; the recorded c was not reused, it was selected");
  assert.equal(result.status, "success");
  assert.deepEqual(result.outputs, { c: 42 });
  const completed = ofType(events, "node.completed").map((e) => [e.nodeId, e.reused ?? false]);
  assert.deepEqual(completed, [["b", true], ["c", false]]);
  const skipped = ofType(events, "node.skipped").map((e) => [e.nodeId, e.reason]);
  assert.deepEqual(skipped.sort(), [["a", "not selected to run"], ["d", "not selected to run"]]);
  const byId = new Map(result.nodes.map((n) => [n.id, n]));
  assert.equal(byId.get("b")!.reused, true);
  assert.equal(byId.get("b")!.attempts, 0);
  assert.equal(byId.get("a")!.status, "skipped");
});

Deno.test("pinned: a reused node of the pinned set says pinned: true in its event and summary", async () => {
  const { registry, calls } = counting();
  const { result, events } = await runObject(chain, {
    registry,
    only: new Set(["c"]),
    reuse: new Map([["", new Map([["b", { out: 9 }]])]]),
    pinned: new Set(["b"]),
  });
  assert.deepEqual(calls, ["c"]);
  const b = ofType(events, "node.completed").find((e) => e.nodeId === "b")!;
  assert.equal(b.reused, true);
  assert.equal(b.pinned, true);
  assert.equal(result.nodes.find((n) => n.id === "b")!.pinned, true);
  assert.deepEqual(result.outputs, { c: 10 });
});

Deno.test("only: a selected node whose upstream has no outputs to reuse is skipped, not run", async () => {
  const { registry, calls } = counting();
  const { result, events } = await runObject(chain, { registry, only: new Set(["c"]) });
  assert.deepEqual(calls, []);
  assert.equal(result.status, "success");
  const c = ofType(events, "node.skipped").find((e) => e.nodeId === "c")!;
  assert.equal(c.reason, 'upstream "b" was skipped');
});

Deno.test("planPartialRun: run to here, run this node, and a whole run with pins", async (t) => {
  const { registry, calls } = counting();
  const compiled = validateWorkflow(chain, registry);
  const run = async (plan: ReturnType<typeof planPartialRun>) => {
    calls.length = 0;
    const { result } = await runObject(chain, { registry, only: plan.only, reuse: plan.reuse, pinned: plan.pinned });
    return result;
  };
  await t.step("to b: a and b run, nothing downstream or beside", async () => {
    const plan = planPartialRun(compiled, { mode: "to", node: "b", pins: new Map() });
    assert.deepEqual([...plan.only!].sort(), ["a", "b"]);
    await run(plan);
    assert.deepEqual(calls, ["a", "b"]);
  });
  await t.step("to c with b pinned: only c runs; a is not needed", async () => {
    const plan = planPartialRun(compiled, { mode: "to", node: "c", pins: new Map([["b", { out: 100 }]]) });
    const result = await run(plan);
    assert.deepEqual(calls, ["c"]);
    assert.deepEqual(result.outputs, { c: 101 });
    assert.deepEqual([...plan.reused], [["b", "pin"]]);
  });
  await t.step("to a pinned node: the node itself runs", async () => {
    const plan = planPartialRun(compiled, { mode: "to", node: "b", pins: new Map([["b", { out: 100 }]]) });
    await run(plan);
    assert.deepEqual(calls, ["a", "b"]);
  });
  await t.step("node c: recorded b is reused; a pin wins over a recorded output", async () => {
    const recorded = new Map([["b", { outputs: { out: 5 }, executionId: "e1" }]]);
    let result = await run(planPartialRun(compiled, { mode: "node", node: "c", pins: new Map(), recorded }));
    assert.deepEqual(calls, ["c"]);
    assert.deepEqual(result.outputs, { c: 6 });
    const plan = planPartialRun(compiled, { mode: "node", node: "c", pins: new Map([["b", { out: 50 }]]), recorded });
    result = await run(plan);
    assert.deepEqual(result.outputs, { c: 51 });
    assert.deepEqual([...plan.reused], [["b", "pin"]]);
  });
  await t.step("node c without data for b: a one-line error naming b", () => {
    assert.throws(
      () => planPartialRun(compiled, { mode: "node", node: "c", pins: new Map() }),
      (err) =>
        err instanceof PartialRunError && err.code === "NO_DATA" && /"c" takes inputs from "b"/.test(err.message),
    );
  });
  await t.step("unknown node, missing node", () => {
    assert.throws(() => planPartialRun(compiled, { mode: "to", node: "zz", pins: new Map() }), /has no node "zz"/);
    assert.throws(() => planPartialRun(compiled, { mode: "node", pins: new Map() }), /needs the node to run/);
  });
  await t.step("all with b pinned: a still runs (d needs it), b does not, c uses the pin", async () => {
    const plan = planPartialRun(compiled, { mode: "all", pins: new Map([["b", { out: 7 }]]) });
    const result = await run(plan);
    assert.deepEqual(calls.sort(), ["a", "c", "d"]);
    assert.deepEqual(result.outputs, { c: 8 });
  });
  await t.step("all with a pinned: nothing upstream of the pin, everything downstream runs", async () => {
    await run(planPartialRun(compiled, { mode: "all", pins: new Map([["a", { out: 0 }]]) }));
    assert.deepEqual(calls.sort(), ["b", "c", "d"]);
  });
  await t.step("all with d pinned: only what feeds d alone is not needed (a still feeds b)", async () => {
    await run(planPartialRun(compiled, { mode: "all", pins: new Map([["d", { out: 0 }]]) }));
    assert.deepEqual(calls.sort(), ["a", "b", "c"]);
  });
  await t.step("all without pins: an ordinary run", () => {
    assert.equal(planPartialRun(compiled, { mode: "all", pins: new Map() }).only, undefined);
  });
});
