/**
 * The editor test loop's logic in Deno (no browser): completion from a
 * node's expression context, the variables a node type binds, each box's
 * results from a run and the recorded data, the whole-expression marker of
 * node config schemas, the built-in function list against JSONata, and
 * which test-loop commands apply and run.
 */
import assert from "node:assert/strict";
import jsonata from "jsonata";
import { builtinNodes } from "../nodes/mod.ts";
import { nodeType } from "../server/node_types.ts";
import type { ExpressionContextT, NodeDataListT, PinT } from "../server/editor_schemas.ts";
import { BUILTINS } from "../ui/src/edit/expr/builtins.ts";
import { completeAt, typeVariables } from "../ui/src/edit/expr/complete.ts";
import { editorGraph } from "../ui/src/edit/graph.ts";
import { itemCount, testLoopStates } from "../ui/src/edit/testloop/results.ts";
import { testCommands, type TestUi } from "../ui/src/edit/testloop/commands.ts";
import type { TestLoop } from "../ui/src/edit/testloop/loop.ts";
import { applyEvents, createRunState } from "../ui/src/run/state.ts";
import type { FlowEvent } from "../src/engine/events.ts";

const CONTEXT: ExpressionContextT = {
  nodeId: "c",
  node: {
    body: {
      value: { path: "/a", hit: 1, got: { start: true }, items: [{ sku: "x1", qty: 2 }] },
      shape: {
        type: "object",
        fields: {
          path: { type: "string" },
          hit: { type: "number" },
          got: { type: "object", fields: { start: { type: "boolean" } } },
          items: { type: "array", length: 1, items: { type: "object", fields: { sku: { type: "string" } } } },
        },
      },
      source: "recorded",
      executionId: "e1",
      from: "b.parsed",
      declared: "any",
    },
  },
  inputs: { base: { value: "http://x", shape: { type: "string" }, source: "recorded", declared: "string" } },
  env: [{ name: "REGION", secret: false, set: true }, { name: "TOKEN", secret: true, set: true }],
  execution: { id: "preview", workflowId: "chain", startedAt: "2026-01-01T00:00:00Z" },
};

const labels = (r: ReturnType<typeof completeAt>) => r?.offers.map((o) => o.label);

Deno.test("completion: $node ports, their fields (through arrays), $inputs, $env, $execution, built-ins", () => {
  assert.deepEqual(labels(completeAt("{{ $node.", CONTEXT)), ["body"]);
  const body = completeAt("{{ $node.body.", CONTEXT)!;
  assert.deepEqual(body.offers.map((o) => o.label), ["path", "hit", "got", "items"]);
  assert.equal(body.from, "{{ $node.body.".length);
  assert.equal(body.offers[0].info, "/a", "the recorded value as the offer's info");
  assert.deepEqual(labels(completeAt("$node.body.got.", CONTEXT)), ["start"]);
  assert.deepEqual(labels(completeAt("$node.body.items.", CONTEXT)), ["sku"], "an array's items' fields");
  const partial = completeAt("$node.body.hi", CONTEXT)!;
  assert.deepEqual(partial.offers.map((o) => o.label), ["hit"]);
  assert.equal(partial.from, "$node.body.".length);
  assert.deepEqual(labels(completeAt("$inputs.", CONTEXT)), ["base"]);
  assert.deepEqual(labels(completeAt("$env.", CONTEXT)), ["REGION", "TOKEN"]);
  assert.match(completeAt("$env.T", CONTEXT)!.offers[0].detail!, /secret/);
  assert.deepEqual(labels(completeAt("$execution.", CONTEXT)), ["id", "workflowId", "startedAt"]);
  const fns = completeAt("$subst", CONTEXT)!;
  assert.deepEqual(fns.offers.map((o) => o.label), ["substring", "substringBefore", "substringAfter"]);
  assert.equal(fns.offers[0].detail, "$substring(str, start[, length])");
  assert.equal(fns.offers[0].apply, "substring(");
  assert.ok(labels(completeAt("$", CONTEXT))!.includes("node"));
  assert.equal(completeAt("plain text", CONTEXT), undefined);
  assert.deepEqual(labels(completeAt("$node.", undefined)), [], "no context: nothing to offer");
});

Deno.test("completion: the variables control.if and transform.map bind, with their preview values", () => {
  const ifCtx = { ...CONTEXT, node: { value: CONTEXT.node.body } };
  assert.deepEqual(labels(completeAt("$value.", ifCtx, "control.if")), ["path", "hit", "got", "items"]);
  assert.deepEqual(typeVariables("control.if", ifCtx).bindings, { value: CONTEXT.node.body.value });
  const mapCtx: ExpressionContextT = {
    ...CONTEXT,
    node: {
      items: {
        value: [{ id: 1 }, { id: 2 }],
        shape: { type: "array", length: 2, items: { type: "object", fields: { id: { type: "number" } } } },
        source: "pin",
      },
    },
  };
  assert.deepEqual(labels(completeAt("$item.", mapCtx, "transform.map")), ["id"]);
  assert.deepEqual(typeVariables("transform.map", mapCtx).bindings, { item: { id: 1 }, index: 0 });
  assert.ok(labels(completeAt("$it", mapCtx, "transform.map"))!.includes("item"));
  assert.deepEqual(typeVariables("http.request", CONTEXT), { shapes: {}, bindings: {} });
});

Deno.test("every built-in offered is a JSONata function", async () => {
  for (const b of BUILTINS) {
    assert.equal(await jsonata(`$type($${b.name})`).evaluate(null), "function", `$${b.name}`);
  }
});

Deno.test("node config schemas mark whole-expression fields with format jsonata, and only those", () => {
  const schemas = new Map(builtinNodes.map((d) => [d.type, nodeType(d).configSchema as Record<string, unknown>]));
  const props = (type: string) => schemas.get(type)!.properties as Record<string, Record<string, unknown>>;
  assert.equal(props("control.if").condition.format, "jsonata");
  assert.equal(props("transform.map").expression.format, "jsonata");
  const cases = props("control.switch").cases.items as { properties: Record<string, Record<string, unknown>> };
  assert.equal(cases.properties.condition.format, "jsonata");
  assert.equal(props("http.request").url.format, undefined);
  const marked = [...schemas].filter(([, s]) => JSON.stringify(s ?? {}).includes('"format":"jsonata"')).map(([t]) => t);
  assert.deepEqual(marked.sort(), ["control.if", "control.switch", "transform.map"]);
});

Deno.test("results on the boxes: the live run over the recorded data and pins; facts, items, port previews", () => {
  const catalog = new Map(builtinNodes.map((d) => [d.type, nodeType(d)]));
  const model = editorGraph({
    nodes: [
      { id: "a", type: "http.request" },
      { id: "b", type: "transform.json_parse" },
      { id: "c", type: "transform.set" },
    ],
    connections: [{ from: "a.body", to: "b.json" }, { from: "b.parsed", to: "c.x" }],
  }, catalog);
  const data: NodeDataListT = {
    nodes: {
      a: {
        nodeId: "a",
        executionId: "e1",
        status: "completed",
        inputs: {},
        outputs: { body: "[1,2,3]", status: 200 },
        attempts: 2,
        durationMs: 12,
      },
      b: {
        nodeId: "b",
        executionId: "e1",
        status: "completed",
        inputs: { json: "[1,2,3]" },
        outputs: { parsed: [1, 2, 3] },
        attempts: 1,
        durationMs: 1,
      },
    },
    sources: [{ executionId: "e1", trigger: "editor", status: "success", createdAt: "2026-01-01T00:00:00Z" }],
    history: true,
  };
  const pins = new Map<string, PinT>([
    ["c", { nodeId: "c", outputs: { value: "pinned" }, source: "json", pinnedAt: "2026-01-01T00:00:00Z" }],
  ]);
  const recorded = testLoopStates(model, data, pins, undefined);
  assert.equal(recorded.get("a")!.status, "completed");
  assert.equal(recorded.get("a")!.facts, "2 attempts · 12 ms");
  assert.equal(recorded.get("b")!.facts, "1 attempt · 1 ms · 3 items");
  assert.equal(recorded.get("b")!.ports!["in:json"], "[1,2,3]");
  assert.equal(recorded.get("b")!.ports!["out:parsed"], "[1,2,3]");
  assert.equal(recorded.get("c")!.status, "pinned");
  assert.equal(recorded.get("c")!.facts, "pinned");

  // A run of c alone: b's recorded outputs reused, a not needed; the live run wins over the recorded data.
  const ts = "2026-01-01T00:00:01.000Z";
  const events = [
    { seq: 0, ts, type: "workflow.started", executionId: "e2", workflowId: "w" },
    { seq: 1, ts, type: "node.skipped", executionId: "e2", nodeId: "a", reason: "not selected to run" },
    {
      seq: 2,
      ts,
      type: "node.completed",
      executionId: "e2",
      nodeId: "b",
      outputs: { parsed: [1, 2, 3] },
      durationMs: 0,
      reused: true,
    },
    { seq: 3, ts, type: "node.started", executionId: "e2", nodeId: "c", nodeType: "transform.set", attempt: 1 },
    {
      seq: 4,
      ts: "2026-01-01T00:00:01.005Z",
      type: "node.completed",
      executionId: "e2",
      nodeId: "c",
      outputs: { value: [1, 2, 3] },
      durationMs: 5,
    },
  ] as unknown as FlowEvent[];
  const state = applyEvents(createRunState(), events);
  const live = testLoopStates(model, data, pins, state.runs.get(""));
  assert.equal(live.get("a")!.status, "skipped");
  assert.equal(live.get("b")!.facts, "3 items · reused");
  assert.equal(live.get("c")!.status, "completed");
  assert.equal(live.get("c")!.facts, "1 attempt · 5 ms · 3 items · pinned");
  assert.equal(live.get("c")!.ports!["in:x"], "[1,2,3]", "its input derived from what fed it in the run");
  assert.equal(itemCount({ a: 1, b: [] }), 0);
  assert.equal(itemCount({ a: 1 }), undefined);
});

/** A test loop whose actions record what they were called with. */
function fakeLoop(over: Partial<TestLoop> = {}): { loop: TestLoop; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const record = (name: string) => (...args: unknown[]) => {
    calls.push([name, ...args]);
    return Promise.resolve();
  };
  const loop: TestLoop = {
    workflowId: "w",
    pins: new Map(),
    listening: new Map(),
    busy: false,
    served: new Set(["a", "tick", "hook"]),
    run: record("run"),
    pin: record("pin"),
    unpin: record("unpin"),
    listen: record("listen"),
    stopListening: record("stopListening"),
    refresh: () => {},
    ...over,
  };
  return { loop, calls };
}

const UI: TestUi = { runForm: false, setRunForm: () => {}, setPinFor: () => {}, setRunWith: () => {} };

Deno.test("test-loop commands: only those that apply; disabled when they cannot run; the buttons' actions", () => {
  const ids = (cs: { id: string }[]) => cs.map((c) => c.id);
  const { loop, calls } = fakeLoop();
  assert.deepEqual(ids(testCommands({ loop, canAct: true, ui: UI })), ["test-run"]);
  const onA = testCommands({ loop, node: { id: "a", type: "http.request" }, canAct: true, ui: UI });
  assert.deepEqual(ids(onA), ["test-run", "test-to", "test-node", "test-pin", "test-pin-json"]);
  assert.equal(onA.find((c) => c.id === "test-pin")!.disabled, true, "no run of a to pin yet");
  for (const c of onA) if (c.id !== "test-pin") assert.equal(c.disabled, false, c.id);
  onA.find((c) => c.id === "test-to")!.run();
  onA.find((c) => c.id === "test-node")!.run();
  assert.deepEqual(calls, [
    ["run", { mode: "to", node: "a" }, "Run to here"],
    ["run", { mode: "node", node: "a" }, "Run this node"],
  ]);
  // A schedule fires; a webhook listens (with "then run" as ticked), or stops listening.
  const onTick = testCommands({ loop, node: { id: "tick", type: "time.interval" }, canAct: true, ui: UI });
  assert.ok(ids(onTick).includes("test-fire"));
  const ticked = { ...UI, runWith: "hook" };
  testCommands({ loop, node: { id: "hook", type: "http.webhook" }, canAct: true, ui: ticked })
    .find((c) => c.id === "test-listen")!.run();
  assert.deepEqual(calls.at(-1), ["listen", "hook", true]);
  const listening = fakeLoop({
    listening: new Map([["hook", {
      workflowId: "w",
      nodeId: "hook",
      status: "listening" as const,
      method: "POST",
      run: false,
      expiresAt: "2026-01-01T00:00:00Z",
    }]]),
  });
  const onHook = testCommands({
    loop: listening.loop,
    node: { id: "hook", type: "http.webhook" },
    canAct: true,
    ui: UI,
  });
  assert.ok(ids(onHook).includes("test-stop-listening") && !ids(onHook).includes("test-listen"));
  // Pinned, with a run of its own: Pin output pins that run, Unpin applies.
  const pinned = fakeLoop({
    pins: new Map([["a", { nodeId: "a", outputs: {}, source: "json" as const, pinnedAt: "2026-01-01T00:00:00Z" }]]),
    data: {
      nodes: {
        a: { nodeId: "a", executionId: "e9", status: "completed", inputs: {}, outputs: { body: 1 }, attempts: 1 },
      },
      sources: [],
      history: true,
    },
  });
  const onPinned = testCommands({ loop: pinned.loop, node: { id: "a", type: "http.request" }, canAct: true, ui: UI });
  assert.ok(ids(onPinned).includes("test-unpin"));
  onPinned.find((c) => c.id === "test-pin")!.run();
  assert.deepEqual(pinned.calls, [["pin", "a", { execution: "e9" }]]);
  // Read-only, busy, not served, or a node not saved yet: every command is there but disabled.
  for (
    const [l, canAct, node] of [
      [loop, false, "a"],
      [fakeLoop({ busy: true }).loop, true, "a"],
      [fakeLoop({ unavailable: "not served" }).loop, true, "a"],
      [loop, true, "new_node"],
    ] as const
  ) {
    const cs = testCommands({ loop: l, node: { id: node, type: "http.request" }, canAct, ui: UI });
    const off = cs.filter((c) => c.id !== "test-run" || node !== "new_node");
    assert.ok(off.every((c) => c.disabled), `${node} ${canAct}: ${ids(cs.filter((c) => !c.disabled))}`);
  }
});
