/**
 * The editor's test loop through a real `flow serve`, with a local HTTP
 * server whose hit counter proves which nodes called it: "Run to here" on
 * the middle node of a 3-node chain runs 2 nodes and calls nothing
 * downstream; "Run this node" on the last node calls no upstream endpoint and
 * sends the recorded data; a pinned output is used by an editor run and not
 * by a webhook-triggered run; a test request sent over HTTP is captured as
 * the webhook node's pin; a secret never appears in a preview, the node
 * context or the per-node data; editor runs are recorded with trigger
 * `editor` and `GET /runs` filters them; roles and `--read-only`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Served, waitFor, writeFiles } from "./serve_helpers.ts";
import { hitServer, hooked, SECRET, ticker } from "./testloop_fixtures.ts";

/** a -> b -> c: each POSTs what the one before it answered. */
const chain = (base: string) => ({
  id: "chain",
  inputs: { base: { type: "string", default: base } },
  nodes: [
    { id: "a", type: "http.request", config: { method: "POST", url: "{{ $inputs.base }}/a", body: { start: true } } },
    { id: "b", type: "http.request", config: { method: "POST", url: "{{ $inputs.base }}/b" } },
    { id: "c", type: "http.request", config: { method: "POST", url: "{{ $inputs.base }}/c" } },
  ],
  connections: [{ from: "a.body", to: "b.body" }, { from: "b.body", to: "c.body" }],
  outputs: { c: "c.body" },
});

/** A request that sends the secret; the local server echoes it back. */
const secretive = (base: string) => ({
  id: "secretive",
  inputs: { base: { type: "string", default: base } },
  settings: { secrets: ["FLOW_TEST_SECRET"], env: ["FLOW_TEST_REGION"] },
  nodes: [
    {
      id: "call",
      type: "http.request",
      config: {
        method: "POST",
        url: "{{ $inputs.base }}/secret",
        headers: { authorization: "Bearer {{ $env.FLOW_TEST_SECRET }}" },
        body: { key: "{{ $env.FLOW_TEST_SECRET }}" },
      },
    },
    { id: "use", type: "transform.set", config: { value: "{{ $node.text }}" } },
  ],
  connections: [{ from: "call.body", to: "use.text" }],
});

/** Never run: nothing is recorded for it. */
const fresh = {
  id: "fresh",
  nodes: [
    { id: "one", type: "transform.set", config: { value: 1 } },
    { id: "two", type: "transform.set", config: { value: "{{ $node.n + 1 }}" } },
  ],
  connections: [{ from: "one.value", to: "two.n" }],
};

type Server = Awaited<ReturnType<typeof Served.start>>;

/** Starts an editor run and waits for its end; returns the run's detail. */
// deno-lint-ignore no-explicit-any
async function editorRun(server: Server, id: string, body: Record<string, unknown>): Promise<any> {
  const res = await server.json(`/api/v1/workflows/${id}/editor-runs`, { json: body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const detail = await server.waitForRun(res.body.executionId);
  return { ...detail, plan: res.body.plan };
}

// deno-lint-ignore no-explicit-any
const nodeStates = (detail: any) => Object.fromEntries(detail.nodes.map((n: any) => [n.id, n]));

Deno.test({
  name: "editor runs through flow serve: run to here, run this node, pins vs webhooks, test requests, no secret",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const local = hitServer();
    const dir = await writeFiles({
      "chain.json": chain(local.url),
      "hooked.json": hooked(local.url),
      "secretive.json": secretive(local.url),
      "fresh.json": fresh,
      "ticker.json": ticker,
    });
    try {
      await using server = await Served.start([dir], {
        env: { FLOW_TEST_SECRET: SECRET, FLOW_TEST_REGION: "eu-west" },
      });

      await t.step("run to here on the middle node: a and b run, c is not called", async () => {
        const run = await editorRun(server, "chain", { mode: "to", node: "b" });
        assert.equal(run.status, "success");
        assert.equal(run.trigger, "editor");
        assert.deepEqual(run.plan.run, ["a", "b"]);
        assert.deepEqual([local.hits("/a"), local.hits("/b"), local.hits("/c")], [1, 1, 0]);
        const nodes = nodeStates(run);
        assert.equal(nodes.a.status, "completed");
        assert.equal(nodes.b.status, "completed");
        assert.equal(nodes.c.status, "skipped");
        assert.equal(nodes.c.reason, "not selected to run");
        assert.equal(run.nodes.filter((n: { attempts: number }) => n.attempts > 0).length, 2, "2 nodes ran");
      });

      await t.step("run this node on the last node: no upstream call, the recorded output of b is sent", async () => {
        const before = [local.hits("/a"), local.hits("/b")];
        const run = await editorRun(server, "chain", { mode: "node", node: "c" });
        assert.equal(run.status, "success", JSON.stringify(run.error));
        assert.deepEqual([local.hits("/a"), local.hits("/b")], before, "a and b were not called");
        assert.equal(local.hits("/c"), 1);
        // c sent exactly what b answered in the run to here: its first hit.
        assert.deepEqual(local.got("/c"), {
          path: "/b",
          hit: 1,
          got: { path: "/a", hit: 1, got: { start: true }, auth: null },
          auth: null,
        });
        const nodes = nodeStates(run);
        assert.equal(nodes.b.reused, true, "b is reported reused, as flow resume reports it");
        assert.equal(nodes.b.attempts, 0);
        assert.equal(nodes.a.status, "skipped");
        assert.deepEqual(run.plan.reused.map((r: { nodeId: string }) => r.nodeId), ["b"]);
        const first = run.plan.reused[0].from;
        assert.match(first, /^[0-9a-f-]{36}$/, "b's outputs come from the run to here");
        assert.equal(run.resumedFrom, first);
      });

      await t.step("the per-node data: each node's inputs and outputs and the run they came from", async () => {
        const res = await server.json("/api/v1/workflows/chain/node-data");
        assert.equal(res.status, 200);
        const { nodes, sources } = res.body;
        assert.equal(sources.length, 2);
        assert.equal(nodes.c.executionId, sources[0].executionId, "c: the newest run (run this node)");
        assert.equal(nodes.a.executionId, sources[1].executionId, "a: skipped there, so the run to here");
        assert.deepEqual(JSON.parse(nodes.c.inputs.body), JSON.parse(nodes.b.outputs.body));
        assert.equal(nodes.c.status, "completed");
      });

      await t.step("a pinned output is used by an editor run and not by a webhook-triggered run", async () => {
        const pin = await server.json("/api/v1/workflows/hooked/pins/paid", {
          method: "PUT",
          json: { outputs: { status: 200, headers: {}, body: "PINNED" } },
        });
        assert.equal(pin.status, 200, JSON.stringify(pin.body));
        assert.equal(pin.body.source, "json");
        const run = await editorRun(server, "hooked", { payload: { body: { n: 1 } } });
        assert.equal(run.status, "success", JSON.stringify(run.error));
        assert.equal(local.hits("/paid"), 0, "the paid API was not called");
        assert.equal(local.got("/after"), "PINNED");
        assert.equal(nodeStates(run).paid.pinned, true);
        // A real request to the webhook: a trigger never uses pins.
        const hook = await server.json("/hooks/hooked", { json: { n: 2 } });
        assert.equal(hook.status, 200, JSON.stringify(hook.body));
        assert.equal(local.hits("/paid"), 1, "the webhook run called the paid API");
        assert.deepEqual(local.got("/paid"), { n: 2 });
        assert.deepEqual((local.got("/after") as { path: string }).path, "/paid");
        const runs = await server.runs("workflow=hooked");
        assert.deepEqual(runs.map((r) => r.trigger), ["webhook", "editor"]);
      });

      await t.step("GET /runs filters editor runs in or out", async () => {
        const editor = await server.runs("trigger=editor");
        assert.ok(editor.length >= 3 && editor.every((r) => r.trigger === "editor"));
        const others = await server.runs("notTrigger=editor");
        assert.deepEqual(others.map((r) => r.trigger), ["webhook"]);
        const bad = await server.json("/api/v1/runs?trigger=editor,bogus");
        assert.equal(bad.status, 400);
        assert.match(bad.body.error.message, /"bogus"/);
      });

      await t.step("listen for a test request: a real request is captured as the webhook node's pin", async () => {
        const events = await server.fetch("/api/v1/events", { headers: { accept: "text/event-stream" } });
        const listen = await server.json("/api/v1/workflows/hooked/nodes/hook/test-request", { json: { run: true } });
        assert.equal(listen.status, 201, JSON.stringify(listen.body));
        assert.equal(listen.body.status, "listening");
        const url = new URL(listen.body.url);
        assert.match(url.pathname, /^\/hooks\/@test\/[\w-]{43}$/);
        const wrong = await fetch(url, { method: "GET" });
        assert.equal(wrong.status, 405);
        await wrong.body?.cancel();
        const sent = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "x-from": "curl" },
          body: JSON.stringify({ order: 7 }),
        });
        const answer = await sent.json();
        assert.equal(sent.status, 200, JSON.stringify(answer));
        assert.equal(answer.captured, true);
        const again = await fetch(url, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
        assert.equal(again.status, 404, "the URL answers once");
        await again.body?.cancel();
        const pins = (await server.json("/api/v1/workflows/hooked/pins")).body.pins;
        const hookPin = pins.find((p: { nodeId: string }) => p.nodeId === "hook");
        assert.equal(hookPin.source, "test-request");
        assert.deepEqual(hookPin.outputs.body, { order: 7 });
        assert.equal(hookPin.outputs.path, "/hooks/hooked", "the node's path, not the one-time URL");
        assert.equal(hookPin.outputs.headers["x-from"], "curl");
        const status = await server.json("/api/v1/workflows/hooked/nodes/hook/test-request");
        assert.equal(status.body.status, "captured");
        assert.equal(status.body.executionId, answer.executionId);
        // run: true ran the workflow with the request (the paid API still pinned).
        const run = await server.waitForRun(answer.executionId);
        assert.equal(run.trigger, "editor");
        assert.equal(nodeStates(run).hook.status, "completed");
        assert.equal(nodeStates(run).hook.reused, undefined, "the webhook node ran on the request");
        assert.equal(nodeStates(run).paid.pinned, true);
        // The capture is on the event stream.
        const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        await waitFor(async () => {
          text += (await reader.read()).value ?? "";
          return text.includes('"type":"test-request.captured"');
        });
        assert.match(text, /event: editor\ndata: \{"type":"pin.set","workflowId":"hooked","nodeId":"hook"/);
        await reader.cancel();
      });

      await t.step("a secret never appears in a preview, the node context or the per-node data", async () => {
        const run = await server.json("/api/v1/workflows/secretive/runs?wait=true", { json: {} });
        assert.equal(run.status, 200);
        assert.equal(run.body.status, "success", JSON.stringify(run.body.error));
        assert.equal(local.hits("/secret"), 1);
        const preview = (body: Record<string, unknown>) =>
          server.json("/api/v1/workflows/secretive/preview", { json: body });
        for (
          const expression of [
            "$env.FLOW_TEST_SECRET",
            "$substring($env.FLOW_TEST_SECRET, 0, 6)",
            "$join($split($env.FLOW_TEST_SECRET, ''), ' ')",
            "$node.text",
          ]
        ) {
          const res = await preview({ expression, node: "use" });
          assert.equal(res.status, 200);
          const text = JSON.stringify(res.body);
          assert.ok(!text.includes("s3cr"), `${expression}: ${text}`);
        }
        assert.deepEqual((await preview({ expression: "$env.FLOW_TEST_REGION" })).body, { value: "eu-west" });
        const given = await preview({ template: "x {{ $node.k }}", bindings: { node: { k: SECRET } } });
        assert.deepEqual(given.body, { value: "x ***" }, "a secret given in bindings is redacted too");
        const fromRecord = await preview({ expression: "$eval($node.text).got.key", node: "use" });
        assert.deepEqual(fromRecord.body, { value: "***" });
        for (const path of ["/api/v1/workflows/secretive/node-data", "/api/v1/workflows/secretive/nodes/use/context"]) {
          const res = await server.json(path);
          assert.equal(res.status, 200);
          const text = JSON.stringify(res.body);
          assert.ok(!text.includes(SECRET) && !text.includes("s3cr"), `${path}: ${text}`);
          assert.ok(text.includes("***"), `${path} shows where the secret was`);
        }
      });

      await t.step("preview: the value on recorded data, and a syntax error with its position", async () => {
        const ok = await server.json("/api/v1/workflows/chain/preview", {
          json: { template: "hit {{ $eval($node.body).hit }} of {{ $inputs.base }}", node: "c" },
        });
        assert.deepEqual(ok.body, { value: `hit 1 of ${local.url}` });
        const syntax = await server.json("/api/v1/workflows/chain/preview", {
          json: { template: "a {{ $node.body. }}", node: "c" },
        });
        assert.equal(syntax.status, 200);
        assert.equal(syntax.body.error.code, "SYNTAX");
        assert.equal(syntax.body.error.position, 16, JSON.stringify(syntax.body));
        const whole = await server.json("/api/v1/workflows/chain/preview", { json: { expression: "{{ 1 + }}" } });
        assert.equal(whole.body.error.code, "SYNTAX");
        assert.equal(whole.body.error.position, 6, "the + that nothing follows");
        const failed = await server.json("/api/v1/workflows/chain/preview", {
          json: { expression: "$error('boom')" },
        });
        assert.deepEqual(failed.body.error, { code: "EVALUATION", message: "boom (at position 7)" });
      });

      await t.step("completion context: $node fields from the recorded run, $inputs, $env, $execution", async () => {
        const res = await server.json("/api/v1/workflows/chain/nodes/c/context");
        assert.equal(res.status, 200);
        const ctx = res.body;
        assert.equal(ctx.node.body.source, "recorded");
        assert.equal(ctx.node.body.from, "b.body");
        assert.equal(ctx.node.body.shape.type, "string");
        assert.equal(ctx.inputs.base.value, local.url);
        assert.deepEqual(Object.keys(ctx.execution), ["id", "workflowId", "startedAt"]);
        const secret = await server.json("/api/v1/workflows/secretive/nodes/call/context");
        assert.deepEqual(secret.body.env, [
          { name: "FLOW_TEST_REGION", secret: false, set: true },
          { name: "FLOW_TEST_SECRET", secret: true, set: true },
        ]);
        const declared = await server.json("/api/v1/workflows/hooked/nodes/paid/context");
        assert.equal(declared.body.node.body.source, "pin", "paid's input comes from hook's pin");
      });

      await t.step("fire now: an editor run fired by a schedule trigger", async () => {
        const run = await editorRun(server, "ticker", { trigger: "tick" });
        assert.equal(run.status, "success");
        assert.equal(run.trigger, "editor");
        assert.equal(run.triggerNode, "tick");
        assert.match(nodeStates(run).stamp.outputs.value, /^fired at \d{4}-/);
      });

      await t.step("errors: no data for run this node, unknown node, a node that is not a webhook", async () => {
        const noData = await server.json("/api/v1/workflows/fresh/editor-runs", {
          json: { mode: "node", node: "two" },
        });
        assert.equal(noData.status, 409);
        assert.equal(noData.body.error.code, "NO_DATA");
        assert.match(
          noData.body.error.message,
          /"two" takes inputs from "one", which has no recorded outputs and no pin/,
        );
        const pinned = await server.json("/api/v1/workflows/fresh/pins/one", {
          method: "PUT",
          json: { outputs: { value: 41 } },
        });
        assert.equal(pinned.status, 200);
        const withPin = await editorRun(server, "fresh", { mode: "node", node: "two" });
        assert.equal(nodeStates(withPin).two.outputs.value, 42);
        assert.equal((await server.json("/api/v1/workflows/fresh/pins/one", { method: "DELETE" })).status, 204);
        assert.equal((await server.json("/api/v1/workflows/fresh/pins/one", { method: "DELETE" })).status, 404);
        const badSource = await server.json("/api/v1/workflows/secretive/editor-runs", {
          json: { mode: "node", node: "use", from: "nope" },
        });
        assert.equal(badSource.status, 404);
        const unknown = await server.json("/api/v1/workflows/chain/editor-runs", { json: { mode: "to", node: "zz" } });
        assert.equal(unknown.status, 404);
        assert.equal(unknown.body.error.code, "UNKNOWN_NODE");
        const notHook = await server.json("/api/v1/workflows/chain/nodes/a/test-request", { json: {} });
        assert.equal(notHook.status, 400);
        assert.equal(notHook.body.error.code, "NOT_A_WEBHOOK");
        const typo = await server.json("/api/v1/workflows/chain/editor-runs", { json: { mode: "node", nod: "c" } });
        assert.equal(typo.status, 400);
        assert.match(typo.body.error.message, /unknown key "nod"/);
      });
    } finally {
      await local.close();
    }
  },
});

Deno.test({
  name: "editor runs: a read token and a --read-only server cannot start them; both can preview",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await writeFiles({ "chain.json": chain("http://127.0.0.1:1") });
    const read = { authorization: "Bearer reader-token" };
    {
      await using server = await Served.start([dir, "--token", "admin-token", "--read-token", "reader-token"], {
        token: "admin-token",
      });
      const run = await server.json("/api/v1/workflows/chain/editor-runs", { json: {}, headers: read });
      assert.equal(run.status, 403);
      assert.equal(run.body.error.code, "FORBIDDEN");
      const pin = await server.json("/api/v1/workflows/chain/pins/a", {
        method: "PUT",
        json: { outputs: {} },
        headers: read,
      });
      assert.equal(pin.status, 403);
      const preview = await server.json("/api/v1/workflows/chain/preview", {
        json: { expression: "1+1" },
        headers: read,
      });
      assert.deepEqual(preview.body, { value: 2 });
    }
    {
      await using server = await Served.start([dir, "--read-only"]);
      for (
        const [path, init] of [
          ["/api/v1/workflows/chain/editor-runs", { json: {} }],
          ["/api/v1/workflows/chain/pins/a", { method: "PUT", json: { outputs: {} } }],
          ["/api/v1/workflows/chain/nodes/a/test-request", { json: {} }],
        ] as const
      ) {
        const res = await server.json(path, init);
        assert.equal(res.status, 403, path);
        assert.equal(res.body.error.code, "READ_ONLY", path);
      }
      const preview = await server.json("/api/v1/workflows/chain/preview", { json: { expression: "2*3" } });
      assert.deepEqual(preview.body, { value: 6 });
    }
  },
});
