import assert from "node:assert/strict";
import { EventBus, type FlowEvent } from "../mod.ts";

const event = (seq: number): FlowEvent => ({
  type: "node.log",
  executionId: "e",
  workflowId: "w",
  seq,
  ts: new Date(0).toISOString(),
  nodeId: "n",
  level: "info",
  message: `m${seq}`,
});

Deno.test("EventBus delivers every event to every subscriber, in order", () => {
  const bus = new EventBus();
  const a: number[] = [], b: number[] = [];
  bus.subscribe((e) => a.push(e.seq));
  bus.subscribe((e) => b.push(e.seq));
  for (let i = 0; i < 3; i++) bus.publish(event(i));
  assert.deepEqual(a, [0, 1, 2]);
  assert.deepEqual(b, [0, 1, 2]);
});

Deno.test("EventBus: unsubscribing stops delivery, also from inside a listener", () => {
  const bus = new EventBus();
  const seen: number[] = [];
  const off = bus.subscribe((e) => {
    seen.push(e.seq);
    if (e.seq === 1) off();
  });
  const other: number[] = [];
  bus.subscribe((e) => other.push(e.seq));
  for (let i = 0; i < 4; i++) bus.publish(event(i));
  assert.deepEqual(seen, [0, 1]);
  assert.deepEqual(other, [0, 1, 2, 3], "the others keep receiving");
});
