/**
 * The guards every request to `flow serve` passes (server/guard.ts,
 * docs/security.md), through `app.request()`: the Host must name this server
 * (API, webhooks and console alike), state-changing requests must come from
 * this server's own origin (or `--cors`) with a JSON body, webhooks keep
 * their own rules, and the token's scheme is case-insensitive. Nothing a
 * refused request asks for happens.
 */
import assert from "node:assert/strict";
import { builtinRegistry } from "../nodes/mod.ts";
import { FlowRuntime } from "../src/runtime/runtime.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { createApp } from "../server/app.ts";
import { hostHeaderName, HostPolicy, isLoopbackHost } from "../server/guard.ts";
import { authCredentials, checkWebhookAuth } from "../server/webhook_auth.ts";
import { webhookWorkflow, writeFiles } from "./serve_helpers.ts";

const QUICK = {
  id: "quick",
  nodes: [{ id: "greet", type: "transform.set", config: { value: "hi" } }],
  connections: [],
  outputs: { greeting: "greet.value" },
};

/** A runtime with history over `quick` and the webhook `echo`, and a function counting the executions recorded. */
async function fixture() {
  const dir = await writeFiles({ "quick.json": QUICK, "echo.json": webhookWorkflow("echo", { path: "echo" }) });
  const store = await openSqliteStore(`${dir}/flow.db`);
  const runtime = await FlowRuntime.start({ paths: [dir], registry: builtinRegistry(), watch: false, store });
  const count = async () => {
    await runtime.flush(); // what was accepted is in the store
    return (await store.listExecutions({ limit: 1000 })).length;
  };
  return {
    runtime,
    count,
    async [Symbol.asyncDispose]() {
      await runtime.shutdown(1000);
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

async function errorCode(res: Response): Promise<string> {
  return (await res.json()).error.code;
}

Deno.test("loopback is localhost, all of 127.0.0.0/8 and ::1; Host values parse with their port", () => {
  for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ["0.0.0.0", "::", "192.168.1.5", "128.0.0.1", "127.0.0.256", "localhost.evil.test", "10.0.0.1"]) {
    assert.equal(isLoopbackHost(host), false, host);
  }
  assert.equal(hostHeaderName("Example.COM:8080"), "example.com");
  assert.equal(hostHeaderName("[::1]:8080"), "::1");
  assert.equal(hostHeaderName("localhost."), "localhost");
  for (const bad of ["a b", "localhost:port", "[::1", "[::1]x", "evil.test:80:80", "", "ex%61mple.com"]) {
    assert.equal(hostHeaderName(bad), undefined, bad);
  }
});

Deno.test("HostPolicy: loopback, the bound name, --allow-host names and domains; IP addresses on a wildcard bind", () => {
  const loopback = new HostPolicy();
  for (const ok of ["localhost", "localhost:8080", "127.0.0.1:8080", "127.0.0.2", "[::1]:8080", "LocalHost:1"]) {
    assert.equal(loopback.allows(ok), true, ok);
  }
  for (const no of ["evil.test", "evil.test:8080", "192.168.1.5:8080", "[fe80::1]:8080", "localhost.evil.test"]) {
    assert.equal(loopback.allows(no), false, no);
  }
  const named = new HostPolicy({ host: "myhost.lan", allowHosts: ["flow.example.com", ".corp.example"] });
  for (
    const ok of ["myhost.lan:8080", "flow.example.com", "FLOW.example.com:443", "corp.example", "a.b.corp.example"]
  ) {
    assert.equal(named.allows(ok), true, ok);
  }
  for (const no of ["xcorp.example", "example.com", "flow.example.com.evil.test", "10.0.0.1"]) {
    assert.equal(named.allows(no), false, no);
  }
  const wildcard = new HostPolicy({ host: "0.0.0.0" });
  for (const ok of ["192.168.1.5:8080", "10.0.0.1", "[fe80::1]:8080", "localhost:8080"]) {
    assert.equal(wildcard.allows(ok), true, ok);
  }
  for (const no of ["evil.test:8080", "0.0.0.0.evil.test", "300.1.1.1"]) assert.equal(wildcard.allows(no), false, no);
});

Deno.test("a Host that does not name this server is refused (421) before any route: API, webhooks, console", async () => {
  await using f = await fixture();
  const app = createApp(f.runtime, { log: () => {}, ui: () => new Response("the console") });
  const requests: [string, RequestInit][] = [
    ["/api/v1/health", {}],
    ["/api/v1/workflows", {}],
    ["/api/v1/workflows/quick/runs", json({})],
    ["/hooks/echo", json({ a: 1 })],
    ["/", {}],
    ["/nowhere", {}],
  ];
  for (const [path, init] of requests) {
    const headers = new Headers(init.headers);
    headers.set("host", "evil.test:8080");
    const res = await app.request(path, { ...init, headers });
    assert.equal(res.status, 421, path);
    assert.deepEqual(await res.json(), {
      error: {
        code: "HOST_NOT_ALLOWED",
        message: 'Host "evil.test:8080" does not name this server; ' +
          "to serve that name, start flow serve with --allow-host evil.test",
      },
    });
  }
  assert.equal(await f.count(), 0, "neither the API run nor the webhook started");
  const malformed = await app.request("/api/v1/health", { headers: { host: "a b" } });
  assert.equal(malformed.status, 421);
  assert.equal(await errorCode(malformed), "HOST_NOT_ALLOWED");
  for (const host of ["localhost:8080", "127.0.0.1:8080", "127.0.0.9", "[::1]:8080"]) {
    assert.equal((await app.request("/api/v1/health", { headers: { host } })).status, 200, host);
  }
  assert.equal(await (await app.request("/", { headers: { host: "localhost:8080" } })).text(), "the console");

  const proxied = createApp(f.runtime, { log: () => {}, host: "0.0.0.0", allowHosts: ["flow.example.com"] });
  assert.equal((await proxied.request("/api/v1/health", { headers: { host: "flow.example.com" } })).status, 200);
  assert.equal((await proxied.request("/api/v1/health", { headers: { host: "172.18.0.5:8080" } })).status, 200);
  assert.equal((await proxied.request("/api/v1/health", { headers: { host: "evil.test" } })).status, 421);
});

Deno.test("a state-changing request from another origin is refused (403 CROSS_ORIGIN) and starts nothing", async () => {
  await using f = await fixture();
  const app = createApp(f.runtime, { log: () => {}, cors: "https://ui.example" });
  const start = (headers: Record<string, string>) =>
    app.request("/api/v1/workflows/quick/runs?wait=true", json({}, { host: "127.0.0.1:8080", ...headers }));
  const refused: Record<string, string>[] = [
    { origin: "http://evil.test" },
    { origin: "null" },
    { origin: "http://127.0.0.1:9999" }, // another port of this machine is another origin
    { origin: "http://localhost:8080" }, // another name for this server is another origin too
    { "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "same-site" },
    { origin: "http://127.0.0.1:8080", "sec-fetch-site": "cross-site" },
  ];
  for (const headers of refused) {
    const res = await start(headers);
    assert.equal(res.status, 403, JSON.stringify(headers));
    const body = await res.json();
    assert.equal(body.error.code, "CROSS_ORIGIN");
    assert.match(body.error.message, /may not change anything here/);
  }
  assert.equal(await f.count(), 0, "no run started");
  const accepted: Record<string, string>[] = [
    {}, // curl, scripts, other servers
    { origin: "http://127.0.0.1:8080", "sec-fetch-site": "same-origin" }, // this server's own pages
    { origin: "https://ui.example", "sec-fetch-site": "cross-site" }, // --cors
  ];
  for (const headers of accepted) {
    const res = await start(headers);
    assert.equal(res.status, 200, `${JSON.stringify(headers)}: ${await res.clone().text()}`);
    assert.equal((await res.json()).status, "success");
  }
  assert.equal(await f.count(), 3);
  const someone = (await (await app.request("/api/v1/runs", { headers: { host: "127.0.0.1:8080" } })).json())
    .runs[0].executionId;
  for (const action of ["cancel", "resume"]) {
    const res = await app.request(`/api/v1/runs/${someone}/${action}`, {
      method: "POST",
      headers: { origin: "http://evil.test" },
    });
    assert.equal(res.status, 403, action);
    assert.equal(await errorCode(res), "CROSS_ORIGIN");
  }
  assert.equal(await f.count(), 3, "nothing resumed");
  const reads = await app.request("/api/v1/workflows", { headers: { origin: "http://evil.test" } });
  assert.equal(reads.status, 200, "reads are not refused (the browser keeps their answers from other origins)");
  await reads.body?.cancel();
});

Deno.test("a state-changing request's body must be JSON (415); no body is fine; webhooks keep their own rules", async () => {
  await using f = await fixture();
  const app = createApp(f.runtime, { log: () => {} });
  const post = (headers: Record<string, string>, body?: BodyInit) =>
    app.request("/api/v1/workflows/quick/runs?wait=true", { method: "POST", headers, body });
  for (
    const [type, body] of [
      ["text/plain", '{"inputs":{}}'],
      ["text/plain;charset=UTF-8", '{"inputs":{}}'],
      ["application/x-www-form-urlencoded", "inputs=1"],
      ["multipart/form-data; boundary=x", "--x--"],
      ["application/jsonx", "{}"],
    ]
  ) {
    const res = await post({ "content-type": type }, body);
    assert.equal(res.status, 415, type);
    const error = (await res.json()).error;
    assert.equal(error.code, "UNSUPPORTED_MEDIA_TYPE");
    assert.equal(
      error.message,
      `a request body must be JSON (content-type: application/json); got content-type "${type}"`,
    );
  }
  // A body without any content-type (a Uint8Array gets none).
  const untyped = await post({ "content-length": "2" }, new TextEncoder().encode("{}"));
  assert.equal(untyped.status, 415);
  assert.match((await untyped.json()).error.message, /got no content-type$/);
  assert.equal(await f.count(), 0, "no run started");

  for (const type of ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]) {
    assert.equal((await post({ "content-type": type }, "{}")).status, 200, type);
  }
  // A patch type passes the gate (the route then decides what it takes).
  const patch = await post({ "content-type": "application/merge-patch+json" }, "{}");
  assert.notEqual(patch.status, 415);
  await patch.body?.cancel();
  // No body, no content-type: cancel and resume keep working.
  const id = (await runIds(app))[0];
  const resume = await app.request(`/api/v1/runs/${id}/resume`, { method: "POST" });
  assert.equal(resume.status, 409, "reaches the route: nothing to resume in a successful run");
  assert.equal(await errorCode(resume), "NOTHING_TO_RESUME");
  const cancel = await app.request(`/api/v1/runs/${id}/cancel`, { method: "POST", headers: { "content-length": "0" } });
  assert.equal(cancel.status, 409);
  assert.equal(await errorCode(cancel), "NOT_RUNNING");

  // Webhooks are called by other servers, with whatever body and origin: their own `auth` protects them.
  const before = await f.count();
  const hook = await app.request("/hooks/echo", {
    method: "POST",
    headers: { "content-type": "text/plain", origin: "http://evil.test", "sec-fetch-site": "cross-site" },
    body: "plain text",
  });
  assert.equal(hook.status, 200);
  assert.deepEqual(await hook.json(), { body: "plain text" });
  assert.equal(await f.count(), before + 1);
});

/** The execution ids the app lists, newest first. */
async function runIds(app: ReturnType<typeof createApp>): Promise<string[]> {
  return (await (await app.request("/api/v1/runs")).json()).runs.map((r: { executionId: string }) => r.executionId);
}

Deno.test("the token's scheme is case-insensitive (RFC 9110); health alone needs none", async () => {
  await using f = await fixture();
  const app = createApp(f.runtime, { log: () => {}, token: "t0k" });
  for (const authorization of ["Bearer t0k", "bearer t0k", "BEARER t0k", "Bearer  t0k"]) {
    assert.equal((await app.request("/api/v1/workflows", { headers: { authorization } })).status, 200, authorization);
  }
  for (const authorization of ["Basic t0k", "Bearert0k", "Bearer t0kx", "t0k", ""]) {
    const res = await app.request("/api/v1/workflows", { headers: { authorization } });
    assert.equal(res.status, 401, authorization);
    assert.equal(await errorCode(res), "UNAUTHORIZED");
  }
  assert.equal((await app.request("/api/v1/health")).status, 200);
  const posted = await app.request("/api/v1/health", { method: "POST" });
  assert.equal(posted.status, 401, "only GET /api/v1/health is open");
  await posted.body?.cancel();
});

Deno.test("webhook auth: bearer and basic schemes are case-insensitive too", async () => {
  const body = new Uint8Array();
  const secret = () => "s3cret";
  const bearer = { type: "bearer", secret: "HOOK_TOKEN" } as const;
  for (const value of ["Bearer s3cret", "bearer s3cret", "BEARER s3cret"]) {
    assert.equal(await checkWebhookAuth(bearer, new Headers({ authorization: value }), body, secret), true, value);
  }
  assert.equal(await checkWebhookAuth(bearer, new Headers({ authorization: "Basic s3cret" }), body, secret), false);
  const basic = { type: "basic", username: "ann", secret: "HOOK_PASSWORD" } as const;
  const credentials = btoa("ann:s3cret");
  for (const value of [`Basic ${credentials}`, `basic ${credentials}`]) {
    assert.equal(await checkWebhookAuth(basic, new Headers({ authorization: value }), body, secret), true, value);
  }
  assert.equal(authCredentials("bearer  x ", "bearer"), "x");
  assert.equal(authCredentials(undefined, "bearer"), undefined);
});
