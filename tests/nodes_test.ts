import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import { runObject } from "./helpers.ts";

const one = (id: string, type: string, config: Record<string, unknown>, outputs: Record<string, string>) => ({
  nodes: [{ id, type, config }],
  connections: [],
  outputs,
});

Deno.test("http.request", async (t) => {
  const server = startDemoServer();
  try {
    await t.step("GET with query and headers returns status, headers and body text", async () => {
      const { result } = await runObject(one("h", "http.request", {
        url: `${server.url}/echo`,
        method: "POST",
        query: { a: 1, b: "x y" },
        headers: { "x-token": "t1" },
        body: { hello: "world" },
      }, { status: "h.status", headers: "h.headers", body: "h.body" }));
      assert.equal(result.status, "success", JSON.stringify(result.error));
      assert.equal(result.outputs.status, 200);
      assert.equal((result.outputs.headers as Record<string, string>)["content-type"], "application/json");
      const echo = JSON.parse(result.outputs.body as string);
      assert.equal(echo.method, "POST");
      assert.equal(echo.body, '{"hello":"world"}');
      assert.equal(echo.headers["x-token"], "t1");
      assert.equal(echo.headers["content-type"], "application/json");
    });
    await t.step("a non-2xx status fails with HTTP_STATUS unless failOnStatus is false", async () => {
      const { result } = await runObject(one("h", "http.request", { url: `${server.url}/status/404` }, {}));
      assert.equal(result.error?.code, "HTTP_STATUS");
      assert.match(result.error!.message, /^GET http:\/\/127\.0\.0\.1:\d+\/status\/404: HTTP 404 Not Found/);
      const lenient = await runObject(
        one("h", "http.request", { url: `${server.url}/status/404`, failOnStatus: false }, { s: "h.status" }),
      );
      assert.equal(lenient.result.status, "success");
      assert.equal(lenient.result.outputs.s, 404);
    });
    await t.step("a refused connection fails with NETWORK", async () => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      listener.close();
      const { result } = await runObject(one("h", "http.request", { url: `http://127.0.0.1:${port}/` }, {}));
      assert.equal(result.error?.code, "NETWORK");
      assert.match(result.error!.message, new RegExp(`^GET http://127.0.0.1:${port}/: `));
    });
    await t.step("the node timeout aborts the request", async () => {
      const { result } = await runObject({
        nodes: [{ id: "h", type: "http.request", config: { url: `${server.url}/slow?ms=2000` }, timeoutMs: 100 }],
        connections: [],
      });
      assert.deepEqual(result.error, { message: "timed out after 100 ms", code: "TIMEOUT", nodeId: "h" });
    });
    await t.step("a bad URL fails without retrying", async () => {
      const { result, events } = await runObject({
        nodes: [{ id: "h", type: "http.request", config: { url: "not a url" }, retry: { maxAttempts: 3 } }],
        connections: [],
      });
      assert.equal(result.error?.code, "BAD_INPUT");
      assert.equal(events.filter((e) => e.type === "node.retrying").length, 0);
    });
  } finally {
    await server.close();
  }
});

Deno.test("transform.json_parse and json_stringify", async () => {
  const ok = await runObject({
    nodes: [
      { id: "s", type: "transform.json_stringify", config: { value: { a: [1, 2] }, indent: 2 } },
      { id: "p", type: "transform.json_parse" },
    ],
    connections: [{ from: "s.json", to: "p.json" }],
    outputs: { text: "s.json", back: "p.parsed" },
  });
  assert.deepEqual(ok.result.outputs, { text: '{\n  "a": [\n    1,\n    2\n  ]\n}', back: { a: [1, 2] } });
  const bad = await runObject(one("p", "transform.json_parse", { json: "{'a': 1}" }, {}));
  assert.equal(bad.result.error?.code, "JSON_PARSE");
  assert.match(bad.result.error!.message, /^invalid JSON: /);
  // Text nested deeper than the depth limit is refused before parsing: its value would overflow the stack later on.
  const deep = await runObject(
    one("p", "transform.json_parse", { json: `{"a":${"[".repeat(20_000)}${"]".repeat(20_000)}}` }, {}),
  );
  assert.equal(deep.result.error?.code, "JSON_PARSE");
  assert.equal(
    deep.result.error!.message,
    `the JSON text: a${"[0]".repeat(63)}: nested deeper than the limit of 64 levels of arrays and objects ` +
      "(FLOW_MAX_WORKFLOW_DEPTH)",
  );
});

Deno.test("http.respond refuses what HTTP cannot send: a status outside 200-599, a bad header, a body with 204", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ status: 99 }, /^status: expected an integer from 200 to 599; got 99$/],
    [{ status: 200.5 }, /^status: expected an integer/],
    [{ status: 204, body: "x" }, /^body: a 204 response has no body; got "x"$/],
    [{ headers: { "a b": "1" } }, /^headers: "a b" is not a header name HTTP allows$/],
    [{ headers: { x: "a\u0000b" } }, /^headers\.x: "a\\u0000b" is not a header value HTTP allows$/],
    // Headers takes an escape character, and Deno's server then ends the process writing it.
    [{ headers: { x: "\u001b[31mred" } }, /^headers\.x: "\\u001b\[31mred" is not a header value HTTP allows$/],
  ];
  for (const [config, message] of cases) {
    const { result } = await runObject(one("r", "http.respond", config, {}));
    assert.equal(result.error?.code, "BAD_INPUT", JSON.stringify(config));
    assert.match(result.error!.message, message);
  }
  const fine = await runObject(one("r", "http.respond", { status: 204 }, {}));
  assert.equal(fine.result.status, "success");
});

Deno.test("time.delay waits and passes its value; debug.inspect logs a preview", async () => {
  const t0 = performance.now();
  const { result, events } = await runObject({
    nodes: [
      { id: "d", type: "time.delay", config: { ms: 50, value: [1, 2, 3] } },
      { id: "i", type: "debug.inspect" },
    ],
    connections: [{ from: "d.value", to: "i.value" }],
    outputs: { v: "i.value" },
  });
  assert.ok(performance.now() - t0 >= 45);
  assert.deepEqual(result.outputs, { v: [1, 2, 3] });
  const log = events.find((e) => e.type === "node.log");
  assert.equal(log?.type === "node.log" && log.message, "array, 3 items: [\n  1,\n  2,\n  3\n]");
});

Deno.test("flow.merge keys inputs by port name in connection order", async () => {
  const { result } = await runObject({
    nodes: [
      { id: "a", type: "time.delay", config: { ms: 30, value: "A" } },
      { id: "b", type: "time.delay", config: { ms: 0, value: "B" } },
      { id: "m", type: "flow.merge", config: { extra: true } },
    ],
    connections: [{ from: "a.value", to: "m.first" }, { from: "b.value", to: "m.second" }],
    outputs: { m: "m.merged" },
  });
  assert.deepEqual(Object.entries(result.outputs.m as object), [["first", "A"], ["second", "B"], ["extra", true]]);
});
