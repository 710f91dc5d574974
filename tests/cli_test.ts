import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import type { FlowEvent } from "../mod.ts";
import { builtinNodes } from "../nodes/mod.ts";
import { parseNdjson, readUntil, ROOT, runCli, spawnCli, writeWorkflow } from "./helpers.ts";
import { Served } from "./serve_helpers.ts";

const noStack = (text: string) => assert.doesNotMatch(text, /^\s+at |Stack backtrace|Uncaught/m, text);

/** Checks the NDJSON contract on a parsed stream. */
function assertStreamContract(events: FlowEvent[]) {
  assert.ok(events.length >= 2);
  const executionId = events[0].executionId;
  events.forEach((e, i) => {
    assert.equal(e.seq, i, "seq is gapless from 0");
    assert.equal(e.executionId, executionId);
    assert.equal(typeof e.workflowId, "string");
    assert.ok(!Number.isNaN(Date.parse(e.ts)) && e.ts.endsWith("Z"), `ts is ISO 8601: ${e.ts}`);
  });
  assert.equal(events[0].type, "workflow.started");
  assert.equal(events.at(-1)!.type, "workflow.completed");
  // Every node.started is closed by exactly one retrying/completed/failed of the same node.
  const open = new Map<string, number>();
  for (const e of events) {
    if (e.type === "node.started") {
      assert.ok(!open.has(e.nodeId), `${e.nodeId} started twice without closing`);
      open.set(e.nodeId, e.seq);
    } else if (e.type === "node.completed" || e.type === "node.failed" || e.type === "node.retrying") {
      assert.ok(open.delete(e.nodeId), `${e.type} for ${e.nodeId} without node.started`);
    } else if (e.type === "node.log") {
      assert.ok(open.has(e.nodeId), "logs come from running nodes");
    }
  }
  assert.deepEqual([...open.keys()], [], "every node.started is closed");
}

Deno.test("flow run --format ndjson: one valid event per line, gapless seq, every start closed", async () => {
  const server = startDemoServer();
  try {
    const r = await runCli([
      "run",
      `${ROOT}examples/retry.json`,
      "--format",
      "ndjson",
      "--input",
      `url=${server.url}/flaky/cli?fail=1`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const events = parseNdjson(r.stdout);
    assertStreamContract(events);
    assert.deepEqual(events.map((e) => e.type), [
      "workflow.started",
      "node.started",
      "node.retrying",
      "node.started",
      "node.completed",
      "node.started",
      "node.completed",
      "node.started",
      "node.log",
      "node.completed",
      "workflow.completed",
    ]);
    const last = events.at(-1) as Extract<FlowEvent, { type: "workflow.completed" }>;
    assert.equal(last.status, "success");
    assert.deepEqual(last.outputs, { result: { ok: true, attempts: 2 } });
  } finally {
    await server.close();
  }
});

Deno.test("exit codes of the real CLI", async (t) => {
  const ok = await writeWorkflow({
    nodes: [{ id: "a", type: "debug.log", config: { message: "hi" } }],
    connections: [],
  });
  const failing = await writeWorkflow({
    nodes: [{ id: "p", type: "transform.json_parse", config: { json: "{nope" } }],
    connections: [],
  });
  const invalid = await writeWorkflow({ nodes: [{ id: "a", type: "no.such" }], connections: [] });
  await t.step("0 on success", async () => {
    const r = await runCli(["run", ok]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /✔ success in \d+ ms/);
  });
  await t.step("1 when the workflow fails", async () => {
    const r = await runCli(["run", failing]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✘ failed in \d+ ms: node "p": invalid JSON/);
    noStack(r.stdout + r.stderr);
  });
  await t.step("2 for an invalid workflow, with one line per problem", async () => {
    const r = await runCli(["run", invalid]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `${invalid}: nodes[0].type: unknown node type "no.such"; run \`flow nodes\` to list types\n`,
    );
  });
  await t.step("2 for a missing file", async () => {
    const r = await runCli(["run", "/nonexistent/wf.json"]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "/nonexistent/wf.json: cannot read workflow: file not found\n");
  });
  await t.step("2 for an unknown command or flag", async () => {
    const cmd = await runCli(["rn", ok]);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /unknown command 'rn'/);
    assert.match(cmd.stderr, /Did you mean run\?/);
    const flag = await runCli(["run", ok, "--formt", "json"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--formt'/);
    const choice = await runCli(["run", ok, "--format", "yaml"]);
    assert.equal(choice.code, 2);
    assert.match(choice.stderr, /argument 'yaml' is invalid. Allowed choices are pretty, ndjson, json/);
    for (const r of [cmd, flag, choice]) noStack(r.stderr);
  });
  await t.step("2 for bad inputs", async () => {
    const wf = await writeWorkflow({
      inputs: { n: { type: "number" } },
      nodes: [{ id: "a", type: "debug.log" }],
      connections: [{ from: "$inputs.n", to: "a.message" }],
    });
    const cases: [string[], RegExp][] = [
      [[], /inputs\.n: required input has no value and no default; pass --input n=\.\.\./],
      [["--input", "n=abc"], /inputs\.n: expected number; got "abc"/],
      [["--input", "n"], /--input: expected name=value; got "n"/],
      [["--input", "m=1", "--input", "n=1"], /inputs\.m: unknown input; declared: n/],
      [["--input-json", "{bad"], /--input-json: invalid JSON/],
      [["--input-json", "[1]"], /--input-json: expected a JSON object/],
      [["--concurrency", "0"], /--concurrency: expected an integer from 1 to 10000; got "0"/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(["run", wf, ...args]);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    const good = await runCli(["run", wf, "--input", "n=4", "--format", "json"]);
    assert.equal(good.code, 0, good.stderr);
  });
  await t.step("--help and --version exit 0; no arguments is a usage error", async () => {
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: flow \[options\] \[command\]/);
    for (const cmd of ["run", "validate", "nodes", "graph", "schema"]) assert.match(help.stdout, new RegExp(cmd));
    const runHelp = await runCli(["run", "--help"]);
    assert.equal(runHelp.code, 0);
    assert.match(runHelp.stdout, /--format <format>/);
    const version = await runCli(["--version"]);
    assert.equal(version.code, 0);
    const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
    assert.equal(version.stdout, `flow ${denoJson.version} (deno ${Deno.version.deno})\n`);
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: flow/);
  });
});

Deno.test("SIGINT cancels the run: in-flight nodes fail CANCELLED, exit 130", async () => {
  if (Deno.build.os === "windows") return;
  const wf = await writeWorkflow({
    nodes: [{ id: "wait", type: "time.delay", config: { ms: 30000 } }, { id: "after", type: "debug.log" }],
    connections: [{ from: "wait.value", to: "after.message" }],
  });
  const child = spawnCli(["run", wf, "--format", "ndjson"]);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = await readUntil(reader, '"node.started"');
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const status = await child.status;
  const stderr = await new Response(child.stderr).text();
  assert.equal(status.code, 130);
  noStack(stderr);
  const events = parseNdjson(text);
  assertStreamContract(events);
  const failed = events.find((e) => e.type === "node.failed") as Extract<FlowEvent, { type: "node.failed" }>;
  assert.equal(failed.error.code, "CANCELLED");
  assert.equal((events.at(-1) as Extract<FlowEvent, { type: "workflow.completed" }>).status, "cancelled");
});

Deno.test("a closed pipe ends quietly (flow run ... | head -1)", async () => {
  const n = 3000;
  const wf = await writeWorkflow({
    nodes: Array.from(
      { length: n },
      (_, i) => ({ id: `n${i}`, type: "debug.log", config: { message: "x".repeat(200) } }),
    ),
    connections: [],
  });
  const child = spawnCli(["run", wf, "--format", "ndjson"]);
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  await reader.cancel();
  const status = await child.status;
  const stderr = await new Response(child.stderr).text();
  assert.equal(stderr, "", "nothing on stderr, no stack trace");
  assert.equal(status.code, 0);
});

Deno.test("--format json prints one summary object; --quiet prints only failures", async (t) => {
  const ok = await writeWorkflow({
    id: "quiet-ok",
    nodes: [{ id: "a", type: "debug.log", config: { message: "hi" } }],
    connections: [],
    outputs: { said: "a.message" },
  });
  const bad = await writeWorkflow({
    id: "quiet-bad",
    nodes: [{ id: "p", type: "transform.json_parse", config: { json: "{" } }],
    connections: [],
  });
  await t.step("json", async () => {
    const r = await runCli(["run", ok, "--format", "json"]);
    assert.equal(r.code, 0);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.status, "success");
    assert.equal(summary.workflowId, "quiet-ok");
    assert.deepEqual(summary.outputs, { said: "hi" });
    assert.deepEqual(summary.nodes.map((n: { id: string; status: string }) => [n.id, n.status]), [["a", "completed"]]);
  });
  await t.step("quiet success prints nothing", async () => {
    const r = await runCli(["run", ok, "--quiet"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout + r.stderr, "");
  });
  await t.step("quiet failure prints one line on stderr", async () => {
    const r = await runCli(["run", bad, "-q"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^flow: quiet-bad: failed: node "p" failed: invalid JSON: .* \(JSON_PARSE\)\n$/);
  });
  await t.step("FLOW_FORMAT sets the default format", async () => {
    const r = await runCli(["run", ok], { env: { FLOW_FORMAT: "ndjson" } });
    assertStreamContract(parseNdjson(r.stdout));
    const badEnv = await runCli(["run", ok], { env: { FLOW_FORMAT: "xml" } });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /FLOW_FORMAT: expected one of pretty, ndjson, json; got "xml"/);
  });
});

Deno.test("pretty output: coloured only on request, plain otherwise", async () => {
  const wf = await writeWorkflow({
    nodes: [{ id: "a", type: "debug.log", config: { message: "hi" } }],
    connections: [],
  });
  const plain = await runCli(["run", wf]);
  assert.ok(!plain.stdout.includes("\x1b["), "no ANSI escapes");
  assert.match(plain.stdout, /│ a hi/);
  assert.match(plain.stdout, /node\s+│ type\s+│ status/);
  const forced = await runCli(["run", wf], { env: { FORCE_COLOR: "1", NO_COLOR: "" } });
  assert.ok(forced.stdout.includes("\x1b[32m"), "green ANSI escape");
});

Deno.test("the workflow file may come from stdin", async () => {
  const r = await runCli(["run", "-", "--format", "json"], {
    stdin: JSON.stringify({ nodes: [{ id: "a", type: "debug.log", config: { message: 1 } }], connections: [] }),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).status, "success");
  const bad = await runCli(["run", "-"], { stdin: "{" });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^<stdin>:1:2: invalid JSON/);
});

Deno.test("flow validate checks every file and lists every problem", async () => {
  const good = await writeWorkflow({ nodes: [], connections: [] }, "good.json");
  const bad = await writeWorkflow({
    nodes: [{ id: "a", type: "debug.log" }, { id: "a", type: "time.delay", config: { ms: -1 } }],
    connections: [],
  }, "bad.json");
  const r = await runCli(["validate", good, bad]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, `${good}: ok (0 nodes, 0 connections)\n`);
  const lines = r.stderr.trim().split("\n");
  assert.deepEqual(lines, [
    `${bad}: nodes[1].id: duplicate node id "a" (first used at nodes[0])`,
    `${bad}: nodes[1].config.ms: expected >= 0; got -1`,
    `${bad}: nodes[0]: required input "message" of "a" (debug.log) is not connected and has no config value`,
  ]);
  const all = await runCli([
    "validate",
    ...["linear", "fanout", "retry", "continue"].map((e) => `${ROOT}examples/${e}.json`),
  ]);
  assert.equal(all.code, 0, all.stderr);
});

Deno.test("flow nodes lists every built-in type as a table or JSON", async () => {
  const table = await runCli(["nodes"]);
  assert.equal(table.code, 0);
  const types = builtinNodes.map((d) => d.type);
  for (const type of types) assert.match(table.stdout, new RegExp(type.replace(".", "\\.")));
  const json = JSON.parse((await runCli(["nodes", "--json"])).stdout);
  assert.deepEqual(json.map((d: { type: string }) => d.type).sort(), [...types].sort());
  const http = json.find((d: { type: string }) => d.type === "http.request");
  assert.deepEqual(Object.keys(http.outputs), ["status", "headers", "body"]);
  assert.deepEqual(http.config.properties.method.enum, ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
});

Deno.test("flow graph prints Mermaid and DOT", async () => {
  const file = `${ROOT}examples/linear.json`;
  const mermaid = await runCli(["graph", file]);
  assert.equal(mermaid.code, 0);
  assert.match(mermaid.stdout, /^flowchart LR\n/);
  assert.match(mermaid.stdout, /n_fetch -- "body → json" --> n_parse/);
  assert.match(mermaid.stdout, /in_url -- "url" --> n_fetch/);
  const dot = await runCli(["graph", file, "--format", "dot"]);
  assert.match(dot.stdout, /^digraph "linear" \{/);
  assert.match(dot.stdout, /"parse" -> "log" \[label="parsed → message"\];/);
});

Deno.test("flow schema prints the published JSON Schema", async () => {
  const r = await runCli(["schema"]);
  assert.equal(r.code, 0);
  const published = await Deno.readTextFile(`${ROOT}schema/workflow.schema.json`);
  assert.equal(r.stdout, published, "schema/workflow.schema.json is up to date (deno task schema)");
});

Deno.test("flow serve records every webhook run (writes on their own thread); after SIGTERM flow runs lists them all", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-serve-history-" });
  await Deno.writeTextFile(
    `${dir}/greet.json`,
    JSON.stringify({
      id: "greet",
      nodes: [
        { id: "hook", type: "http.webhook", config: { path: "hook", respond: "node" } },
        { id: "set", type: "transform.set", config: { value: { greeting: "hello {{ $node.body.name }}" } } },
        { id: "reply", type: "http.respond" },
      ],
      connections: [{ from: "hook.body", to: "set.body" }, { from: "set.value", to: "reply.body" }],
    }),
  );
  const server = await Served.start([dir]);
  try {
    const answers = await Promise.all(Array.from({ length: 60 }, async (_, i) => {
      const res = await fetch(`${server.url}/hooks/hook`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: `n${i}` }),
      });
      return [res.status, await res.json()];
    }));
    assert.deepEqual(answers, Array.from({ length: 60 }, (_, i) => [200, { greeting: `hello n${i}` }]));
    const stopped = await server.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.doesNotMatch(stopped.stderr, /main thread|Error|error:/);
    // The server's connections are closed: the WAL was folded into flow.db.
    await assert.rejects(Deno.stat(`${server.stateDir}/flow.db-wal`), Deno.errors.NotFound);
    const runs = await runCli(["runs", "-n", "100", "--format", "json"], { env: { FLOW_STATE_DIR: server.stateDir } });
    assert.equal(runs.code, 0, runs.stderr);
    const listed = JSON.parse(runs.stdout) as { executionId: string; status: string; trigger: string }[];
    assert.equal(listed.length, 60);
    assert.ok(listed.every((r) => r.status === "success" && r.trigger === "webhook"), runs.stdout);
    const events = await runCli(["runs", "events", listed[0].executionId], {
      env: { FLOW_STATE_DIR: server.stateDir },
    });
    assert.deepEqual(parseNdjson(events.stdout).map((e) => e.type), [
      "workflow.started",
      ...["hook", "set", "reply"].flatMap(() => ["node.started", "node.completed"]),
      "workflow.completed",
    ]);
  } finally {
    await server.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(server.stateDir, { recursive: true });
  }
});
