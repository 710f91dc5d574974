/**
 * Sessions and roles of `flow serve` (docs/security.md#sessions): the
 * console signs in with the token once and gets an `HttpOnly`,
 * `SameSite=Strict` cookie (`Secure` over HTTPS) accepted beside the
 * bearer header; signing out ends it on the server; it expires after its
 * time unused. A second token (`--read-token`, `FLOW_READ_TOKEN`) and the
 * sessions it signs in only read: every state-changing request is 403.
 */
import assert from "node:assert/strict";
import { builtinRegistry } from "../nodes/mod.ts";
import { FlowRuntime } from "../src/runtime/runtime.ts";
import { createApp } from "../server/app.ts";
import { Sessions } from "../server/session.ts";
import { runCli } from "./helpers.ts";
import { Served, writeFiles } from "./serve_helpers.ts";

const WORKFLOW = { id: "plain", nodes: [{ id: "s", type: "transform.set", config: { value: 1 } }], connections: [] };
const COOKIE = /^flow_session=([A-Za-z0-9_-]{43}); HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/;

const signIn = (token: string, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify({ token }),
});

Deno.test({
  name: "flow serve --token --read-token: sign in, a session cookie beside the bearer header, sign out; the read role",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await writeFiles({ "plain.json": WORKFLOW });
    await using server = await Served.start([dir, "--token", "full-token"], {
      token: "full-token",
      env: { FLOW_READ_TOKEN: "read-token" },
    });
    const origin = { origin: server.url };
    let cookie = "";

    await t.step("GET /session needs nothing and says a token is needed", async () => {
      const res = await server.json("/api/v1/session");
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { authenticated: false, role: null, tokenRequired: true, readOnly: false });
      assert.equal((await server.json("/api/v1/workflows")).status, 401);
    });

    await t.step("a wrong token: 401, no cookie; the right one: 204 and the cookie", async () => {
      const wrong = await server.json("/api/v1/session", signIn("nope", origin));
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, "UNAUTHORIZED");
      assert.equal(wrong.headers.get("set-cookie"), null);
      const res = await server.fetch("/api/v1/session", signIn("full-token", origin));
      assert.equal(res.status, 204);
      const set = res.headers.get("set-cookie")!;
      assert.match(set, COOKIE);
      cookie = `flow_session=${COOKIE.exec(set)![1]}`;
      const behindTls = await server.fetch("/api/v1/session", signIn("full-token", { "x-forwarded-proto": "https" }));
      assert.match(behindTls.headers.get("set-cookie")!, /; Secure$/);
    });

    await t.step("the cookie stands for the token: reads, and writes from this server's own pages", async () => {
      assert.equal((await server.json("/api/v1/workflows", { headers: { cookie } })).status, 200);
      assert.deepEqual((await server.json("/api/v1/session", { headers: { cookie } })).body, {
        authenticated: true,
        role: "admin",
        tokenRequired: true,
        readOnly: false,
      });
      const run = await server.json("/api/v1/workflows/plain/runs?wait=true", {
        json: {},
        headers: { cookie, ...origin },
      });
      assert.equal(run.status, 200);
      // A write signed in by the cookie must say where it comes from.
      const bare = await server.json("/api/v1/workflows/plain/runs", { json: {}, headers: { cookie } });
      assert.equal(bare.status, 403);
      assert.equal(bare.body.error.code, "CROSS_ORIGIN");
      const fetchSite = await server.json("/api/v1/workflows/plain/runs", {
        json: {},
        headers: { cookie, "sec-fetch-site": "same-origin" },
      });
      assert.equal(fetchSite.status, 202);
      // A bearer header wins: a wrong one is refused whatever the cookie.
      const wrong = await server.json("/api/v1/workflows", { headers: { cookie, authorization: "Bearer nope" } });
      assert.equal(wrong.status, 401);
    });

    await t.step("sign out: the session ends on the server, the cookie is cleared", async () => {
      const res = await server.fetch("/api/v1/session", { method: "DELETE", headers: { cookie, ...origin } });
      assert.equal(res.status, 204);
      assert.match(res.headers.get("set-cookie")!, /^flow_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/);
      const after = await server.json("/api/v1/workflows", { headers: { cookie } });
      assert.equal(after.status, 401);
      assert.match(after.body.error.message, /the session has ended/);
      assert.match(after.headers.get("set-cookie")!, /Max-Age=0/);
      assert.equal((await server.json("/api/v1/session", { headers: { cookie } })).body.authenticated, false);
    });

    await t.step("the read token reads everything and changes nothing (403 FORBIDDEN)", async () => {
      const read = { authorization: "Bearer read-token" };
      for (const path of ["/api/v1/workflows", "/api/v1/runs", "/api/v1/workflows/plain/source", "/api/v1/nodes"]) {
        const res = await server.fetch(path, { headers: read });
        assert.equal(res.status, 200, path);
        await res.body?.cancel();
      }
      const [run] = (await server.json("/api/v1/runs", { headers: read })).body.runs;
      const etag = (await server.fetch("/api/v1/workflows/plain/source", { headers: read })).headers.get("etag")!;
      const refused: [string, RequestInit][] = [
        ["/api/v1/workflows/plain/runs", {
          method: "POST",
          headers: { ...read, "content-type": "application/json" },
          body: "{}",
        }],
        [`/api/v1/runs/${run.executionId}/resume`, { method: "POST", headers: read }],
        [`/api/v1/runs/${run.executionId}/cancel`, { method: "POST", headers: read }],
        ["/api/v1/workflows/plain/source", {
          method: "PUT",
          headers: { ...read, "content-type": "application/json", "if-match": etag },
          body: "{}",
        }],
        ["/api/v1/workflows", {
          method: "POST",
          headers: { ...read, "content-type": "application/json" },
          body: '{"file": "x.json"}',
        }],
      ];
      for (const [path, init] of refused) {
        const res = await server.json(path, init);
        assert.equal(res.status, 403, `${init.method} ${path}`);
        assert.equal(res.body.error.code, "FORBIDDEN");
        assert.match(res.body.error.message, /^this token can only read/);
      }
      const validated = await server.json("/api/v1/validate", { json: { text: "{}" }, headers: read });
      assert.equal(validated.status, 200, "validating changes nothing");
      // A session signed in with it has its role.
      const res = await server.fetch("/api/v1/session", signIn("read-token", origin));
      const readCookie = `flow_session=${COOKIE.exec(res.headers.get("set-cookie")!)![1]}`;
      assert.equal((await server.json("/api/v1/session", { headers: { cookie: readCookie } })).body.role, "read");
      const write = await server.json("/api/v1/workflows/plain/runs", {
        json: {},
        headers: { cookie: readCookie, ...origin },
      });
      assert.equal(write.status, 403);
      assert.equal(write.body.error.code, "FORBIDDEN");
      assert.equal(await Deno.readTextFile(`${dir}/plain.json`), JSON.stringify(WORKFLOW, null, 2));
    });
  },
});

Deno.test("a session expires after its time unused; using it moves the expiry on and sets the cookie again", async () => {
  let now = 1_000_000;
  const sessions = new Sessions({ ttlMs: 1000, now: () => now });
  const runtime = await FlowRuntime.start({ paths: [], registry: builtinRegistry(), watch: false, log: () => {} });
  try {
    const app = createApp(runtime, { token: "t", sessions, log: () => {} });
    const res = await app.request("/api/v1/session", signIn("t"));
    const set = res.headers.get("set-cookie")!;
    assert.match(set, /; Max-Age=1$/);
    const cookie = set.split(";")[0];
    const get = () => app.request("/api/v1/workflows", { headers: { cookie } });
    now += 400;
    const early = await get();
    assert.equal(early.status, 200);
    assert.equal(early.headers.get("set-cookie"), null, "not yet half its age");
    now += 700; // 1100 ms after sign-in, 700 after its last use
    const later = await get();
    assert.equal(later.status, 200, "used within its time: still on");
    assert.match(
      later.headers.get("set-cookie")!,
      /^flow_session=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=1$/,
    );
    now += 1001;
    const expired = await get();
    assert.equal(expired.status, 401);
    assert.match((await expired.json()).error.message, /the session has ended/);
  } finally {
    await runtime.shutdown(0);
  }
});

Deno.test("--read-token needs --token, and differs from it; without a token there is nothing to sign in to", async () => {
  const dir = await writeFiles({ "plain.json": WORKFLOW });
  const alone = await runCli(["serve", dir, "--port", "0", "--read-token", "r"]);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--read-token \(or FLOW_READ_TOKEN\) needs --token/);
  const same = await runCli(["serve", dir, "--port", "0", "--read-token", "t", "--token", "t"]);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /--read-token must differ from --token/);
  const runtime = await FlowRuntime.start({ paths: [dir], registry: builtinRegistry(), watch: false, log: () => {} });
  try {
    const app = createApp(runtime, { log: () => {} });
    const res = await app.request("/api/v1/session", signIn("anything"));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, "NO_TOKEN");
  } finally {
    await runtime.shutdown(0);
  }
});
