import assert from "node:assert/strict";
import { dirname } from "node:path";
import {
  builtinRegistry,
  type FlowEvent,
  loadWorkflow,
  resolveInputs,
  runWorkflow,
  validateWorkflow,
  WorkflowValidationError,
} from "../mod.ts";
import type { RunOptions } from "../src/engine/executor.ts";
import { ofType, runObject, testRegistry, validationIssues, writeWorkflow } from "./helpers.ts";
import { writeFiles } from "./serve_helpers.ts";

const top = (events: FlowEvent[]) => events.filter((e) => e.parentNodeId === undefined);
const skippedOf = (events: FlowEvent[]) => ofType(top(events), "node.skipped").map((e) => [e.nodeId, e.reason]);
const startedOf = (events: FlowEvent[]) => ofType(top(events), "node.started").map((e) => e.nodeId);
const seqOf = (events: FlowEvent[], type: string, nodeId: string) =>
  events.find((e) => e.type === type && "nodeId" in e && e.nodeId === nodeId && e.parentNodeId === undefined)!.seq;

/** Asserts the stream's seq is 0, 1, 2, … and every event has the same executionId. */
function assertGapless(events: FlowEvent[]) {
  events.forEach((e, i) => {
    assert.equal(e.seq, i, `seq ${e.seq} at position ${i}`);
    assert.equal(e.executionId, events[0].executionId);
  });
}

/** Loads a workflow file (with its sub-workflow files) and runs it, collecting events. */
async function runFile(path: string, inputs: Record<string, unknown> = {}, options: RunOptions = {}) {
  const compiled = await loadWorkflow(path, testRegistry().registry);
  try {
    const events: FlowEvent[] = [];
    const result = await runWorkflow(compiled, {
      ...options,
      inputs: resolveInputs(compiled, inputs),
      onEvent: (e) => events.push(e),
    });
    return { result, events };
  } finally {
    compiled.close();
  }
}

Deno.test("control.if sends the value on one branch and skips the other", async (t) => {
  const workflow = {
    inputs: { v: { type: "number" } },
    nodes: [
      { id: "check", type: "control.if", config: { condition: "$value > 10" } },
      { id: "big", type: "transform.set", config: { value: "big {{ $node.x }}" } },
      { id: "small", type: "transform.set", config: { value: "small {{ $node.x }}" } },
    ],
    connections: [
      { from: "$inputs.v", to: "check.value" },
      { from: "check.true", to: "big.x" },
      { from: "check.false", to: "small.x" },
    ],
    outputs: { big: "big.value", small: "small.value" },
  };
  await t.step("true branch", async () => {
    const { result, events } = await runObject(workflow, { inputs: { v: 11 } });
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs, { big: "big 11" });
    assert.deepEqual(ofType(events, "node.completed")[0].outputs, { true: 11 });
    assert.deepEqual(skippedOf(events), [["small", 'no value on "check.false"']]);
    assert.deepEqual(result.nodes.map((n) => [n.id, n.status, n.reason]), [
      ["check", "completed", undefined],
      ["big", "completed", undefined],
      ["small", "skipped", 'no value on "check.false"'],
    ]);
    assert.ok(!startedOf(events).includes("small"), "a skipped node never starts");
  });
  await t.step("false branch", async () => {
    const { result, events } = await runObject(workflow, { inputs: { v: 3 } });
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs, { small: "small 3" });
    assert.deepEqual(skippedOf(events), [["big", 'no value on "check.true"']]);
  });
  await t.step(
    "JSONata truthiness: 0, '', [], {}, null and false go to false; the value passes unchanged",
    async () => {
      const values = [0, "", [], {}, null, false, 1, "x", [0], { a: 0 }, true];
      const { result } = await runObject({
        nodes: values.map((value, i) => ({ id: `c${i}`, type: "control.if", config: { value, condition: "$value" } })),
        connections: [],
        outputs: Object.fromEntries(values.flatMap((_, i) => [[`t${i}`, `c${i}.true`], [`f${i}`, `c${i}.false`]])),
      });
      assert.deepEqual(result.outputs, {
        f0: 0,
        f1: "",
        f2: [],
        f3: {},
        f4: null,
        f5: false,
        t6: 1,
        t7: "x",
        t8: [0],
        t9: { a: 0 },
        t10: true,
      });
    },
  );
  await t.step("the condition sees $inputs too", async () => {
    const { result } = await runObject({
      inputs: { limit: { type: "number" } },
      nodes: [{ id: "c", type: "control.if", config: { value: 5, condition: "$value > $inputs.limit" } }],
      connections: [],
      outputs: { t: "c.true", f: "c.false" },
    }, { inputs: { limit: 7 } });
    assert.deepEqual(result.outputs, { f: 5 });
  });
  await t.step("a condition that fails at run time fails the node", async () => {
    const { result } = await runObject({
      nodes: [{ id: "c", type: "control.if", config: { value: "a", condition: "$value + 1" } }],
      connections: [],
    });
    assert.deepEqual(result.error, {
      message: 'The left side of the "+" operator must evaluate to a number (at position 8)',
      code: "NODE_ERROR",
      nodeId: "c",
    });
  });
});

Deno.test("a skip spreads down a chain; the run still succeeds", async () => {
  const { result, events } = await runObject({
    nodes: [
      { id: "check", type: "control.if", config: { value: 1, condition: "false" } },
      { id: "a", type: "test.noop" },
      { id: "b", type: "test.noop" },
      { id: "c", type: "test.noop" },
      { id: "other", type: "test.noop", config: { in: "runs" } },
    ],
    connections: [
      { from: "check.true", to: "a.in" },
      { from: "a.out", to: "b.in" },
      { from: "b.out", to: "c.in" },
    ],
    outputs: { c: "c.out", other: "other.out" },
  });
  assert.equal(result.status, "success");
  assert.deepEqual(result.outputs, { other: "runs" });
  assert.deepEqual(skippedOf(events), [
    ["a", 'no value on "check.true"'],
    ["b", 'upstream "a" was skipped'],
    ["c", 'upstream "b" was skipped'],
  ]);
  assert.deepEqual(startedOf(events).sort(), ["check", "other"]);
});

Deno.test("flow.merge mode all: waits for every input that will arrive, leaves skipped ones out", async (t) => {
  const branches = (condition: string) => ({
    nodes: [
      { id: "check", type: "control.if", config: { value: 2, condition } },
      { id: "slow", type: "test.sleep", config: { ms: 30 } },
      { id: "maybe", type: "test.noop" },
      { id: "join", type: "flow.merge", config: { source: "const" } },
      { id: "after", type: "test.noop" },
    ],
    connections: [
      { from: "check.true", to: "maybe.in" },
      { from: "check.false", to: "slow.in" },
      { from: "maybe.out", to: "join.maybe" },
      { from: "slow.out", to: "join.slow" },
      { from: "join.merged", to: "after.in" },
    ],
    outputs: { merged: "join.merged", after: "after.out" },
  });
  await t.step("a skipped input is left out; the merge waits for the slow branch", async () => {
    const { result, events } = await runObject(branches("false"));
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs.merged, { slow: 2, source: "const" });
    assert.deepEqual(skippedOf(events), [["maybe", 'no value on "check.true"']]);
    assert.ok(seqOf(events, "node.completed", "slow") < seqOf(events, "node.started", "join"));
  });
  await t.step("every input arrives", async () => {
    const { result } = await runObject({
      nodes: [
        { id: "a", type: "test.sleep", config: { ms: 20, in: "A" } },
        { id: "b", type: "test.noop", config: { in: "B" } },
        { id: "join", type: "flow.merge" },
      ],
      connections: [{ from: "a.out", to: "join.a" }, { from: "b.out", to: "join.b" }],
      outputs: { merged: "join.merged" },
    });
    assert.deepEqual(result.outputs.merged, { a: "A", b: "B" });
  });
  await t.step("skipped itself when no input arrives, and so is what follows", async () => {
    const { result, events } = await runObject({
      nodes: [
        { id: "check", type: "control.if", config: { value: 1, condition: "false" } },
        { id: "join", type: "flow.merge", config: { source: "const" } },
        { id: "after", type: "test.noop" },
      ],
      connections: [{ from: "check.true", to: "join.a" }, { from: "join.merged", to: "after.in" }],
      outputs: { merged: "join.merged" },
    });
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs, {});
    assert.deepEqual(skippedOf(events), [
      ["join", "none of its inputs arrived"],
      ["after", 'upstream "join" was skipped'],
    ]);
  });
  await t.step("a failed input under onError continue is left out too", async () => {
    const { result } = await runObject({
      nodes: [
        { id: "bad", type: "test.fail" },
        { id: "good", type: "test.noop", config: { in: "ok" } },
        { id: "join", type: "flow.merge" },
      ],
      connections: [{ from: "bad.out", to: "join.bad" }, { from: "good.out", to: "join.good" }],
      outputs: { merged: "join.merged" },
      settings: { onError: "continue" },
    });
    assert.equal(result.status, "failed");
    assert.deepEqual(result.outputs, { merged: { good: "ok" } });
  });
});

Deno.test("flow.merge mode first: passes on the first arrival and ignores later ones", async (t) => {
  await t.step("the first value wins; the merge does not wait for the rest", async () => {
    const { result, events } = await runObject({
      nodes: [
        { id: "slow", type: "test.sleep", config: { ms: 100, in: "slow" } },
        { id: "fast", type: "test.noop", config: { in: "fast" } },
        { id: "first", type: "flow.merge", config: { mode: "first" } },
        { id: "after", type: "test.noop" },
      ],
      connections: [
        { from: "slow.out", to: "first.a" },
        { from: "fast.out", to: "first.b" },
        { from: "first.value", to: "after.in" },
      ],
      outputs: { value: "first.value", merged: "first.merged", after: "after.out" },
    });
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs, { value: "fast", merged: { b: "fast" }, after: "fast" });
    assert.ok(seqOf(events, "node.completed", "first") < seqOf(events, "node.completed", "slow"));
    assert.ok(seqOf(events, "node.completed", "after") < seqOf(events, "node.completed", "slow"));
    assert.equal(ofType(top(events), "node.started").filter((e) => e.nodeId === "first").length, 1, "runs once");
    assert.equal(events.at(-1)!.type, "workflow.completed", "the run still waits for the slow branch");
  });
  await t.step("with the only branch that ran (as after control.switch)", async () => {
    const { result } = await runObject({
      nodes: [
        { id: "check", type: "control.if", config: { value: 7, condition: "true" } },
        { id: "yes", type: "test.sleep", config: { ms: 10 } },
        { id: "no", type: "test.noop" },
        { id: "first", type: "flow.merge", config: { mode: "first" } },
      ],
      connections: [
        { from: "check.true", to: "yes.in" },
        { from: "check.false", to: "no.in" },
        { from: "no.out", to: "first.no" },
        { from: "yes.out", to: "first.yes" },
      ],
      outputs: { value: "first.value" },
    });
    assert.deepEqual(result.outputs, { value: 7 });
  });
  await t.step("skipped when nothing arrives", async () => {
    const { events } = await runObject({
      nodes: [
        { id: "check", type: "control.if", config: { value: 1, condition: "false" } },
        { id: "first", type: "flow.merge", config: { mode: "first" } },
      ],
      connections: [{ from: "check.true", to: "first.a" }],
    });
    assert.deepEqual(skippedOf(events), [["first", "none of its inputs arrived"]]);
  });
});

Deno.test("control.switch routes to the first matching case, else to the default port", async (t) => {
  const workflow = (defaultPort?: string) => ({
    inputs: { v: { type: "any" } },
    nodes: [
      {
        id: "route",
        type: "control.switch",
        config: {
          cases: [
            { port: "neg", condition: "$value < 0" },
            { port: "small", condition: "$value < 10" },
            { port: "medium", condition: "{{ $value < 100 }}" },
          ],
          ...(defaultPort ? { default: defaultPort } : {}),
        },
      },
      { id: "a", type: "test.noop" },
      { id: "b", type: "test.noop" },
      { id: "c", type: "test.noop" },
      { id: "d", type: "test.noop" },
    ],
    connections: [
      { from: "$inputs.v", to: "route.value" },
      { from: "route.neg", to: "a.in" },
      { from: "route.small", to: "b.in" },
      { from: "route.medium", to: "c.in" },
      { from: `route.${defaultPort ?? "default"}`, to: "d.in" },
    ],
    outputs: { neg: "a.out", small: "b.out", medium: "c.out", other: "d.out" },
  });
  await t.step("a value matching several cases goes to the first only", async () => {
    const { result, events } = await runObject(workflow(), { inputs: { v: 5 } });
    assert.deepEqual(result.outputs, { small: 5 });
    assert.deepEqual(ofType(events, "node.completed")[0].outputs, { small: 5 });
    assert.deepEqual(skippedOf(events).sort(), [
      ["a", 'no value on "route.neg"'],
      ["c", 'no value on "route.medium"'],
      ["d", 'no value on "route.default"'],
    ]);
  });
  await t.step("each case", async () => {
    assert.deepEqual((await runObject(workflow(), { inputs: { v: -1 } })).result.outputs, { neg: -1 });
    assert.deepEqual((await runObject(workflow(), { inputs: { v: 50 } })).result.outputs, { medium: 50 });
  });
  await t.step("no case matches: the default port", async () => {
    assert.deepEqual((await runObject(workflow(), { inputs: { v: 500 } })).result.outputs, { other: 500 });
  });
  await t.step(
    "a condition that fails stops the switch (JSONata does not compare a string with a number)",
    async () => {
      const { result } = await runObject(workflow(), { inputs: { v: "text" } });
      assert.deepEqual(result.error, {
        message: 'The values "text" and 0 either side of operator "<" must be of the same data type (at position 8)',
        code: "NODE_ERROR",
        nodeId: "route",
      });
    },
  );
  await t.step("a renamed default port", async () => {
    const { result, events } = await runObject(workflow("fallback"), { inputs: { v: 500 } });
    assert.deepEqual(result.outputs, { other: 500 });
    assert.deepEqual(ofType(events, "node.completed")[0].outputs, { fallback: 500 });
  });
});

Deno.test("control.switch problems are validation errors", async (t) => {
  const registry = testRegistry().registry;
  const validate = (config: Record<string, unknown>, connections: unknown[] = []) =>
    validationIssues(() =>
      validateWorkflow({
        nodes: [
          { id: "route", type: "control.switch", config: { value: 1, ...config } },
          { id: "a", type: "test.noop" },
          { id: "b", type: "test.noop" },
        ],
        connections,
      }, registry)
    );
  await t.step("duplicate case ports and a case named like the default port", () => {
    assert.deepEqual(
      validate({
        cases: [
          { port: "x", condition: "true" },
          { port: "x", condition: "false" },
          { port: "default", condition: "true" },
        ],
      }),
      [
        'nodes[0].config.cases[1].port: duplicate port "x"',
        'nodes[0].config.cases[2].port: "default" is also the default port',
      ],
    );
    assert.deepEqual(validate({ cases: [{ port: "x", condition: "true" }], default: "x" }), [
      'nodes[0].config.cases[0].port: "x" is also the default port',
    ]);
  });
  await t.step("a bad condition, a bad port name, no cases", () => {
    const issues = validate({ cases: [{ port: "ok", condition: "$value <" }, { port: "9bad", condition: "1" }] });
    assert.equal(issues.length, 2);
    assert.match(issues[0], /^nodes\[0\]\.config\.cases\[0\]\.condition: "\$value <": syntax error at position 8: /);
    assert.equal(
      issues[1],
      'nodes[0].config.cases[1].port: expected a port name matching [A-Za-z_][A-Za-z0-9_-]*; got "9bad"',
    );
    assert.deepEqual(validate({ cases: [] }), ["nodes[0].config.cases: expected >= 1 in length; got []"]);
  });
  await t.step("connections from ports the switch does not have", () => {
    assert.deepEqual(
      validate({ cases: [{ port: "x", condition: "true" }], default: "other" }, [
        { from: "route.nope", to: "a.in" },
        { from: "route.default", to: "b.in" },
      ]),
      [
        'connections[0].from: node "route" (control.switch) has no output port "nope"; outputs: x, other',
        'connections[1].from: node "route" (control.switch) has no output port "default"; outputs: x, other',
      ],
    );
  });
});

Deno.test({
  name: "control.switch with an invalid config reports only that, not its connections",
  fn() {
    const issues = validationIssues(() =>
      validateWorkflow({
        nodes: [
          { id: "route", type: "control.switch", config: { value: 1, cases: [{ port: "ok", condition: "$value <" }] } },
          { id: "a", type: "test.noop" },
        ],
        connections: [{ from: "route.ok", to: "a.in" }],
      }, testRegistry().registry)
    );
    assert.equal(issues.length, 1, issues.join("\n"));
    assert.match(issues[0], /^nodes\[0\]\.config\.cases\[0\]\.condition: /);
  },
});

Deno.test("control.loop runs a sub-workflow per item", async (t) => {
  const loopWorkflow = (config: Record<string, unknown>) => ({
    id: "outer",
    inputs: { items: { type: "array" } },
    nodes: [{
      id: "each",
      type: "control.loop",
      config: {
        ...config,
        workflow: {
          nodes: [
            { id: "wait", type: "test.sleep", config: { ms: "{{ $inputs.item.ms }}" } },
            { id: "check", type: "control.if", config: { condition: "$value.fail = true" } },
            { id: "boom", type: "test.fail" },
            { id: "ok", type: "transform.set", config: { value: "{{ $node.v.ms * 10 }}" } },
          ],
          connections: [
            { from: "$inputs.item", to: "wait.in" },
            { from: "wait.out", to: "check.value" },
            { from: "check.true", to: "boom.in" },
            { from: "check.false", to: "ok.v" },
          ],
          outputs: { index: "$inputs.index", value: "ok.value" },
        },
      },
    }],
    connections: [{ from: "$inputs.items", to: "each.items" }],
    outputs: { results: "each.results" },
  });
  const iterationsCompleted = (events: FlowEvent[]) =>
    ofType(events, "workflow.completed").filter((e) => e.parentNodeId === "each").map((e) => e.iteration);

  await t.step("results come in item order while items finish out of order", async () => {
    const items = [{ ms: 120 }, { ms: 5 }, { ms: 60 }];
    const { result, events } = await runObject(loopWorkflow({ concurrency: 3 }), { inputs: { items } });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    assert.deepEqual(result.outputs.results, [
      { index: 0, value: 1200 },
      { index: 1, value: 50 },
      { index: 2, value: 600 },
    ]);
    assert.deepEqual(iterationsCompleted(events), [1, 2, 0]);
  });

  await t.step("concurrency: at most config.concurrency iterations run at once, and that many do", async () => {
    for (const concurrency of [1, 3]) {
      const { registry, stats } = testRegistry();
      let open = 0, maxOpen = 0;
      const items = [30, 10, 20, 5, 25, 15, 10].map((ms) => ({ ms }));
      const { result } = await runObject(loopWorkflow({ concurrency }), {
        registry,
        inputs: { items },
        onEvent: (e) => {
          if (e.parentNodeId !== "each") return;
          if (e.type === "workflow.started") maxOpen = Math.max(maxOpen, ++open);
          if (e.type === "workflow.completed") open--;
        },
      });
      assert.equal(result.status, "success");
      assert.equal(maxOpen, concurrency, "iterations open at once (events)");
      assert.equal(stats.maxActive, concurrency, "sleeping nodes at once");
      assert.equal(stats.calls, items.length);
      assert.equal(open, 0);
    }
  });

  await t.step("the default concurrency is 1", async () => {
    const { registry, stats } = testRegistry();
    await runObject(loopWorkflow({}), { registry, inputs: { items: [{ ms: 5 }, { ms: 5 }, { ms: 5 }] } });
    assert.equal(stats.maxActive, 1);
  });

  await t.step('onItemError "continue": a failed item\'s slot holds { error: { message, code } }', async () => {
    const items = [{ ms: 5 }, { ms: 1, fail: true }, { ms: 1 }];
    const { result } = await runObject(loopWorkflow({ concurrency: 2, onItemError: "continue" }), {
      inputs: { items },
    });
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs.results, [
      { index: 0, value: 50 },
      { error: { message: "boom", code: "NODE_ERROR" } },
      { index: 2, value: 10 },
    ]);
  });

  await t.step("by default a failed item fails the loop and no further item starts", async () => {
    const items = [{ ms: 1 }, { ms: 1, fail: true }, { ms: 1 }, { ms: 1 }];
    const { result, events } = await runObject(loopWorkflow({}), { inputs: { items } });
    assert.equal(result.status, "failed");
    assert.deepEqual(result.error, { message: "item 1 failed: boom", code: "NODE_ERROR", nodeId: "each" });
    assert.deepEqual(
      ofType(events, "workflow.started").filter((e) => e.parentNodeId === "each").map((e) => e.iteration),
      [0, 1],
    );
  });

  await t.step("an empty list gives empty results and no iterations", async () => {
    const { result, events } = await runObject(loopWorkflow({ concurrency: 4 }), { inputs: { items: [] } });
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs, { results: [] });
    assert.ok(events.every((e) => e.parentNodeId === undefined));
  });

  await t.step("inner events: same executionId, parentNodeId and iteration, one gapless seq", async () => {
    const items = [{ ms: 20 }, { ms: 1 }, { ms: 10 }];
    const { events } = await runObject(loopWorkflow({ concurrency: 2 }), {
      inputs: { items },
      executionId: "loop-exec",
    });
    assertGapless(events);
    assert.equal(events[0].executionId, "loop-exec");
    const inner = events.filter((e) => e.parentNodeId !== undefined);
    const outer = events.filter((e) => e.parentNodeId === undefined);
    assert.ok(inner.length > 0);
    for (const e of inner) {
      assert.equal(e.parentNodeId, "each");
      assert.ok(e.iteration === 0 || e.iteration === 1 || e.iteration === 2, `iteration ${e.iteration}`);
      assert.equal(e.runPath, `each[${e.iteration}]`);
      assert.equal(e.workflowId, "outer.each");
    }
    for (const e of outer) {
      assert.ok(!("iteration" in e) && !("parentNodeId" in e) && !("runPath" in e));
      assert.equal(e.workflowId, "outer");
    }
    // Each iteration is a whole sub-run: started first, completed last, between the loop's own start and end.
    for (const i of [0, 1, 2]) {
      const own = inner.filter((e) => e.iteration === i);
      assert.equal(own[0].type, "workflow.started");
      assert.equal(own.at(-1)!.type, "workflow.completed");
      assert.ok(own[0].seq > seqOf(events, "node.started", "each"));
      assert.ok(own.at(-1)!.seq < seqOf(events, "node.completed", "each"));
    }
  });
});

Deno.test("flow.subworkflow runs a workflow as one node", async (t) => {
  const double = {
    id: "double",
    inputs: { n: { type: "number" } },
    nodes: [{ id: "d", type: "transform.set", config: { value: "{{ $inputs.n * 2 }}" } }],
    connections: [],
    outputs: { doubled: "d.value", n: "$inputs.n" },
  };
  await t.step("inline: inputs from a connection and a constant, outputs as ports", async () => {
    const { result, events } = await runObject({
      nodes: [
        { id: "src", type: "test.noop", config: { in: 21 } },
        { id: "call", type: "flow.subworkflow", config: { workflow: double } },
        { id: "use", type: "transform.set", config: { value: "got {{ $node.x }}" } },
      ],
      connections: [{ from: "src.out", to: "call.n" }, { from: "call.doubled", to: "use.x" }],
      outputs: { use: "use.value", all: "call.outputs" },
    });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    assert.deepEqual(result.outputs, { use: "got 42", all: { doubled: 42, n: 21 } });
    const callCompleted = ofType(top(events), "node.completed").find((e) => e.nodeId === "call")!;
    assert.deepEqual(callCompleted.outputs, { doubled: 42, n: 21, outputs: { doubled: 42, n: 21 } });
    const inner = events.filter((e) => e.parentNodeId === "call");
    assert.deepEqual(inner.map((e) => e.type), [
      "workflow.started",
      "node.started",
      "node.completed",
      "workflow.completed",
    ]);
    assert.ok(inner.every((e) => e.workflowId === "double" && !("iteration" in e)));
    assertGapless(events);
  });
  await t.step("workflowFile is relative to the file that names it", async () => {
    const dir = await writeFiles({
      "parent.json": {
        id: "parent",
        nodes: [{ id: "call", type: "flow.subworkflow", config: { workflowFile: "./sub/quad.json", n: 5 } }],
        connections: [],
        outputs: { quad: "call.quad" },
      },
      // sub/quad.json calls sub/double.json by a path relative to sub/.
      "sub/quad.json": {
        id: "quad",
        inputs: { n: { type: "number" } },
        nodes: [
          { id: "once", type: "flow.subworkflow", config: { workflowFile: "double.json" } },
          { id: "twice", type: "flow.subworkflow", config: { workflowFile: "./double.json" } },
        ],
        connections: [{ from: "$inputs.n", to: "once.n" }, { from: "once.doubled", to: "twice.n" }],
        outputs: { quad: "twice.doubled" },
      },
      "sub/double.json": double,
    });
    const { result, events } = await runFile(`${dir}/parent.json`);
    assert.equal(result.status, "success", JSON.stringify(result.error));
    assert.deepEqual(result.outputs, { quad: 20 });
    assert.deepEqual(
      ofType(events, "workflow.started").map((e) => [e.workflowId, e.parentNodeId, e.runPath]),
      [["parent", undefined, undefined], ["quad", "call", "call"], ["double", "once", "call/once"], [
        "double",
        "twice",
        "call/twice",
      ]],
    );
  });
  await t.step("a missing or invalid sub-workflow file is a validation error", async () => {
    const dir = await writeFiles({
      "parent.json": {
        nodes: [
          { id: "a", type: "flow.subworkflow", config: { workflowFile: "nope.json" } },
          { id: "b", type: "flow.subworkflow", config: { workflowFile: "bad.json" } },
        ],
        connections: [],
      },
      "bad.json": { nodes: [{ id: "x", type: "http.reqest" }], connections: [] },
    });
    await assert.rejects(loadWorkflow(`${dir}/parent.json`, builtinRegistry()), (err: unknown) => {
      assert.ok(err instanceof WorkflowValidationError);
      assert.deepEqual(err.issues.map((i) => `${i.path}: ${i.message}`), [
        "nodes[0].config.workflowFile: nope.json: cannot read workflow: file not found",
        'nodes[1].config.workflowFile: bad.json: nodes[0].type: unknown node type "http.reqest"; did you mean http.request?',
      ]);
      return true;
    });
  });
  await t.step("an output the sub-workflow does not declare is a validation error", () => {
    const issues = validationIssues(() =>
      validateWorkflow({
        nodes: [
          { id: "call", type: "flow.subworkflow", config: { workflow: double, n: 1 } },
          { id: "a", type: "test.noop" },
        ],
        connections: [{ from: "call.tripled", to: "a.in" }],
      }, testRegistry().registry)
    );
    assert.deepEqual(issues, [
      'connections[0].from: node "call" (flow.subworkflow) has no output port "tripled"; outputs: outputs, doubled, n',
    ]);
  });
  await t.step("unknown or missing sub-workflow inputs are validation errors", () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { n: 1, bogus: 2 },
        'nodes[0]: input "bogus" is not an input of sub-workflow inline workflow of "call" (its inputs: n)',
      ],
      [{}, 'nodes[0]: sub-workflow inline workflow of "call" requires input "n": connect it or set config.n'],
    ];
    for (const [constants, message] of cases) {
      const issues = validationIssues(() =>
        validateWorkflow({
          nodes: [{ id: "call", type: "flow.subworkflow", config: { workflow: double, ...constants } }],
          connections: [],
        }, testRegistry().registry)
      );
      assert.deepEqual(issues, [message]);
    }
  });
  await t.step("a loop's sub-workflow may need no input besides item and index", () => {
    const issues = validationIssues(() =>
      validateWorkflow({
        nodes: [{ id: "each", type: "control.loop", config: { workflow: double, items: [1] } }],
        connections: [],
      }, testRegistry().registry)
    );
    assert.deepEqual(issues, [
      'nodes[0]: sub-workflow inline workflow of "each" requires input "n", but a loop passes only item and index',
    ]);
  });
  await t.step("a mistyped sub-workflow input fails the node with BAD_INPUT before the child starts", async () => {
    const { result, events } = await runObject({
      nodes: [{ id: "call", type: "flow.subworkflow", config: { workflow: double, n: "x" } }],
      connections: [],
    });
    assert.deepEqual(result.error, {
      message: 'sub-workflow inline workflow of "call": inputs.n: expected number; got "x"',
      code: "BAD_INPUT",
      nodeId: "call",
    });
    assert.ok(!events.some((e) => e.parentNodeId === "call"), "the sub-workflow never starts");
  });
  await t.step("a failing child fails the node with its code; the child's events are in the stream", async () => {
    const { result, events } = await runObject({
      nodes: [
        {
          id: "call",
          type: "flow.subworkflow",
          config: { workflow: { id: "child", nodes: [{ id: "f", type: "test.fail" }], connections: [] } },
        },
        { id: "after", type: "test.noop" },
      ],
      connections: [{ from: "call.outputs", to: "after.in" }],
    });
    assert.equal(result.status, "failed");
    assert.deepEqual(result.error, { message: "sub-workflow failed: boom", code: "NODE_ERROR", nodeId: "call" });
    const childFailed = ofType(events, "node.failed").find((e) => e.parentNodeId === "call")!;
    assert.deepEqual([childFailed.nodeId, childFailed.workflowId, childFailed.error], [
      "f",
      "child",
      { message: "boom", code: "NODE_ERROR" },
    ]);
    const childDone = ofType(events, "workflow.completed").find((e) => e.parentNodeId === "call")!;
    assert.equal(childDone.status, "failed");
    assert.deepEqual(result.nodes.map((n) => n.status), ["failed", "pending"]);
  });
});

Deno.test("recursion through workflowFile", async (t) => {
  // sum.json: total(n) = n + total(n - 1), total(0) = 0, stopping through control.if.
  const sum = {
    id: "sum",
    inputs: { n: { type: "number" } },
    nodes: [
      { id: "more", type: "control.if", config: { condition: "$value > 0" } },
      { id: "dec", type: "transform.set", config: { value: "{{ $node.v - 1 }}" } },
      { id: "again", type: "flow.subworkflow", config: { workflowFile: "sum.json" } },
      { id: "add", type: "transform.set", config: { value: "{{ $node.sub + $inputs.n }}" } },
      { id: "zero", type: "transform.set", config: { value: 0 } },
      { id: "out", type: "flow.merge", config: { mode: "first" } },
    ],
    connections: [
      { from: "$inputs.n", to: "more.value" },
      { from: "more.true", to: "dec.v" },
      { from: "dec.value", to: "again.n" },
      { from: "again.total", to: "add.sub" },
      { from: "more.false", to: "zero.when" },
      { from: "add.value", to: "out.rec" },
      { from: "zero.value", to: "out.base" },
    ],
    outputs: { total: "out.value" },
  };
  const self = {
    id: "self",
    inputs: { n: { type: "number", default: 0 } },
    nodes: [{ id: "again", type: "flow.subworkflow", config: { workflowFile: "./self.json" } }],
    connections: [],
    outputs: { n: "again.n" },
  };
  const dir = await writeFiles({ "sum.json": sum, "self.json": self });

  await t.step("a workflow that calls itself stops at the default depth of 16 with RECURSION_LIMIT", async () => {
    const { result, events } = await runFile(`${dir}/self.json`);
    assert.equal(result.status, "failed");
    assert.deepEqual(result.error, {
      message:
        "sub-workflow nesting deeper than 16 levels: self > ./self.json > ./self.json > ./self.json > ... > ./self.json > ./self.json",
      code: "RECURSION_LIMIT",
      nodeId: "again",
    });
    const failed = ofType(events, "node.failed");
    assert.equal(failed.length, 17, "the node at each of the 17 levels fails");
    assert.ok(failed.every((e) => e.error.code === "RECURSION_LIMIT" && e.error.message === result.error!.message));
    assert.equal(ofType(events, "workflow.started").length, 17);
    assertGapless(events);
  });
  await t.step("maxDepth sets the limit; RECURSION_LIMIT is not retried", async () => {
    const withRetry = { ...self, nodes: [{ ...self.nodes[0], retry: { maxAttempts: 3, delayMs: 1 } }] };
    const retryDir = await writeFiles({ "self.json": withRetry });
    const { result, events } = await runFile(`${retryDir}/self.json`, {}, { maxDepth: 3 });
    assert.deepEqual(result.error, {
      message:
        "sub-workflow nesting deeper than 3 levels: self > ./self.json > ./self.json > ./self.json > ... > ./self.json > ./self.json",
      code: "RECURSION_LIMIT",
      nodeId: "again",
    });
    assert.equal(ofType(events, "node.started").length, 4, "one attempt per level");
    assert.equal(ofType(events, "node.retrying").length, 0);
  });
  await t.step("bounded self-recursion stops through control.if", async () => {
    const { result, events } = await runFile(`${dir}/sum.json`, { n: 5 });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    assert.deepEqual(result.outputs, { total: 15 });
    assert.equal(ofType(events, "workflow.started").length, 6, "n = 5, 4, 3, 2, 1, 0");
    assertGapless(events);
  });
  await t.step("16 nested levels are allowed; 17 are not", async () => {
    assert.deepEqual((await runFile(`${dir}/sum.json`, { n: 16 })).result.outputs, { total: 136 });
    const { result } = await runFile(`${dir}/sum.json`, { n: 17 });
    assert.equal(result.error?.code, "RECURSION_LIMIT");
  });
  await t.step("maxDepth applies to bounded recursion too", async () => {
    const { result } = await runFile(`${dir}/sum.json`, { n: 5 }, { maxDepth: 4 });
    assert.equal(result.status, "failed");
    assert.equal(result.error?.code, "RECURSION_LIMIT");
    assert.match(result.error!.message, /^sub-workflow nesting deeper than 4 levels: sum > sum\.json > /);
  });
});

Deno.test("transform.set, transform.map and transform.pick", async (t) => {
  await t.step("transform.set builds a value from connected inputs", async () => {
    const { result } = await runObject({
      nodes: [
        { id: "a", type: "test.noop", config: { in: { name: "Ada" } } },
        { id: "b", type: "test.noop", config: { in: [1, 2] } },
        {
          id: "s",
          type: "transform.set",
          config: { value: { greeting: "Hi {{ $node.a.name }}", count: "{{ $count($node.b) }}", fixed: [true, null] } },
        },
      ],
      connections: [{ from: "a.out", to: "s.a" }, { from: "b.out", to: "s.b" }],
      outputs: { v: "s.value" },
    });
    assert.deepEqual(result.outputs.v, { greeting: "Hi Ada", count: 2, fixed: [true, null] });
  });
  await t.step("transform.set: a connected input that is skipped skips the node", async () => {
    const { events } = await runObject({
      nodes: [
        { id: "c", type: "control.if", config: { value: 1, condition: "false" } },
        { id: "s", type: "transform.set", config: { value: "x" } },
      ],
      connections: [{ from: "c.true", to: "s.x" }],
    });
    assert.deepEqual(skippedOf(events), [["s", 'no value on "c.true"']]);
  });
  await t.step("transform.map: $item and $index; no value becomes null", async () => {
    const { result } = await runObject({
      nodes: [{
        id: "m",
        type: "transform.map",
        config: { items: [{ n: "a" }, { x: 1 }, { n: "c" }], expression: "$item.n ? $item.n & $index : undefined" },
      }],
      connections: [],
      outputs: { items: "m.items" },
    });
    assert.deepEqual(result.outputs, { items: ["a0", null, "c2"] });
  });
  await t.step("transform.map over an empty array and a failing expression", async () => {
    const empty = await runObject({
      nodes: [{ id: "m", type: "transform.map", config: { items: [], expression: "$item" } }],
      connections: [],
      outputs: { items: "m.items" },
    });
    assert.deepEqual(empty.result.outputs, { items: [] });
    const failing = await runObject({
      nodes: [{ id: "m", type: "transform.map", config: { items: [1, "x"], expression: "$item * 2" } }],
      connections: [],
    });
    assert.equal(failing.result.status, "failed");
    assert.match(failing.result.error!.message, /The left side of the "\*" operator must evaluate to a number/);
  });
  await t.step("transform.map: items must be an array", async () => {
    const { result } = await runObject({
      nodes: [
        { id: "src", type: "test.noop", config: { in: { not: "array" } } },
        { id: "m", type: "transform.map", config: { expression: "$item" } },
      ],
      connections: [{ from: "src.out", to: "m.items" }],
    });
    assert.deepEqual(result.error, {
      message: 'input "items": expected array; got {"not":"array"} (from src.out)',
      code: "INPUT_TYPE",
      nodeId: "m",
    });
  });
  await t.step("transform.pick keeps the listed keys that exist", async () => {
    const { result } = await runObject({
      nodes: [
        { id: "src", type: "test.noop", config: { in: { id: 1, name: "Ada", email: "a@x", nested: { a: 1 } } } },
        { id: "p", type: "transform.pick", config: { keys: ["name", "nested", "missing", "id"] } },
      ],
      connections: [{ from: "src.out", to: "p.object" }],
      outputs: { picked: "p.object" },
    });
    assert.deepEqual(result.outputs.picked, { name: "Ada", nested: { a: 1 }, id: 1 });
    assert.deepEqual(Object.keys(result.outputs.picked as object), ["name", "nested", "id"], "in the order of keys");
  });
  await t.step("transform.pick does not pick inherited properties", async () => {
    const { result } = await runObject({
      nodes: [{ id: "p", type: "transform.pick", config: { object: { a: 1 }, keys: ["a", "toString", "__proto__"] } }],
      connections: [],
      outputs: { picked: "p.object" },
    });
    assert.deepEqual(result.outputs.picked, { a: 1 });
  });
  await t.step("transform.pick: problems", async () => {
    assert.deepEqual(
      validationIssues(() =>
        validateWorkflow({
          nodes: [
            { id: "p", type: "transform.pick", config: { object: {}, keys: [] } },
            { id: "q", type: "transform.pick", config: { object: [1], keys: ["a"] } },
          ],
          connections: [],
        }, builtinRegistry())
      ),
      ["nodes[0].config.keys: expected >= 1 in length; got []", "nodes[1].config.object: expected object; got [1]"],
    );
    const { result } = await runObject({
      nodes: [
        { id: "src", type: "test.noop", config: { in: "text" } },
        { id: "p", type: "transform.pick", config: { keys: ["a"] } },
      ],
      connections: [{ from: "src.out", to: "p.object" }],
    });
    assert.deepEqual(result.error, {
      message: 'input "object": expected object; got "text" (from src.out)',
      code: "INPUT_TYPE",
      nodeId: "p",
    });
  });
});

Deno.test("writeWorkflow + loadWorkflow: a sub-workflow file next to a temp workflow", async () => {
  // The helper's temp folder works as a base for workflowFile too.
  const path = await writeWorkflow({
    nodes: [{ id: "call", type: "flow.subworkflow", config: { workflowFile: "child.json" } }],
    connections: [],
    outputs: { v: "call.v" },
  });
  await Deno.writeTextFile(
    `${dirname(path)}/child.json`,
    JSON.stringify({
      nodes: [{ id: "s", type: "transform.set", config: { value: 1 } }],
      connections: [],
      outputs: { v: "s.value" },
    }),
  );
  const { result } = await runFile(path);
  assert.deepEqual(result.outputs, { v: 1 });
});
