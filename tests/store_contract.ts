/**
 * The conformance suite of {@linkcode Store}: every method and its edge cases,
 * run against any implementation by {@linkcode testStoreContract}. Each step
 * gets an empty store of its own.
 *
 * @module
 */
import assert from "node:assert/strict";
import { currentProcess } from "../src/process.ts";
import { nodeStore } from "../src/engine/state.ts";
import { HEARTBEAT_STALE_MS } from "../src/store/liveness.ts";
import { SCHEMA_VERSION } from "../src/store/schema.ts";
import {
  type ExecutionEnd,
  type ExecutionRecord,
  type ExecutionStatus,
  type NewExecution,
  type StateRef,
  type Store,
  StoreError,
  type Trigger,
} from "../src/store/types.ts";

/** One empty store location (a file, a database). */
export interface StoreFixture {
  /** Opens the store there: a new connection each call, migrating as needed. */
  open(): Promise<Store>;
  /** Records `version` as the schema version, as a newer flow would (the store is migrated first). */
  setSchemaVersion(version: number): Promise<void>;
  /** Removes the location (its stores are closed). */
  dispose(): Promise<void>;
}

/** Where fixtures come from, for one run of the suite. */
export interface StoreBackend {
  /** A new, empty location. */
  fixture(): Promise<StoreFixture>;
  /** Ends the backend (stops its server). */
  close(): Promise<void>;
}

/** Options of {@linkcode testStoreContract}. */
export interface StoreContractOptions {
  /** Ignore the test (its backend is not available here). */
  ignore?: boolean;
  /** Starts the backend, when the test runs. */
  backend(): Promise<StoreBackend>;
}

/**
 * Registers one test, `store contract: NAME`, with a step per part of the
 * {@linkcode Store} contract.
 *
 * @example
 * ```ts ignore
 * testStoreContract("sqlite", { backend: () => Promise.resolve(sqliteBackend()) });
 * ```
 */
export function testStoreContract(name: string, options: StoreContractOptions): void {
  Deno.test({
    name: `store contract: ${name}`,
    ignore: options.ignore,
    fn: async (t) => {
      const backend = await options.backend();
      try {
        for (const [title, part] of PARTS) {
          await t.step(title, async () => {
            const fixture = await backend.fixture();
            try {
              await part(fixture);
            } finally {
              await fixture.dispose();
            }
          });
        }
      } finally {
        await backend.close();
      }
    },
  });
}

// ---------------------------------------------------------------------------
// Helpers

/** A fixed time `minutes` after 2020-01-01T00:00Z, ISO 8601. */
const at = (minutes: number) => new Date(Date.UTC(2020, 0, 1, 0, minutes)).toISOString();

/** A new execution with defaults. */
function execution(id: string, fields: Partial<NewExecution> = {}): NewExecution {
  return {
    executionId: id,
    workflowId: "wf",
    inputs: {},
    trigger: "cli",
    status: "queued",
    createdAt: at(0),
    ...fields,
  };
}

/** `record` without its undefined fields, for comparisons. */
function defined(record: ExecutionRecord | undefined): Partial<ExecutionRecord> | undefined {
  if (!record) return undefined;
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<ExecutionRecord>;
}

/** Runs `fn` on a store opened on `fixture`, closing it after. */
async function using(fixture: StoreFixture, fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await fixture.open();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

/** JSON values that must come back exactly as written: key order, escapes, big and small numbers. */
const AWKWARD = {
  z: 1,
  a: [null, true, 1.5, -0.000001, 12345678901234],
  'key with "quotes"': "tab\there, NUL\u0000, é✓𝄞, \\backslash",
  nested: { b: { d: [], c: {} }, a: "" },
};

// ---------------------------------------------------------------------------
// The parts

async function writeBatches(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const owner = currentProcess();
    await store.write({});
    await store.write({
      created: [execution("a", {
        workflowName: "A",
        file: "/w/a.json",
        hash: "sha256:00",
        inputs: AWKWARD,
        triggerNode: "t",
        resumedFrom: "z",
      })],
    });
    assert.deepEqual(defined(await store.getExecution("a")), {
      executionId: "a",
      workflowId: "wf",
      workflowName: "A",
      file: "/w/a.json",
      hash: "sha256:00",
      inputs: AWKWARD,
      trigger: "cli",
      triggerNode: "t",
      status: "queued",
      createdAt: at(0),
      resumedFrom: "z",
      lastSeq: -1,
    });
    assert.equal(JSON.stringify((await store.getExecution("a"))!.inputs), JSON.stringify(AWKWARD));
    await store.write({ started: [{ executionId: "a", startedAt: at(1), owner }] });
    let a = (await store.getExecution("a"))!;
    assert.deepEqual([a.status, a.startedAt, a.heartbeatAt, a.owner], ["running", at(1), at(1), owner]);
    const before = Date.now();
    await store.write({ journal: [{ executionId: "a", firstSeq: 0, lastSeq: 1, lines: ["{}\n", "{}\n"] }] });
    a = (await store.getExecution("a"))!;
    assert.equal(a.lastSeq, 1);
    assert.ok(Date.parse(a.heartbeatAt!) >= before - 1000, "a journal chunk is a sign of life");
    const error = { message: "boom", code: "NODE_ERROR", nodeId: "n" };
    await store.write({ ended: [{ executionId: "a", status: "failed", endedAt: at(2), durationMs: 12.5, error }] });
    a = (await store.getExecution("a"))!;
    assert.deepEqual([a.status, a.endedAt, a.durationMs, a.error, a.outputs], [
      "failed",
      at(2),
      12.5,
      error,
      undefined,
    ]);
    // Started again (a resume in place): the end is cleared, the first start kept.
    await store.write({ started: [{ executionId: "a", startedAt: at(3), owner }] });
    a = (await store.getExecution("a"))!;
    assert.deepEqual([a.status, a.startedAt, a.heartbeatAt, a.endedAt, a.durationMs, a.error], [
      "running",
      at(1),
      at(3),
      undefined,
      undefined,
      undefined,
    ]);
    await store.write({ heartbeat: ["a", "not-an-execution"] });
    assert.ok(Date.parse((await store.getExecution("a"))!.heartbeatAt!) >= before - 1000);
    const outputs = { result: AWKWARD };
    await store.write({ ended: [{ executionId: "a", status: "success", endedAt: at(4), outputs }] });
    a = (await store.getExecution("a"))!;
    assert.deepEqual([a.status, a.durationMs, a.error, JSON.stringify(a.outputs)], [
      "success",
      undefined,
      undefined,
      JSON.stringify(outputs),
    ]);
    assert.equal(await store.getExecution("nope"), undefined);
  });
}

async function writeAtomically(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const owner = currentProcess();
    // Created and started in one batch, with the rest of a run's first flush.
    await store.write({
      created: [execution("r", { status: "running", startedAt: at(1), owner })],
      journal: [{ executionId: "r", firstSeq: 0, lastSeq: 0, lines: ['{"seq":0}\n'] }],
    });
    const r = (await store.getExecution("r"))!;
    assert.deepEqual([r.status, r.startedAt, r.lastSeq, r.owner], ["running", at(1), 0, owner]);
    assert.ok(Date.parse(r.heartbeatAt!) > Date.parse(at(1)), "the journal chunk is a sign of life, now");
    // Creating an execution that exists leaves it as it is (a retried enqueue, a re-run schedule job).
    await store.write({ created: [execution("r", { status: "queued" })] });
    assert.equal((await store.getExecution("r"))!.status, "running");
    // A batch that fails (here: an execution without a workflow id) applies nothing.
    await assert.rejects(
      store.write({
        created: [execution("new"), { ...execution("bad"), workflowId: null as unknown as string }],
        journal: [{ executionId: "r", firstSeq: 1, lastSeq: 1, lines: ['{"seq":1}\n'] }],
      }),
      (err) => err instanceof StoreError && !err.message.includes("\n"),
    );
    assert.equal(await store.getExecution("new"), undefined);
    assert.deepEqual(await store.readJournal("r"), ['{"seq":0}\n']);
    assert.equal((await store.getExecution("r"))!.lastSeq, 0);
  });
}

async function wholeRunInOneBatch(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const owner = currentProcess();
    const outputs = { result: AWKWARD };
    const error = { message: "boom", code: "NODE_ERROR", nodeId: "n" };
    const run = (id: string, ended: ExecutionEnd) => ({
      created: [execution(id, { trigger: "webhook" as const, payload: { body: AWKWARD } })],
      started: [{ executionId: id, startedAt: at(1), owner }],
      journal: [
        { executionId: id, firstSeq: 0, lastSeq: 1, lines: ['{"seq":0}\n', '{"seq":1}\n'] },
        { executionId: id, firstSeq: 2, lastSeq: 2, lines: ['{"seq":2}\n'] },
      ],
      ended: [ended],
    });
    // Created, started, journalled and ended in one flush (a fast webhook run), next to one spread over four.
    const before = Date.now();
    await store.write(run("one", { executionId: "one", status: "success", endedAt: at(2), durationMs: 3, outputs }));
    for (const part of ["created", "started", "journal", "ended"] as const) {
      await store.write({
        [part]: run("four", { executionId: "four", status: "success", endedAt: at(2), durationMs: 3, outputs })[part],
      });
    }
    const one = (await store.getExecution("one"))!;
    const four = (await store.getExecution("four"))!;
    assert.deepEqual({ ...one, executionId: "four", heartbeatAt: undefined }, { ...four, heartbeatAt: undefined });
    assert.deepEqual([one.status, one.startedAt, one.endedAt, one.lastSeq, one.owner], [
      "success",
      at(1),
      at(2),
      2,
      owner,
    ]);
    assert.ok(Date.parse(one.heartbeatAt!) >= before - 1000, "the journal is a sign of life");
    assert.deepEqual(await store.readJournal("one"), ['{"seq":0}\n', '{"seq":1}\n', '{"seq":2}\n']);
    // The same batch for an execution that exists (queued earlier): its start, journal and end still apply.
    await store.write({ created: [execution("queued")] });
    await store.write(run("queued", { executionId: "queued", status: "failed", endedAt: at(2), error }));
    const queued = (await store.getExecution("queued"))!;
    assert.deepEqual([queued.status, queued.startedAt, queued.lastSeq, queued.error, queued.owner, queued.trigger], [
      "failed",
      at(1),
      2,
      error,
      owner,
      "cli",
    ]);
    // A worker's shape: created, then started, then the whole journal with the end in one write (one statement in
    // PostgreSQL): the same record as the run written at once.
    const worker = run("worker", { executionId: "worker", status: "success", endedAt: at(2), durationMs: 3, outputs });
    await store.write({ created: worker.created });
    await store.write({ started: worker.started });
    await store.write({ journal: worker.journal, ended: worker.ended });
    const shaped = (await store.getExecution("worker"))!;
    assert.deepEqual({ ...shaped, executionId: "one", heartbeatAt: undefined }, { ...one, heartbeatAt: undefined });
    assert.deepEqual(await store.readJournal("worker"), await store.readJournal("one"));
  });
}

async function versionsAndPayloads(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const version = { hash: "sha256:abc", workflowId: "wf", file: "/srv/wf.json", text: '{ "nodes": [] }\n' };
    await store.saveVersion(version);
    await store.saveVersion({ ...version, text: "changed" }); // once per hash: the first text stays
    assert.deepEqual(await store.getVersion("sha256:abc"), version);
    assert.equal(await store.getVersion("sha256:none"), undefined);
    const payload = { method: "POST", headers: { "x-a": "1" }, body: { n: [1, "two", null] } };
    await store.write({
      created: ["a", "b", "c"].map((id, i) => execution(id, { createdAt: at(i), ...(id === "b" ? { payload } : {}) })),
    });
    assert.deepEqual((await store.getExecution("b"))!.payload, payload);
    assert.equal((await store.getExecution("a"))!.payload, undefined);
    const oldest = await store.listExecutions({ oldestFirst: true, limit: 2 });
    assert.deepEqual(oldest.map((r) => r.executionId), ["a", "b"]);
    const next = await store.listExecutions({ oldestFirst: true, limit: 2, before: "b" });
    assert.deepEqual(next.map((r) => r.executionId), ["c"]);
  });
}

async function findIds(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const ids = ["ab01", "ab02", "ac01", "b%01", "b_01"];
    await store.write({ created: ids.map((id, i) => execution(id, { createdAt: at(i) })) });
    assert.deepEqual(await store.findExecutionIds("ab", 10), ["ab02", "ab01"]);
    assert.deepEqual(await store.findExecutionIds("ab", 1), ["ab02"]);
    assert.deepEqual(await store.findExecutionIds("a", 10), ["ac01", "ab02", "ab01"]);
    assert.deepEqual(await store.findExecutionIds("ab01", 10), ["ab01"]);
    assert.deepEqual(await store.findExecutionIds("", 10), ["b_01", "b%01", "ac01", "ab02", "ab01"]);
    assert.deepEqual(await store.findExecutionIds("b%", 10), ["b%01"], "% is no wildcard");
    assert.deepEqual(await store.findExecutionIds("b_", 10), ["b_01"], "_ is no wildcard");
    assert.deepEqual(await store.findExecutionIds("A", 10), [], "ids are case-sensitive");
    assert.deepEqual(await store.findExecutionIds("zz", 10), []);
  });
}

async function listAndPage(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const rows: [string, string, ExecutionStatus, number][] = [
      ["e1", "w1", "success", 1],
      ["e2", "w2", "failed", 2],
      ["e3", "w1", "failed", 3],
      ["e4a", "w1", "success", 4], // e4a and e4b share a time: the id breaks the tie
      ["e4b", "w2", "success", 4],
      ["e5", "w1", "cancelled", 5],
      ["e6", "w2", "queued", 6],
    ];
    await store.write({
      created: rows.map(([id, workflowId, , t]) => execution(id, { workflowId, createdAt: at(t) })),
      ended: rows.filter(([, , status]) => status !== "queued").map(([id, , status, t]) => ({
        executionId: id,
        status: status as "success",
        endedAt: at(t),
      })),
    });
    const ids = async (filter: Parameters<Store["listExecutions"]>[0]) =>
      (await store.listExecutions(filter)).map((r) => r.executionId);
    assert.deepEqual(await ids({ limit: 100 }), ["e6", "e5", "e4b", "e4a", "e3", "e2", "e1"]);
    assert.deepEqual(await ids({ limit: 2 }), ["e6", "e5"]);
    assert.deepEqual(await ids({ limit: 100, workflowId: "w1" }), ["e5", "e4a", "e3", "e1"]);
    assert.deepEqual(await ids({ limit: 100, status: "success" }), ["e4b", "e4a", "e1"]);
    assert.deepEqual(await ids({ limit: 100, status: "failed", workflowId: "w2" }), ["e2"]);
    assert.deepEqual(await ids({ limit: 100, status: "running" }), []);
    assert.deepEqual(await ids({ limit: 100, workflowId: "none" }), []);
    assert.deepEqual(await ids({ limit: 100, before: "e4b" }), ["e4a", "e3", "e2", "e1"]);
    assert.deepEqual(await ids({ limit: 100, before: "e4a", workflowId: "w2" }), ["e2"]);
    assert.deepEqual(await ids({ limit: 100, before: "e1" }), []);
    assert.deepEqual(await ids({ limit: 2, before: "unknown" }), ["e6", "e5"], "an unknown cursor does not filter");
    // Paging with the last id of each page as the cursor visits everything once, in order.
    const seen: string[] = [];
    let before: string | undefined;
    for (let page = await ids({ limit: 2 }); page.length; page = await ids({ limit: 2, before })) {
      seen.push(...page);
      before = page.at(-1);
    }
    assert.deepEqual(seen, ["e6", "e5", "e4b", "e4a", "e3", "e2", "e1"]);
    const e4a = (await store.listExecutions({ limit: 1, before: "e4b" }))[0];
    assert.deepEqual(e4a, await store.getExecution("e4a"));
  });
}

async function triggerFilters(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const rows: [string, Trigger, number][] = [["c1", "cli", 1], ["e1", "editor", 2], ["w1", "webhook", 3], [
      "e2",
      "editor",
      4,
    ]];
    await store.write({ created: rows.map(([id, trigger, t]) => execution(id, { trigger, createdAt: at(t) })) });
    const ids = async (filter: Parameters<Store["listExecutions"]>[0]) =>
      (await store.listExecutions(filter)).map((r) => r.executionId);
    assert.deepEqual(await ids({ limit: 100, triggers: ["editor"] }), ["e2", "e1"]);
    assert.deepEqual(await ids({ limit: 100, triggers: ["cli", "webhook"] }), ["w1", "c1"]);
    assert.deepEqual(await ids({ limit: 100, notTriggers: ["editor"] }), ["w1", "c1"]);
    assert.deepEqual(await ids({ limit: 100, notTriggers: [] }), ["e2", "w1", "e1", "c1"], "an empty list hides none");
    assert.deepEqual(await ids({ limit: 100, triggers: [] }), [], "an empty list shows none");
    assert.deepEqual(await ids({ limit: 1, notTriggers: ["editor"], before: "w1" }), ["c1"]);
  });
}

async function runningAndCrashed(fixture: StoreFixture) {
  const here = Deno.hostname();
  const now = Date.now();
  const stale = new Date(now - HEARTBEAT_STALE_MS - 60_000).toISOString();
  const fresh = new Date(now).toISOString();
  const other = { hostname: "another-host.invalid", pid: 4242 };
  // A dead PID can only be checked where /proc tells (Linux); elsewhere it reads as running.
  const deadReads = Deno.build.os === "linux" ? "crashed" : "running";
  await using(fixture, async (store) => {
    const runs: [string, NewExecution["owner"], string | undefined][] = [
      ["alive", currentProcess(), fresh],
      ["dead", { hostname: here, pid: await deadPid() }, fresh],
      ["stale", other, stale],
      ["beating", other, fresh],
      ["ownerless", undefined, undefined],
    ];
    await store.write({
      created: runs.map(([id, owner, heartbeatAt], i) =>
        execution(id, { status: "running", startedAt: at(i), createdAt: at(i), owner, heartbeatAt })
      ),
    });
    const status = async (id: string) => (await store.getExecution(id))!.status;
    assert.equal(await status("alive"), "running");
    assert.equal(await status("dead"), deadReads);
    assert.equal(await status("stale"), "crashed");
    assert.equal(await status("beating"), "running");
    assert.equal(await status("ownerless"), "running");
    const ids = async (s: ExecutionStatus, limit = 100) =>
      (await store.listExecutions({ status: s, limit })).map((r) => r.executionId);
    const crashed = deadReads === "crashed" ? ["stale", "dead"] : ["stale"];
    assert.deepEqual(await ids("crashed"), crashed);
    assert.deepEqual(await ids("crashed", 1), ["stale"]);
    assert.deepEqual(
      await ids("running"),
      ["ownerless", "beating", "stale", "dead", "alive"].filter((id) => !crashed.includes(id)),
    );
    assert.deepEqual(await ids("running", 1), ["ownerless"]);
    // Read as crashed, they are recorded so: prune (which keeps running ones) takes them.
    assert.equal(await store.prune({}), crashed.length);
    assert.equal(await store.getExecution("stale"), undefined);
    assert.equal(await status("alive"), "running");
  });
}

async function claims(fixture: StoreFixture) {
  const stores = await Promise.all(Array.from({ length: 4 }, () => fixture.open()));
  const [store] = stores;
  try {
    const owner = currentProcess();
    const other = { hostname: "another-host.invalid", pid: 4242 };
    const stale = new Date(Date.now() - HEARTBEAT_STALE_MS - 60_000).toISOString();
    const claim = (id: string, startedAt: string, by = owner) => store.claim({ executionId: id, startedAt, owner: by });
    await store.write({
      created: [
        execution("q", { trigger: "webhook", payload: { body: AWKWARD }, resumedFrom: "earlier" }),
        execution("done"),
        execution("theirs", {
          status: "running",
          startedAt: at(1),
          owner: other,
          heartbeatAt: new Date().toISOString(),
        }),
        execution("stale", { status: "running", startedAt: at(1), owner: other, heartbeatAt: stale }),
        execution("crashed", { status: "crashed", startedAt: at(1), owner: other }),
      ],
      journal: [{ executionId: "crashed", firstSeq: 0, lastSeq: 1, lines: ['{"seq":0}\n', '{"seq":1}\n'] }],
      ended: [{ executionId: "done", status: "success", endedAt: at(2) }],
    });
    // A queued execution: claimed, and returned as it was; it is now running by the owner, as a start makes it.
    const queued = await store.getExecution("q");
    assert.deepEqual(await claim("q", at(3)), queued);
    const running = (await store.getExecution("q"))!;
    assert.deepEqual([running.status, running.startedAt, running.owner, running.heartbeatAt], [
      "running",
      at(3),
      owner,
      at(3),
    ]);
    const started = execution("s", { trigger: "webhook", payload: { body: AWKWARD }, resumedFrom: "earlier" });
    await store.write({ created: [started] });
    await store.write({ started: [{ executionId: "s", startedAt: at(3), owner }] });
    assert.deepEqual({ ...(await store.getExecution("s"))!, executionId: "q" }, running);
    // Its owner may claim it again (a claim whose run never began); nobody else may.
    assert.deepEqual(await claim("q", at(4)), running);
    assert.equal((await store.getExecution("q"))!.startedAt, at(3), "the first start stays");
    assert.equal(await claim("q", at(4), other), undefined);
    // Ended, absent, or run by a live owner elsewhere: not claimed, and left as they were.
    const done = await store.getExecution("done");
    assert.equal(await claim("done", at(4)), undefined);
    assert.deepEqual(await store.getExecution("done"), done);
    assert.equal(await claim("absent", at(4)), undefined);
    assert.equal(await store.getExecution("absent"), undefined);
    assert.equal(await claim("theirs", at(4)), undefined);
    assert.equal((await store.getExecution("theirs"))!.owner?.hostname, other.hostname);
    // A crashed execution: claimed as it was, its journal position kept. A dead owner's run is one once a read
    // has recorded it crashed.
    const crashed = (await claim("crashed", at(4)))!;
    assert.deepEqual([crashed.status, crashed.lastSeq, crashed.owner?.hostname], ["crashed", 1, other.hostname]);
    assert.deepEqual((await store.getExecution("crashed"))!.owner, owner);
    assert.equal(await claim("stale", at(4)), undefined);
    assert.equal((await store.getExecution("stale"))!.status, "crashed");
    assert.equal((await claim("stale", at(4)))?.status, "crashed");
    assert.equal((await store.getExecution("stale"))!.status, "running");
    // Claims at once, from several connections and owners: exactly one wins.
    await store.write({ created: [execution("race")] });
    const owners = stores.map((_, i) => ({ hostname: `host-${i}.invalid`, pid: 100 + i }));
    const wins = await Promise.all(
      stores.map((s, i) => s.claim({ executionId: "race", startedAt: at(5), owner: owners[i] })),
    );
    assert.equal(wins.filter((w) => w !== undefined).length, 1);
    const winner = owners[wins.findIndex((w) => w !== undefined)];
    assert.deepEqual((await store.getExecution("race"))!.owner, { ...winner, procStart: undefined });
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

async function journal(fixture: StoreFixture) {
  const lines = Array.from({ length: 7 }, (_, i) => `{"seq":${i},"text":"é✓𝄞 \\"q\\" \\\\ \\u0000\t\r"}\n`);
  const big = Array.from({ length: 3000 }, (_, i) => `{"seq":${i},"pad":"${"x".repeat(300)}"}\n`);
  await using(fixture, async (store) => {
    await store.write({ created: [execution("j"), execution("big")] });
    await store.write({
      journal: [
        { executionId: "j", firstSeq: 0, lastSeq: 2, lines: lines.slice(0, 3) },
        { executionId: "j", firstSeq: 3, lastSeq: 5, lines: lines.slice(3, 6) },
      ],
    });
    await store.write({ journal: [{ executionId: "j", firstSeq: 6, lastSeq: 6, lines: lines.slice(6) }] });
    assert.deepEqual(await store.readJournal("j"), lines);
    assert.deepEqual(await store.readJournal("j", -1), lines);
    assert.deepEqual(await store.readJournal("j", 2), lines.slice(3), "after a chunk's end");
    assert.deepEqual(await store.readJournal("j", 4), lines.slice(5), "in the middle of a chunk");
    assert.deepEqual(await store.readJournal("j", 0), lines.slice(1));
    assert.deepEqual(await store.readJournal("j", 6), []);
    assert.deepEqual(await store.readJournal("j", 100), []);
    assert.deepEqual(await store.readJournal("nope"), []);
    assert.equal((await store.getExecution("j"))!.lastSeq, 6);
    // A chunk written again (a retried flush) is kept once; an old one does not move lastSeq back.
    await store.write({
      journal: [{ executionId: "j", firstSeq: 3, lastSeq: 5, lines: lines.slice(3, 6) }, {
        executionId: "j",
        firstSeq: 0,
        lastSeq: 2,
        lines: lines.slice(0, 3),
      }],
    });
    assert.deepEqual(await store.readJournal("j"), lines);
    assert.equal((await store.getExecution("j"))!.lastSeq, 6);
    await store.write({ journal: [{ executionId: "j", firstSeq: 7, lastSeq: 6, lines: [] }] });
    assert.deepEqual(await store.readJournal("j"), lines, "an empty chunk writes nothing");
    await store.write({ journal: [{ executionId: "big", firstSeq: 0, lastSeq: big.length - 1, lines: big }] });
    assert.deepEqual(await store.readJournal("big"), big);
    assert.deepEqual(await store.readJournal("big", 2990), big.slice(2991));
  });
}

async function prune(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const a = [1, 2, 3, 4, 5].map((t) => execution(`a${t}`, { workflowId: "A", createdAt: at(t) }));
    const b = [1, 2, 3].map((t) => execution(`b${t}`, { workflowId: "B", createdAt: at(t) }));
    const owner = currentProcess();
    await store.write({
      created: [
        ...a,
        ...b,
        execution("a-running", { workflowId: "A", createdAt: at(0), status: "running", startedAt: at(0), owner }),
        execution("a-queued", { workflowId: "A", createdAt: at(0) }),
      ],
      journal: [{ executionId: "a1", firstSeq: 0, lastSeq: 0, lines: ["{}\n"] }],
      ended: [...a, ...b].map((e) => ({ executionId: e.executionId, status: "success", endedAt: e.createdAt })),
    });
    const left = async () => (await store.listExecutions({ limit: 100 })).map((r) => r.executionId).sort();
    assert.equal(await store.prune({ keep: 2, workflowId: "A" }), 3);
    assert.deepEqual(await left(), ["a-queued", "a-running", "a4", "a5", "b1", "b2", "b3"]);
    assert.deepEqual(await store.readJournal("a1"), [], "the journal goes with its execution");
    assert.equal(await store.prune({ olderThan: at(2) }), 1);
    assert.deepEqual(await left(), ["a-queued", "a-running", "a4", "a5", "b2", "b3"]);
    assert.equal(await store.prune({ keep: 1 }), 2, "keep counts per workflow");
    assert.deepEqual(await left(), ["a-queued", "a-running", "a5", "b3"]);
    assert.equal(await store.prune({ keep: 5 }), 0);
    assert.equal(await store.prune({ keep: 0, workflowId: "B" }), 1, "keep 0 keeps none");
    assert.equal(await store.prune({ workflowId: "none" }), 0);
    assert.equal(await store.prune({}), 1);
    assert.deepEqual(await left(), ["a-queued", "a-running"], "running and queued executions are kept");
    // Ties: executions created at the same time as the Nth newest are kept with it.
    const c = [1, 2, 2, 3].map((t, i) => execution(`c${i}`, { workflowId: "C", createdAt: at(t), status: "success" }));
    await store.write({ created: c });
    assert.equal(await store.prune({ keep: 2 }), 1);
    assert.deepEqual(await left(), ["a-queued", "a-running", "c1", "c2", "c3"]);
    // Slack: nothing until a workflow has more than keep + slack, then down to keep.
    const d = (t: number) => execution(`d${t}`, { workflowId: "D", createdAt: at(t), status: "success" });
    await store.write({ created: [1, 2, 3, 4, 5].map(d) });
    assert.equal(await store.prune({ keep: 2, slack: 3, workflowId: "D" }), 0, "5 is not more than 2 + 3");
    await store.write({ created: [d(6)] });
    assert.equal(await store.prune({ keep: 2, slack: 3 }), 4, "6 is: down to the newest 2");
    assert.deepEqual(await left(), ["a-queued", "a-running", "c1", "c2", "c3", "d5", "d6"]);
  });
}

async function stateCompareAndSet(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const ref: StateRef = { workflowId: "wf", scope: "node", key: "k" };
    assert.equal(await store.getState(ref), undefined);
    assert.equal(await store.putState(ref, "1", 3), false, "a version for an absent value");
    assert.equal(await store.putState(ref, "1", 0), 1, "0: only if absent");
    assert.equal(await store.putState(ref, "2", 0), false);
    assert.deepEqual(await store.getState(ref), { value: 1, version: 1 });
    assert.equal(await store.putState(ref, "2", 1), 2);
    assert.equal(await store.putState(ref, "3", 1), false, "a stale version");
    assert.equal(await store.putState(ref, "3", 7), false);
    assert.equal(await store.putState(ref, JSON.stringify(AWKWARD)), 3, "unconditional: bumps the version");
    const entry = (await store.getState(ref))!;
    assert.equal(entry.version, 3);
    assert.equal(JSON.stringify(entry.value), JSON.stringify(AWKWARD), "the value comes back exactly");
    for (const other of [{ ...ref, scope: "" }, { ...ref, workflowId: "wf2" }, { ...ref, key: "K" }]) {
      assert.equal(await store.getState(other), undefined, JSON.stringify(other));
      assert.equal(await store.putState(other, "null"), 1);
      assert.deepEqual(await store.getState(other), { value: null, version: 1 });
    }
    assert.equal(await store.deleteState(ref), true);
    assert.equal(await store.deleteState(ref), false);
    assert.equal(await store.getState(ref), undefined);
    assert.equal(await store.putState(ref, '"again"', 0), 1, "a deleted value starts over");
  });
}

async function listAndClearState(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    const refs: [string, string, string][] = [
      ["w2", "", "k1"],
      ["w1", "b", "k1"],
      ["w1", "", "k2"],
      ["w1", "", "k1"],
      ["w1", "", "K"],
      ["w1", "", "é"],
      ["w1", "", "other"],
      ["w1", "a", "k1"],
    ];
    const before = Date.now();
    for (const [workflowId, scope, key] of refs) {
      await store.putState({ workflowId, scope, key }, JSON.stringify({ key }));
    }
    await store.putState({ workflowId: "w1", scope: "", key: "k1" }, '"twice"');
    const keys = (rows: { workflowId: string; scope: string; key: string }[]) =>
      rows.map((r) => `${r.workflowId}/${r.scope}/${r.key}`);
    const all = await store.listState({});
    // Ordered by workflow, scope and key, byte-wise ("K" before "k", "é" last).
    assert.deepEqual(keys(all), [
      "w1//K",
      "w1//k1",
      "w1//k2",
      "w1//other",
      "w1//é",
      "w1/a/k1",
      "w1/b/k1",
      "w2//k1",
    ]);
    const k1 = all.find((r) => r.workflowId === "w1" && r.scope === "" && r.key === "k1")!;
    assert.deepEqual([k1.value, k1.version], ["twice", 2]);
    assert.ok(Date.parse(k1.updatedAt) >= before - 1000 && k1.updatedAt === new Date(k1.updatedAt).toISOString());
    assert.deepEqual(all.find((r) => r.key === "é")?.value, { key: "é" });
    assert.deepEqual(keys(await store.listState({ workflowId: "w1", scope: "" })), [
      "w1//K",
      "w1//k1",
      "w1//k2",
      "w1//other",
      "w1//é",
    ]);
    assert.deepEqual(keys(await store.listState({ workflowId: "w1", keyPrefix: "k" })), [
      "w1//k1",
      "w1//k2",
      "w1/a/k1",
      "w1/b/k1",
    ]);
    assert.deepEqual(keys(await store.listState({ keyPrefix: "k1", scope: "" })), ["w1//k1", "w2//k1"]);
    assert.deepEqual(await store.listState({ workflowId: "none" }), []);
    assert.equal(await store.clearState({ workflowId: "w1", scope: "a" }), 1);
    assert.equal(await store.clearState({ workflowId: "w1", scope: "a" }), 0);
    assert.equal(await store.clearState({ workflowId: "w1" }), 6);
    assert.deepEqual(keys(await store.listState({})), ["w2//k1"]);
  });
}

async function newerSchema(fixture: StoreFixture) {
  await using(fixture, async (store) => {
    await store.write({ created: [execution("kept")] });
  });
  await using(fixture, async (store) => assert.ok(await store.getExecution("kept"), "opening twice migrates once"));
  await fixture.setSchemaVersion(SCHEMA_VERSION + 1);
  await assert.rejects(fixture.open(), (err) => {
    assert.ok(err instanceof StoreError, String(err));
    assert.match(
      err.message,
      new RegExp(
        `was written by a newer flow \\(schema version ${
          SCHEMA_VERSION + 1
        }; this flow knows up to ${SCHEMA_VERSION}\\); upgrade flow$`,
      ),
    );
    assert.ok(!err.message.includes("\n"));
    return true;
  });
}

async function concurrentUpdates(fixture: StoreFixture) {
  const connections = 4;
  const updatesEach = 15;
  const stores = await Promise.all(Array.from({ length: connections }, () => fixture.open()));
  try {
    // Every connection increments one counter through ctx.store's compare-and-set loop.
    const results = await Promise.all(stores.map(async (store) => {
      const counter = nodeStore(store, "wf", "counter");
      const seen: number[] = [];
      for (let i = 0; i < updatesEach; i++) seen.push(await counter.update<number>("n", (n) => (n ?? 0) + 1));
      return seen;
    }));
    const total = connections * updatesEach;
    assert.deepEqual(results.flat().sort((x, y) => x - y), Array.from({ length: total }, (_, i) => i + 1));
    assert.deepEqual(await stores[0].getState({ workflowId: "wf", scope: "counter", key: "n" }), {
      value: total,
      version: total,
    });
    // Racing "only if absent": exactly one connection wins.
    const ref = { workflowId: "wf", scope: "", key: "once" };
    const wins = await Promise.all(stores.map((s, i) => s.putState(ref, String(i), 0)));
    assert.deepEqual(wins.filter((w) => w !== false), [1]);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

async function closed(fixture: StoreFixture) {
  const store = await fixture.open();
  assert.ok(store.location.length > 0);
  await store.close();
  await store.close();
  await assert.rejects(store.getExecution("x"), (err) => err instanceof StoreError && /closed/.test(err.message));
  await assert.rejects(store.write({ created: [execution("x")] }), StoreError);
  await assert.rejects(store.putState({ workflowId: "w", scope: "", key: "k" }, "1"), StoreError);
}

const PARTS: [string, (fixture: StoreFixture) => Promise<void>][] = [
  ["write: created, started, journal, ended and heartbeat", writeBatches],
  ["write: one batch is one transaction", writeAtomically],
  ["write: a whole run in one batch reads as the same run written in four", wholeRunInOneBatch],
  ["findExecutionIds: by prefix, newest first, at most limit", findIds],
  ["listExecutions: workflow and status filters, limit, paging with before", listAndPage],
  ["listExecutions: only some triggers, or all but some (editor runs)", triggerFilters],
  ["running vs crashed: a dead owner here, a stale heartbeat elsewhere; crashed is recorded", runningAndCrashed],
  ["claim: queued or crashed executions, or its own, by one owner at a time", claims],
  ["readJournal: byte-exact lines, with and without afterSeq, across chunks", journal],
  ["prune: keep per workflow, olderThan, running and queued kept, journals too", prune],
  ["state: compare-and-set versions", stateCompareAndSet],
  ["state: list (ordered, filtered) and clear", listAndClearState],
  ["a database written by a newer flow is refused in one line", newerSchema],
  ["concurrent compare-and-set updates from several connections yield exactly 1..N", concurrentUpdates],
  ["a closed store rejects with StoreError", closed],
  ["workflow versions by hash, trigger payloads, oldest-first paging", versionsAndPayloads],
];
