import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import type { FlowEvent } from "../mod.ts";
import { ofType, parseNdjson, runCli, runObject, writeWorkflow } from "./helpers.ts";

const SECRET = "s3cr3t-T0KEN-4f9a";
const SUB_SECRET = "kid-s3cret-77";

/** Fails when either secret value appears in `text`. */
function assertNoSecret(text: string, where: string) {
  assert.ok(!text.includes(SECRET), `${where} leaks the secret:\n${text}`);
  assert.ok(!text.includes(SUB_SECRET), `${where} leaks the sub-workflow's secret:\n${text}`);
}

/** A child workflow that logs and outputs its own secret. */
const CHILD = {
  id: "child",
  nodes: [{ id: "say", type: "debug.log", config: { message: "child sees {{ $env.FLOW_TEST_SUB_SECRET }}" } }],
  connections: [],
  outputs: { said: "say.message" },
  settings: { env: ["FLOW_TEST_SUB_SECRET"], secrets: ["FLOW_TEST_SUB_SECRET"] },
};

/** A workflow that puts its secret everywhere it can. */
const LEAKY = {
  id: "leaky",
  inputs: { base: { type: "string" } },
  nodes: [
    { id: "log", type: "debug.log", config: { message: "token is {{ $env.FLOW_TEST_TOKEN }}" } },
    {
      id: "set",
      type: "transform.set",
      config: {
        value: { auth: "Bearer {{ $env.FLOW_TEST_TOKEN }}", keyed: "{{ { $env.FLOW_TEST_TOKEN: 'as a key' } }}" },
      },
    },
    {
      id: "call",
      type: "http.request",
      config: {
        url: "{{ $inputs.base }}/echo",
        method: "POST",
        headers: { authorization: "Bearer {{ $env.FLOW_TEST_TOKEN }}" },
        body: { token: "{{ $env.FLOW_TEST_TOKEN }}" },
      },
    },
    { id: "parse", type: "transform.json_parse" },
    { id: "expr_fail", type: "transform.set", config: { value: "{{ $number($env.FLOW_TEST_TOKEN) }}" } },
    {
      id: "http_fail",
      type: "http.request",
      config: { url: "{{ $inputs.base }}/status/500?token={{ $env.FLOW_TEST_TOKEN }}" },
    },
    { id: "sub", type: "flow.subworkflow", config: { workflowFile: "child.json" } },
  ],
  connections: [{ from: "call.body", to: "parse.json" }],
  outputs: { value: "set.value", echo: "parse.parsed", sub: "sub.said", logged: "log.message" },
  settings: { env: ["FLOW_TEST_TOKEN"], secrets: ["FLOW_TEST_TOKEN"], onError: "continue" },
};

const EXPR_ERROR =
  'nodes[4].config.value: {{ $number($env.FLOW_TEST_TOKEN) }}: Unable to cast value to a number: "***" (at position 8)';

Deno.test("secrets never appear in what the CLI prints or writes", async (t) => {
  const server = startDemoServer();
  const file = await writeWorkflow(LEAKY, "leaky.json");
  await Deno.writeTextFile(file.replace(/leaky\.json$/, "child.json"), JSON.stringify(CHILD));
  const env = { FLOW_TEST_TOKEN: SECRET, FLOW_TEST_SUB_SECRET: SUB_SECRET };
  const run = (...args: string[]) => runCli(["run", file, "--input", `base=${server.url}`, ...args], { env });
  const expectedOutputs = {
    value: { auth: "Bearer ***", keyed: { "***": "as a key" } },
    sub: "child sees ***",
    logged: "token is ***",
  };
  try {
    await t.step("--format ndjson: *** wherever the secret would have been", async () => {
      const r = await run("--format", "ndjson");
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, "");
      assertNoSecret(r.stdout, "ndjson stdout");
      const events = parseNdjson(r.stdout);
      const logs = ofType(events, "node.log").map((e) => [e.parentNodeId ?? "", e.nodeId, e.message]);
      assert.deepEqual(logs.sort(), [["", "log", "token is ***"], ["sub", "say", "child sees ***"]]);
      const outputsOf = (id: string) =>
        ofType(events, "node.completed").find((e) => e.nodeId === id && !e.parentNodeId)!.outputs;
      assert.deepEqual(outputsOf("set"), { value: expectedOutputs.value });
      const echo = outputsOf("parse").parsed as { body: string; headers: Record<string, string> };
      assert.equal(echo.headers.authorization, "Bearer ***");
      assert.equal(echo.body, '{"token":"***"}');
      // The server received the real value: the length of {"token":"<secret>"}.
      assert.equal(echo.headers["content-length"], String(`{"token":"${SECRET}"}`.length));
      const failures = ofType(events, "node.failed").map((e) => [e.nodeId, e.error]);
      assert.deepEqual(failures, [
        ["expr_fail", { message: EXPR_ERROR, code: "EXPRESSION" }],
        [
          "http_fail",
          {
            message: `GET ${server.url}/status/500?token=***: HTTP 500 Internal Server Error: {"status":500}`,
            code: "HTTP_STATUS",
          },
        ],
      ]);
      const done = events.at(-1) as Extract<FlowEvent, { type: "workflow.completed" }>;
      assert.equal(done.status, "failed");
      assert.deepEqual(done.error, { message: EXPR_ERROR, code: "EXPRESSION", nodeId: "expr_fail" });
      assert.deepEqual({ ...done.outputs, echo: undefined }, { ...expectedOutputs, echo: undefined });
    });
    await t.step("pretty output", async () => {
      const r = await run();
      assert.equal(r.code, 1, r.stderr);
      assertNoSecret(r.stdout + r.stderr, "pretty output");
      assert.match(r.stdout, /│ log token is \*\*\*\n/);
      assert.match(r.stdout, /│ sub › say child sees \*\*\*\n/);
      assert.match(r.stdout, /✗ http_fail GET http:\/\/127\.0\.0\.1:\d+\/status\/500\?token=\*\*\*: HTTP 500/);
      assert.ok(r.stdout.includes(`✘ failed in `) && r.stdout.includes(`: node "expr_fail": ${EXPR_ERROR}\n`));
      assert.match(r.stdout, /"authorization": "Bearer \*\*\*"/);
    });
    await t.step("pretty output in colour (FORCE_COLOR)", async () => {
      const r = await runCli(["run", file, "--input", `base=${server.url}`], {
        env: { ...env, NO_COLOR: "", FORCE_COLOR: "1" },
      });
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stdout.includes("\x1b["), "coloured");
      assertNoSecret(r.stdout + r.stderr, "coloured output");
      assert.ok(r.stdout.includes("token is ***"));
      assert.ok(r.stdout.includes("child sees ***"));
    });
    await t.step("--format json", async () => {
      const r = await run("--format", "json");
      assert.equal(r.code, 1, r.stderr);
      assertNoSecret(r.stdout + r.stderr, "json summary");
      const summary = JSON.parse(r.stdout);
      assert.deepEqual(summary.outputs.value, expectedOutputs.value);
      assert.equal(summary.outputs.echo.headers.authorization, "Bearer ***");
      assert.deepEqual(summary.error, { message: EXPR_ERROR, code: "EXPRESSION", nodeId: "expr_fail" });
      const httpFail = summary.nodes.find((n: { id: string }) => n.id === "http_fail");
      assert.match(httpFail.error.message, /\?token=\*\*\*: HTTP 500/);
    });
    await t.step("--quiet: the one failure line on stderr", async () => {
      const r = await run("--quiet");
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `flow: leaky: failed: node "expr_fail" failed: ${EXPR_ERROR} (EXPRESSION)\n`);
    });
    await t.step("--events FILE, next to pretty and to --quiet output", async () => {
      for (const extra of [[], ["--quiet"]]) {
        const events = `${await Deno.makeTempDir({ prefix: "flow-secrets-" })}/events.ndjson`;
        const r = await run("--events", events, ...extra);
        assert.equal(r.code, 1, r.stderr);
        const text = await Deno.readTextFile(events);
        assertNoSecret(text, "--events file");
        assertNoSecret(r.stdout + r.stderr, "stdout/stderr");
        const parsed = parseNdjson(text);
        assert.equal(parsed.at(-1)!.type, "workflow.completed");
        assert.ok(ofType(parsed, "node.log").some((e) => e.message === "token is ***"));
        assert.ok(ofType(parsed, "node.log").some((e) => e.message === "child sees ***" && e.parentNodeId === "sub"));
      }
    });
  } finally {
    await server.close();
  }
});

Deno.test("a missing env or secret variable exits 2 before anything runs", async (t) => {
  const wf = {
    nodes: [{ id: "log", type: "debug.log", config: { message: "{{ $env.FLOW_TEST_A }} {{ $env.FLOW_TEST_B }}" } }],
    connections: [],
    outputs: { said: "log.message" },
    settings: { env: ["FLOW_TEST_A"], secrets: ["FLOW_TEST_B"] },
  };
  const file = await writeWorkflow(wf);
  await t.step("a secret", async () => {
    const events = `${await Deno.makeTempDir({ prefix: "flow-secrets-" })}/events.ndjson`;
    const r = await runCli(["run", file, "--format", "ndjson", "--events", events], { env: { FLOW_TEST_A: "a" } });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "", "no events");
    assert.equal(r.stderr, `${file}: settings.secrets: environment variable FLOW_TEST_B is not set\n`);
    await assert.rejects(Deno.stat(events), Deno.errors.NotFound);
  });
  await t.step("an env variable", async () => {
    const r = await runCli(["run", file], { env: { FLOW_TEST_B: "secret-b" } });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `${file}: settings.env: environment variable FLOW_TEST_A is not set\n`);
  });
  await t.step("both, one line each", async () => {
    const r = await runCli(["run", file, "--quiet"]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `${file}: settings.env: environment variable FLOW_TEST_A is not set\n` +
        `${file}: settings.secrets: environment variable FLOW_TEST_B is not set\n`,
    );
  });
  await t.step("a name in both env and secrets is reported as a secret", async () => {
    const both = await writeWorkflow({ ...wf, settings: { env: ["FLOW_TEST_B"], secrets: ["FLOW_TEST_B"] } });
    const r = await runCli(["run", both]);
    assert.equal(r.stderr, `${both}: settings.secrets: environment variable FLOW_TEST_B is not set\n`);
  });
  await t.step("variables of sub-workflows are checked too, under the sub-workflow's file", async () => {
    const parent = await writeWorkflow({
      nodes: [{ id: "sub", type: "flow.subworkflow", config: { workflowFile: "child.json" } }],
      connections: [],
    });
    await Deno.writeTextFile(parent.replace(/wf\.json$/, "child.json"), JSON.stringify(CHILD));
    const r = await runCli(["run", parent]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `${parent}: child.json: settings.secrets: environment variable FLOW_TEST_SUB_SECRET is not set\n`,
    );
  });
  await t.step("an empty value counts as set", async () => {
    const r = await runCli(["run", file, "--format", "json"], { env: { FLOW_TEST_A: "", FLOW_TEST_B: "" } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).outputs, { said: " " });
  });
});

Deno.test("secrets of loop iterations are redacted in the library too", async () => {
  const { result, events } = await runObject({
    inputs: { items: { type: "array" } },
    nodes: [{
      id: "each",
      type: "control.loop",
      config: {
        concurrency: 2,
        workflow: {
          nodes: [{ id: "s", type: "transform.set", config: { value: "{{ $inputs.item }}:{{ $env.LOOP_SECRET }}" } }],
          connections: [],
          outputs: { v: "s.value" },
          settings: { secrets: ["LOOP_SECRET"] },
        },
      },
    }],
    connections: [{ from: "$inputs.items", to: "each.items" }],
    outputs: { results: "each.results" },
  }, { inputs: { items: ["a", "b"] }, getEnv: (name) => name === "LOOP_SECRET" ? "loop-secret-value" : undefined });
  assert.deepEqual(result.outputs, { results: [{ v: "a:***" }, { v: "b:***" }] });
  const inner = ofType(events, "node.completed").filter((e) => e.parentNodeId === "each");
  assert.deepEqual(inner.map((e) => [e.iteration, e.outputs]).sort(), [[0, { value: "a:***" }], [1, {
    value: "b:***",
  }]]);
  assert.ok(!JSON.stringify(events).includes("loop-secret-value"));
  assert.ok(!JSON.stringify(result).includes("loop-secret-value"));
});

Deno.test("values shorter than 3 characters are not redacted (documented)", async () => {
  const { result } = await runObject({
    nodes: [{ id: "s", type: "transform.set", config: { value: "[{{ $env.SHORT }}]" } }],
    connections: [],
    outputs: { v: "s.value" },
    settings: { secrets: ["SHORT"] },
  }, { getEnv: () => "ab" });
  assert.deepEqual(result.outputs, { v: "[ab]" });
});

Deno.test({
  name: "encoded forms of a secret are redacted too (URL-encoded, JSON-escaped)",
  async fn() {
    const secret = 'ab+c/d=e"f';
    const server = startDemoServer();
    try {
      const { events } = await runObject({
        inputs: { base: { type: "string" } },
        nodes: [
          {
            id: "q",
            type: "http.request",
            config: { url: "{{ $inputs.base }}/status/500", query: { t: "{{ $env.TOK }}" } },
          },
          {
            id: "e",
            type: "http.request",
            config: { url: "{{ $inputs.base }}/echo", method: "POST", body: { t: "{{ $env.TOK }}" } },
          },
        ],
        connections: [],
        settings: { secrets: ["TOK"], onError: "continue" },
      }, { inputs: { base: server.url }, getEnv: (name) => name === "TOK" ? secret : undefined });
      const text = JSON.stringify(events);
      assert.ok(!text.includes(encodeURIComponent(secret)), "URL-encoded secret in an error message");
      assert.ok(
        !text.includes(JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1)),
        "JSON-escaped secret",
      );
    } finally {
      await server.close();
    }
  },
});
