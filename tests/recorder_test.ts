/** The recorder's write queue against a slow store (as a writer thread under load is). */
import assert from "node:assert/strict";
import { Recorder } from "../src/store/recorder.ts";
import type { ExecutionStore, NewExecution, WriteBatch } from "../src/store/types.ts";

/** A store whose writes finish when the test says so. */
function slowStore() {
  const writes: { batch: WriteBatch; finish: () => void }[] = [];
  const store = {
    write(batch: WriteBatch) {
      const { promise, resolve } = Promise.withResolvers<void>();
      writes.push({ batch, finish: resolve });
      return promise;
    },
  } as unknown as ExecutionStore;
  return { store, writes };
}

const execution = (id: string): NewExecution => ({
  executionId: id,
  workflowId: "wf",
  inputs: {},
  trigger: "webhook",
  status: "queued",
  createdAt: "2026-01-01T00:00:00.000Z",
});

/** Lets queued promise callbacks run (the recorder chains its writes on promises). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

Deno.test("while a write is in flight, later flushes become one write; each resolves once its records are written", async () => {
  const { store, writes } = slowStore();
  const recorder = new Recorder(store);
  const first = recorder.begin(execution("a"));
  await settle();
  assert.equal(writes.length, 1, "the first flush writes at once");
  const later: Promise<void>[] = [];
  let resolved = 0;
  for (const id of ["b", "c", "d", "e"]) later.push(recorder.begin(execution(id)).then(() => void resolved++));
  await settle();
  assert.equal(writes.length, 1, "nothing more is written while the first write is in flight");
  writes[0].finish();
  await first;
  await settle();
  assert.equal(resolved, 0, "the later flushes wait for their own write");
  assert.equal(writes.length, 2, "the four flushes that waited are one write");
  assert.deepEqual(writes[1].batch.created?.map((e) => e.executionId), ["b", "c", "d", "e"]);
  writes[1].finish();
  await Promise.all(later);
  assert.equal(resolved, 4);
  await recorder.close();
  assert.equal(writes.length, 2, "closing with nothing pending writes nothing");
});

Deno.test("a running execution is marked alive every heartbeat interval until it ends", async () => {
  const batches: WriteBatch[] = [];
  let beat: (() => void) | undefined;
  const store = {
    write(batch: WriteBatch) {
      batches.push(batch);
      if (batch.heartbeat) beat?.();
      return Promise.resolve();
    },
  } as unknown as ExecutionStore;
  const recorder = new Recorder(store, { heartbeatMs: 20 });
  await recorder.begin({ ...execution("r"), status: "running", startedAt: "2026-01-01T00:00:00.000Z" });
  // The recorder's timers never keep a process alive: this test's own timer does, while it waits for two beats.
  const alive = setTimeout(() => {}, 30_000);
  for (let i = 0; i < 2; i++) {
    const { promise, resolve } = Promise.withResolvers<void>();
    beat = resolve;
    await promise;
  }
  clearTimeout(alive);
  assert.deepEqual(batches.filter((b) => b.heartbeat).map((b) => b.heartbeat), [["r"], ["r"]]);
  await recorder.ended({ executionId: "r", status: "success", endedAt: "2026-01-01T00:00:01.000Z" });
  await recorder.close();
});
