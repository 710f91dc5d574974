/**
 * The HTTP app without sockets (`app.request()`): fast checks of what does
 * not need a process: loading, the error format, the token, CORS, body
 * limits, history off, OpenAPI.
 */
import assert from "node:assert/strict";
import { builtinRegistry } from "../nodes/mod.ts";
import { FlowRuntime } from "../src/runtime/runtime.ts";
import { createApp } from "../server/app.ts";
import { webhookWorkflow, writeFiles } from "./serve_helpers.ts";

Deno.test("createApp: the HTTP app over a runtime, without sockets", async (t) => {
  const dir = await writeFiles({ "echo.json": webhookWorkflow("echo", { path: "echo" }) });
  const logged: string[] = [];
  const runtime = FlowRuntime.create({
    paths: [dir],
    registry: builtinRegistry(),
    watch: false,
    log: (l) => logged.push(l),
  });
  const app = createApp(runtime, { token: "t0k", cors: "https://ui.example", maxApiBody: 1024, log: () => {} });
  const auth = { authorization: "Bearer t0k" };
  const post = (body: string, headers: Record<string, string> = {}) => ({
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  try {
    await t.step("webhooks answer 503 while the workflows load; /ready says not ready", async () => {
      const res = await app.request("/hooks/echo", post("{}"));
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "1");
      assert.equal((await res.json()).error.code, "LOADING");
      const ready = await app.request("/api/v1/ready", { headers: auth });
      assert.equal(ready.status, 503);
      assert.equal((await ready.json()).ready, false);
    });

    await runtime.load();

    await t.step("after load: the webhook runs (history off, so no run to look up)", async () => {
      const res = await app.request("/hooks/echo", post('{"a":1}'));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { body: { a: 1 } });
      const runs = await app.request("/api/v1/runs", { headers: auth });
      assert.equal(runs.status, 404);
      assert.deepEqual(await runs.json(), {
        error: { message: "history is off: runs are not recorded", code: "NO_HISTORY" },
      });
    });

    await t.step("the token guards /api but health; webhooks do not need it", async () => {
      const denied = await app.request("/api/v1/workflows");
      assert.equal(denied.status, 401);
      assert.equal(denied.headers.get("www-authenticate"), "Bearer");
      assert.equal((await denied.json()).error.code, "UNAUTHORIZED");
      assert.equal((await app.request("/api/v1/workflows", { headers: auth })).status, 200);
      assert.equal((await app.request("/api/v1/health")).status, 200);
    });

    await t.step("CORS for the given origin only", async () => {
      const pre = await app.request("/api/v1/workflows", {
        method: "OPTIONS",
        headers: { origin: "https://ui.example", "access-control-request-method": "GET" },
      });
      assert.equal(pre.headers.get("access-control-allow-origin"), "https://ui.example");
      const other = await app.request("/api/v1/health", { headers: { origin: "https://evil.example" } });
      assert.notEqual(other.headers.get("access-control-allow-origin"), "https://evil.example");
    });

    await t.step("API bodies over the limit are 413; unknown routes 404; both in the error format", async () => {
      const big = await app.request("/api/v1/validate", post(JSON.stringify({ x: "y".repeat(2048) }), auth));
      assert.equal(big.status, 413);
      assert.equal((await big.json()).error.code, "TOO_LARGE");
      const none = await app.request("/nowhere");
      assert.equal(none.status, 404);
      assert.deepEqual(await none.json(), { error: { message: "no route GET /nowhere", code: "NOT_FOUND" } });
    });

    await t.step("the OpenAPI document is generated from the schemas", async () => {
      const doc = await (await app.request("/api/v1/openapi.json", { headers: auth })).json();
      assert.equal(doc.openapi, "3.1.0");
      assert.ok(doc.paths["/workflows/{id}/runs"].post.responses["202"]);
    });
  } finally {
    await runtime.shutdown(1000);
  }
});
