/**
 * Run history through the real CLI: where the store lives and who opens it,
 * what `flow run` records, the journal, secret redaction, `flow runs`,
 * `flow runs show`, id prefixes, `flow runs events --follow` and retention.
 */
import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import { contentHash } from "../src/workflow/hash.ts";
import { SCHEMA_VERSION } from "../src/store/schema.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { NewExecution } from "../src/store/types.ts";
import { ROOT, writeWorkflow } from "./helpers.ts";
import { assertNoStack, eventsOf, jsonOf, tempState, withDb } from "./history_helpers.ts";

/** A workflow with an HTTP call, a loop (nested runs) and declared outputs. */
const recorded = {
  id: "recorded",
  name: "Recorded run",
  inputs: { base: { type: "string" }, who: { type: "string", default: "ada" } },
  nodes: [
    { id: "user", type: "http.request", config: { url: "{{ $inputs.base }}/users/7" } },
    { id: "parse", type: "transform.json_parse" },
    {
      id: "each",
      type: "control.loop",
      config: {
        workflow: {
          nodes: [{ id: "times", type: "transform.set", config: { value: "{{ $node.n * 10 }}" } }],
          connections: [{ from: "$inputs.item", to: "times.n" }],
          outputs: { v: "times.value" },
        },
      },
    },
  ],
  connections: [
    { from: "user.body", to: "parse.json" },
    { from: "parse.parsed", to: "each.items" },
  ],
  outputs: { user: "parse.parsed", loop: "each.results" },
};

/** A new workflow file `id` with one node, a `debug.log`. */
function logWorkflow(id: string): Promise<string> {
  return writeWorkflow({ id, nodes: [{ id: "say", type: "debug.log", config: { message: "hi" } }], connections: [] });
}

Deno.test("--version, validate, nodes, graph, schema and runs without history never create flow.db", async () => {
  await using state = await tempState();
  const wf = await logWorkflow("quiet");
  const off = await writeWorkflow({ ...JSON.parse(await Deno.readTextFile(wf)), settings: { history: false } });
  for (
    const [args, env] of [
      [["--version"], {}],
      [["validate", wf], {}],
      [["nodes"], {}],
      [["graph", wf], {}],
      [["schema"], {}],
      [["run", wf, "--no-history"], {}],
      [["run", wf], { FLOW_HISTORY: "0" }],
      [["run", off], {}],
    ] as [string[], Record<string, string>][]
  ) {
    const r = await state.flow(args, { env });
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.deepEqual([...Deno.readDirSync(state.dir)], [], `${args.join(" ")} wrote to the state dir`);
  }
  const r = await state.flow(["run", wf]);
  assert.equal(r.code, 0, r.stderr);
  await Deno.stat(state.db); // recorded by default
  assert.equal(jsonOf<unknown[]>(await state.flow(["runs", "--format", "json"])).length, 1);
});

Deno.test("flow run records the execution, its nodes and nested runs; the journal is the NDJSON stream byte for byte", async () => {
  await using state = await tempState();
  const server = startDemoServer();
  try {
    // /users/7 has no array to loop over: feed the loop from a file instead, relative path from a cwd.
    const wf = await writeWorkflow({
      ...recorded,
      nodes: [
        ...recorded.nodes.slice(0, 2),
        { ...recorded.nodes[2] },
        { id: "ids", type: "transform.set", config: { value: [1, 2, 3] } },
      ],
      connections: [
        { from: "user.body", to: "parse.json" },
        { from: "parse.parsed", to: "ids.dep" },
        { from: "ids.value", to: "each.items" },
      ],
    });
    const dir = wf.slice(0, wf.lastIndexOf("/"));
    const run = await state.flow(["run", "wf.json", "--format", "ndjson", "-i", `base=${server.url}`], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const { executionId } = eventsOf(run);

    await (async () => {
      const events = await state.flow(["runs", "events", executionId]);
      assert.equal(events.code, 0, events.stderr);
      assert.equal(events.stdout, run.stdout, "runs events prints exactly what --format ndjson streamed");
    })();

    const detail = jsonOf<Record<string, unknown>>(await state.flow(["runs", "show", executionId, "--format", "json"]));
    assert.equal(detail.executionId, executionId);
    assert.equal(detail.workflowId, "recorded");
    assert.equal(detail.workflowName, "Recorded run");
    assert.equal(detail.file, await Deno.realPath(wf), "the absolute path, though a relative one was given");
    assert.equal(detail.hash, await contentHash(await Deno.readTextFile(wf)));
    assert.deepEqual(detail.inputs, { base: server.url, who: "ada" });
    assert.equal(detail.trigger, "cli");
    assert.equal(detail.status, "success");
    assert.ok(Date.parse(detail.startedAt as string) <= Date.parse(detail.endedAt as string));
    assert.equal(typeof detail.durationMs, "number");
    assert.deepEqual(detail.outputs, {
      user: { id: 7, name: "user 7", email: "user7@example.test" },
      loop: [{ v: 10 }, { v: 20 }, { v: 30 }],
    });
    type Node = { id: string; status: string; attempts: number; runPath?: string; outputs?: unknown };
    const nodes = detail.nodes as Node[];
    assert.deepEqual(
      nodes.map((n) => [n.runPath ?? "", n.id, n.status, n.attempts]),
      [
        ["", "user", "completed", 1],
        ["", "parse", "completed", 1],
        // File order, as flow run's own table: "each" comes before "ids" in the file, though it ran after it.
        ["", "each", "completed", 1],
        ["", "ids", "completed", 1],
        ["each[0]", "times", "completed", 1],
        ["each[1]", "times", "completed", 1],
        ["each[2]", "times", "completed", 1],
      ],
    );
    assert.deepEqual(nodes.find((n) => n.runPath === "each[2]")?.outputs, { value: 30 });
    for (const n of nodes as (Node & { startedAt?: string; endedAt?: string; durationMs?: number })[]) {
      assert.ok(n.startedAt && n.endedAt && typeof n.durationMs === "number", `timings of ${n.id}`);
    }

    // What the views do not show: the owner process, stored with the row.
    const row = withDb(
      state.db,
      (db) =>
        db.prepare("SELECT pid, proc_start, hostname, resumed_from FROM executions WHERE id = ?").get(executionId),
    ) as Record<string, unknown>;
    assert.equal(typeof row.pid, "number");
    assert.ok(Number(row.pid) > 0 && Number(row.pid) !== Deno.pid);
    assert.match(String(row.proc_start), /^\d+$/, "process start time (Linux clock ticks)");
    assert.equal(row.resumed_from, null);
  } finally {
    await server.close();
  }
});

Deno.test("a large journal (thousands of events, compressed chunks, some not ASCII) still reads back byte for byte", async () => {
  await using state = await tempState();
  const wf = await writeWorkflow({
    id: "large",
    nodes: Array.from({ length: 2000 }, (_, i) => ({
      id: `n${i}`,
      type: "debug.log",
      config: { message: i % 500 === 7 ? `line ${i} ünïcödé ✓ 😀` : `line ${i} ${"x".repeat(40)}` },
    })),
    connections: [],
  });
  const run = await state.flow(["run", wf, "--format", "ndjson"]);
  assert.equal(run.code, 0, run.stderr);
  const { executionId, events } = eventsOf(run);
  assert.equal(events.length, 6002);
  const compressed = withDb(
    state.db,
    (db) => (db.prepare("SELECT count(*) AS n FROM journal WHERE typeof(body) = 'blob'").get() as { n: number }).n,
  );
  assert.ok(compressed > 0, "large chunks are stored compressed");
  const back = await state.flow(["runs", "events", executionId]);
  assert.equal(back.stdout, run.stdout);
});

Deno.test("a failed run is recorded with its error; runs show prints summary, node table, error and outputs", async () => {
  await using state = await tempState();
  const wf = await writeWorkflow({
    id: "breaks",
    nodes: [
      { id: "ok", type: "transform.set", config: { value: { a: 1 } } },
      { id: "bad", type: "transform.json_parse", config: { json: "{" } },
      { id: "never", type: "debug.log" },
    ],
    connections: [{ from: "bad.parsed", to: "never.message" }],
    outputs: { first: "ok.value" },
  });
  const run = await state.flow(["run", wf, "--format", "json"]);
  assert.equal(run.code, 1);
  const id = JSON.parse(run.stdout).executionId as string;
  const show = await state.flow(["runs", "show", id]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`^execution +${id}$`, "m"));
  assert.match(show.stdout, /^workflow +breaks$/m);
  assert.match(show.stdout, /^status +failed$/m);
  assert.match(show.stdout, /^trigger +cli$/m);
  assert.match(show.stdout, /^duration +\d/m);
  assert.match(show.stdout, /│ node +│ type +│ status +│ attempts │ time/);
  assert.match(show.stdout, /│ ok +│ transform\.set +│ completed/);
  assert.match(show.stdout, /│ bad +│ transform\.json_parse +│ failed/);
  assert.match(show.stdout, /^error node "bad": .+ \(\w+\)$/m);
  assert.match(show.stdout, /^outputs \{\n {2}"first": \{\n {4}"a": 1/m);
  const json = jsonOf<Record<string, unknown>>(await state.flow(["runs", "show", id, "--format", "json"]));
  assert.equal(json.status, "failed");
  assert.equal((json.error as { nodeId: string }).nodeId, "bad");
  assert.deepEqual(json.outputs, { first: { a: 1 } });
});

Deno.test("secrets are redacted before anything is written: not in flow.db, runs show or runs events", async () => {
  await using state = await tempState();
  const secret = "s3cret-" + crypto.randomUUID();
  const wf = await writeWorkflow({
    id: "secretive",
    inputs: { token: { type: "string" } },
    nodes: [
      { id: "header", type: "transform.set", config: { value: "Bearer {{ $env.API_TOKEN }}" } },
      { id: "log", type: "debug.log" },
      // Fails with the secret in its error message (the URL).
      { id: "fail", type: "http.request", config: { url: "http://127.0.0.1:9/{{ $env.API_TOKEN }}" } },
    ],
    connections: [{ from: "header.value", to: "log.message" }],
    outputs: { header: "header.value", echoed: "$inputs.token" },
    settings: { secrets: ["API_TOKEN"] },
  });
  const env = { API_TOKEN: secret };
  const run = await state.flow(["run", wf, "--format", "ndjson", "-i", `token=${secret}`], { env });
  assert.equal(run.code, 1, run.stderr);
  assert.ok(!run.stdout.includes(secret));
  const { executionId } = eventsOf(run);
  for (const args of [["runs", "show", executionId], ["runs", "show", executionId, "--format", "json"]]) {
    const r = await state.flow(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Bearer \*\*\*/);
    assert.match(r.stdout, /http:\/\/127\.0\.0\.1:9\/\*\*\*/, "the error is redacted too");
    assert.ok(!r.stdout.includes(secret), `${args.join(" ")} shows the secret`);
  }
  const events = await state.flow(["runs", "events", executionId]);
  assert.equal(events.stdout, run.stdout);
  assert.ok(!events.stdout.includes(secret));
  const needle = new TextEncoder().encode(secret);
  for (const file of filesUnder(state.dir)) {
    assert.equal(indexOf(await Deno.readFile(file), needle), -1, `${file} holds the secret`);
  }
});

/** Every file under `dir`, in its subdirectories too (the remembered workflow hashes are in `hashes/`). */
function filesUnder(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory ? filesUnder(`${dir}/${e.name}`) : e.isFile ? [`${dir}/${e.name}`] : []
  );
}

/** The index of `needle` in `hay`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Executions to seed straight into a store: ids and times chosen by the test. */
function seeded(workflowId: string, id: string, minutesAgo: number, status = "success"): NewExecution {
  const at = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  return {
    executionId: id,
    workflowId,
    inputs: {},
    trigger: "cli",
    status: status as NewExecution["status"],
    createdAt: at,
    startedAt: at,
  };
}

async function seed(db: string, records: NewExecution[]) {
  const store = await openSqliteStore(db);
  try {
    await store.write({
      created: records,
      ended: records.map((r) => ({ executionId: r.executionId, status: "success", endedAt: r.createdAt })),
    });
  } finally {
    await store.close();
  }
}

const uuid = (prefix: string, n: number) =>
  `${prefix}${n.toString(16).padStart(8 - prefix.length, "0")}-0000-4000-8000-000000000000`;

Deno.test("flow runs: the table, --workflow, --status, --limit (default 20), --format json and ndjson", async () => {
  await using state = await tempState();
  const empty = await state.flow(["runs"]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(empty.stdout, "no executions recorded yet\n");
  await seed(state.db, Array.from({ length: 25 }, (_, i) => seeded("many", uuid("aa", i), 100 - i)));
  const ok = await logWorkflow("fine");
  const bad = await writeWorkflow({
    id: "broken",
    nodes: [{ id: "p", type: "transform.json_parse", config: { json: "{" } }],
    connections: [],
  });
  assert.equal((await state.flow(["run", ok, "-q"])).code, 0);
  assert.equal((await state.flow(["run", bad, "-q"])).code, 1);

  const table = await state.flow(["runs"]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split("\n");
  assert.match(lines[1], /│ id +│ workflow +│ status +│ started +│ duration +│ trigger +│/);
  assert.equal(lines.length, 2 + 20 + 1, "a header and 20 rows by default");
  assert.match(lines[2], /│ [0-9a-f]{8} │ broken +│ failed +│ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d │ \d+ ms +│ cli +│/);
  assert.match(lines[3], /│ [0-9a-f]{8} │ fine +│ success/);
  assert.match(lines[4], /│ aa000018 │ many +│ success/, "newest first");

  type Summary = { executionId: string; workflowId: string; status: string };
  const json = jsonOf<Summary[]>(await state.flow(["runs", "--format", "json", "--limit", "100"]));
  assert.equal(json.length, 27);
  const byWorkflow = jsonOf<Summary[]>(await state.flow(["runs", "-f", "json", "--workflow", "fine"]));
  assert.deepEqual(byWorkflow.map((r) => r.workflowId), ["fine"]);
  const failed = jsonOf<Summary[]>(await state.flow(["runs", "-f", "json", "--status", "failed"]));
  assert.deepEqual(failed.map((r) => r.workflowId), ["broken"]);
  const ndjson = await state.flow(["runs", "--format", "ndjson", "-n", "3"]);
  const rows = ndjson.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Summary);
  assert.deepEqual(rows.map((r) => r.workflowId), ["broken", "fine", "many"]);

  const badStatus = await state.flow(["runs", "--status", "nope"]);
  assert.equal(badStatus.code, 2);
  assert.match(badStatus.stderr, /^flow: --status: expected one of queued, running, success, .*; got "nope"\n$/);
});

Deno.test("id prefixes: a unique one works for show, events and resume; unknown or ambiguous exits 2", async () => {
  await using state = await tempState();
  await seed(state.db, [
    seeded("p", uuid("abc1", 1), 3),
    seeded("p", uuid("abc2", 2), 2),
    seeded("p", uuid("abd", 3), 1),
  ]);
  const show = await state.flow(["runs", "show", "abd", "--format", "json"]);
  assert.equal(jsonOf(show).executionId, uuid("abd", 3));
  assert.equal((await state.flow(["runs", "show", "ABC1"])).code, 0, "case does not matter");
  assert.equal((await state.flow(["runs", "events", "abc2"])).code, 0);
  const resume = await state.flow(["resume", "abd"]);
  assert.equal(resume.code, 2);
  assert.match(resume.stderr, new RegExp(`^flow: nothing to resume: execution ${uuid("abd", 3)} succeeded\\n$`));
  for (const args of [["runs", "show", "abc"], ["runs", "events", "ab"], ["resume", "abc"]]) {
    const r = await state.flow(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^flow: ambiguous id prefix "ab\w?": it matches \d executions: [0-9a-f-]+(, [0-9a-f-]+)+\n$/,
    );
    assert.ok(r.stderr.includes(uuid("abc1", 1)) && r.stderr.includes(uuid("abc2", 2)), "lists the candidates");
  }
  for (const args of [["runs", "show", "ffff"], ["runs", "events", "ffff"], ["resume", "ffff"]]) {
    const r = await state.flow(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stderr, 'flow: no execution matches "ffff"\n');
  }
});

/** How many executions the database at `db` holds: all, or those of one workflow. */
function executionCount(db: string, workflowId?: string): number {
  return withDb(db, (d) => {
    const sql = `SELECT count(*) AS n FROM executions${workflowId === undefined ? "" : " WHERE workflow_id = ?"}`;
    const row = d.prepare(sql).get(...(workflowId === undefined ? [] : [workflowId])) as { n: number };
    return Number(row.n);
  });
}

Deno.test("FLOW_HISTORY_KEEP sets how many executions flow run keeps (0: all); a bad value is exit 2 before the run", async () => {
  await using state = await tempState();
  const wf = await logWorkflow("few");
  await seed(state.db, Array.from({ length: 6 }, (_, i) => seeded("few", uuid("f", i), 100 - i)));
  const count = () => executionCount(state.db);
  const keepAll = await state.flow(["run", wf, "--quiet"], { env: { FLOW_HISTORY_KEEP: "0" } });
  assert.equal(keepAll.code, 0, keepAll.stderr);
  assert.equal(count(), 7, "0 keeps every execution");
  // Keep 5, with a slack of 1: 8 is past 6, so down to the newest 5.
  const five = await state.flow(["run", wf, "--quiet"], { env: { FLOW_HISTORY_KEEP: "5" } });
  assert.equal(five.code, 0, five.stderr);
  assert.equal(count(), 5);
  const bad = await state.flow(["run", wf, "--quiet"], { env: { FLOW_HISTORY_KEEP: "lots" } });
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'flow: FLOW_HISTORY_KEEP: expected a whole number (0 keeps every execution); got "lots"\n');
  assert.equal(count(), 5, "nothing ran");
});

Deno.test("retention: past 1010, flow run prunes its workflow to the newest 1000; runs prune --keep and --older-than", async () => {
  await using state = await tempState();
  const wf = await logWorkflow("kept");
  // 1009 older executions of the same workflow, and 3 of another one.
  await seed(state.db, [
    ...Array.from({ length: 1009 }, (_, i) => seeded("kept", uuid("b", i), 5000 - i)),
    seeded("other", uuid("c", 1), 60 * 24 * 40),
    seeded("other", uuid("c", 2), 60 * 24 * 35),
    seeded("other", uuid("c", 3), 60),
  ]);
  const count = (workflow: string) => executionCount(state.db, workflow);
  const first = await state.flow(["run", wf, "--quiet"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(count("kept"), 1010, "1000 and the slack of 10: nothing pruned yet");
  const run = await state.flow(["run", wf, "--format", "json"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(count("kept"), 1000, "1011: the oldest 11 were pruned at the end of the run");
  assert.equal((await state.flow(["runs", "show", uuid("b", 10)])).code, 2, "the oldest are gone");
  assert.equal((await state.flow(["runs", "show", uuid("b", 11)])).code, 0);
  assert.equal(count("other"), 3, "other workflows are untouched");

  const older = await state.flow(["runs", "prune", "--older-than", "30d"]);
  assert.equal(older.code, 0, older.stderr);
  assert.equal(older.stdout, "pruned 2 executions\n");
  assert.equal(count("other"), 1);
  const keep = await state.flow(["runs", "prune", "--keep", "10", "--workflow", "kept"]);
  assert.equal(keep.stdout, "pruned 990 executions\n");
  const newest = jsonOf<{ executionId: string }[]>(await state.flow(["runs", "-f", "json", "-w", "kept", "-n", "1"]));
  assert.equal(newest[0].executionId, JSON.parse(run.stdout).executionId, "the newest are kept");
  const none = await state.flow(["runs", "prune"]);
  assert.equal(none.code, 2);
  assert.equal(none.stderr, "flow: runs prune: give --keep N, --older-than DURATION, or both\n");
  const bad = await state.flow(["runs", "prune", "--older-than", "soon"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^flow: --older-than: expected .+; got "soon"\n$/);
});

Deno.test("runs events --follow tails an execution another process is running until it completes", async () => {
  await using state = await tempState();
  const server = startDemoServer();
  try {
    const wf = await writeWorkflow({
      id: "followed",
      inputs: { base: { type: "string" } },
      nodes: [
        { id: "first", type: "http.request", config: { url: "{{ $inputs.base }}/users/1" } },
        { id: "url", type: "transform.set", config: { value: "{{ $inputs.base }}/slow?ms=1500" } },
        { id: "slow", type: "http.request" },
        { id: "last", type: "debug.log" },
      ],
      connections: [
        { from: "first.status", to: "url.after" },
        { from: "url.value", to: "slow.url" },
        { from: "slow.status", to: "last.message" },
      ],
    });
    await using run = state.spawn(["run", wf, "--format", "ndjson", "-i", `base=${server.url}`]);
    const started = JSON.parse(await run.waitForLine('"workflow.started"'));
    await using follow = state.spawn(["runs", "events", started.executionId.slice(0, 8), "--follow"]);
    await follow.waitForLine('"type":"node.started"', '"nodeId":"slow"');
    const [ran, followed] = [await run.finish(), await follow.finish()];
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, ran.stdout, "--follow printed the whole stream, then stopped");
    assert.match(followed.stdout.trimEnd().split("\n").at(-1)!, /"type":"workflow.completed"/);
    assert.equal(server.hits.get("/slow"), 1);
  } finally {
    await server.close();
  }
});

Deno.test("the store is $FLOW_STATE_DIR/flow.db in WAL mode with the current schema version", async () => {
  await using state = await tempState();
  const wf = `${ROOT}examples/branch.json`;
  const r = await state.flow(["run", wf, "-q", "-i", "url=http://127.0.0.1:9/none"]);
  assertNoStack(r.stderr);
  const [mode, version] = withDb(state.db, (db) => [
    (db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode,
    (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
  ]);
  assert.equal(mode, "wal");
  assert.equal(version, SCHEMA_VERSION);
});

Deno.test("--trigger and --trigger-data: the fired trigger is recorded; a wrong choice is one line, exit 2", async () => {
  await using state = await tempState();
  const wf = await writeWorkflow({
    id: "hooks",
    nodes: [
      { id: "github", type: "http.webhook", config: { path: "/hooks/gh" } },
      { id: "nightly", type: "time.cron", config: { schedule: "0 2 * * *" } },
      { id: "log", type: "debug.log" },
    ],
    connections: [{ from: "github.body", to: "log.message" }],
    outputs: { body: "github.body" },
  });
  for (
    const [args, error] of [
      [[], 'flow: workflow "hooks" has 2 triggers; pass --trigger ID: github (http.webhook), nightly (time.cron)\n'],
      [
        ["--trigger", "log"],
        'flow: "log" is not a trigger node of "hooks"; its triggers: github (http.webhook), nightly (time.cron)\n',
      ],
      [["--trigger", "github", "--trigger-data", "[1]"], "flow: --trigger-data: expected a JSON object; got [1]\n"],
    ]
  ) {
    const r = await state.flow(["run", wf, ...args as string[]]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, error);
  }
  const dir = wf.slice(0, wf.lastIndexOf("/"));
  await Deno.writeTextFile(`${dir}/payload.json`, JSON.stringify({ body: { n: 1 } }));
  const run = await state.flow([
    "run",
    wf,
    "-f",
    "json",
    "--trigger",
    "github",
    "--trigger-data",
    `@${dir}/payload.json`,
  ]);
  const summary = jsonOf<{ executionId: string; outputs: unknown }>(run);
  assert.deepEqual(summary.outputs, { body: { n: 1 } });
  const detail = jsonOf<{ trigger: string; triggerNode: string }>(
    await state.flow(["runs", "show", summary.executionId, "-f", "json"]),
  );
  assert.deepEqual([detail.trigger, detail.triggerNode], ["cli", "github"]);
  const table = await state.flow(["runs"]);
  assert.match(table.stdout, /│ hooks +│ success │ .+ │ cli \(github\) │/);
});
