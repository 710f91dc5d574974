/**
 * Hot reload and node instances through a real `flow serve`: a sandboxed
 * custom node whose `setup`/`dispose` append to a log file is set up once
 * per node of a loaded version (100 webhook runs share it), set up again
 * after a valid edit, and disposed once the runs in flight on the old
 * version have finished; an invalid edit keeps the old version serving;
 * added files start serving; deleted ones stop, with their triggers.
 */
import assert from "node:assert/strict";
import { Served, waitFor, writeFile, writeFiles } from "./serve_helpers.ts";

/** A custom node module (no imports needed) whose instance lifecycle is written to `log`. */
const counterModule = (log: string) => `
let setups = 0;
const write = (line) => Deno.writeTextFileSync(${JSON.stringify(log)}, line + "\\n", { append: true });
export default {
  type: "test.counter",
  description: "counts its runs in its instance",
  inputs: { in: { type: "any", required: false } },
  outputs: { instance: { type: "string" }, runs: { type: "number" }, setups: { type: "number" } },
  setup(_config, info) {
    setups++;
    const id = crypto.randomUUID();
    write("setup " + info.workflowId + " " + info.nodeId + " " + id);
    return { id, runs: 0 };
  },
  dispose(instance) {
    write("dispose " + instance.id);
  },
  run({ instance }) {
    instance.runs++;
    return { instance: instance.id, runs: instance.runs, setups };
  },
};
export const broken = {
  type: "test.bad_setup",
  description: "its setup fails",
  inputs: {},
  outputs: {},
  setup() {
    throw new Error("no database at db.invalid");
  },
  run: () => ({}),
};
`;

const imports = (dir: string) => [{ path: "./counter.ts", permissions: { write: [`${dir}/lifecycle.log`] } }];

/** Two webhooks: `fast` answers at once; `slow` waits 1.5 s first. Each feeds its own counter node. */
const counterWorkflow = (dir: string, name: string) => ({
  id: "counter",
  name,
  imports: imports(dir),
  nodes: [
    { id: "fast", type: "http.webhook", config: { path: "fast" } },
    { id: "slow", type: "http.webhook", config: { path: "slow" } },
    { id: "wait", type: "time.delay", config: { ms: 1500 } },
    { id: "c_fast", type: "test.counter" },
    { id: "c_slow", type: "test.counter" },
  ],
  connections: [
    { from: "fast.body", to: "c_fast.in" },
    { from: "slow.body", to: "wait.value" },
    { from: "wait.value", to: "c_slow.in" },
  ],
  outputs: { fast: "c_fast.instance", slow: "c_slow.instance", runs: "c_fast.runs" },
});

const lines = async (dir: string) => {
  try {
    return (await Deno.readTextFile(`${dir}/lifecycle.log`)).split("\n").filter(Boolean);
  } catch {
    return [];
  }
};

Deno.test("flow serve: hot reload and node instances", async (t) => {
  const dir = await writeFiles({});
  await writeFile(dir, "counter.ts", counterModule(`${dir}/lifecycle.log`));
  await writeFile(dir, "counter.json", counterWorkflow(dir, "v1"));
  await writeFile(dir, "bad_setup.json", {
    id: "bad_setup",
    imports: imports(dir),
    nodes: [{ id: "db", type: "test.bad_setup" }],
    connections: [],
  });
  await using server = await Served.start([dir, "--grace", "5s"]);
  const workflow = async (id: string) => (await server.json(`/api/v1/workflows/${id}`)).body;
  const fast = async () => {
    const res = await server.json("/hooks/fast", { method: "POST", body: "{}" });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { fast: string; runs: number };
  };
  let firstInstance = "";
  let firstHash = "";

  await t.step("a failing setup marks the workflow invalid", async () => {
    // It never loaded, so it has no id: the list shows it by file.
    const { body } = await server.json("/api/v1/workflows");
    const info = body.workflows.find((w: { file: string }) => w.file === "bad_setup.json");
    assert.equal(info.valid, false);
    assert.match(info.errors.join("\n"), /setup of "db" \(test\.bad_setup\) failed: no database at db\.invalid/);
    assert.match(server.stderr, /setup of "db" \(test\.bad_setup\) failed/);
  });

  await t.step("100 webhook runs share one instance, set up once", async () => {
    const answers = [];
    for (let batch = 0; batch < 5; batch++) answers.push(...await Promise.all(Array.from({ length: 20 }, fast)));
    firstInstance = answers[0].fast;
    assert.ok(answers.every((a) => a.fast === firstInstance));
    assert.deepEqual(answers.map((a) => a.runs).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1));
    const log = await lines(dir);
    assert.equal(log.filter((l) => l.startsWith("setup counter c_fast")).length, 1, log.join("\n"));
    assert.equal(log.filter((l) => l.startsWith("setup counter c_slow")).length, 1, log.join("\n"));
    assert.equal(log.filter((l) => l.startsWith("dispose")).length, 0);
    firstHash = (await workflow("counter")).hash;
  });

  await t.step("a valid edit serves within 2 s; the run in flight finishes on the old version", async () => {
    const slow = server.json("/hooks/slow", { method: "POST", body: "{}" });
    const inFlight = await waitFor(async () => (await server.runs("workflow=counter&status=running"))[0]);
    const oldSlowInstance = (await lines(dir)).find((l) => l.startsWith("setup counter c_slow"))!.split(" ")[3];

    const edited = Date.now();
    await writeFile(dir, "counter.json", counterWorkflow(dir, "v2"));
    const info = await waitFor(async () => {
      const w = await workflow("counter");
      return w.hash !== firstHash && w;
    }, { timeoutMs: 2_000, message: () => `the edit did not take effect within 2 s; stderr:\n${server.stderr}` });
    assert.ok(Date.now() - edited < 2_000);
    assert.equal(info.name, "v2");
    assert.equal(info.valid, true);

    const after = await fast();
    assert.notEqual(after.fast, firstInstance, "the new version has its own instance");
    assert.equal(after.runs, 1);
    let log = await lines(dir);
    assert.equal(log.filter((l) => l.startsWith("setup counter c_fast")).length, 2);
    assert.equal(log.filter((l) => l.startsWith("dispose")).length, 0, "not disposed while a run is in flight");

    const done = await slow;
    assert.equal(done.status, 200);
    assert.equal(done.body.slow, oldSlowInstance, "the run in flight used the old version's instance");
    const run = await server.waitForRun(inFlight.executionId);
    assert.equal(run.hash, firstHash);
    log = await waitFor(async () => {
      const l = await lines(dir);
      return l.filter((x) => x.startsWith("dispose")).length === 2 && l;
    });
    assert.deepEqual(
      log.filter((l) => l.startsWith("dispose")).map((l) => l.split(" ")[1]).sort(),
      [firstInstance, oldSlowInstance].sort(),
    );
  });

  await t.step("an invalid edit keeps the old version serving and reports the error", async () => {
    const serving = await workflow("counter");
    const before = (await fast()).fast;
    await writeFile(dir, "counter.json", '{ "id": "counter", "nodes": [ { "id": "x", "type": "no.such.type" } ], ');
    await server.waitForLog('still serving the previous version of "counter"', 5_000);
    const info = await workflow("counter");
    assert.equal(info.hash, serving.hash);
    assert.ok(info.errors.length > 0);
    assert.match(info.errors[0], /counter\.json/);
    assert.equal((await fast()).fast, before, "the old version still serves");
    // Fixed again: the errors go.
    await writeFile(dir, "counter.json", counterWorkflow(dir, "v3"));
    await waitFor(async () => (await workflow("counter")).name === "v3", { timeoutMs: 5_000 });
    assert.deepEqual((await workflow("counter")).errors, []);
  });

  await t.step("an added file starts serving; a deleted one stops, its triggers too", async () => {
    await writeFile(dir, "added.json", {
      id: "added",
      imports: imports(dir),
      nodes: [
        { id: "hook", type: "http.webhook", config: { path: "added" } },
        { id: "tick", type: "time.interval", config: { every: "100ms" } },
        { id: "count", type: "test.counter" },
      ],
      connections: [{ from: "tick.firedAt", to: "count.in" }],
      outputs: { runs: "count.runs" },
    });
    await waitFor(async () => (await server.json("/hooks/added", { method: "POST", body: "{}" })).status === 200, {
      timeoutMs: 5_000,
    });
    await waitFor(async () => (await server.runs("workflow=added")).length >= 3);
    const setup = (await lines(dir)).find((l) => l.startsWith("setup added count"))!.split(" ")[3];

    await Deno.remove(`${dir}/added.json`);
    await server.waitForLog(/added\.json: removed; stopped serving "added"/, 5_000);
    assert.equal((await server.json("/hooks/added", { method: "POST", body: "{}" })).status, 404);
    assert.equal((await server.json("/api/v1/workflows/added")).status, 404);
    await waitFor(async () => (await lines(dir)).includes(`dispose ${setup}`));
    // Its interval stopped: no run starts after the removal (ten intervals later).
    const settled = (await server.runs("workflow=added")).length;
    const until = Date.now() + 1_000;
    await waitFor(() => Date.now() > until);
    assert.equal((await server.runs("workflow=added")).length, settled);
  });

  await t.step("shutdown disposes every instance", async () => {
    const live = (await lines(dir)).filter((l) => l.startsWith("setup counter")).slice(-2).map((l) => l.split(" ")[3]);
    const stopped = await server.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    const log = await lines(dir);
    for (const id of live) assert.ok(log.includes(`dispose ${id}`), log.join("\n"));
  });
});

Deno.test("flow serve: a workflow file added while the others load is served once they are", async () => {
  // The sub-workflow file of ok.json is a named pipe: loading waits there until this test writes into it. By then the
  // directory has been listed, so the file added meanwhile can only be found by the watcher. (The pipe is outside
  // the served directory: nothing watches it.)
  const root = await Deno.makeTempDir({ prefix: "flow-serve-pipe-" });
  const dir = `${root}/served`;
  await writeFile(dir, "ok.json", {
    id: "ok",
    nodes: [{ id: "sub", type: "flow.subworkflow", config: { workflowFile: "../pipe/slow.json" } }],
    connections: [],
  });
  await Deno.mkdir(`${root}/pipe`);
  const pipe = `${root}/pipe/slow.json`;
  const made = await new Deno.Command("mkfifo", { args: [pipe] }).output();
  assert.equal(made.code, 0, new TextDecoder().decode(made.stderr));
  const starting = Served.start([dir]);
  const writer = await Deno.open(pipe, { write: true }); // returns once flow serve opened the pipe to read it
  await writeFile(dir, "late.json", { id: "late", nodes: [], connections: [] });
  await writer.write(new TextEncoder().encode(JSON.stringify({ nodes: [], connections: [] })));
  writer.close();
  await using server = await starting;
  assert.equal((await server.json("/api/v1/workflows/ok")).status, 200);
  await waitFor(async () => (await server.json("/api/v1/workflows/late")).status === 200, {
    timeoutMs: 10_000,
    message: () => `late.json was never loaded; stderr:\n${server.stderr}`,
  });
  assert.match(server.stderr, new RegExp(`${dir}/late\\.json: loaded "late"`));
  await server.stop();
  await Deno.remove(root, { recursive: true });
});
