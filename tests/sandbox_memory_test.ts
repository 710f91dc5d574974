/**
 * The memory limit of sandboxed code: a `code.function` or custom node that
 * allocates without end ends its sandbox process (FLOW_SANDBOX_MEMORY), not
 * flow: the node fails with OUT_OF_MEMORY, the rest of the run goes on, the
 * next call starts a fresh process (instances set up again), and `flow serve`
 * stays up. The sandbox's permissions hold inside that process.
 */
import assert from "node:assert/strict";
import { builtinRegistry, loadWorkflow, runWorkflow } from "../mod.ts";
import { setupInstances } from "../src/engine/instances.ts";
import { SANDBOX_COMMAND, sandboxLaunch, sandboxMemoryLimit } from "../src/sandbox/launch.ts";
import { ROOT, runCli, writeWorkflow } from "./helpers.ts";
import { Served, webhookWorkflow, writeFiles } from "./serve_helpers.ts";

const LIMIT = "64MiB";
const MESSAGE = /^code\.function "squash" ran out of memory \(limit 64 MiB, set with FLOW_SANDBOX_MEMORY\)$/;
/** Allocates about 1.2 GB unless stopped first: far past the test limit, and bounded where there is none. */
const GREEDY = "const a = []; for (let i = 0; i < 1500; i++) a.push(new Array(1e5).fill(1.5)); return { n: a.length };";

const squash = { id: "squash", type: "code.function", onError: "continue", config: { source: GREEDY } };
const MODULE = `
let setups = 0;
export const hog = {
  type: "mx.hog",
  description: "allocates without end when asked; counts its instance's runs",
  inputs: { big: { type: "boolean", required: false } },
  outputs: { instance: { type: "string" }, runs: { type: "number" } },
  setup(config, info) {
    setups++;
    return { id: info.nodeId + "#" + setups, runs: 0 };
  },
  run({ instance, inputs }) {
    if (inputs.big) { const a = []; for (let i = 0; i < 1500; i++) a.push(new Array(1e5).fill(1.5)); }
    instance.runs++;
    return { instance: instance.id, runs: instance.runs };
  },
};
`;

const fine = { id: "fine", type: "code.function", config: { outputs: ["y"], source: "return { y: 42 };" } };

Deno.test("flow run: a code.function past the memory limit fails alone, in one line; the run goes on", async () => {
  const file = await writeWorkflow({
    id: "oom",
    // "squash" runs once "fine" has answered: the two share a sandbox process, which the out-of-memory ends.
    nodes: [{ ...squash, config: { ...squash.config, inputs: ["after"] } }, fine],
    connections: [{ from: "fine.y", to: "squash.after" }],
    outputs: { y: "fine.y", n: "squash.n" },
  });
  const { code, stdout, stderr } = await runCli(["run", file, "--format", "json"], {
    env: { FLOW_SANDBOX_MEMORY: LIMIT },
  });
  assert.equal(code, 1, stderr);
  const result = JSON.parse(stdout);
  assert.equal(result.status, "failed");
  const failed = result.nodes.find((n: { id: string }) => n.id === "squash");
  assert.equal(failed.error.code, "OUT_OF_MEMORY");
  assert.match(failed.error.message, MESSAGE);
  assert.deepEqual(result.outputs, { y: 42 });
  // V8's report (a C stack trace) is not passed on.
  assert.doesNotMatch(stderr, /Fatal JavaScript|Last few GCs|stack trace/i);
});

Deno.test("FLOW_SANDBOX_MEMORY: a bad value is refused in one line naming it", async () => {
  const file = await writeWorkflow({ id: "bad_limit", nodes: [fine], connections: [] });
  const { code, stderr } = await runCli(["run", file], { env: { FLOW_SANDBOX_MEMORY: "1MiB" } });
  assert.equal(code, 2, stderr);
  assert.match(stderr, /FLOW_SANDBOX_MEMORY: expected a size in bytes from 32 MiB to 64 GiB.*; got "1MiB"\n$/);
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  Deno.env.set("FLOW_SANDBOX_MEMORY", "100MiB");
  try {
    assert.equal(sandboxMemoryLimit(), 100 * 1024 ** 2);
  } finally {
    Deno.env.delete("FLOW_SANDBOX_MEMORY");
  }
  assert.equal(sandboxMemoryLimit(), 512 * 1024 ** 2);
});

Deno.test("custom nodes: after an out-of-memory, the next call gets a fresh process with its instances set up again", async () => {
  const file = await writeWorkflow({
    imports: ["./mx.ts"],
    inputs: { big: { type: "boolean", default: false } },
    nodes: [{ id: "h", type: "mx.hog" }],
    connections: [{ from: "$inputs.big", to: "h.big" }],
    outputs: { instance: "h.instance", runs: "h.runs" },
  });
  await Deno.writeTextFile(file.replace(/wf\.json$/, "mx.ts"), MODULE);
  Deno.env.set("FLOW_SANDBOX_MEMORY", LIMIT);
  const loaded = await loadWorkflow(file, builtinRegistry()).finally(() => Deno.env.delete("FLOW_SANDBOX_MEMORY"));
  try {
    const instances = await setupInstances(loaded);
    const run = (big: boolean) => runWorkflow(loaded, { inputs: { big }, instances });
    assert.deepEqual((await run(false)).outputs, { instance: "h#1", runs: 1 });
    const hog = await run(true);
    assert.equal(hog.status, "failed");
    assert.deepEqual(hog.error && { code: hog.error.code, message: hog.error.message }, {
      code: "OUT_OF_MEMORY",
      message: "./mx.ts ran out of memory (limit 64 MiB, set with FLOW_SANDBOX_MEMORY)",
    });
    // A fresh process: the module's count of setups starts over, and the instance with it.
    assert.deepEqual((await run(false)).outputs, { instance: "h#1", runs: 1 });
    assert.deepEqual((await run(false)).outputs, { instance: "h#1", runs: 2 });
    await instances.dispose();
  } finally {
    loaded.close();
  }
});

Deno.test("the sandbox's grants hold in its process: a code.function reads none of flow's files", async () => {
  const file = await writeWorkflow({
    id: "peek",
    nodes: [{
      id: "peek",
      type: "code.function",
      config: { source: `return { t: await Deno.readTextFile(${JSON.stringify(`${ROOT}deno.json`)}) };` },
    }],
    connections: [],
  });
  const { code, stdout } = await runCli(["run", file, "--format", "json"]);
  assert.equal(code, 1);
  const error = JSON.parse(stdout).nodes[0].error;
  assert.equal(error.code, "PERMISSION_DENIED");
  assert.match(error.message, /^Requires read access to ".*deno\.json"/);
});

Deno.test("flow serve: a webhook run whose code.function hits the limit fails; the server answers the next requests", async () => {
  const dir = await writeFiles({
    "hog.json": webhookWorkflow("hog", { path: "hog" }, { nodes: [squash], outputs: { n: "squash.n" } }),
    "ok.json": webhookWorkflow("ok", { path: "ok" }, { nodes: [fine], outputs: { y: "fine.y" } }),
  });
  await using server = await Served.start([dir], { env: { FLOW_SANDBOX_MEMORY: LIMIT } });
  const post = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
  for (let i = 0; i < 2; i++) {
    const hog = await server.json("/hooks/hog", post);
    assert.equal(hog.status, 500);
    assert.equal(hog.body.error.code, "OUT_OF_MEMORY");
    assert.match(hog.body.error.message, MESSAGE);
    const ok = await server.json("/hooks/ok", post);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { y: 42 });
  }
  assert.equal((await server.json("/api/v1/health")).status, 200);
  assert.doesNotMatch(server.stderr, /Fatal JavaScript|Last few GCs/);
});

Deno.test("sandboxLaunch: source, bundle and compiled binary start the same child entry", () => {
  const none = { net: false, read: false, write: false, env: false, run: false };
  const grants = { ...none, net: ["example.com"], read: ["/data"], env: true };
  const source = sandboxLaunch(grants, 64 * 1024 ** 2, {
    execPath: "/usr/bin/deno",
    mainModule: "file:///t/main_test.ts",
    moduleUrl: "file:///flow/src/sandbox/launch.ts",
  });
  assert.deepEqual(source, {
    command: "/usr/bin/deno",
    args: [
      "run",
      "--v8-flags=--max-old-space-size=64",
      "--unstable-worker-options",
      "--no-prompt",
      "--config",
      "/flow/deno.json",
      "--allow-net=example.com",
      "--allow-read=/data,/flow/",
      "--allow-env",
      "file:///flow/src/sandbox/child.ts",
    ],
    env: {},
  });
  const bundle = sandboxLaunch(none, 512 * 1024 ** 2, {
    execPath: "/usr/bin/deno",
    mainModule: "file:///opt/flow.js",
    moduleUrl: "blob:null/1234",
  });
  assert.deepEqual(bundle.args.slice(-2), ["file:///opt/flow.js", SANDBOX_COMMAND]);
  assert.ok(bundle.args.includes("--no-config") && !bundle.args.some((a) => a.startsWith("--allow")));
  // A compiled binary: itself, named so that Deno's node:child_process does not rewrite the arguments as Node's.
  const binary = sandboxLaunch(grants, 100 * 1024 ** 2, {
    execPath: "/usr/local/bin/flow",
    mainModule: "file:///tmp/deno-compile-flow/cli.ts",
    moduleUrl: "file:///tmp/deno-compile-flow/src/sandbox/launch.ts",
  });
  assert.deepEqual(binary, {
    command: "/usr/local/bin/./flow",
    args: [SANDBOX_COMMAND],
    env: { DENO_V8_FLAGS: "--max-old-space-size=100" },
  });
});

Deno.test("without --allow-run, flow cannot start a sandbox process: the node's setup fails in one line", async () => {
  const file = await writeWorkflow({ id: "no_run", nodes: [fine], connections: [] });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", "--allow-write", "--allow-env", `${ROOT}cli.ts`, "run", file],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2, stderr);
  assert.match(
    stderr,
    /setup of "fine" \(code\.function\) failed: cannot start its sandbox process: Requires run access/,
  );
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
});

Deno.test("flow __sandbox, not started by flow, is refused in one line", async () => {
  const { code, stderr } = await runCli([SANDBOX_COMMAND]);
  assert.equal(code, 2);
  assert.equal(stderr, "flow: __sandbox is flow's own: it runs sandboxed code for a flow process that started it\n");
});
