/**
 * Live event streams when the run executes elsewhere (a worker of the
 * distributed mode): its last events can be committed to the journal, and the
 * run marked ended, before their live copy arrives. The stream must still end
 * with every event, in order, and not stop at "not active".
 */
import assert from "node:assert/strict";
import { eventLine, type FlowEvent } from "../src/engine/events.ts";
import { type LiveSource, watchExecution } from "../src/runtime/live.ts";
import type { ExecutionStore } from "../src/store/types.ts";

const ID = "00000000-0000-4000-8000-000000000001";

/** Event `seq` of a run of `count` events: started, node logs, completed. */
function event(seq: number, count = 4): FlowEvent {
  const base = { executionId: ID, workflowId: "w", seq, ts: new Date(0).toISOString() };
  if (seq === 0) return { ...base, type: "workflow.started", nodeCount: 1 };
  if (seq === count - 1) return { ...base, type: "workflow.completed", status: "success", durationMs: 2, outputs: {} };
  return { ...base, type: "node.log", nodeId: "n", level: "info", message: `line ${seq}` };
}

/** A journal of `lines`, as the store reads it. */
function store(lines: string[]): ExecutionStore {
  return { readJournal: (_id: string, after = -1) => Promise.resolve(lines.slice(after + 1)) } as ExecutionStore;
}

Deno.test("watchExecution: a run that ended elsewhere gives its last events from the journal", async () => {
  const journal = [eventLine(event(0)), eventLine(event(1))];
  let listener: ((e: FlowEvent) => void) | undefined;
  const source: LiveSource = {
    store: store(journal),
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
  assert.deepEqual(seen.map((e) => e.type), ["workflow.started", "node.log", "node.log", "workflow.completed"]);
  assert.deepEqual(seen.map((e) => e.line), journal);
  assert.equal(listener, undefined, "the stream unsubscribed");
});

Deno.test("watchExecution: a run that is gone without an end stops after what its journal has", async () => {
  const journal = [eventLine(event(0)), eventLine(event(1))];
  const source: LiveSource = {
    store: store(journal),
    active: () => false,
    subscribe: () => () => {},
    flush: () => Promise.resolve(),
  };
  const seen = [];
  for await (const e of watchExecution(source, ID, 0)) seen.push(e.seq);
  assert.deepEqual(seen, [1]);
});

Deno.test("watchExecution: a live event that never arrived is taken from the journal, in order", async () => {
  const lines = Array.from({ length: 6 }, (_, seq) => eventLine(event(seq, 6)));
  const journal = lines.slice(0, 2);
  let listener: ((e: FlowEvent) => void) | undefined;
  const source: LiveSource = {
    store: store(journal),
    active: () => true,
    subscribe: (l) => {
      listener = l;
      return () => listener = undefined;
    },
    flush: () => Promise.resolve(),
  };
  const stream = watchExecution(source, ID, -1);
  const seen: number[] = [];
  for (let i = 0; i < 2; i++) seen.push((await stream.next()).value!.seq);
  // Events 2 and 3 were written to the journal; only 3 arrived live (2 was lost on the way).
  journal.push(lines[2], lines[3]);
  listener!(event(3, 6));
  listener!(event(4, 6));
  listener!(event(5, 6));
  for await (const e of stream) seen.push(e.seq);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
});
