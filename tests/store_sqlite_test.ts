/** The SQLite store against the store contract, on a temporary file per step. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { deflateRawSync } from "node:zlib";
import { SCHEMA_VERSION, sqliteMigrations } from "../src/store/schema.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { WriteBatch } from "../src/store/types.ts";
import { type StoreBackend, testStoreContract } from "./store_contract.ts";
import { tempState, withDb } from "./history_helpers.ts";

/** Fixtures in one temporary directory, a database file each. */
async function sqliteBackend(options: { writer?: boolean } = {}): Promise<StoreBackend> {
  const dir = await Deno.makeTempDir({ prefix: "flow-store-sqlite-" });
  let n = 0;
  return {
    fixture: () => {
      const path = `${dir}/flow-${++n}.db`;
      return Promise.resolve({
        open: async () => {
          const store = await openSqliteStore(path);
          if (options.writer) assert.equal(await store.writeInBackground(), undefined, "the writer thread started");
          return store;
        },
        setSchemaVersion: async (version) => {
          await (await openSqliteStore(path)).close();
          const db = new DatabaseSync(path);
          db.exec(`PRAGMA user_version = ${version}`);
          db.close();
        },
        dispose: () => Promise.resolve(),
      });
    },
    close: () => Deno.remove(dir, { recursive: true }),
  };
}

testStoreContract("sqlite", { backend: sqliteBackend });
// What `flow serve` uses: batches written by a Worker thread on its own connection.
testStoreContract("sqlite, batches written on a Worker thread", { backend: () => sqliteBackend({ writer: true }) });

Deno.test("a version 1 database (journal WITHOUT ROWID) migrates to the current schema and keeps its runs", async () => {
  await using state = await tempState();
  const path = state.db;
  const v1 = new DatabaseSync(path);
  v1.exec(sqliteMigrations[0].sql);
  v1.exec("PRAGMA user_version = 1");
  v1.prepare(
    `INSERT INTO executions (id, workflow_id, inputs, trigger, status, created_at, last_seq)
     VALUES ('old-run', 'wf', '{}', 'manual', 'succeeded', '2026-01-01T00:00:00.000Z', 1)`,
  ).run();
  v1.prepare("INSERT INTO journal (execution_id, first_seq, last_seq, body) VALUES (?, 0, 1, ?)")
    .run("old-run", '{"seq":0}\n{"seq":1}\n');
  v1.close();

  const store = await openSqliteStore(path);
  try {
    assert.equal((await store.getExecution("old-run"))?.status, "succeeded");
    assert.deepEqual(await store.readJournal("old-run"), ['{"seq":0}\n', '{"seq":1}\n']);
    // A chunk written twice (a retried batch) is still kept once.
    const again = { executionId: "old-run", firstSeq: 0, lastSeq: 1, lines: ['{"seq":0}\n', '{"seq":1}\n'] };
    await store.write({ journal: [again] });
    await store.write({ journal: [{ executionId: "old-run", firstSeq: 2, lastSeq: 2, lines: ['{"seq":2}\n'] }] });
    assert.deepEqual(await store.readJournal("old-run", 0), ['{"seq":1}\n', '{"seq":2}\n']);
  } finally {
    await store.close();
  }
  const version = withDb(
    path,
    (db) => (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
  );
  assert.equal(version, SCHEMA_VERSION);
});

for (const writer of [false, true]) {
  Deno.test(
    `a run written in one batch keeps its first chunk in its row, read back once and in order${
      writer ? " (writer thread)" : ""
    }`,
    async () => {
      await using state = await tempState();
      const store = await openSqliteStore(state.db);
      if (writer) assert.equal(await store.writeInBackground(), undefined);
      const run = {
        executionId: "one-batch",
        workflowId: "wf",
        inputs: {},
        trigger: "webhook" as const,
        status: "running" as const,
        createdAt: "2026-01-01T00:00:00.000Z",
      };
      const head = { executionId: run.executionId, firstSeq: 0, lastSeq: 1, lines: ['{"seq":0}\n', '{"seq":1}\n'] };
      try {
        await store.write({ created: [run], journal: [head] });
        // The same batch again (a retry after a commit whose answer was lost): the row exists, so the chunk goes to
        // `journal` as well; it is still read once.
        await store.write({ created: [run], journal: [head] });
        await store.write({
          journal: [{ executionId: run.executionId, firstSeq: 2, lastSeq: 2, lines: ['{"seq":2}\n'] }],
        });
        assert.deepEqual(await store.readJournal(run.executionId), ['{"seq":0}\n', '{"seq":1}\n', '{"seq":2}\n']);
        assert.deepEqual(await store.readJournal(run.executionId, 0), ['{"seq":1}\n', '{"seq":2}\n']);
        assert.deepEqual(await store.readJournal(run.executionId, 2), []);
        assert.equal((await store.getExecution(run.executionId))?.lastSeq, 2);
      } finally {
        await store.close();
      }
      const where = withDb(state.db, (db) => ({
        inRow:
          (db.prepare("SELECT journal_head FROM executions WHERE id = 'one-batch'").get() as Record<string, unknown>)
            .journal_head,
        inJournal: db.prepare("SELECT first_seq FROM journal ORDER BY first_seq").all().map((r) => r.first_seq),
      }));
      assert.equal(where.inRow, '{"seq":0}\n{"seq":1}\n');
      assert.deepEqual(where.inJournal, [0, 2]);
    },
  );
}

Deno.test("an execution created before its run began keeps every chunk in the journal table", async () => {
  await using state = await tempState();
  const store = await openSqliteStore(state.db);
  const run = {
    executionId: "queued",
    workflowId: "wf",
    inputs: {},
    trigger: "api" as const,
    status: "queued" as const,
    createdAt: "2026-01-01T00:00:00.000Z",
  };
  try {
    await store.write({ created: [run] });
    await store.write({ journal: [{ executionId: "queued", firstSeq: 0, lastSeq: 0, lines: ['{"seq":0}\n'] }] });
    assert.deepEqual(await store.readJournal("queued"), ['{"seq":0}\n']);
  } finally {
    await store.close();
  }
  const rows = withDb(state.db, (db) => db.prepare("SELECT journal_head FROM executions").all());
  assert.deepEqual(rows.map((r) => r.journal_head), [null]);
});

Deno.test("with the writer thread, closing folds the WAL into flow.db and every write is there", async () => {
  await using state = await tempState();
  const path = state.db;
  const store = await openSqliteStore(path);
  assert.equal(await store.writeInBackground(), undefined);
  const created = Array.from({ length: 200 }, (_, i) => ({
    executionId: `run-${i}`,
    workflowId: "wf",
    inputs: { i },
    trigger: "webhook" as const,
    status: "running" as const,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  }));
  // Writes given at once, without waiting for each other, all land, in order.
  await Promise.all(created.map((e, i) =>
    store.write({
      created: [e],
      journal: [{ executionId: e.executionId, firstSeq: 0, lastSeq: 0, lines: [`{"i":${i}}\n`] }],
      ended: [{ executionId: e.executionId, status: "success", endedAt: e.createdAt }],
    })
  ));
  await store.close();
  await assert.rejects(Deno.stat(`${path}-wal`), Deno.errors.NotFound);
  const again = await openSqliteStore(path);
  try {
    const runs = await again.listExecutions({ limit: 500 });
    assert.equal(runs.length, 200);
    assert.ok(runs.every((r) => r.status === "success" && r.lastSeq === 0));
    assert.deepEqual(await again.readJournal("run-7"), ['{"i":7}\n']);
  } finally {
    await again.close();
  }
});

Deno.test("writes given while the writer thread starts go through the main connection; closing meanwhile is clean", async () => {
  await using state = await tempState();
  const path = state.db;
  const store = await openSqliteStore(path);
  const started = store.writeInBackground(); // not awaited, as flow serve does
  const run = (id: string) => ({
    created: [{
      executionId: id,
      workflowId: "wf",
      inputs: {},
      trigger: "api" as const,
      status: "queued" as const,
      createdAt: "2026-01-01T00:00:00.000Z",
    }],
  });
  for (let i = 0; i < 20; i++) await store.write(run(`early-${i}`));
  assert.equal(await started, undefined);
  for (let i = 0; i < 20; i++) await store.write(run(`late-${i}`));
  assert.equal((await store.listExecutions({ limit: 100 })).length, 40);
  await store.close();

  // Closed before the Worker is up: close waits for it and shuts it down, and nothing is left open.
  const again = await openSqliteStore(path);
  const starting = again.writeInBackground();
  await again.close();
  assert.equal(await starting, undefined);
  await assert.rejects(Deno.stat(`${path}-wal`), Deno.errors.NotFound);
});

Deno.test("a version 2 database's DEFLATE journal chunks still read back after the move to Zstandard", async () => {
  await using state = await tempState();
  const path = state.db;
  const v2 = new DatabaseSync(path);
  for (const m of sqliteMigrations.filter((m) => m.version <= 2)) v2.exec(m.sql);
  v2.exec("PRAGMA user_version = 2");
  const lines = Array.from({ length: 2000 }, (_, i) => `{"seq":${i},"note":"${"é".repeat(i % 50)}"}\n`);
  v2.prepare(
    `INSERT INTO executions (id, workflow_id, inputs, trigger, status, created_at, last_seq)
     VALUES ('old-run', 'wf', '{}', 'cli', 'success', '2026-01-01T00:00:00.000Z', 1999)`,
  ).run();
  v2.prepare("INSERT INTO journal (execution_id, first_seq, last_seq, body) VALUES (?, 0, 1999, ?)")
    .run("old-run", deflateRawSync(lines.join(""), { level: 1 }));
  v2.close();

  const store = await openSqliteStore(path);
  try {
    assert.deepEqual(await store.readJournal("old-run"), lines);
    // New large chunks are Zstandard frames, and both kinds read back in one journal.
    const more = Array.from({ length: 2000 }, (_, i) => `{"seq":${2000 + i},"pad":"${"x".repeat(40)}"}\n`);
    await store.write({ journal: [{ executionId: "old-run", firstSeq: 2000, lastSeq: 3999, lines: more }] });
    assert.deepEqual(await store.readJournal("old-run"), [...lines, ...more]);
  } finally {
    await store.close();
  }
  withDb(path, (db) => {
    const bodies = db.prepare("SELECT body FROM journal ORDER BY first_seq").all() as { body: Uint8Array }[];
    assert.deepEqual([...bodies[1].body.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd], "a Zstandard frame");
    assert.equal((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, SCHEMA_VERSION);
  });
});

/** A 60 KB journal line of run `i`: stored as text (under the compression threshold). */
const padded = (i: number) => `{"seq":0,"pad":"${String(i).repeat(60_000 / String(i).length)}"}\n`;

/** The short run `run-I` of workflow "wf", as its two writes: its start, then its journal line and end. */
function shortRun(i: number): { start: WriteBatch; finish: WriteBatch } {
  const id = `run-${i}`;
  const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return {
    start: {
      created: [{ executionId: id, workflowId: "wf", inputs: {}, trigger: "cli", status: "running", createdAt }],
    },
    finish: {
      journal: [{ executionId: id, firstSeq: 0, lastSeq: 0, lines: [padded(i)] }],
      ended: [{ executionId: id, status: "success", endedAt: "2026-01-01T01:00:00.000Z" }],
    },
  };
}

/** The size of the WAL beside `path`, or undefined when there is none. */
async function walSize(path: string): Promise<number | undefined> {
  return await Deno.stat(`${path}-wal`).then((s) => s.size, () => undefined);
}

Deno.test("keepWal, two commits per store (a recorded run): the WAL is always kept, and SQLite's checkpoints bound it", async () => {
  await using state = await tempState();
  const path = state.db;
  let largest = 0;
  for (let i = 0; i < 60; i++) {
    const store = await openSqliteStore(path, { keepWal: true });
    const { start, finish } = shortRun(i);
    await store.write(start);
    await store.write(finish);
    await store.close();
    const wal = await walSize(path);
    assert.ok(wal !== undefined, `the WAL was folded in and deleted after run ${i}`);
    largest = Math.max(largest, wal);
  }
  // 60 runs of about 80 KB each would be a 5 MB WAL; it starts over once copied into flow.db (past 512 KiB).
  assert.ok(largest <= 1024 * 1024, `the WAL grew to ${largest} bytes`);
  const store = await openSqliteStore(path);
  try {
    const all = await store.listExecutions({ limit: 100 });
    assert.equal(all.length, 60);
    assert.ok(all.every((e) => e.status === "success" && e.lastSeq === 0));
    assert.deepEqual(await store.readJournal("run-0"), [padded(0)]);
    assert.deepEqual(await store.readJournal("run-59"), [padded(59)]);
  } finally {
    await store.close();
  }
});

Deno.test("keepWal, one commit per store: closing leaves a WAL under 512 KiB for the next process, folds in a larger one", async () => {
  await using state = await tempState();
  const path = state.db;
  let kept = 0;
  let folded = 0;
  for (let i = 0; i < 40; i++) {
    const store = await openSqliteStore(path, { keepWal: true });
    const { start, finish } = shortRun(i);
    await store.write({ ...start, ...finish });
    await store.close();
    const wal = await walSize(path);
    if (wal === undefined) folded++;
    else {
      kept++;
      assert.ok(wal <= 512 * 1024, `a WAL of ${wal} bytes was kept after run ${i}`);
    }
  }
  // Each run adds about 70 KB: most closes keep the WAL, every seventh or so folds it in.
  assert.ok(kept >= 30 && folded >= 4, `kept ${kept}, folded ${folded}`);
  // The next process reads what a kept WAL holds; a store without keepWal folds it in as it closes.
  const store = await openSqliteStore(path);
  try {
    assert.equal((await store.listExecutions({ limit: 100 })).length, 40);
    assert.deepEqual(await store.readJournal("run-37"), [padded(37)]);
    assert.deepEqual(await store.readJournal("run-39"), [padded(39)]);
  } finally {
    await store.close();
  }
  await assert.rejects(Deno.stat(`${path}-wal`), Deno.errors.NotFound);
});
