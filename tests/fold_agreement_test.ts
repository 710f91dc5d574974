/**
 * The store's fold of a journal (`src/store/fold.ts`: `flow runs show`,
 * resume, the API's node results) and the console's (`ui/src/run/state.ts`,
 * which adds a timeline and the event log) agree on every node of every
 * (sub-)run, for the same journals: retries, failures under "continue" and
 * "stop", skips, workflow passes (`onError: "retry"`), loops and reused
 * outputs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { defineNode, type FlowEvent } from "../mod.ts";
import { foldJournal } from "../src/store/fold.ts";
import { applyEvents, createRunState } from "../ui/src/run/state.ts";
import { runObject, testRegistry } from "./helpers.ts";

/** What both folds tell of one node: run path, id, status and the values they both keep. */
type Seen = Record<string, unknown>;

function fromStore(events: FlowEvent[]): Seen[] {
  return foldJournal(events).nodes.map((n) => ({
    path: n.runPath ?? "",
    id: n.nodeId,
    type: n.nodeType,
    status: n.status,
    attempts: n.attempts,
    durationMs: n.durationMs,
    outputs: n.outputs,
    error: n.error,
    reason: n.reason,
    reused: n.reused ?? false,
  }));
}

function fromConsole(events: FlowEvent[]): Seen[] {
  const state = applyEvents(createRunState(), events);
  const seen: Seen[] = [];
  for (const run of state.runs.values()) {
    for (const n of run.nodes.values()) {
      // A node the console shows as pending has not run in the run's last pass: the journal's record has no entry.
      if (n.status === "pending") continue;
      seen.push({
        path: run.path,
        id: n.id,
        type: n.type,
        status: n.status,
        attempts: n.attempts,
        durationMs: n.durationMs,
        outputs: n.outputs,
        error: n.error,
        reason: n.reason,
        reused: n.reused ?? false,
      });
    }
  }
  return seen;
}

const byKey = (list: Seen[]) => list.map((s) => [`${s.path}/${s.id}`, s] as const).sort(([a], [b]) => a < b ? -1 : 1);

function assertAgree(events: FlowEvent[]) {
  const store = byKey(fromStore(events)), console = byKey(fromConsole(events));
  assert.ok(store.length > 0, "the journal has nodes");
  assert.deepEqual(console, store);
}

/** A registry with the test nodes and `test.fail_on_call`: fails on call number `config.call` of its node id. */
function registry() {
  const { registry } = testRegistry();
  const calls = new Map<string, number>();
  registry.register(defineNode({
    type: "test.fail_on_call",
    description: "fails on one call (counted per node id across passes)",
    inputs: { in: { type: "any", required: false } },
    outputs: { out: { type: "any" } },
    config: z.object({ call: z.number().int() }),
    run({ nodeId, config }) {
      const n = (calls.get(nodeId) ?? 0) + 1;
      calls.set(nodeId, n);
      if (n === config.call) throw new Error(`failed on call ${n}`);
      return { out: n };
    },
  }));
  return registry;
}

Deno.test("store and console folds agree: retries, onError continue, skips", async () => {
  const { events } = await runObject({
    nodes: [
      { id: "flaky", type: "test.flaky", config: { failures: 2 }, retry: { maxAttempts: 3, delayMs: 0 } },
      { id: "boom", type: "test.fail", onError: "continue" },
      { id: "after", type: "test.noop" },
      { id: "ok", type: "transform.set", config: { value: "{{ $node.in }}" } },
    ],
    connections: [{ from: "boom.out", to: "after.in" }, { from: "flaky.out", to: "ok.in" }],
  }, { registry: registry() });
  assertAgree(events);
});

Deno.test("store and console folds agree across workflow passes (onError: retry)", async () => {
  // Pass 1: a completes, b fails. Pass 2: a fails first and stops the pass: b does not run again.
  const { result, events } = await runObject({
    nodes: [
      { id: "a", type: "test.fail_on_call", config: { call: 2 } },
      { id: "b", type: "test.fail_on_call", config: { call: 1 } },
    ],
    connections: [],
    settings: { onError: "retry", maxWorkflowRetries: 1, concurrency: 1 },
  }, { registry: registry() });
  assert.equal(result.status, "failed");
  assert.ok(events.some((e) => e.type === "workflow.retrying"));
  assertAgree(events);
  assert.deepEqual(fromStore(events).map((n) => [n.id, n.status]), [["a", "failed"]]);
});

Deno.test("store and console folds agree on loops (sub-runs) and reused outputs", async () => {
  const workflow = {
    nodes: [
      { id: "first", type: "test.noop", config: { in: [1, 2, 3] } },
      {
        id: "each",
        type: "control.loop",
        config: {
          workflow: {
            nodes: [{ id: "double", type: "transform.set", config: { value: "{{ $inputs.item * 2 }}" } }],
            connections: [],
            outputs: { value: "double.value" },
          },
        },
      },
    ],
    connections: [{ from: "first.out", to: "each.items" }],
  };
  const { events } = await runObject(workflow, { registry: registry() });
  assertAgree(events);
  const reuse = new Map([["", new Map([["first", { out: [1, 2, 3] }]])]]);
  const again = await runObject(workflow, { registry: registry(), reuse });
  assert.ok(again.events.some((e) => e.type === "node.completed" && e.reused));
  assertAgree(again.events);
});
