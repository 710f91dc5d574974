/**
 * The history under faults, through the real CLI: concurrent processes on one
 * store, `kill -9` mid-run (crash detection, then resume), and a flow.db that
 * is unreadable, corrupt, on a full filesystem or from a newer flow.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SCHEMA_VERSION } from "../src/store/schema.ts";
import { startDemoServer } from "../examples/server.ts";
import { cliCommand, ofType, ROOT, writeWorkflow } from "./helpers.ts";
import { assertNoStack, eventsOf, jsonOf, type StateDir, tempState } from "./history_helpers.ts";

Deno.test("8 concurrent flow run processes on one store: all recorded, none locked, the counter counts 1..200", async () => {
  await using state = await tempState();
  const wf = await writeWorkflow({
    id: "crowd",
    imports: [`${ROOT}tests/fixtures/state_nodes/bump.ts`],
    nodes: [
      { id: "bump", type: "fx.bump", config: { times: 25 } },
      // Events for the recorders to write while the counters contend.
      ...Array.from({ length: 40 }, (_, i) => ({ id: `log${i}`, type: "debug.log", config: { message: `m${i}` } })),
    ],
    connections: [],
    outputs: { values: "bump.values" },
  });
  const runs = await Promise.all(Array.from({ length: 8 }, () => state.flow(["run", wf, "--format", "json"])));
  const values: number[] = [];
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "no warning: history stayed on");
    values.push(...JSON.parse(r.stdout).outputs.values);
  }
  assert.deepEqual(values.sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
  const listed = jsonOf<{ executionId: string; status: string }[]>(await state.flow(["runs", "-f", "json"]));
  assert.equal(listed.length, 8);
  assert.ok(listed.every((r) => r.status === "success"));
  assert.deepEqual(
    new Set(listed.map((r) => r.executionId)),
    new Set(runs.map((r) => JSON.parse(r.stdout).executionId)),
  );
  const counter = await state.flow(["state", "get", "crowd", "counter"]);
  assert.equal(counter.stdout, "200\n");
});

Deno.test("kill -9 mid-run: flow runs shows it crashed; flow resume completes it without calling completed nodes", async () => {
  if (Deno.build.os !== "linux") return; // crash detection by PID and start time reads /proc
  await using state = await tempState();
  const server = startDemoServer();
  try {
    const wf = await writeWorkflow({
      id: "crashy",
      inputs: { base: { type: "string" } },
      nodes: [
        { id: "first", type: "http.request", config: { url: "{{ $inputs.base }}/users/1" } },
        { id: "slow_url", type: "transform.set", config: { value: "{{ $inputs.base }}/slow" } },
        // Slow while the test kills it, fast once resumed: the delay comes from the environment of each process.
        { id: "slow", type: "http.request", config: { query: { ms: "{{ $env.SLOW_MS }}" } } },
        { id: "after_url", type: "transform.set", config: { value: "{{ $inputs.base }}/users/2" } },
        { id: "after", type: "http.request" },
      ],
      connections: [
        { from: "first.status", to: "slow_url.after" },
        { from: "slow_url.value", to: "slow.url" },
        { from: "slow.status", to: "after_url.after" },
        { from: "after_url.value", to: "after.url" },
      ],
      outputs: { status: "after.status" },
      settings: { env: ["SLOW_MS"] },
    });
    await using run = state.spawn(["run", wf, "--format", "ndjson", "-i", `base=${server.url}`], { SLOW_MS: "60000" });
    const { executionId } = JSON.parse(await run.waitForLine('"type":"workflow.started"'));
    // Follow the journal from another process: a line there is durable.
    await using follow = state.spawn(["runs", "events", executionId, "--follow"]);
    await follow.waitForLine('"type":"node.started"', '"nodeId":"slow"');
    const early = await state.flow(["resume", executionId]);
    assert.equal(early.code, 2);
    assert.match(
      early.stderr,
      new RegExp(
        `^flow: execution ${executionId} is still running \\(pid ${run.child.pid} on .+\\); cancel it first\n$`,
      ),
    );
    run.child.kill("SIGKILL");
    const killed = await run.finish();
    assert.equal(killed.code, 137);
    const followed = await follow.finish();
    assert.equal(followed.code, 0, "--follow stops when the execution is found crashed");
    assert.ok(!followed.stdout.includes("workflow.completed"));

    const table = await state.flow(["runs"]);
    assert.match(table.stdout, new RegExp(`│ ${executionId.slice(0, 8)} │ crashy +│ crashed +│`));
    const crashed = jsonOf<{ executionId: string }[]>(await state.flow(["runs", "-f", "json", "--status", "crashed"]));
    assert.deepEqual(crashed.map((r) => r.executionId), [executionId]);
    const detail = jsonOf<{ status: string; nodes: { id: string; status: string }[] }>(
      await state.flow(["runs", "show", executionId, "-f", "json"]),
    );
    assert.equal(detail.status, "crashed");
    assert.deepEqual(detail.nodes.map((n) => [n.id, n.status]), [
      ["first", "completed"],
      ["slow_url", "completed"],
      ["slow", "running"],
      // Never started: pending, as the run's own table would list them (file order).
      ["after_url", "pending"],
      ["after", "pending"],
    ]);

    const resumed = await state.flow(["resume", executionId, "-f", "ndjson"], { env: { SLOW_MS: "10" } });
    assert.equal(resumed.code, 0, resumed.stderr);
    const { events } = eventsOf(resumed);
    assert.equal(ofType(events, "workflow.started")[0].resumedFrom, executionId);
    assert.deepEqual(ofType(events, "node.started").map((e) => e.nodeId), ["slow", "after_url", "after"]);
    assert.deepEqual(server.hits.get("/users/1"), 1, "the completed node was not called again");
    assert.deepEqual(server.hits.get("/slow"), 2, "the node cut off by the crash ran again (at least once)");
    assert.deepEqual(server.hits.get("/users/2"), 1);
    const still = jsonOf<{ status: string }>(await state.flow(["runs", "show", executionId, "-f", "json"]));
    assert.equal(still.status, "crashed", "the crashed execution keeps its status");
  } finally {
    await server.close();
  }
});

Deno.test("kill -9 right after workflow.started: the execution row was written before any node ran", async () => {
  if (Deno.build.os !== "linux") return;
  await using state = await tempState();
  const wf = await writeWorkflow({
    id: "early",
    nodes: [{ id: "wait", type: "time.delay", config: { ms: 60000 } }],
    connections: [],
  });
  await using run = state.spawn(["run", wf, "--format", "ndjson"]);
  const { executionId } = JSON.parse(await run.waitForLine('"type":"workflow.started"'));
  run.child.kill("SIGKILL");
  await run.finish();
  const listed = jsonOf<{ executionId: string; status: string }[]>(await state.flow(["runs", "-f", "json"]));
  assert.deepEqual(listed.map((r) => [r.executionId, r.status]), [[executionId, "crashed"]]);
  const show = await state.flow(["runs", "show", executionId]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^status +crashed$/m);
});

/** A workflow that succeeds with a known output, and records nothing else. */
async function okWorkflow() {
  return await writeWorkflow({
    id: "steady",
    nodes: [{ id: "say", type: "transform.set", config: { value: "fine" } }],
    connections: [],
    outputs: { said: "say.value" },
  });
}

/** `flow run` with a broken store: one warning line, the run as normal. */
async function assertRunWarnsOnce(state: StateDir, reason: RegExp) {
  const r = await state.flow(["run", await okWorkflow(), "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).outputs, { said: "fine" });
  assert.match(r.stderr, /^flow: history disabled: [^\n]+\n$/, "exactly one line");
  assert.match(r.stderr, reason);
  assertNoStack(r.stderr);
}

/** A history command with a broken store: exit 2, one line. */
async function assertCommandRefuses(state: StateDir, args: string[], reason: RegExp) {
  const r = await state.flow(args);
  assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^flow: history: [^\n]+\n$/, `${args.join(" ")}: one line`);
  assert.match(r.stderr, reason);
  assertNoStack(r.stderr);
}

const HISTORY_COMMANDS = [["runs"], ["runs", "show", "abc"], ["runs", "events", "abc"], ["resume", "abc"], [
  "state",
  "list",
]];

Deno.test("a flow.db that is not a database: run warns once and goes on; history commands exit 2", async () => {
  await using state = await tempState();
  await Deno.writeFile(state.db, new TextEncoder().encode("this is not a database\n".repeat(400)));
  await assertRunWarnsOnce(state, /flow\.db: file is not a database$/m);
  for (const args of HISTORY_COMMANDS) await assertCommandRefuses(state, args, /file is not a database/);
});

Deno.test("a flow.db with corrupt pages: run warns once and goes on; history commands exit 2", async () => {
  await using state = await tempState();
  const wf = await okWorkflow();
  for (let i = 0; i < 3; i++) assert.equal((await state.flow(["run", wf, "-q"])).code, 0);
  // flow leaves recent pages in the WAL (flow.db-wal) for the next process: fold them into flow.db first.
  const db = new DatabaseSync(state.db);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  // Keep the header page (the file still opens), overwrite the pages after it.
  const file = await Deno.open(state.db, { read: true, write: true });
  try {
    await file.seek(4096, Deno.SeekMode.Start);
    await file.write(new Uint8Array(16384).fill(0xff));
  } finally {
    file.close();
  }
  await assertRunWarnsOnce(state, /malformed/);
  await assertCommandRefuses(state, ["runs"], /malformed/);
});

Deno.test("an unreadable flow.db or state dir: run warns once and goes on; history commands exit 2", async (t) => {
  await t.step("flow.db is a directory", async () => {
    await using state = await tempState();
    await Deno.mkdir(state.db);
    await assertRunWarnsOnce(state, /unable to open database file/);
    for (const args of HISTORY_COMMANDS) await assertCommandRefuses(state, args, /unable to open database file/);
  });
  await t.step("FLOW_STATE_DIR is a file", async () => {
    await using state = await tempState();
    const file = `${state.dir}/not-a-dir`;
    await Deno.writeTextFile(file, "");
    const r = await state.flow(["run", await okWorkflow(), "-q"], { env: { FLOW_STATE_DIR: file } });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^flow: history disabled: cannot create [^\n]+\n$/);
    const runs = await state.flow(["runs"], { env: { FLOW_STATE_DIR: file } });
    assert.equal(runs.code, 2);
    assert.match(runs.stderr, /^flow: history: cannot create [^\n]+\n$/);
  });
  await t.step("no state directory at all (no FLOW_STATE_DIR, XDG_STATE_HOME nor HOME)", async () => {
    await using state = await tempState();
    // Deno's own cache is found from HOME too: keep it where it is.
    const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" }).output();
    const { denoDir } = JSON.parse(new TextDecoder().decode(info.stdout));
    const env = { FLOW_STATE_DIR: "", XDG_STATE_HOME: "", HOME: "", USERPROFILE: "", DENO_DIR: denoDir };
    const r = await state.flow(["run", await okWorkflow(), "-f", "json"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, "success");
    assert.equal(r.stderr, "flow: history disabled: cannot find a state directory: set FLOW_STATE_DIR (or HOME)\n");
    const runs = await state.flow(["runs"], { env });
    assert.equal(runs.code, 2);
    assert.equal(runs.stderr, "flow: history: cannot find a state directory: set FLOW_STATE_DIR (or HOME)\n");
  });
  if (Deno.uid() !== 0) {
    // Root reads any file: only a normal user can be denied.
    await t.step("flow.db without read permission", async () => {
      await using state = await tempState();
      await Deno.writeTextFile(state.db, "");
      await Deno.chmod(state.db, 0o000);
      await assertRunWarnsOnce(state, /unable to open database file|readonly|permission/i);
      await assertCommandRefuses(state, ["runs"], /unable to open database file|readonly|permission/i);
    });
  }
});

Deno.test("a flow.db written by a newer flow (higher schema version) is refused with a clear message", async () => {
  await using state = await tempState();
  assert.equal((await state.flow(["run", await okWorkflow(), "-q"])).code, 0);
  const db = new DatabaseSync(state.db);
  db.exec("PRAGMA user_version = 99");
  db.close();
  const newer = new RegExp(
    `flow\\.db was written by a newer flow \\(schema version 99; this flow knows up to ${SCHEMA_VERSION}\\); upgrade flow$`,
    "m",
  );
  await assertRunWarnsOnce(state, newer);
  for (const args of HISTORY_COMMANDS) await assertCommandRefuses(state, args, newer);
});

/** Whether this machine lets a process mount a tmpfs in its own user and mount namespace. */
async function canMountPrivateTmpfs(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    const dir = await Deno.makeTempDir();
    const { success } = await new Deno.Command("unshare", {
      args: ["-rm", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output();
    await Deno.remove(dir);
    return success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "a full filesystem: run warns once (database or disk is full) and exits as normal",
  ignore: !(await canMountPrivateTmpfs()),
  async fn() {
    await using state = await tempState();
    const ok = await okWorkflow();
    assert.equal((await state.flow(["run", ok, "-q"])).code, 0);
    const seed = `${await Deno.makeTempDir()}/flow.db`;
    await Deno.rename(state.db, seed);
    // Events that do not compress: 10 x 30 KB of random text, far more than the 64 KiB left free.
    const noise = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(22_500))));
    const big = await writeWorkflow({
      id: "big",
      nodes: Array.from({ length: 10 }, (_, i) => ({ id: `log${i}`, type: "debug.log", config: { message: noise() } })),
      connections: [],
    });
    // A private mount namespace: a real 512 KiB tmpfs over the state dir, filled up but for 64 KiB; it goes
    // away with the process.
    const script = 'mount -t tmpfs -o size=512k tmpfs "$FLOW_STATE_DIR" && cp "$SEED" "$FLOW_STATE_DIR/flow.db" && ' +
      '{ dd if=/dev/zero of="$FLOW_STATE_DIR/fill" bs=4k 2>/dev/null; truncate -s -64K "$FLOW_STATE_DIR/fill"; } && ' +
      'exec "$@"';
    const { cmd, args } = cliCommand();
    const out = await new Deno.Command("unshare", {
      args: ["-rm", "sh", "-c", script, "sh", cmd, ...args, "run", big, "--format", "json"],
      env: { FLOW_STATE_DIR: state.dir, SEED: seed, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(JSON.parse(new TextDecoder().decode(out.stdout)).status, "success");
    assert.match(stderr, /^flow: history disabled: [^\n]+flow\.db: database or disk is full\n$/);
    await Deno.remove(seed.slice(0, seed.lastIndexOf("/")), { recursive: true });
  },
});
