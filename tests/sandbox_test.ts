import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import {
  builtinRegistry,
  type FlowEvent,
  type LoadedWorkflow,
  loadWorkflow,
  resolveInputs,
  type RunResult,
  runWorkflow,
  WorkflowValidationError,
} from "../mod.ts";
import { missingWorkerOptions } from "../src/sandbox/host.ts";
import { ofType, parseNdjson, ROOT, runCli, writeWorkflow } from "./helpers.ts";

const FIXTURES = `${ROOT}tests/fixtures`;
const NODES = `${FIXTURES}/nodes`;
const MISC = `${NODES}/misc.ts`;

/**
 * The fixture modules import flow's own sources and zod through this repository's deno.json, which a
 * bundle or binary under test (FLOW_CLI) does not see: CLI steps that load them run only against cli.ts
 * (as in examples_test.ts).
 */
const FIXTURE_MODULES_UNRESOLVABLE = Deno.env.get("FLOW_CLI") !== undefined;

/** A step that runs the CLI on the fixture modules (ignored under FLOW_CLI, see above). */
const cliStep = (t: Deno.TestContext, name: string, fn: () => Promise<void>) =>
  t.step({ name, ignore: FIXTURE_MODULES_UNRESOLVABLE, fn });

/** Runs a loaded workflow once, collecting events. */
async function runLoaded(
  loaded: LoadedWorkflow,
  inputs: Record<string, unknown> = {},
): Promise<{ result: RunResult; events: FlowEvent[] }> {
  const events: FlowEvent[] = [];
  const result = await runWorkflow(loaded, { inputs: resolveInputs(loaded, inputs), onEvent: (e) => events.push(e) });
  return { result, events };
}

/** Writes the workflow to a temp file, loads it (starting its Workers), runs it once and closes it. */
async function runWithImports(workflow: Record<string, unknown>, inputs: Record<string, unknown> = {}) {
  const loaded = await loadWorkflow(await writeWorkflow(workflow), builtinRegistry());
  try {
    return await runLoaded(loaded, inputs);
  } finally {
    loaded.close();
  }
}

/** The output ports of the fixture node types used with {@linkcode oneNode}. */
const OUTPUTS: Record<string, string[]> = {
  "fx.fetch_text": ["text"],
  "fx.read_file": ["text"],
  "fx.read_self": ["text"],
  "fx.read_env": ["value"],
};

/** One custom node `n` with `config`, importing `module` with `permissions`; its outputs are the workflow's. */
const oneNode = (
  module: string,
  type: string,
  config: Record<string, unknown> = {},
  permissions?: Record<string, unknown>,
  node: Record<string, unknown> = {},
) => ({
  imports: [permissions ? { path: module, permissions } : module],
  nodes: [{ id: "n", type, config, ...node }],
  connections: [],
  outputs: Object.fromEntries((OUTPUTS[type] ?? []).map((port) => [port, `n.${port}`])),
});

/** The validation messages (`path: message`) of loading a workflow that must fail. */
async function loadIssues(workflow: unknown): Promise<string[]> {
  const file = await writeWorkflow(workflow);
  try {
    const loaded = await loadWorkflow(file, builtinRegistry());
    loaded.close();
  } catch (err) {
    assert.ok(err instanceof WorkflowValidationError, `expected a WorkflowValidationError; got ${err}`);
    assert.equal(err.file, file);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail("expected the workflow to fail validation");
}

Deno.test("a workflow with imports runs custom nodes in a Worker", async (t) => {
  await t.step("config (with templates and defaults), inputs, outputs and logs", async () => {
    const { result, events } = await runWithImports({
      id: "custom",
      imports: [MISC],
      inputs: { msg: { type: "string" } },
      nodes: [{ id: "say", type: "fx.log", config: { label: "{{ $execution.workflowId }}", times: 2 } }],
      connections: [{ from: "$inputs.msg", to: "say.msg" }],
      outputs: { done: "say.done" },
    }, { msg: "hi" });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    assert.deepEqual(result.outputs, { done: true });
    const logs = ofType(events, "node.log").map((e) => [e.nodeId, e.level, e.message]);
    const round = [
      ["say", "debug", "custom: debug hi"],
      ["say", "info", "custom: info hi"],
      ["say", "warn", "custom: warn hi"],
      ["say", "error", "custom: error hi"],
    ];
    assert.deepEqual(logs, [...round, ...round]);
    // Logs arrive while the node runs: between its node.started and node.completed.
    const started = ofType(events, "node.started")[0].seq, completed = ofType(events, "node.completed")[0].seq;
    assert.ok(ofType(events, "node.log").every((e) => e.seq > started && e.seq < completed));
  });
  await t.step("a granted environment variable is readable", async () => {
    const { result } = await runWithImports(oneNode(`${NODES}/read_file.ts`, "fx.read_env", { name: "PATH" }, {
      env: ["PATH"],
    }));
    assert.deepEqual(result.outputs, { value: Deno.env.get("PATH") });
  });
});

Deno.test("custom nodes get only the permissions the workflow grants", async (t) => {
  const server = startDemoServer();
  const port = new URL(server.url).port;
  const dir = await Deno.makeTempDir({ prefix: "flow-sandbox-" });
  const secretFile = `${dir}/data.txt`;
  await Deno.writeTextFile(secretFile, "file content");
  try {
    const fetchText = (net?: unknown) =>
      oneNode(`${NODES}/fetch_text.ts`, "fx.fetch_text", { url: `${server.url}/zen.json` }, net ? { net } : undefined);
    const netDenied = (host: string) =>
      `Requires net access to "${host}", run again with the --allow-net flag (grant it in the workflow's imports[].permissions)`;

    await t.step("an allowed host works (host:port, host alone, or true)", async () => {
      for (const net of [[`127.0.0.1:${port}`], ["127.0.0.1"], true]) {
        const { result } = await runWithImports(fetchText(net));
        assert.equal(result.status, "success", `${JSON.stringify(net)}: ${JSON.stringify(result.error)}`);
        assert.deepEqual(result.outputs, { text: '{"zen":"Practicality beats purity."}' });
      }
    });
    await t.step("a host that is not listed is denied with Deno's message and PERMISSION_DENIED", async () => {
      for (const net of [["example.com"], [`127.0.0.1:${Number(port) === 1 ? 2 : 1}`], undefined]) {
        const { result } = await runWithImports(fetchText(net));
        assert.deepEqual(
          result.error,
          { message: netDenied(`127.0.0.1:${port}`), code: "PERMISSION_DENIED", nodeId: "n" },
          JSON.stringify(net),
        );
      }
    });
    await t.step("PERMISSION_DENIED is not retried", async () => {
      const wf = fetchText(["example.com"]);
      (wf.nodes[0] as Record<string, unknown>).retry = { maxAttempts: 3, delayMs: 1 };
      const { events } = await runWithImports(wf);
      assert.equal(ofType(events, "node.started").length, 1);
    });
    await t.step("reading a file needs read permission", async () => {
      const denied = await runWithImports(oneNode(`${NODES}/read_file.ts`, "fx.read_file", { path: secretFile }));
      assert.deepEqual(denied.result.error, {
        message:
          `Requires read access to "${secretFile}", run again with the --allow-read flag (grant it in the workflow's imports[].permissions)`,
        code: "PERMISSION_DENIED",
        nodeId: "n",
      });
      const allowed = await runWithImports(
        oneNode(`${NODES}/read_file.ts`, "fx.read_file", { path: secretFile }, { read: [dir] }),
      );
      assert.deepEqual(allowed.result.outputs, { text: "file content" });
    });
    await t.step("relative read paths are relative to the workflow file", async () => {
      const file = `${dir}/relative.json`;
      const wf = oneNode(`${NODES}/read_file.ts`, "fx.read_file", { path: secretFile }, { read: ["./"] });
      await Deno.writeTextFile(file, JSON.stringify(wf));
      const loaded = await loadWorkflow(file, builtinRegistry());
      try {
        assert.deepEqual((await runLoaded(loaded)).result.outputs, { text: "file content" });
      } finally {
        loaded.close();
      }
    });
    await t.step("the module cannot read its own source (or its folder) after loading", async () => {
      const self = await runWithImports(oneNode(`${NODES}/read_self.ts`, "fx.read_self", {}, { read: [dir] }));
      assert.deepEqual(self.result.error, {
        message:
          `Requires read access to "${NODES}/read_self.ts", run again with the --allow-read flag (grant it in the workflow's imports[].permissions)`,
        code: "PERMISSION_DENIED",
        nodeId: "n",
      });
      const sibling = await runWithImports(oneNode(`${NODES}/read_file.ts`, "fx.read_file", { path: MISC }));
      assert.equal(sibling.result.error?.code, "PERMISSION_DENIED");
      const flowSource = await runWithImports(
        oneNode(`${NODES}/read_file.ts`, "fx.read_file", { path: `${ROOT}deno.json` }),
      );
      assert.equal(flowSource.result.error?.code, "PERMISSION_DENIED");
    });
    await t.step("environment variables need env permission", async () => {
      const denied = await runWithImports(oneNode(`${NODES}/read_file.ts`, "fx.read_env", { name: "PATH" }));
      assert.equal(denied.result.error?.code, "PERMISSION_DENIED");
      assert.match(denied.result.error!.message, /^Requires env access to "PATH"/);
      const otherVar = await runWithImports(
        oneNode(`${NODES}/read_file.ts`, "fx.read_env", { name: "PATH" }, { env: ["HOME"] }),
      );
      assert.equal(otherVar.result.error?.code, "PERMISSION_DENIED");
    });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a custom node that throws keeps its message and code", async (t) => {
  const cases: [string, { message: string; code: string }, number][] = [
    ["plain", { message: "plain failure", code: "NODE_ERROR" }, 3],
    ["node", { message: "quota exceeded", code: "QUOTA" }, 1],
    ["coded", { message: "I am a teapot", code: "TEAPOT" }, 3],
    ["string", { message: "a thrown string", code: "NODE_ERROR" }, 3],
  ];
  for (const [kind, error, attempts] of cases) {
    await t.step(`${kind}: ${error.code}, ${attempts} attempt(s) of 3`, async () => {
      const { result, events } = await runWithImports(
        oneNode(MISC, "fx.throw", { kind }, undefined, { retry: { maxAttempts: 3, delayMs: 1 } }),
      );
      assert.deepEqual(result.error, { ...error, nodeId: "n" });
      assert.equal(ofType(events, "node.started").length, attempts, "NodeError's retryable: false is honoured");
    });
  }
});

Deno.test("a custom node returning a value that is not JSON fails with BAD_OUTPUT naming the path", async (t) => {
  const cases: [string, string][] = [
    ["function", "outputs.when is a function"],
    ["date", "outputs.when is a Date"],
    ["map", "outputs.when is a Map"],
    ["nan", "outputs.when is NaN"],
    ["infinity", "outputs.when is -Infinity"],
    ["class", "outputs.when is a Money"],
    ["nested", "outputs.when.list[1].at is a Date"],
  ];
  const loaded = await loadWorkflow(
    await writeWorkflow({
      imports: [MISC],
      inputs: { kind: { type: "string" } },
      nodes: [{ id: "n", type: "fx.bad_output", config: { kind: "{{ $inputs.kind }}" } }],
      connections: [],
    }),
    builtinRegistry(),
  );
  try {
    for (const [kind, problem] of cases) {
      await t.step(kind, async () => {
        const { result } = await runLoaded(loaded, { kind });
        assert.deepEqual(result.error, {
          message: `returned a non-JSON value: ${problem}`,
          code: "BAD_OUTPUT",
          nodeId: "n",
        });
      });
    }
  } finally {
    loaded.close();
  }
});

Deno.test("a hung custom node is cut off by timeoutMs and its module keeps working", async (t) => {
  // With concurrency 1, "after" (same module, no timeout) starts right after "h" timed out.
  const loaded = await loadWorkflow(
    await writeWorkflow({
      imports: [MISC],
      inputs: { mode: { type: "string" } },
      nodes: [
        { id: "h", type: "fx.hang", config: { mode: "{{ $inputs.mode }}" }, timeoutMs: 300, onError: "continue" },
        { id: "after", type: "fx.hang", config: { mode: "ok" } },
      ],
      connections: [],
      outputs: { h: "h.ok", after: "after.ok" },
      settings: { concurrency: 1 },
    }),
    builtinRegistry(),
  );
  const timedOut = { message: "timed out after 300 ms", code: "TIMEOUT", nodeId: "h" };
  try {
    for (const mode of ["busy", "promise"]) {
      await t.step(`${mode}: TIMEOUT; the next call to the module right after works`, async () => {
        const { result, events } = await runLoaded(loaded, { mode });
        assert.deepEqual(result.error, timedOut);
        assert.deepEqual(result.outputs, { after: true });
        assert.deepEqual(result.nodes.map((n) => [n.id, n.status]), [["h", "failed"], ["after", "completed"]]);
        assert.ok(ofType(events, "node.failed")[0].durationMs < 10_000, "cut off, not waited for");
      });
      await t.step(`${mode}: the following run works too`, async () => {
        const { result } = await runLoaded(loaded, { mode: "ok" });
        assert.equal(result.status, "success", JSON.stringify(result.error));
        assert.deepEqual(result.outputs, { h: true, after: true });
      });
    }
  } finally {
    loaded.close();
  }
});

Deno.test("module load failures are validation errors naming the file", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "flow-bad-modules-" });
  await Deno.writeTextFile(`${dir}/broken.ts`, "export default {{ ;\n");
  await Deno.writeTextFile(`${dir}/throws.ts`, 'throw new Error("top-level failure");\n');
  const wf = (imports: unknown[]) => ({ imports, nodes: [], connections: [] });
  try {
    await t.step("a missing file", async () => {
      const file = `${dir}/missing.json`;
      await Deno.writeTextFile(file, JSON.stringify(wf(["./nope.ts"])));
      await assert.rejects(loadWorkflow(file, builtinRegistry()), (err: unknown) => {
        assert.ok(err instanceof WorkflowValidationError);
        assert.equal(
          err.message,
          `${file}: imports[0]: ./nope.ts: failed to load: Module not found "file://${dir}/nope.ts".`,
        );
        return true;
      });
    });
    await t.step("a syntax error, on one line with its location", async () => {
      const issues = await loadIssues(wf([`${dir}/broken.ts`]));
      assert.equal(issues.length, 1);
      assert.match(
        issues[0],
        new RegExp(
          `^imports\\[0\\]: ${dir}/broken\\.ts: failed to load: SyntaxError: Unexpected token .*\\(at file://${dir}/broken\\.ts:1:\\d+\\)$`,
        ),
      );
    });
    await t.step("an error thrown while the module loads", async () => {
      assert.deepEqual(await loadIssues(wf([`${dir}/throws.ts`])), [
        `imports[0]: ${dir}/throws.ts: failed to load: top-level failure`,
      ]);
    });
    await t.step("a module that exports no node", async () => {
      assert.deepEqual(await loadIssues(wf([`${FIXTURES}/bad_nodes/no_node.ts`])), [
        `imports[0]: ${FIXTURES}/bad_nodes/no_node.ts: exports no node (export default defineNode({ type, description, inputs, outputs, run }))`,
      ]);
    });
    await t.step("a type that already exists (built-in, or from another module)", async () => {
      assert.deepEqual(await loadIssues(wf([`${FIXTURES}/bad_nodes/dup_type.ts`])), [
        `imports[0]: ${FIXTURES}/bad_nodes/dup_type.ts: node type "http.request" is already registered (built-in)`,
      ]);
      const twice = await loadIssues(wf([`${NODES}/fetch_text.ts`, { path: `${NODES}/fetch_text.ts` }]));
      assert.deepEqual(twice, [
        `imports[1]: ${NODES}/fetch_text.ts: node type "fx.fetch_text" is already registered by ${NODES}/fetch_text.ts`,
      ]);
    });
    await cliStep(t, "every failure at once, and with the workflow's own problems through the CLI", async () => {
      const file = `${dir}/all.json`;
      await Deno.writeTextFile(
        file,
        JSON.stringify({
          imports: [
            "./nope.ts",
            "./broken.ts",
            `${FIXTURES}/bad_nodes/no_node.ts`,
            `${FIXTURES}/bad_nodes/dup_type.ts`,
          ],
          nodes: [{ id: "x", type: "fx.nothing" }],
          connections: [],
        }),
      );
      const r = await runCli(["validate", file]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 5, r.stderr);
      assert.ok(lines[0].startsWith(`${file}: imports[0]: ./nope.ts: failed to load: Module not found`));
      assert.ok(lines[1].startsWith(`${file}: imports[1]: ./broken.ts: failed to load: SyntaxError: `));
      assert.ok(lines[2].startsWith(`${file}: imports[2]: ${FIXTURES}/bad_nodes/no_node.ts: exports no node`));
      assert.equal(
        lines[3],
        `${file}: imports[3]: ${FIXTURES}/bad_nodes/dup_type.ts: node type "http.request" is already registered (built-in)`,
      );
      assert.equal(
        lines[4],
        `${file}: nodes[0].type: unknown node type "fx.nothing"; run \`flow nodes\` to list types`,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("custom node config is validated at validation time with the module's schema", async () => {
  const issues = await loadIssues({
    imports: [MISC],
    nodes: [
      { id: "a", type: "fx.log", config: { msg: "x", times: 50, label: 5 } },
      { id: "b", type: "fx.throw", config: { kind: "nope" } },
      { id: "c", type: "fx.log", config: { msg: "x", colour: "red" } },
      { id: "d", type: "fx.log" },
      { id: "e", type: "fx.bad_output" },
    ],
    connections: [],
  });
  assert.deepEqual(issues, [
    "nodes[0].config.times: expected <= 10; got 50",
    "nodes[0].config.label: expected string; got 5",
    'nodes[1].config.kind: expected one of plain, node, coded, string; got "nope"',
    "nodes[2].config.colour: unknown config key for fx.log; expected one of times, label, msg",
    "nodes[4].config.kind: expected one of function, date, map, nan, infinity, class, nested; got undefined",
    'nodes[3]: required input "msg" of "d" (fx.log) is not connected and has no config value',
  ]);
});

Deno.test("flow run --nodes DIR and flow nodes list custom nodes with their source (real CLI)", async (t) => {
  await cliStep(t, "flow run --nodes loads every module of the folder", async () => {
    const file = await writeWorkflow({
      id: "with-dir",
      nodes: [{ id: "say", type: "fx.log", config: { msg: "from the CLI" } }],
      connections: [],
      outputs: { done: "say.done" },
    });
    const r = await runCli(["run", file, "--nodes", NODES, "--format", "ndjson"]);
    assert.equal(r.code, 0, r.stderr);
    const events = parseNdjson(r.stdout);
    assert.deepEqual(ofType(events, "node.log").map((e) => `${e.level} ${e.message}`), [
      "debug debug from the CLI",
      "info info from the CLI",
      "warn warn from the CLI",
      "error error from the CLI",
    ]);
    const done = events.at(-1) as Extract<FlowEvent, { type: "workflow.completed" }>;
    assert.deepEqual([done.status, done.outputs], ["success", { done: true }]);
  });
  await t.step("without --nodes the type is unknown", async () => {
    const file = await writeWorkflow({ nodes: [{ id: "say", type: "fx.log" }], connections: [] });
    const r = await runCli(["run", file]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `${file}: nodes[0].type: unknown node type "fx.log"; did you mean debug.log?\n`);
  });
  await cliStep(t, "--nodes modules get no permissions", async () => {
    const file = await writeWorkflow({
      nodes: [{ id: "r", type: "fx.read_file", config: { path: `${ROOT}deno.json` } }],
      connections: [],
    });
    const r = await runCli(["run", file, "--nodes", NODES, "--format", "json"]);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).error.code, "PERMISSION_DENIED");
  });
  await cliStep(t, "flow run a workflow with imports (fixture file)", async () => {
    const r = await runCli(["run", "custom_nodes.json", "--format", "json", "--input", "msg=hey"], {
      cwd: FIXTURES,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).outputs, { done: true, path: Deno.env.get("PATH") });
  });
  await cliStep(t, "flow nodes --nodes DIR: a table with the source under the type", async () => {
    const r = await runCli(["nodes", "--nodes", "nodes"], { cwd: FIXTURES });
    assert.equal(r.code, 0, r.stderr);
    for (const [type, source] of [["fx.log", "nodes/misc.ts"], ["fx.fetch_text", "nodes/fetch_text.ts"]]) {
      assert.match(
        r.stdout,
        new RegExp(`│ ${type.replace(".", "\\.")} +│[^\\n]*\\n│ \\(${source.replace(".", "\\.")}\\) +│`),
      );
    }
    assert.match(r.stdout, /│ http\.request +│ Sends an HTTP request/);
  });
  await cliStep(t, "flow nodes --json --nodes DIR: source, ports and config JSON Schema", async () => {
    const r = await runCli(["nodes", "--json", "--nodes", NODES]);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { type: string; source: string; inputs: unknown; config: unknown }[];
    const custom = list.filter((d) => d.type.startsWith("fx."));
    assert.deepEqual(custom.map((d) => [d.type, d.source]), [
      ["fx.bad_output", `${NODES}/misc.ts`],
      ["fx.fetch_text", `${NODES}/fetch_text.ts`],
      ["fx.hang", `${NODES}/misc.ts`],
      ["fx.log", `${NODES}/misc.ts`],
      ["fx.read_env", `${NODES}/read_file.ts`],
      ["fx.read_file", `${NODES}/read_file.ts`],
      ["fx.read_self", `${NODES}/read_self.ts`],
      ["fx.throw", `${NODES}/misc.ts`],
    ]);
    const log = custom.find((d) => d.type === "fx.log")!;
    assert.deepEqual(log.inputs, { msg: { type: "string", description: "The message" } });
    assert.deepEqual((log.config as { properties: unknown }).properties, {
      times: { default: 1, type: "integer", minimum: 1, maximum: 10, description: "How many rounds of logs" },
      label: { type: "string" },
    });
    assert.equal(list.find((d) => d.type === "http.request")?.source, "built-in");
  });
  await cliStep(t, "flow nodes WORKFLOW lists the workflow's imports with the path as written", async () => {
    const json = await runCli(["nodes", "--json", "custom_nodes.json"], { cwd: FIXTURES });
    assert.equal(json.code, 0, json.stderr);
    const sources = (JSON.parse(json.stdout) as { type: string; source: string }[])
      .filter((d) => d.source !== "built-in")
      .map((d) => [d.type, d.source]);
    assert.deepEqual(sources, [
      ["fx.bad_output", "./nodes/misc.ts"],
      ["fx.hang", "./nodes/misc.ts"],
      ["fx.log", "./nodes/misc.ts"],
      ["fx.read_env", "./nodes/read_file.ts"],
      ["fx.read_file", "./nodes/read_file.ts"],
      ["fx.throw", "./nodes/misc.ts"],
    ]);
    const table = await runCli(["nodes", "custom_nodes.json"], { cwd: FIXTURES });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ fx\.read_env +│[^\n]*\n│ \(\.\/nodes\/read_file\.ts\) +│/);
  });
  await t.step({
    name: "flow nodes shows a long source path in full",
    fn: async () => {
      const r = await runCli(["nodes", "--nodes", NODES]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes("…"), r.stdout);
    },
  });
  await cliStep(t, "flow nodes with a module that fails to load exits 2 naming it", async () => {
    const r = await runCli(["nodes", "--nodes", `${FIXTURES}/bad_nodes`]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      [
        `--nodes: ${FIXTURES}/bad_nodes/dup_type.ts: node type "http.request" is already registered (built-in)`,
        `--nodes: ${FIXTURES}/bad_nodes/no_node.ts: exports no node (export default defineNode({ type, description, inputs, outputs, run }))`,
        "",
      ].join("\n"),
    );
  });
});

Deno.test("missingWorkerOptions: only a deno run certainly without the flag gets the hint", () => {
  const none = () => undefined;
  const hint = (argv: string[], read: (path: string) => string | undefined = none, main = "/w/dist/flow.js") =>
    missingWorkerOptions(argv, main, "/w", read);
  const missing = hint(["/usr/bin/deno", "run", "-A", "dist/flow.js", "run", "wf.json"]);
  assert.equal(
    missing,
    "custom node modules run in Workers with their own permissions, which need Deno's --unstable-worker-options " +
      "flag: add it to the command (deno run --unstable-worker-options -A dist/flow.js ...)",
  );
  // The flag, before the script; after it, it is the script's own argument.
  assert.equal(hint(["deno", "run", "--unstable-worker-options", "-A", "dist/flow.js"]), undefined);
  assert.ok(hint(["deno", "run", "-A", "dist/flow.js", "--unstable-worker-options"]));
  // A config file Deno finds next to the script or the working directory, or is given.
  const config = (at: string) => (path: string) => path === at ? '{ "unstable": ["worker-options"] }' : undefined;
  assert.equal(hint(["deno", "run", "-A", "dist/flow.js"], config("/w/deno.json")), undefined);
  assert.equal(hint(["deno", "run", "-A", "dist/flow.js"], config("/w/dist/deno.jsonc")), undefined);
  assert.ok(hint(["deno", "run", "-A", "dist/flow.js"], () => '{ "tasks": {} }'));
  assert.ok(hint(["deno", "run", "--no-config", "-A", "dist/flow.js"], config("/w/deno.json")));
  assert.equal(hint(["deno", "run", "--config", "c.json", "-A", "dist/flow.js"], config("/w/c.json")), undefined);
  assert.equal(hint(["deno", "run", "--config=c.json", "-A", "dist/flow.js"], config("/w/c.json")), undefined);
  // A config given replaces the one Deno would find.
  const both = (path: string) => path === "/w/c.json" ? "{}" : config("/w/deno.json")(path);
  assert.ok(hint(["deno", "run", "-c", "c.json", "-A", "dist/flow.js"], both));
  // Where it cannot tell: not deno run (a compiled binary, deno test), or the script not found on the line.
  assert.equal(hint(["/usr/local/bin/flow", "run", "wf.json"]), undefined);
  assert.equal(hint(["deno", "test", "-A", "dist/flow.js"]), undefined);
  assert.equal(hint(["deno", "run", "-A", "other.js"]), undefined);
});
