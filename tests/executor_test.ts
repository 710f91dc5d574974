import assert from "node:assert/strict";
import { defineNode, type FlowEvent, Registry } from "../mod.ts";
import { builtinNodes } from "../nodes/mod.ts";
import { ofType, runObject, testRegistry } from "./helpers.ts";

const startedOrder = (events: FlowEvent[]) => ofType(events, "node.started").map((e) => e.nodeId);
const completedOrder = (events: FlowEvent[]) => ofType(events, "node.completed").map((e) => e.nodeId);

Deno.test("a node starts only after every upstream node completed (diamond)", async () => {
  const { result, events } = await runObject({
    nodes: [
      { id: "d", type: "flow.merge" },
      { id: "b", type: "test.sleep", config: { ms: 30 } },
      { id: "c", type: "test.sleep", config: { ms: 5 } },
      { id: "a", type: "test.noop", config: { in: 1 } },
    ],
    connections: [
      { from: "a.out", to: "b.in" },
      { from: "a.out", to: "c.in" },
      { from: "b.out", to: "d.x" },
      { from: "c.out", to: "d.y" },
    ],
    outputs: { d: "d.merged" },
  });
  assert.equal(result.status, "success");
  assert.deepEqual(result.outputs, { d: { x: 1, y: 1 } });
  const seqOf = (type: string, id: string) =>
    events.find((e) => e.type === type && "nodeId" in e && e.nodeId === id)!.seq;
  for (const [up, down] of [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]]) {
    assert.ok(seqOf("node.completed", up) < seqOf("node.started", down), `${up} completes before ${down} starts`);
  }
  assert.deepEqual(completedOrder(events), ["a", "c", "b", "d"]);
});

Deno.test("independent branches run in parallel: two 300 ms branches take well under 600 ms", async () => {
  const t0 = performance.now();
  const { result, events } = await runObject({
    nodes: [
      { id: "left", type: "time.delay", config: { ms: 300, value: "l" } },
      { id: "right", type: "time.delay", config: { ms: 300, value: "r" } },
      { id: "join", type: "flow.merge" },
    ],
    connections: [{ from: "left.value", to: "join.l" }, { from: "right.value", to: "join.r" }],
    outputs: { joined: "join.merged" },
  });
  const elapsed = performance.now() - t0;
  assert.equal(result.status, "success");
  assert.deepEqual(result.outputs.joined, { l: "l", r: "r" });
  assert.ok(elapsed >= 295, `took ${elapsed} ms; the delays must really wait`);
  assert.ok(elapsed < 550, `took ${elapsed} ms; branches ran one after another`);
  assert.deepEqual(startedOrder(events).slice(0, 2), ["left", "right"]);
});

Deno.test("the concurrency limit is respected (settings and override)", async (t) => {
  const wide = (settings?: object) => ({
    nodes: Array.from({ length: 8 }, (_, i) => ({ id: `n${i}`, type: "test.sleep", config: { ms: 20 } })),
    connections: [],
    ...(settings ? { settings } : {}),
  });
  await t.step("settings.concurrency = 3", async () => {
    const { registry, stats } = testRegistry();
    const { result } = await runObject(wide({ concurrency: 3 }), { registry });
    assert.equal(result.status, "success");
    assert.equal(stats.calls, 8);
    assert.equal(stats.maxActive, 3);
  });
  await t.step("options.concurrency = 1 overrides settings", async () => {
    const { registry, stats } = testRegistry();
    await runObject(wide({ concurrency: 8 }), { registry, concurrency: 1 });
    assert.equal(stats.maxActive, 1);
  });
  await t.step("default 16 lets all 8 run at once", async () => {
    const { registry, stats } = testRegistry();
    await runObject(wide(), { registry });
    assert.equal(stats.maxActive, 8);
  });
});

Deno.test("retries use exponential backoff and emit node.retrying", async (t) => {
  await t.step("succeeds on the third attempt", async () => {
    const { result, events } = await runObject({
      nodes: [{
        id: "f",
        type: "test.flaky",
        config: { failures: 2 },
        retry: { maxAttempts: 3, delayMs: 10, multiplier: 3 },
      }],
      connections: [],
      outputs: { n: "f.out" },
    });
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs, { n: 3 });
    const retrying = ofType(events, "node.retrying");
    assert.deepEqual(retrying.map((e) => [e.attempt, e.delayMs, e.error.message]), [
      [2, 10, "flaky failure 1"],
      [3, 30, "flaky failure 2"],
    ]);
    assert.deepEqual(ofType(events, "node.started").map((e) => e.attempt), [1, 2, 3]);
    assert.equal(result.nodes[0].attempts, 3);
  });
  await t.step("gives up after maxAttempts", async () => {
    const { registry, stats } = testRegistry();
    const { result, events } = await runObject({
      nodes: [{ id: "f", type: "test.fail", retry: { maxAttempts: 4, delayMs: 1, maxDelayMs: 2 } }],
      connections: [],
    }, { registry });
    assert.equal(result.status, "failed");
    assert.equal(stats.calls, 4);
    assert.deepEqual(ofType(events, "node.retrying").map((e) => e.delayMs), [1, 2, 2]);
    assert.equal(ofType(events, "node.failed").length, 1);
    assert.deepEqual(result.error, { message: "boom", code: "NODE_ERROR", nodeId: "f" });
  });
  await t.step("jitter keeps each delay between half and all of the backoff", async () => {
    const { events } = await runObject({
      nodes: [{
        id: "f",
        type: "test.flaky",
        config: { failures: 3 },
        retry: { maxAttempts: 4, delayMs: 20, multiplier: 2, jitter: true },
      }],
      connections: [],
    });
    const delays = ofType(events, "node.retrying").map((e) => e.delayMs);
    [20, 40, 80].forEach((full, i) => assert.ok(delays[i] >= full / 2 && delays[i] <= full, `${delays}`));
  });
});

Deno.test('onError "stop" fails the run and cancels what is in flight', async () => {
  const { registry, stats } = testRegistry();
  const { result, events } = await runObject({
    nodes: [
      { id: "slow", type: "test.sleep", config: { ms: 5000 } },
      { id: "after_slow", type: "test.noop" },
      { id: "bad", type: "test.sleep", config: { ms: 10 } },
      { id: "fail", type: "test.fail" },
    ],
    connections: [{ from: "slow.out", to: "after_slow.in" }, { from: "bad.out", to: "fail.in" }],
  }, { registry });
  assert.equal(result.status, "failed");
  assert.equal(result.error?.nodeId, "fail");
  const failed = ofType(events, "node.failed");
  assert.deepEqual(failed.map((e) => [e.nodeId, e.error.code]), [["fail", "NODE_ERROR"], ["slow", "CANCELLED"]]);
  assert.match(failed[1].error.message, /stopped because node "fail" failed/);
  assert.ok(!startedOrder(events).includes("after_slow"));
  assert.ok(result.durationMs < 2000, "the 5 s node was aborted");
  assert.equal(stats.active, 0);
  assert.equal(result.nodes.find((n) => n.id === "after_slow")?.status, "pending");
});

Deno.test('onError "continue" skips what depends on the failed node and runs the rest', async () => {
  const { result, events } = await runObject({
    nodes: [
      { id: "fail", type: "test.fail" },
      { id: "child", type: "test.noop" },
      { id: "grandchild", type: "test.noop" },
      { id: "other", type: "test.sleep", config: { ms: 20, in: "ok" } },
      { id: "join", type: "flow.merge" },
    ],
    connections: [
      { from: "fail.out", to: "child.in" },
      { from: "child.out", to: "grandchild.in" },
      { from: "grandchild.out", to: "join.a" },
      { from: "other.out", to: "join.b" },
    ],
    outputs: { other: "other.out", join: "join.merged" },
    settings: { onError: "continue" },
  });
  assert.equal(result.status, "failed", "a run with a failed node ends failed");
  // flow.merge (mode all) leaves the skipped branch out.
  assert.deepEqual(result.outputs, { other: "ok", join: { b: "ok" } });
  const skipped = ofType(events, "node.skipped");
  assert.deepEqual(skipped.map((e) => [e.nodeId, e.reason]), [
    ["child", 'upstream "fail" failed'],
    ["grandchild", 'upstream "child" was skipped'],
  ]);
  assert.deepEqual(completedOrder(events), ["other", "join"]);
});

Deno.test("a node's onError overrides the workflow's", async () => {
  const { result, events } = await runObject({
    nodes: [
      { id: "fail", type: "test.fail", onError: "continue" },
      { id: "other", type: "test.sleep", config: { ms: 10 } },
    ],
    connections: [],
  });
  assert.equal(result.status, "failed");
  assert.deepEqual(completedOrder(events), ["other"]);
});

Deno.test('onError "retry" re-runs the whole workflow up to maxWorkflowRetries', async (t) => {
  const registryFailing = (failuresBeforeSuccess: number) => {
    let calls = 0;
    const registry = new Registry(builtinNodes).register(defineNode({
      type: "test.sometimes",
      description: "fails the first N calls across runs",
      inputs: {},
      outputs: { calls: { type: "number" } },
      run() {
        if (++calls <= failuresBeforeSuccess) throw new Error(`call ${calls} failed`);
        return { calls };
      },
    }));
    return { registry, calls: () => calls };
  };
  const wf = (retries: number) => ({
    nodes: [{ id: "s", type: "test.sometimes" }],
    connections: [],
    outputs: { calls: "s.calls" },
    settings: { onError: "retry", maxWorkflowRetries: retries },
  });
  await t.step("succeeds on the second pass", async () => {
    const { registry, calls } = registryFailing(1);
    const { result, events } = await runObject(wf(2), { registry });
    assert.equal(result.status, "success");
    assert.equal(calls(), 2);
    assert.deepEqual(ofType(events, "workflow.retrying").map((e) => [e.attempt, e.error.message]), [[
      2,
      "call 1 failed",
    ]]);
    assert.equal(ofType(events, "workflow.started").length, 1);
    assert.equal(ofType(events, "workflow.completed").length, 1);
  });
  await t.step("fails after 1 + maxWorkflowRetries passes", async () => {
    const { registry, calls } = registryFailing(10);
    const { result, events } = await runObject(wf(2), { registry });
    assert.equal(result.status, "failed");
    assert.equal(calls(), 3);
    assert.equal(ofType(events, "workflow.retrying").length, 2);
  });
});

Deno.test("timeouts abort nodes through their signal", async (t) => {
  await t.step("a node's timeoutMs fails it with TIMEOUT even if it ignores the signal", async () => {
    const { result, events } = await runObject({
      nodes: [{ id: "h", type: "test.hang", timeoutMs: 50 }],
      connections: [],
    });
    assert.equal(result.status, "failed");
    const failed = ofType(events, "node.failed")[0];
    assert.deepEqual(failed.error, { message: "timed out after 50 ms", code: "TIMEOUT" });
  });
  await t.step("a timed-out attempt is retried", async () => {
    const { events } = await runObject({
      nodes: [{ id: "h", type: "test.hang", timeoutMs: 20, retry: { maxAttempts: 2, delayMs: 1 } }],
      connections: [],
    });
    assert.equal(ofType(events, "node.retrying")[0].error.code, "TIMEOUT");
    assert.equal(ofType(events, "node.started").length, 2);
  });
  await t.step("settings.timeoutMs ends the whole run", async () => {
    const { registry, stats } = testRegistry();
    const { result, events } = await runObject({
      nodes: [{ id: "s", type: "test.sleep", config: { ms: 10000 } }, { id: "h", type: "test.hang" }],
      connections: [],
      settings: { timeoutMs: 80 },
    }, { registry });
    assert.equal(result.status, "failed");
    assert.deepEqual(result.error, { message: "workflow timed out after 80 ms", code: "TIMEOUT" });
    assert.deepEqual(ofType(events, "node.failed").map((e) => e.error.code).sort(), ["TIMEOUT", "TIMEOUT"]);
    assert.equal(stats.active, 0);
  });
});

Deno.test("aborting the signal cancels the run", async () => {
  const controller = new AbortController();
  const { registry, stats } = testRegistry();
  const { result, events } = await runObject({
    nodes: [{ id: "s", type: "test.sleep", config: { ms: 10000 } }, { id: "next", type: "test.noop" }],
    connections: [{ from: "s.out", to: "next.in" }],
  }, {
    registry,
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === "node.started") controller.abort();
    },
  });
  assert.equal(result.status, "cancelled");
  assert.equal(result.error?.code, "CANCELLED");
  assert.deepEqual(ofType(events, "node.failed").map((e) => e.error.code), ["CANCELLED"]);
  assert.equal(events.at(-1)?.type, "workflow.completed");
  assert.equal(stats.active, 0);
});

Deno.test("node failures that are the node's own fault are reported clearly", async (t) => {
  const registry = testRegistry().registry
    .register(defineNode({
      type: "test.bad_output",
      description: "returns a string",
      inputs: {},
      outputs: { out: { type: "any" } },
      run: () => "nope" as never,
    }))
    .register(defineNode({
      type: "test.wants_string",
      description: "takes a string",
      inputs: { s: { type: "string" } },
      outputs: {},
      run: () => ({}),
    }));
  await t.step("non-object result", async () => {
    const { result } = await runObject({ nodes: [{ id: "b", type: "test.bad_output" }], connections: [] }, {
      registry,
    });
    assert.deepEqual(result.error, {
      message: "test.bad_output returned string; a node must return an object of outputs",
      code: "BAD_OUTPUT",
      nodeId: "b",
    });
  });
  await t.step("input of the wrong type", async () => {
    const { result } = await runObject({
      nodes: [{ id: "n", type: "test.noop", config: { in: 42 } }, { id: "w", type: "test.wants_string" }],
      connections: [{ from: "n.out", to: "w.s" }],
    }, { registry });
    assert.deepEqual(result.error, {
      message: 'input "s": expected string; got 42 (from n.out)',
      code: "INPUT_TYPE",
      nodeId: "w",
    });
  });
});

Deno.test("workflow inputs and config constants reach nodes; a connection wins over config", async () => {
  const { result } = await runObject({
    inputs: { who: { type: "string" } },
    nodes: [
      { id: "a", type: "test.noop", config: { in: "from config" } },
      { id: "b", type: "test.noop", config: { in: "ignored" } },
    ],
    connections: [{ from: "$inputs.who", to: "b.in" }],
    outputs: { a: "a.out", b: "b.out", who: "$inputs.who" },
  }, { inputs: { who: "from input" } });
  assert.deepEqual(result.outputs, { a: "from config", b: "from input", who: "from input" });
});

Deno.test("per-run node state persists across attempts but not across runs", async () => {
  const wf = {
    nodes: [{ id: "f", type: "test.flaky", config: { failures: 1 }, retry: { maxAttempts: 2, delayMs: 1 } }],
    connections: [],
    outputs: { n: "f.out" },
  };
  const { registry } = testRegistry();
  assert.deepEqual((await runObject(wf, { registry })).result.outputs, { n: 2 });
  assert.deepEqual((await runObject(wf, { registry })).result.outputs, { n: 2 });
});

Deno.test("node.log events carry the node id and level", async () => {
  const { events } = await runObject({
    nodes: [{ id: "say", type: "debug.log", config: { message: "hello", level: "warn" } }],
    connections: [],
  });
  const logs = ofType(events, "node.log");
  assert.deepEqual(logs.map((e) => [e.nodeId, e.level, e.message]), [["say", "warn", "hello"]]);
});

Deno.test("long chains of synchronous nodes run without deep recursion", async () => {
  const n = 20_000;
  const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: "test.noop", config: { in: i } }));
  const connections = nodes.slice(1).map((_, i) => ({ from: `n${i}.out`, to: `n${i + 1}.in` }));
  let count = 0;
  const { result } = await runObject({ nodes, connections, outputs: { last: `n${n - 1}.out` } }, {
    onEvent: () => count++,
  });
  assert.equal(result.status, "success");
  assert.equal(result.outputs.last, 0);
  assert.equal(count, 2 + 2 * n);
});

Deno.test("skips propagate through long chains without deep recursion", async () => {
  const n = 20_000;
  const nodes = [
    { id: "fail", type: "test.fail" },
    ...Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: "test.noop" })),
  ];
  const connections = [
    { from: "fail.out", to: "n0.in" },
    ...Array.from({ length: n - 1 }, (_, i) => ({ from: `n${i}.out`, to: `n${i + 1}.in` })),
  ];
  const { result } = await runObject({ nodes, connections, settings: { onError: "continue" } });
  assert.equal(result.nodes.filter((s) => s.status === "skipped").length, n);
});

Deno.test("a node skipped at the start (missing optional workflow input) is reported once, as are its dependants", async () => {
  const { result, events } = await runObject({
    inputs: { maybe: { type: "string", required: false } },
    nodes: [
      { id: "first", type: "debug.log" },
      { id: "second", type: "test.noop" },
      { id: "other", type: "test.noop", config: { in: 1 } },
    ],
    connections: [{ from: "$inputs.maybe", to: "first.message" }, { from: "first.message", to: "second.in" }],
  });
  assert.equal(result.status, "success");
  assert.deepEqual(ofType(events, "node.skipped").map((e) => [e.nodeId, e.reason]), [
    ["first", 'workflow input "maybe" has no value'],
    ["second", 'upstream "first" was skipped'],
  ]);
  assert.deepEqual(completedOrder(events), ["other"]);
});
