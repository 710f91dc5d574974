/**
 * The live view's fold of a run (`cli/progress.ts`) and its block
 * (`cli/live.ts`), in process: counts of top-level nodes, each loop's items
 * and their total (known from a constant, a workflow input or a node's
 * output; unknown from a sub-run's inputs), and block lines that never wrap.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { FlowEvent } from "../mod.ts";
import { palette } from "../cli/color.ts";
import { fitLine, statusBlock, worthALine } from "../cli/live.ts";
import { type LoopProgress, LoopTotals, RunProgress } from "../cli/progress.ts";
import { runObject, testRegistry } from "./helpers.ts";
import { validateWorkflow } from "../mod.ts";

/** A sub-workflow of one node passing its item on. */
const body = { nodes: [{ id: "one", type: "test.noop" }], connections: [{ from: "$inputs.item", to: "one.in" }] };

/**
 * Runs `workflow` and folds its events, recording each loop as it was last
 * seen running, and the most nodes seen retrying at once.
 */
async function fold(workflow: Record<string, unknown>, inputs: Record<string, unknown> = {}) {
  const { registry } = testRegistry();
  const compiled = validateWorkflow(workflow, registry);
  const progress = new RunProgress(new LoopTotals(compiled, inputs));
  const seen = new Map<string, LoopProgress>();
  let retrying = 0;
  const { result } = await runObject(workflow, {
    registry,
    inputs,
    onEvent: (e: FlowEvent) => {
      progress.onEvent(e);
      for (const loop of progress.loops.values()) seen.set(loop.label, { ...loop });
      retrying = Math.max(retrying, progress.retrying.size);
    },
  });
  return { progress, seen, result, retrying };
}

Deno.test("a loop's total comes from a workflow input, a node's output or a constant; its items are counted", async () => {
  const { progress, seen, result } = await fold({
    id: "totals",
    inputs: { list: { type: "array" } },
    nodes: [
      { id: "fromInput", type: "control.loop", config: { workflow: body } },
      { id: "make", type: "test.noop" },
      { id: "fromNode", type: "control.loop", config: { concurrency: 2, workflow: body } },
      { id: "fromConst", type: "control.loop", config: { items: [1, 2], workflow: body } },
    ],
    connections: [
      { from: "$inputs.list", to: "fromInput.items" },
      { from: "$inputs.list", to: "make.in" },
      { from: "make.out", to: "fromNode.items" },
    ],
  }, { list: [1, 2, 3, 4, 5] });
  assert.equal(result.status, "success");
  assert.equal(seen.get("fromInput")?.total, 5);
  assert.equal(seen.get("fromNode")?.total, 5);
  assert.equal(seen.get("fromConst")?.total, 2);
  assert.deepEqual(
    { done: progress.done, nodeCount: progress.nodeCount, running: progress.running.size, loops: progress.loops.size },
    { done: 4, nodeCount: 4, running: 0, loops: 0 },
    "every node done, no loop left running",
  );
});

Deno.test("a loop in a loop's iterations: known from a node in the iteration, unknown from the iteration's inputs", async () => {
  const inner = (items: string) => ({
    nodes: [
      { id: "copy", type: "test.noop" },
      { id: "inner", type: "control.loop", config: { workflow: body } },
    ],
    connections: [{ from: "$inputs.item", to: "copy.in" }, { from: items, to: "inner.items" }],
  });
  const { seen } = await fold({
    id: "nested",
    inputs: { rows: { type: "array" } },
    nodes: [
      { id: "viaNode", type: "control.loop", config: { workflow: inner("copy.out") } },
      { id: "viaInput", type: "control.loop", config: { workflow: inner("$inputs.item") } },
    ],
    connections: [{ from: "$inputs.rows", to: "viaNode.items" }, { from: "$inputs.rows", to: "viaInput.items" }],
  }, { rows: [[1, 2, 3], [4]] });
  assert.equal(seen.get("viaNode")?.total, 2);
  assert.equal(seen.get("viaNode[0] › inner")?.total, 3);
  assert.equal(seen.get("viaNode[1] › inner")?.total, 1);
  assert.equal(seen.get("viaNode[0] › inner")?.depth, 1);
  assert.ok(seen.has("viaInput[0] › inner"));
  assert.equal(seen.get("viaInput[0] › inner")?.total, undefined, "a sub-run's inputs are not in the events");
});

Deno.test("top-level counts: failed, skipped, retrying; a loop's items done and failed", async () => {
  const { progress, seen, retrying } = await fold({
    id: "counts",
    nodes: [
      { id: "bad", type: "test.fail", onError: "continue" },
      { id: "after", type: "test.noop" },
      { id: "flaky", type: "test.flaky", retry: { maxAttempts: 2, delayMs: 1 } },
      {
        id: "each",
        type: "control.loop",
        config: {
          items: [1, 2, 3],
          onItemError: "continue",
          workflow: {
            nodes: [{ id: "two", type: "control.if", config: { condition: "$value = 2" } }, {
              id: "boom",
              type: "test.fail",
            }],
            connections: [{ from: "$inputs.item", to: "two.value" }, { from: "two.true", to: "boom.in" }],
          },
        },
      },
    ],
    connections: [{ from: "bad.out", to: "after.in" }],
  });
  assert.deepEqual(
    { done: progress.done, failed: progress.failed, skipped: progress.skipped, retrying },
    { done: 2, failed: 1, skipped: 1, retrying: 1 },
  );
  const each = seen.get("each")!;
  assert.deepEqual({ total: each.total, done: each.done, failed: each.failed }, { total: 3, done: 3, failed: 1 });
});

Deno.test("the block: counts, a bar with the rate and time left, lines cut to the terminal's width", () => {
  const p = new RunProgress();
  p.nodeCount = 3;
  p.done = 1;
  p.startedAt = 0;
  p.running.add("each");
  p.loops.set("each", { label: "each", depth: 0, total: 1000, started: 260, done: 250, failed: 2, startedAt: 0 });
  const c = palette(false);
  const [head, loop] = statusBlock(p, c, 5000, 0, { columns: 120, rows: 30 });
  assert.equal(head, "⠋ 1/3 nodes done · 1 running (each) · 5.00 s");
  assert.equal(loop, "  each █████░░░░░░░░░░░░░░░ 250/1000 items · 50/s · ETA 15.0 s · 2 failed");
  for (const line of statusBlock(p, palette(true), 5000, 0, { columns: 30, rows: 30 })) {
    // deno-lint-ignore no-control-regex
    assert.ok(line.replace(/\x1b\[[\d;]*m/g, "").length <= 29, `cut to 29 columns: ${line}`);
  }
  assert.equal(fitLine("abcdef", 4), "abc");
  assert.equal(fitLine("\x1b[1mabcdef\x1b[22m", 4), "\x1b[1mabc\x1b[0m");
});

Deno.test("the lines that need eyes: the start, logs, retries, failures (not sub-runs' cancelled nodes)", () => {
  const base = { executionId: "x", workflowId: "w", seq: 0, ts: "" };
  const error = { message: "m", code: "CANCELLED" };
  const yes: FlowEvent[] = [
    { ...base, type: "workflow.started", nodeCount: 1 },
    { ...base, type: "node.log", nodeId: "n", level: "info", message: "hi", runPath: "each[1]" },
    { ...base, type: "node.retrying", nodeId: "n", attempt: 2, delayMs: 1, error },
    { ...base, type: "node.failed", nodeId: "n", durationMs: 1, error: { message: "m", code: "X" }, runPath: "e[1]" },
    { ...base, type: "node.failed", nodeId: "n", durationMs: 1, error },
  ];
  const no: FlowEvent[] = [
    { ...base, type: "workflow.started", nodeCount: 1, parentNodeId: "each", iteration: 1, runPath: "each[1]" },
    { ...base, type: "node.started", nodeId: "n", nodeType: "t", attempt: 1 },
    { ...base, type: "node.completed", nodeId: "n", outputs: {}, durationMs: 1 },
    { ...base, type: "node.skipped", nodeId: "n", reason: "r" },
    { ...base, type: "node.failed", nodeId: "n", durationMs: 1, error, runPath: "each[1]" },
  ];
  for (const e of yes) assert.ok(worthALine(e), e.type);
  for (const e of no) assert.ok(!worthALine(e), e.type);
});
