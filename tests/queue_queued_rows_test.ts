/**
 * An API server's queued-execution rows: written at once at low load, and
 * those submitted while a write is under way together in the next one; a
 * write that fails rejects only the rows it held.
 */
import * as assert from "node:assert/strict";
import { QueuedRows } from "../queue/queued_rows.ts";
import type { NewExecution, Store, WriteBatch } from "../src/store/mod.ts";

/** A store whose writes wait until the test releases them, and fail when told to. */
function slowStore() {
  const writes: { batch: WriteBatch; release: (err?: Error) => void }[] = [];
  const store = {
    write(batch: WriteBatch): Promise<void> {
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      writes.push({ batch, release: (err) => err ? reject(err) : resolve() });
      return promise;
    },
  } as unknown as Store;
  return { store, writes };
}

const row = (id: string): NewExecution => ({
  executionId: id,
  workflowId: "wf",
  inputs: {},
  trigger: "webhook",
  status: "queued",
  createdAt: "2026-12-07T00:00:00.000Z",
});

const ids = (batch: WriteBatch) => batch.created?.map((r) => r.executionId);

Deno.test("rows submitted while a write is under way go together in the next write", async () => {
  const { store, writes } = slowStore();
  const rows = new QueuedRows(store);
  const first = rows.write(row("a"));
  assert.deepEqual(writes.map((w) => ids(w.batch)), [["a"]], "the first row is written at once");
  const later = [rows.write(row("b")), rows.write(row("c"))];
  assert.equal(writes.length, 1, "nothing else is written while that write is under way");
  writes[0].release();
  await first;
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(writes.map((w) => ids(w.batch)), [["a"], ["b", "c"]]);
  writes[1].release();
  await Promise.all(later);
});

Deno.test("a write that fails rejects its own rows only; the next rows are written", async () => {
  const { store, writes } = slowStore();
  const rows = new QueuedRows(store);
  const a = rows.write(row("a"));
  const b = rows.write(row("b"));
  writes[0].release(new Error("the database is away"));
  await assert.rejects(a, /the database is away/);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(ids(writes[1].batch), ["b"]);
  writes[1].release();
  await b;
  const c = rows.write(row("c"));
  assert.deepEqual(ids(writes[2].batch), ["c"], "idle again: written at once");
  writes[2].release();
  await c;
});
