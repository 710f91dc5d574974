/**
 * Shared sandbox processes: sandboxed Workers with the same grants run in one
 * process (`src/sandbox/process.ts`), each with exactly its own permissions.
 * An out-of-memory ends that process and the next call of every node in it
 * gets a fresh one; so does a node stuck in synchronous code past its
 * timeout (Deno cannot stop that Worker alone); Workers with other grants get
 * another process.
 */
import assert from "node:assert/strict";
import { builtinRegistry, loadWorkflow, type RunResult, runWorkflow } from "../mod.ts";
import { setupInstances } from "../src/engine/instances.ts";
import { runCli, writeWorkflow } from "./helpers.ts";

/** A code.function that returns its sandbox process's id (Deno.pid needs no permission). */
const pidNode = (id: string) => ({
  id,
  type: "code.function",
  config: { outputs: ["pid"], source: "return { pid: Deno.pid };" },
});

/** Allocates about 1.2 GB when asked: far past the test limit. */
const GREEDY = "if (inputs.big) { const a = []; for (let i = 0; i < 1500; i++) a.push(new Array(1e5).fill(1.5)); }";

const nodeError = (result: RunResult, id: string) => {
  const error = result.nodes.find((n) => n.id === id)?.error;
  return error && { code: error.code, message: error.message };
};

Deno.test("flow run: two code.function nodes without grants run in one sandbox process", async () => {
  const file = await writeWorkflow({
    id: "shared",
    nodes: [pidNode("a"), pidNode("b")],
    connections: [],
    outputs: { a: "a.pid", b: "b.pid" },
  });
  const { code, stdout, stderr } = await runCli(["run", file, "--format", "json"]);
  assert.equal(code, 0, stderr);
  const { outputs } = JSON.parse(stdout);
  assert.equal(typeof outputs.a, "number");
  assert.equal(outputs.a, outputs.b);
});

Deno.test("an out-of-memory in a shared process: the other node's output is kept, and its next call gets a fresh process", async () => {
  const file = await writeWorkflow({
    id: "oom_shared",
    inputs: { big: { type: "boolean", default: false } },
    nodes: [
      pidNode("b"),
      {
        id: "a",
        type: "code.function",
        onError: "continue",
        config: { inputs: ["big", "after"], outputs: ["pid"], source: `${GREEDY} return { pid: Deno.pid };` },
      },
    ],
    // "a" runs after "b" has answered.
    connections: [{ from: "$inputs.big", to: "a.big" }, { from: "b.pid", to: "a.after" }],
    outputs: { b: "b.pid", a: "a.pid" },
  });
  // Each code.function starts its Worker when it is set up (setupInstances), reading the limit then.
  Deno.env.set("FLOW_SANDBOX_MEMORY", "64MiB");
  const loaded = await loadWorkflow(file, builtinRegistry());
  const instances = await setupInstances(loaded).finally(() => Deno.env.delete("FLOW_SANDBOX_MEMORY"));
  try {
    const run = (big: boolean) => runWorkflow(loaded, { inputs: { big }, instances });
    const first = (await run(false)).outputs;
    assert.equal(first.a, first.b);
    const hog = await run(true);
    assert.deepEqual(nodeError(hog, "a"), {
      code: "OUT_OF_MEMORY",
      message: 'code.function "a" ran out of memory (limit 64 MiB, set with FLOW_SANDBOX_MEMORY)',
    });
    assert.deepEqual(hog.outputs, { b: first.b });
    const after = await run(false);
    assert.equal(after.status, "success", JSON.stringify(after));
    assert.equal(after.outputs.a, after.outputs.b);
    assert.notEqual(after.outputs.b, first.b, "b's next call runs in a fresh process");
  } finally {
    await instances.dispose();
    loaded.close();
  }
});

Deno.test("a node stuck past its timeout ends its shared process: it stops spinning; its sibling works on, afresh", async () => {
  // Deno's Worker.terminate() does not stop a Worker in synchronous code: only ending its process does.
  const count = "globalThis.runs = (globalThis.runs ?? 0) + 1;";
  const file = await writeWorkflow({
    id: "restart_stuck",
    inputs: { busy: { type: "boolean", default: false } },
    nodes: [
      {
        id: "h",
        type: "code.function",
        // Long enough for the next call, which waits for the hung Worker's restart (a second after the timeout).
        timeoutMs: 2000,
        onError: "continue",
        config: {
          inputs: ["busy"],
          outputs: ["runs", "pid"],
          source: `if (inputs.busy) for (;;) {} ${count} return { runs: globalThis.runs, pid: Deno.pid };`,
        },
      },
      {
        id: "c",
        type: "code.function",
        config: { outputs: ["runs", "pid"], source: `${count} return { runs: globalThis.runs, pid: Deno.pid };` },
      },
    ],
    connections: [{ from: "$inputs.busy", to: "h.busy" }],
    outputs: { h: "h.runs", hpid: "h.pid", c: "c.runs", cpid: "c.pid" },
    // "c" runs right after "h" times out, while "h"'s Worker still spins in the same process.
    settings: { concurrency: 1 },
  });
  const loaded = await loadWorkflow(file, builtinRegistry());
  const instances = await setupInstances(loaded);
  try {
    const run = (busy: boolean) => runWorkflow(loaded, { inputs: { busy }, instances });
    const first = (await run(false)).outputs;
    const pid = first.cpid as number;
    assert.deepEqual(first, { h: 1, hpid: pid, c: 1, cpid: pid });
    const hung = await run(true);
    assert.equal(nodeError(hung, "h")?.code, "TIMEOUT");
    assert.deepEqual(hung.outputs, { c: 2, cpid: pid });
    // Both get a fresh process (their counts start over); the one that spun is gone.
    const after = await run(false);
    assert.equal(after.status, "success", JSON.stringify(after));
    assert.deepEqual(after.outputs, { h: 1, hpid: after.outputs.cpid, c: 1, cpid: after.outputs.cpid });
    assert.notEqual(after.outputs.cpid, pid);
    assert.throws(() => Deno.statSync(`/proc/${pid}`), Deno.errors.NotFound);
  } finally {
    await instances.dispose();
    loaded.close();
  }
});

Deno.test("Workers with other grants get another process, and a Worker without grants cannot read the other's folder", async () => {
  const dirA = await Deno.makeTempDir({ prefix: "flow-pool-a-" });
  const secret = `${dirA}/secret.txt`;
  await Deno.writeTextFile(secret, "only for r");
  const read = `try { return { text: await Deno.readTextFile(${JSON.stringify(secret)}), pid: Deno.pid }; } ` +
    "catch (e) { return { text: e.name, pid: Deno.pid }; }";
  const node = (id: string, permissions?: unknown) => ({
    id,
    type: "code.function",
    config: { outputs: ["text", "pid"], source: read, ...(permissions ? { permissions } : {}) },
  });
  const file = await writeWorkflow({
    id: "grants_apart",
    nodes: [node("r", { read: [dirA] }), node("n"), pidNode("m")],
    connections: [],
    outputs: { r: "r.text", rpid: "r.pid", n: "n.text", npid: "n.pid", mpid: "m.pid" },
    settings: { permissions: { read: [dirA] } },
  });
  const { code, stdout, stderr } = await runCli(["run", file, "--format", "json"]);
  assert.equal(code, 0, stderr);
  const { outputs } = JSON.parse(stdout);
  assert.equal(outputs.r, "only for r");
  assert.equal(outputs.n, "NotCapable");
  assert.notEqual(outputs.rpid, outputs.npid);
  assert.equal(outputs.npid, outputs.mpid);
});
