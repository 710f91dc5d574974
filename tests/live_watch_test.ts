/**
 * Live event streams when the run executes elsewhere (a worker of the
 * distributed mode): its last events can be committed to the journal, and the
 * run marked ended, before their live copy arrives. The stream must still end
 * with every event, in order, and not stop at "not active".
 */
import assert from "node:assert/strict";
import { eventLine, type FlowEvent } from "../src/events.ts";
import { type LiveSource, watchExecution } from "../src/runtime/live.ts";
import type { ExecutionStore } from "../src/store/types.ts";

const ID = "00000000-0000-4000-8000-000000000001";

/** Event `seq` of the run: started, a node's start and end, completed. */
function event(seq: number): FlowEvent {
  const base = { executionId: ID, workflowId: "w", seq, ts: new Date(0).toISOString() };
  switch (seq) {
    case 0:
      return { ...base, type: "workflow.started", nodeCount: 1 };
    case 1:
      return { ...base, type: "node.started", nodeId: "n", nodeType: "transform.set", attempt: 1 };
    case 2:
      return { ...base, type: "node.completed", nodeId: "n", outputs: {}, durationMs: 1 };
    default:
      return { ...base, type: "workflow.completed", status: "success", durationMs: 2, outputs: {} };
  }
}

Deno.test("watchExecution: a run that ended elsewhere gives its last events from the journal", async () => {
  const journal = [eventLine(event(0)), eventLine(event(1))];
  let listener: ((e: FlowEvent) => void) | undefined;
  const source: LiveSource = {
    store: { readJournal: (_id: string, after = -1) => Promise.resolve(journal.slice(after + 1)) } as ExecutionStore,
    // The worker committed its last chunk (and the run's end) before this check; its live copy is still on its way.
    active: () => {
      journal.push(eventLine(event(2)), eventLine(event(3)));
      return false;
    },
    subscribe: (l) => {
      listener = l;
      return () => listener = undefined;
    },
    flush: () => Promise.resolve(),
  };
  const seen = [];
  for await (const e of watchExecution(source, ID, -1)) seen.push(e);
  assert.deepEqual(seen.map((e) => e.seq), [0, 1, 2, 3]);
  assert.deepEqual(seen.map((e) => e.type), [
    "workflow.started",
    "node.started",
    "node.completed",
    "workflow.completed",
  ]);
  assert.deepEqual(seen.map((e) => e.line), journal);
  assert.equal(listener, undefined, "the stream unsubscribed");
});

Deno.test("watchExecution: a run that is gone without an end stops after what its journal has", async () => {
  const journal = [eventLine(event(0)), eventLine(event(1))];
  const source: LiveSource = {
    store: { readJournal: (_id: string, after = -1) => Promise.resolve(journal.slice(after + 1)) } as ExecutionStore,
    active: () => false,
    subscribe: () => () => {},
    flush: () => Promise.resolve(),
  };
  const seen = [];
  for await (const e of watchExecution(source, ID, 0)) seen.push(e.seq);
  assert.deepEqual(seen, [1]);
});
