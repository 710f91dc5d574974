/**
 * What a real `flow serve` answers to each kind of request a client can get
 * wrong, and the guarantees around them: never a 5xx for a client's
 * mistake, JSON everywhere under `/api` and `/hooks`, the console only at
 * its own routes, named body limits, strict bodies and query parameters,
 * one cursor rule for event streams and one for pages, `POST /validate`
 * without file access, webhook data on objects without a prototype, the
 * "listening" line only once requests are served, and a stderr of one line
 * per event.
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers.ts";
import { parseSse, Served, webhookWorkflow, writeFiles } from "./serve_helpers.ts";

/** No workflow here holds an expression: the server never needs JSONata for them. */
const files = {
  "plain.json": {
    id: "plain",
    inputs: { who: { type: "string", default: "world" } },
    nodes: [{ id: "say", type: "transform.set", config: { value: "hi" } }],
    connections: [],
    outputs: { said: "say.value", who: "$inputs.who" },
  },
  "echo.json": webhookWorkflow("echo", { path: "echo" }),
  "small.json": webhookWorkflow("small", { path: "small", maxBodyBytes: 16 }),
};

const json = (body: string, type = "application/json"): RequestInit => ({
  method: "POST",
  headers: { "content-type": type },
  body,
});

/** A body sent without Content-Length (chunked). */
function chunked(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const part of text.match(/.{1,8}/gs) ?? []) c.enqueue(new TextEncoder().encode(part));
      c.close();
    },
  });
}

Deno.test("flow serve: what each kind of request gets", async (t) => {
  const dir = await writeFiles(files);
  await using server = await Served.start([dir, "--max-api-body", "4096"]);

  await t.step("POST /validate checks expressions on a server that has loaded none (200, not 500)", async () => {
    const wf = (value: string) => ({
      nodes: [{ id: "s", type: "transform.set", config: { value } }],
      connections: [],
    });
    const ok = await server.json("/api/v1/validate", { json: wf("{{ 1 + 1 }}") });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body, { valid: true, errors: [], unchecked: [] });
    const bad = await server.json("/api/v1/validate", { json: wf("{{ 1 + }}") });
    assert.equal(bad.status, 200, JSON.stringify(bad.body));
    assert.equal(bad.body.valid, false);
    assert.equal(bad.body.errors[0].path, "nodes[0].config.value");
    assert.match(bad.body.errors[0].message, /syntax error/);
  });

  await t.step("malformed, empty, and non-JSON bodies are 4xx on every JSON route, never 500", async () => {
    for (const route of ["/api/v1/validate", "/api/v1/workflows/plain/runs"]) {
      const malformed = await server.json(route, json("{ nope"));
      assert.equal(malformed.status, 400, route);
      assert.equal(malformed.body.error.code, "BAD_JSON");
      assert.match(malformed.body.error.message, /^malformed JSON body: .+/);
      const empty = await server.json(route, json(""));
      assert.equal(empty.status, 400, route);
      assert.equal(empty.body.error.code, "BAD_JSON");
      assert.equal(empty.body.error.message, "the body is empty but its content-type is application/json");
      const notUtf8 = await server.json(route, { ...json(""), body: new Uint8Array([0x7b, 0xff, 0x7d]) });
      assert.equal(notUtf8.status, 400, route);
      assert.equal(notUtf8.body.error.code, "BAD_JSON");
      for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
        const other = await server.json(route, json("a=1", type));
        assert.equal(other.status, 415, `${route} ${type}`);
        assert.equal(other.body.error.code, "UNSUPPORTED_MEDIA_TYPE");
        assert.equal(
          other.body.error.message,
          `a request body must be JSON (content-type: application/json); got content-type "${type}"`,
        );
      }
    }
    const untyped = await server.json("/api/v1/validate", { method: "POST", body: new TextEncoder().encode("{}") });
    assert.equal(untyped.status, 415);
    assert.equal(
      untyped.body.error.message,
      "a request body must be JSON (content-type: application/json); got no content-type",
    );
    const array = await server.json("/api/v1/validate", { json: [1] });
    assert.equal(array.status, 400);
    assert.equal(array.body.error.message, "body: expected a JSON object; got array");
    assert.doesNotMatch(server.stderr, /internal error/);
  });

  await t.step("POST /validate reads no file: existing or not, a reference answers the same", async () => {
    const secret = await Deno.makeTempFile({ suffix: ".json" });
    await Deno.writeTextFile(secret, JSON.stringify({ password: "hunter2", nodes: "x" }));
    const answer = async (file: string) =>
      (await server.json("/api/v1/validate", {
        json: {
          imports: ["./custom.ts"],
          nodes: [
            { id: "sub", type: "flow.subworkflow", config: { workflowFile: file } },
            { id: "loop", type: "control.loop", config: { workflowFile: file } },
          ],
          connections: [{ from: "sub.anything", to: "loop.items" }],
        },
      })).body;
    const existing = await answer(secret);
    const missing = await answer(secret + ".missing");
    assert.deepEqual(existing, {
      valid: true,
      errors: [],
      unchecked: [
        {
          path: "nodes[0].config.workflowFile",
          message: `${secret}: not read (this route reads no file): the sub-workflow is not checked`,
        },
        {
          path: "nodes[1].config.workflowFile",
          message: `${secret}: not read (this route reads no file): the sub-workflow is not checked`,
        },
        {
          path: "imports[0]",
          message: "./custom.ts: not loaded (this route reads no file): node types it registers are unknown here",
        },
      ],
    });
    assert.equal(JSON.stringify(missing), JSON.stringify(existing).replaceAll(secret, secret + ".missing"));
    assert.doesNotMatch(JSON.stringify(existing), /hunter2|password/);
    await Deno.remove(secret);
  });

  await t.step("unknown body keys are 400 naming them; inputs.__proto__ is refused as by flow run", async () => {
    const typo = await server.json("/api/v1/workflows/plain/runs", { json: { input: { who: "ann" } } });
    assert.equal(typo.status, 400);
    assert.equal(typo.body.error.code, "BAD_REQUEST");
    assert.equal(typo.body.error.message, 'body: unknown key "input"; expected inputs, trigger');

    const proto = await server.json("/api/v1/workflows/plain/runs", {
      ...json('{"inputs": {"__proto__": {"who": "x"}}}'),
    });
    assert.equal(proto.status, 400, JSON.stringify(proto.body));
    assert.equal(proto.body.error.code, "INVALID");
    assert.equal(proto.body.error.message, "inputs.__proto__: unknown input; declared: who");
    const cli = await runCli([
      "run",
      `${dir}/plain.json`,
      "--no-history",
      "--input-json",
      '{"__proto__": {"who": "x"}}',
    ]);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /inputs\.__proto__: unknown input; declared: who/);

    const shapes: [unknown, string][] = [
      [[], "body: expected a JSON object; got array"],
      [{ inputs: [] }, "inputs: expected a JSON object; got array"],
      [{ trigger: 5 }, "trigger: expected a string; got number"],
    ];
    for (const [body, message] of shapes) {
      const res = await server.json("/api/v1/workflows/plain/runs", { json: body });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.message, message);
    }

    const good = await server.json("/api/v1/workflows/plain/runs?wait=true", { json: { inputs: { who: "ann" } } });
    assert.equal(good.status, 200);
    assert.deepEqual(good.body.outputs, { said: "hi", who: "ann" });
  });

  await t.step("query parameters: one precise message each", async () => {
    const message = async (query: string) => (await server.json(query)).body.error?.message;
    for (const limit of ["", "0", "501", "1.5", "1e2", "abc", "-1"]) {
      assert.equal(
        await message(`/api/v1/runs?limit=${limit}`),
        `limit: expected an integer from 1 to 500; got ${JSON.stringify(limit)}`,
      );
    }
    assert.equal((await server.json("/api/v1/runs?limit=500")).status, 200);
    assert.equal(
      await message("/api/v1/runs?status=done"),
      'status: expected one of queued, running, success, failed, cancelled, crashed, skipped; got "done"',
    );
    const wait = await server.json("/api/v1/workflows/plain/runs?wait=yes", { json: {} });
    assert.equal(wait.status, 400);
    assert.equal(wait.body.error.message, 'wait: expected one of true, false; got "yes"');
    assert.equal(await message("/api/v1/runs?limit=5&limit=6"), "limit: given 2 times; give it once");
    assert.equal(await message("/api/v1/runs?before=a&before=b"), "before: given 2 times; give it once");
  });

  await t.step("event streams: ?after= and Last-Event-ID share one rule; ids are always seq", async () => {
    const run = await server.json("/api/v1/workflows/plain/runs?wait=true", { json: {} });
    const id = run.body.executionId;
    const all = (await (await server.fetch(`/api/v1/runs/${id}/events`)).text()).trim().split("\n")
      .map((l) => JSON.parse(l));
    assert.ok(all.length >= 4);
    for (const bad of ["-7", "-2", "", "abc", "1.5", "1e1", "+1", "0x1"]) {
      for (const init of [{ query: `?after=${encodeURIComponent(bad)}` }, { header: bad }]) {
        const res = await server.json(`/api/v1/runs/${id}/events${init.query ?? ""}`, {
          headers: { accept: "text/event-stream", ...(init.header === undefined ? {} : { "last-event-id": bad }) },
        });
        assert.equal(res.status, 400, `${JSON.stringify(init)}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, "BAD_REQUEST");
        assert.match(res.body.error.message, /^(after|last-event-id): expected an event seq/);
      }
    }
    for (const after of [-1, 0, 2]) {
      for (const headers of [{ "last-event-id": String(after) }, {}] as Record<string, string>[]) {
        const query = "last-event-id" in headers ? "" : `?after=${after}`;
        const res = await server.fetch(`/api/v1/runs/${id}/events${query}`, {
          headers: { accept: "text/event-stream", ...headers },
        });
        const frames = parseSse(await res.text());
        assert.deepEqual(frames.map((f) => Number(f.id)), frames.map((f) => JSON.parse(f.data).seq), "id is seq");
        assert.deepEqual(frames.map((f) => JSON.parse(f.data)), all.slice(after + 1), `after ${after}`);
      }
    }
  });

  await t.step("GET /runs?before= an unknown id is 400 UNKNOWN_CURSOR, not the first page again", async () => {
    for (let i = 0; i < 3; i++) await server.json("/api/v1/workflows/plain/runs?wait=true", { json: {} });
    const first = await server.json("/api/v1/runs?limit=2");
    assert.ok(first.body.next);
    const second = await server.json(`/api/v1/runs?limit=2&before=${first.body.next}`);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.runs[0].executionId, first.body.runs[0].executionId);
    for (const before of ["no-such-run", ""]) {
      const stale = await server.json(`/api/v1/runs?limit=2&before=${before}`);
      assert.equal(stale.status, 400, JSON.stringify(stale.body));
      assert.equal(stale.body.error.code, "UNKNOWN_CURSOR");
      assert.match(stale.body.error.message, new RegExp(`^before: no execution ${JSON.stringify(before)}`));
    }
  });

  await t.step("/api and /hooks always answer JSON: 404, or 405 with Allow; the console only its routes", async () => {
    for (const path of ["/nope", "/metrics", "/api/v1/nope", "/api", "/hooks/nope", "/favicon.ico", "/runs/a/b"]) {
      for (const accept of ["text/html", "*/*"]) {
        const res = await server.json(path, { headers: { accept } });
        assert.equal(res.status, 404, `${path} (${accept})`);
        assert.match(res.headers.get("content-type")!, /^application\/json/, path);
        assert.equal(res.body.error.code, "NOT_FOUND", path);
      }
    }
    const cases: [string, string, string][] = [
      ["DELETE", "/api/v1/workflows", "GET, HEAD, POST"],
      ["POST", "/api/v1/health", "GET, HEAD"],
      ["GET", "/api/v1/validate", "POST"],
      ["PUT", "/api/v1/runs/abc/cancel", "POST"],
      ["GET", "/hooks/echo", "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await server.json(path, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
      assert.equal(res.body.error.code, "METHOD_NOT_ALLOWED");
    }
    for (const path of ["/", "/runs", "/runs/abc", "/workflows/plain", "/runs/"]) {
      const page = await server.fetch(path, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
      assert.equal(page.status, 200, path);
      assert.match(await page.text(), /<div id="root">/, path);
    }
    const asJson = await server.json("/runs", { headers: { accept: "application/json" } });
    assert.equal(asJson.status, 404);
    assert.equal(asJson.body.error.code, "NOT_FOUND");
    assert.equal((await server.json("/runs", { method: "POST" })).status, 404);
  });

  await t.step("webhook bodies: form, query and header names are data, never inherited properties", async () => {
    const res = await server.json("/hooks/echo?constructor=q&toString=r", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", constructor: "h" },
      body: "constructor=1&toString=2&toString=3&__proto__=4&hasOwnProperty=5",
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.body,
      JSON.parse('{"constructor":"1","toString":["2","3"],"__proto__":"4","hasOwnProperty":"5"}'),
    );
    const run = await server.json("/hooks/echo?constructor=q&toString=r", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1",
    });
    assert.deepEqual(run.body.body, { a: "1" });
  });

  await t.step("body limits are named: --max-api-body and each webhook's maxBodyBytes (413 TOO_LARGE)", async () => {
    const body = JSON.stringify({ nodes: [], connections: [], description: "x".repeat(5000) });
    for (const init of [json(body), { ...json(""), body: chunked(body) }]) {
      const big = await server.json("/api/v1/validate", init);
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, "TOO_LARGE");
      assert.match(
        big.body.error.message,
        /^the body is (5\d{3} bytes|over 4096 bytes); the limit \(--max-api-body\) is 4096 bytes$/,
      );
    }
    const hook = await server.json("/hooks/small", json(JSON.stringify({ text: "x".repeat(40) })));
    assert.equal(hook.status, 413);
    assert.equal(hook.body.error.message, "the body is 51 bytes; the limit (maxBodyBytes) is 16 bytes");
    const flag = await runCli(["serve", "--max-api-body", "10", dir]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--max-api-body: expected an integer from 1024 to 1073741824; got "10"/);
  });

  await t.step("stderr stays one line per event: no Deno warning about request.signal", async () => {
    // Streamed bodies (no Content-Length) and a body without a content-type, to the API and to a webhook.
    await server.json("/api/v1/validate", { ...json(""), body: chunked('{"nodes":[],"connections":[]}') });
    await server.json("/api/v1/validate", { method: "POST", body: new TextEncoder().encode("{}") });
    await server.json("/hooks/echo", { ...json(""), body: chunked('{"a":1}') });
    await server.json("/hooks/echo", json('{"a":1}'));
    await server.json("/api/v1/health");
    const stopped = await server.stop();
    assert.doesNotMatch(stopped.stderr, /request\.signal|legacy behavior/);
    for (const line of stopped.stderr.trim().split("\n")) assert.match(line, /^flow serve: /);
  });
});

Deno.test("flow serve: the first request after the listening line is served (no 503 LOADING)", async () => {
  const dir = await writeFiles({
    ...Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`w${i}.json`, webhookWorkflow(`w${i}`, { path: `w${i}` })]),
    ),
  });
  for (let attempt = 0; attempt < 3; attempt++) {
    await using server = await Served.start([dir], { noWait: true });
    const res = await server.json("/hooks/w7", json('{"n":1}'));
    assert.equal(res.status, 200, `attempt ${attempt}: ${JSON.stringify(res.body)}`);
    assert.deepEqual(res.body, { body: { n: 1 } });
  }
});
