/**
 * Webhooks through a real `flow serve`: each respond mode, each auth type,
 * the request payload, the 400/404/405/413 answers, and route and id
 * conflicts between files.
 */
import assert from "node:assert/strict";
import { Served, waitFor, webhookWorkflow, writeFiles } from "./serve_helpers.ts";

const SECRET = "s3cret-hook-token";
const secrets = { secrets: ["HOOK_SECRET"] };

const files: Record<string, unknown> = {
  "complete.json": webhookWorkflow("complete", { path: "complete" }, {
    outputs: {
      body: "hook.body",
      query: "hook.query",
      headers: "hook.headers",
      method: "hook.method",
      path: "hook.path",
    },
  }),
  "fails.json": webhookWorkflow("fails", { path: "fails" }, {
    nodes: [{ id: "parse", type: "transform.json_parse" }],
    connections: [{ from: "hook.body", to: "parse.json" }],
    outputs: { parsed: "parse.parsed" },
  }),
  "later.json": webhookWorkflow("later", { path: "later", respond: "immediately" }),
  "answer.json": webhookWorkflow("answer", { path: "answer", respond: "node" }, {
    nodes: [
      { id: "reply", type: "http.respond", config: { status: 201, headers: { "X-Reply": "yes" } } },
      { id: "wait", type: "time.delay", config: { ms: 1500 } },
    ],
    connections: [
      { from: "hook.body", to: "reply.body" },
      { from: "reply.status", to: "wait.value" },
    ],
    outputs: { waited: "wait.value" },
  }),
  "bearer.json": webhookWorkflow("bearer", { path: "auth/bearer", auth: { type: "bearer", secret: "HOOK_SECRET" } }, {
    settings: secrets,
  }),
  "header.json": webhookWorkflow("header", {
    path: "auth/header",
    auth: { type: "header", name: "X-Api-Key", secret: "HOOK_SECRET" },
  }, { settings: secrets }),
  "basic.json": webhookWorkflow("basic", {
    path: "auth/basic",
    auth: { type: "basic", username: "ann", secret: "HOOK_SECRET" },
  }, { settings: secrets, outputs: { headers: "hook.headers" } }),
  "hmac.json": webhookWorkflow("hmac", {
    path: "auth/hmac",
    auth: { type: "hmac", header: "X-Hub-Signature-256", prefix: "sha256=", secret: "HOOK_SECRET" },
  }, { settings: secrets }),
  "small.json": webhookWorkflow("small", { path: "small", maxBodyBytes: 16 }),
  "get.json": webhookWorkflow("get_only", { path: "thing", method: "GET" }),
  "put.json": webhookWorkflow("put_too", { path: "thing", method: "PUT" }),
  // Conflicts: the same id twice (both refused), the same route twice (the later file refused).
  "dup_a.json": webhookWorkflow("dup", { path: "dup-a" }),
  "dup_b.json": webhookWorkflow("dup", { path: "dup-b" }),
  "zz_route.json": webhookWorkflow("route_thief", { path: "complete" }),
  "broken.json": '{ "id": "broken", "nodes": [ { "id": "x", "type": "no.such" } ], "connections": [] }',
};

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

async function hmacHex(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(body)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("flow serve: webhooks", async (t) => {
  const dir = await writeFiles(files);
  await using server = await Served.start([dir], { env: { HOOK_SECRET: SECRET } });

  await t.step("invalid files and conflicts do not stop the server; both sides are named", async () => {
    const { body } = await server.json("/api/v1/workflows");
    const byFile = (name: string) => body.workflows.find((w: { file: string }) => w.file === name);
    assert.equal(byFile("complete.json").valid, true);
    const broken = byFile("broken.json");
    assert.equal(broken.valid, false);
    assert.match(broken.errors.join("\n"), /no\.such/);
    for (const name of ["dup_a.json", "dup_b.json"]) {
      const w = byFile(name);
      assert.equal(w.valid, false);
      assert.match(w.errors[0], /workflow id "dup" is also used by .*dup_(a|b)\.json; both are refused/);
    }
    const thief = byFile("zz_route.json");
    assert.equal(thief.valid, false);
    assert.match(
      thief.errors[0],
      /zz_route\.json: webhook POST \/hooks\/complete .* already served by .*complete\.json/,
    );
    // The problems are printed in the usual one-line form.
    assert.match(server.stderr, /broken\.json: .*no\.such/);
    assert.match(server.stderr, /both are refused/);
    assert.equal((await server.json("/hooks/dup-a", post({}))).status, 404);
  });

  await t.step('respond "onCompleted": 200 with the outputs; the request is the payload', async () => {
    const res = await server.json("/hooks/complete?a=1&a=2&b=x", post({ hello: "world" }, { "X-Custom": "Yes" }));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.body, { hello: "world" });
    assert.deepEqual(res.body.query, { a: ["1", "2"], b: "x" });
    assert.equal(res.body.method, "POST");
    assert.equal(res.body.path, "/hooks/complete");
    assert.equal(res.body.headers["x-custom"], "Yes");
    const id = res.headers.get("x-flow-execution-id")!;
    const run = await server.waitForRun(id);
    assert.equal(run.trigger, "webhook");
    assert.equal(run.triggerNode, "hook");

    const form = await server.json("/hooks/complete", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "x=1&y=two",
    });
    assert.deepEqual(form.body.body, { x: "1", y: "two" });
    const text = await server.json("/hooks/complete", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "just text",
    });
    assert.equal(text.body.body, "just text");
  });

  await t.step('respond "onCompleted" on failure: 500 with {error, executionId}', async () => {
    const res = await server.json("/hooks/fails", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "not json",
    });
    assert.equal(res.status, 500);
    assert.equal(typeof res.body.error.message, "string");
    assert.equal(typeof res.body.error.code, "string");
    const run = await server.waitForRun(res.body.executionId);
    assert.equal(run.status, "failed");
  });

  await t.step('respond "immediately": 202 with executionId and Location', async () => {
    const res = await server.json("/hooks/later", post({ n: 1 }));
    assert.equal(res.status, 202);
    assert.equal(res.headers.get("location"), `/api/v1/runs/${res.body.executionId}`);
    const run = await server.waitForRun(res.body.executionId);
    assert.equal(run.status, "success");
    assert.deepEqual(run.outputs, { body: { n: 1 } });
  });

  await t.step('respond "node": http.respond answers at once; the run goes on', async () => {
    const res = await server.json("/hooks/answer", post({ hi: 1 }));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("x-reply"), "yes");
    assert.deepEqual(res.body, { hi: 1 });
    const id = res.headers.get("x-flow-execution-id")!;
    const now = await server.json(`/api/v1/runs/${id}`);
    assert.equal(now.body.status, "running", "the run goes on after the answer");
    const run = await server.waitForRun(id);
    assert.equal(run.status, "success");
    assert.deepEqual(run.outputs, { waited: 201 });
  });

  await t.step("auth: the right credential runs; a wrong one is 401 and starts no run", async () => {
    const basic = (user: string, pass: string) => `Basic ${btoa(`${user}:${pass}`)}`;
    const body = JSON.stringify({ order: 7 });
    const cases: { path: string; id: string; good: Record<string, string>; bad: Record<string, string>[] }[] = [
      {
        path: "auth/bearer",
        id: "bearer",
        good: { authorization: `Bearer ${SECRET}` },
        bad: [{}, { authorization: "Bearer nope" }, { authorization: SECRET }],
      },
      { path: "auth/header", id: "header", good: { "x-api-key": SECRET }, bad: [{}, { "x-api-key": "nope" }] },
      {
        path: "auth/basic",
        id: "basic",
        good: { authorization: basic("ann", SECRET) },
        bad: [{ authorization: basic("bob", SECRET) }, { authorization: basic("ann", "nope") }],
      },
      {
        path: "auth/hmac",
        id: "hmac",
        good: { "x-hub-signature-256": `sha256=${await hmacHex(SECRET, body)}` },
        bad: [
          { "x-hub-signature-256": `sha256=${await hmacHex("other", body)}` },
          { "x-hub-signature-256": await hmacHex(SECRET, body) }, // no prefix
          {},
        ],
      },
    ];
    for (const c of cases) {
      for (const headers of c.bad) {
        const res = await server.json(`/hooks/${c.path}`, post(body, headers));
        assert.equal(res.status, 401, `${c.path} with ${JSON.stringify(headers)}`);
        assert.equal(res.body.error.code, "UNAUTHORIZED");
      }
      const ok = await server.json(`/hooks/${c.path}`, post(body, c.good));
      assert.equal(ok.status, 200, `${c.path}: ${JSON.stringify(ok.body)}`);
      const runs = await server.runs(`workflow=${c.id}`);
      assert.equal(runs.length, 1, `${c.path}: only the authorized request ran`);
    }
  });

  await t.step("secrets are redacted in responses and streams (basic credentials too)", async () => {
    const res = await server.json("/hooks/auth/basic", post({}, { authorization: `Basic ${btoa(`ann:${SECRET}`)}` }));
    assert.equal(res.status, 200);
    const id = res.headers.get("x-flow-execution-id")!;
    const encoded = btoa(`ann:${SECRET}`);
    for (const text of [JSON.stringify(res.body), JSON.stringify(await server.waitForRun(id))]) {
      assert.ok(!text.includes(SECRET) && !text.includes(encoded), text);
    }
    const events = await (await server.fetch(`/api/v1/runs/${id}/events`)).text();
    assert.ok(!events.includes(SECRET) && !events.includes(encoded), events);
  });

  await t.step("400 malformed JSON, 404 unknown path, 405 wrong method with Allow, 413 too large", async () => {
    const before = (await server.runs()).length;
    const bad = await server.json("/hooks/complete", post("{ nope"));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "BAD_JSON");
    assert.match(bad.body.error.message, /malformed JSON body: .+/);

    const missing = await server.json("/hooks/nothing-here", post({}));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "NOT_FOUND");

    const wrong = await server.json("/hooks/thing", post({}));
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET, PUT");
    assert.equal(wrong.body.error.code, "METHOD_NOT_ALLOWED");
    assert.equal((await server.json("/hooks/thing?q=1")).status, 200);

    const big = await server.json("/hooks/small", post({ text: "x".repeat(100) }));
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, "TOO_LARGE");
    // Without Content-Length (a chunked body) the limit holds as well.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(new TextEncoder().encode('"0123456789"'));
        c.close();
      },
    });
    const chunked = await server.json("/hooks/small", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunks,
    });
    assert.equal(chunked.status, 413);
    assert.equal((await server.json("/hooks/small", post({ a: 1 }))).status, 200);
    // Only the two good requests (the GET and the small body) ran.
    await waitFor(async () => (await server.runs()).length === before + 2);
  });

  await t.step("webhook requests are counted by status in /metrics", async () => {
    const text = await (await server.fetch("/api/v1/metrics")).text();
    for (const status of ["200", "201", "202", "400", "401", "404", "405", "413", "500"]) {
      assert.match(text, new RegExp(`^flow_webhook_requests_total\\{status="${status}"\\} \\d+$`, "m"), status);
    }
  });
});
