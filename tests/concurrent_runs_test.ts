/**
 * Two different workflows run at the same time in one process (the library
 * API, as `flow serve` runs them) and do not interfere: each sees only its
 * own events (its execution id, its own `seq` from 0 without gaps), its own
 * `ctx.store` values (the default state store is shared by the process,
 * scoped by workflow id), and its own expression limits (one run's failed
 * expression leaves the other's alone). The module-level state they share
 * (time slices, the event-line cache, the clock cache, the expression
 * engine) is listed in docs/architecture.md ("State kept by modules").
 *
 * @module
 */
import assert from "node:assert/strict";
import { builtinRegistry, type FlowEvent, runWorkflow, validateWorkflow } from "../mod.ts";

/** A workflow that stores `tag`, reads it back, computes over a 1,500-item loop, and evaluates `limitExpr`. */
function workflow(id: string, tag: string, factor: number, limitExpr: string) {
  return {
    id,
    nodes: [
      { id: "save", type: "state.set", config: { key: "shared-name", value: tag } },
      // The key, once save has written: read runs after it.
      { id: "key", type: "transform.set", config: { value: "shared-name" } },
      { id: "read", type: "state.get" },
      { id: "items", type: "transform.set", config: { value: "{{ [1..1500] }}" } },
      {
        id: "each",
        type: "control.loop",
        config: {
          workflow: {
            nodes: [{ id: "calc", type: "transform.set", config: { value: `{{ $inputs.item * ${factor} }}` } }],
            connections: [],
            outputs: { value: "calc.value" },
          },
        },
      },
      { id: "limit", type: "transform.set", config: { value: `{{ ${limitExpr} }}` }, onError: "continue" },
    ],
    connections: [
      { from: "save.value", to: "key.after" },
      { from: "key.value", to: "read.key" },
      { from: "items.value", to: "each.items" },
    ],
    outputs: { stored: "read.value", results: "each.results", limit: "limit.value" },
  };
}

async function run(wf: ReturnType<typeof workflow>, order: string[]) {
  const compiled = validateWorkflow(wf, builtinRegistry());
  const events: FlowEvent[] = [];
  const result = await runWorkflow(compiled, {
    onEvent: (e) => {
      events.push(e);
      order.push(wf.id);
    },
  });
  return { result, events };
}

Deno.test("two workflows run concurrently in one process see only their own events, state and limits", async () => {
  // alpha's last expression passes JSONata's sequence limit (1,000,000 items); beta's stays well within it.
  const alpha = workflow("alpha", "A", 2, "$count([1..2000000])");
  const beta = workflow("beta", "B", 3, "$count([1..1000])");
  const order: string[] = [];
  const [a, b] = await Promise.all([run(alpha, order), run(beta, order)]);

  // They really ran at the same time: each one's events came between the other's.
  const firstB = order.indexOf("beta"), lastA = order.lastIndexOf("alpha");
  assert.ok(firstB < lastA && order.indexOf("alpha") < order.lastIndexOf("beta"), "the runs interleaved");
  const switches = order.filter((w, i) => i > 0 && order[i - 1] !== w).length;
  assert.ok(switches >= 2, `the runs took turns (${switches} switches)`);

  for (const [{ result, events }, id] of [[a, "alpha"], [b, "beta"]] as const) {
    assert.ok(events.every((e) => e.executionId === result.executionId), `${id}: only its own execution's events`);
    assert.ok(events.every((e) => e.workflowId === id || e.parentNodeId !== undefined), `${id}: its own workflow`);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i), `${id}: seq from 0 without gaps`);
  }
  assert.notEqual(a.result.executionId, b.result.executionId);

  // ctx.store: the same key in the same process-wide store, scoped by workflow id.
  assert.equal(a.result.outputs.stored, "A");
  assert.equal(b.result.outputs.stored, "B");
  // Expressions: each run's own bindings and results.
  assert.deepEqual(a.result.outputs.results, Array.from({ length: 1500 }, (_, i) => ({ value: (i + 1) * 2 })));
  assert.deepEqual(b.result.outputs.results, Array.from({ length: 1500 }, (_, i) => ({ value: (i + 1) * 3 })));
  // Limits: alpha's expression failed on the sequence limit, beta's ran.
  const limitA = a.result.nodes.find((n) => n.id === "limit")!;
  assert.equal(limitA.status, "failed");
  assert.equal(limitA.error?.code, "EXPRESSION");
  assert.equal(b.result.nodes.find((n) => n.id === "limit")!.status, "completed");
  assert.equal(b.result.outputs.limit, 1000);
  assert.equal(a.result.status, "failed"); // its other nodes ran (onError: continue), but a node failed
  assert.equal(a.result.error?.nodeId, "limit");
  assert.equal(b.result.status, "success");
});
