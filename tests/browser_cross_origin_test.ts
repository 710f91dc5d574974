/**
 * A web page on another origin cannot drive a tokenless `flow serve`
 * (docs/security.md), in a real browser (Debian's Chromium through
 * playwright-core): a page served on a second local port tries every
 * state-changing route with a CORS `fetch`, "simple" no-cors requests
 * (text/plain, a form type, no body) and form submissions; then a DNS
 * rebinding page (Chromium maps `evil.test` to 127.0.0.1, and one port
 * serves the attacker's page, then forwards to flow serve) tries to
 * read the API and to write through it as "same origin". Nothing changes
 * (runs, their statuses, the workflow files) and every read is refused,
 * while the server's own console page still starts runs.
 *
 * {@linkcode writeRoutes} lists the routes tried: a new state-changing route
 * is added there.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { hasChromium, launchChromium } from "./browser.ts";
import { Served, waitFor, webhookWorkflow, writeFiles } from "./serve_helpers.ts";

const files = {
  "slow.json": {
    id: "slow",
    inputs: { ms: { type: "number", default: 600_000 } },
    nodes: [{ id: "wait", type: "time.delay", config: { ms: "{{ $inputs.ms }}" } }],
    connections: [],
  },
  "quick.json": {
    id: "quick",
    nodes: [{ id: "greet", type: "transform.set", config: { value: "hi" } }],
    connections: [],
    outputs: { greeting: "greet.value" },
  },
  // A webhook without `auth`: called by anyone who can reach the server, web pages included (the control below).
  "ping.json": webhookWorkflow("ping", { path: "ping", respond: "immediately" }),
};

/** A state-changing route, as a page would call it. */
interface WriteRoute {
  /** The HTTP method. */
  method: "POST" | "PUT" | "PATCH" | "DELETE";
  /** The path on the server. */
  path: string;
  /** The JSON body, if the route takes one. */
  body?: unknown;
  /** Its media type, when not `application/json`. */
  type?: string;
  /** More headers (an `If-Match` an attacker could compute from a public file). */
  headers?: Record<string, string>;
}

/**
 * Every state-changing route a page on another origin must not drive, over
 * a running execution and a cancelled one, and the workflow files (with the
 * right `If-Match`: a file in a public repository has a tag anyone can
 * compute). Add new routes here.
 */
function writeRoutes(ids: { running: string; cancelled: string }, etag: string): WriteRoute[] {
  const ifMatch = { "if-match": `"${etag}"` };
  const evil = {
    id: "quick",
    nodes: [{ id: "greet", type: "transform.set", config: { value: "pwned" } }],
    connections: [],
  };
  return [
    { method: "POST", path: "/api/v1/workflows/quick/runs", body: { inputs: {} } },
    { method: "POST", path: "/api/v1/workflows/slow/runs", body: { inputs: { ms: 1 } } },
    { method: "POST", path: `/api/v1/runs/${ids.running}/cancel` },
    { method: "POST", path: `/api/v1/runs/${ids.cancelled}/resume` },
    { method: "PUT", path: "/api/v1/workflows/quick/source", body: evil, headers: ifMatch },
    { method: "PUT", path: "/api/v1/files/quick.json/source", body: evil, headers: ifMatch },
    {
      method: "PATCH",
      path: "/api/v1/workflows/quick/source",
      body: [{ op: "replace", path: "/nodes/0/config/value", value: "pwned" }],
      type: "application/json-patch+json",
      headers: ifMatch,
    },
    {
      method: "PATCH",
      path: "/api/v1/files/quick.json/source",
      body: [{ op: "replace", path: "/nodes/0/config/value", value: "pwned" }],
      type: "application/json-patch+json",
      headers: ifMatch,
    },
    { method: "POST", path: "/api/v1/workflows", body: { file: "evil.json", text: JSON.stringify(evil) } },
    // The editor's test loop: runs, pins and test request URLs.
    { method: "POST", path: "/api/v1/workflows/quick/editor-runs", body: { mode: "all" } },
    { method: "POST", path: "/api/v1/workflows/quick/editor-runs", body: { mode: "node", node: "greet" } },
    { method: "PUT", path: "/api/v1/workflows/quick/pins/greet", body: { outputs: { value: "pwned" } } },
    { method: "DELETE", path: "/api/v1/workflows/quick/pins/greet" },
    { method: "POST", path: "/api/v1/workflows/ping/nodes/hook/test-request", body: {} },
    { method: "POST", path: "/api/v1/session", body: { token: "guess" } },
    { method: "DELETE", path: "/api/v1/session" },
  ];
}

/** What a page on another origin can do with a route: what each attempt saw (opaque answers show as 0). */
function attack(page: Page, base: string, routes: WriteRoute[]): Promise<string[]> {
  return page.evaluate(async ({ base, routes }) => {
    const seen: string[] = [];
    const note = async (what: string, send: () => Promise<Response>) => {
      try {
        seen.push(`${what}: ${(await send()).status}`);
      } catch {
        seen.push(`${what}: blocked`);
      }
    };
    // deno-lint-ignore no-explicit-any
    const document = (globalThis as any).document; // the page's (this function runs in the browser)
    /** Submits a form into a fresh iframe and waits for the answer to load there. */
    const submit = (url: string, enctype: string, fields: Record<string, string>) =>
      new Promise<string>((resolve) => {
        setTimeout(() => resolve("no answer in 5 s"), 5000); // bounded, whatever the server does
        const frame = document.createElement("iframe");
        frame.name = `sink-${Math.random()}`;
        document.body.append(frame);
        frame.addEventListener("load", () => {
          try {
            if (frame.contentWindow.location.href === "about:blank") return; // still the empty frame
          } catch { /* another origin's answer: loaded */ }
          resolve("answered");
        });
        const form = document.createElement("form");
        Object.assign(form, { method: "post", action: url, enctype, target: frame.name });
        for (const [name, value] of Object.entries(fields)) {
          const input = document.createElement("input");
          Object.assign(input, { type: "hidden", name, value });
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      });
    for (const route of routes) {
      const url = base + route.path;
      const json = route.body === undefined ? undefined : JSON.stringify(route.body);
      // A CORS request with JSON: the browser asks first (preflight) and, without --cors, never sends it.
      await note(
        `${route.method} ${route.path} cors json`,
        () =>
          fetch(url, {
            method: route.method,
            credentials: "include",
            headers: { "content-type": route.type ?? "application/json", ...route.headers },
            body: json,
          }),
      );
      // "Simple" requests are sent without asking (their answers are opaque).
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
        await note(
          `${route.path} no-cors ${type}`,
          () =>
            fetch(url, {
              method: route.method,
              mode: "no-cors",
              credentials: "include",
              headers: { "content-type": type },
              body: json ?? "",
            }),
        );
      }
      await note(
        `${route.path} no-cors no body`,
        () => fetch(url, { method: route.method, mode: "no-cors", credentials: "include" }),
      );
      if (route.method === "POST") {
        // A text/plain form whose body reads as JSON: {"inputs":{},"x":"="}.
        seen.push(`${route.path} text/plain form: ${await submit(url, "text/plain", { '{"inputs":{},"x":"': '"}' })}`);
        seen.push(`${route.path} empty form: ${await submit(url, "application/x-www-form-urlencoded", {})}`);
      }
    }
    return seen;
  }, { base, routes });
}

/** Everything a write could change: each execution's status (but the webhook control's) and the workflow files. */
async function snapshot(server: Served, dir: string): Promise<string> {
  const runs = (await server.runs()).filter((r) => r.workflowId !== "ping")
    .map((r) => `${r.executionId} ${r.status}`).sort();
  const sources: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) sources.push(`${entry.name}: ${await Deno.readTextFile(`${dir}/${entry.name}`)}`);
  }
  const pins = (await server.json("/api/v1/workflows/quick/pins")).body;
  const listening = await server.json("/api/v1/workflows/ping/nodes/hook/test-request");
  return JSON.stringify({ runs, sources: sources.sort(), pins, listening: listening.status }, null, 1);
}

const EVIL_PAGE = `<!doctype html><title>evil</title><p>nothing to see</p>`;

/** The ETag of a file: the SHA-256 of its bytes, which anyone who has the file can compute. */
async function fileTag(path: string): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path))).toHex();
}

/**
 * DNS rebinding as the browser sees it, on one name and port: a TCP port
 * that answers `GET /evil.html` with the attacker's page (the name still
 * pointed at the attacker) and forwards every other request, bytes as they
 * are (the `Host` header included), to flow serve on `target` (the name now
 * points at 127.0.0.1).
 */
function rebindingPort(target: number): Deno.Listener<Deno.TcpConn, Deno.NetAddr> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const page = new TextEncoder().encode(
    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nconnection: close\r\n" +
      `content-length: ${EVIL_PAGE.length}\r\n\r\n${EVIL_PAGE}`,
  );
  const handle = async (conn: Deno.TcpConn) => {
    try {
      const buffer = new Uint8Array(65536);
      const n = await conn.read(buffer);
      if (n === null) return conn.close();
      const head = buffer.subarray(0, n);
      if (new TextDecoder().decode(head).startsWith("GET /evil.html ")) {
        await conn.write(page);
        return conn.close();
      }
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
      await upstream.write(head);
      await Promise.allSettled([conn.readable.pipeTo(upstream.writable), upstream.readable.pipeTo(conn.writable)]);
    } catch { /* the browser went away */ }
  };
  (async () => {
    try {
      for await (const conn of listener) handle(conn);
    } catch { /* closed */ }
  })();
  return listener;
}

Deno.test({
  name:
    "a page on another origin cannot start, cancel or resume anything on a tokenless server, nor read it by DNS rebinding",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await writeFiles(files);
    await using server = await Served.start([dir, "--grace", "1s"]);
    const port = new URL(server.url).port;
    const started = await server.json("/api/v1/workflows/slow/runs", { json: {} });
    const running = started.body.executionId as string;
    await server.waitForRun(running, ["running"]);
    const stopped = (await server.json("/api/v1/workflows/slow/runs", { json: {} })).body.executionId as string;
    assert.equal((await server.json(`/api/v1/runs/${stopped}/cancel`, { method: "POST" })).status, 202);
    await server.waitForRun(stopped, ["cancelled"]);
    // A pin the pages will try to change and remove.
    const pinned = await server.json("/api/v1/workflows/quick/pins/greet", {
      method: "PUT",
      json: { outputs: { value: "kept" } },
    });
    assert.equal(pinned.status, 200, JSON.stringify(pinned.body));
    const routes = writeRoutes({ running, cancelled: stopped }, await fileTag(`${dir}/quick.json`));
    const before = await snapshot(server, dir);

    await using evil = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response(EVIL_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }),
    );
    await using browser = await launchChromium({ args: ["--host-resolver-rules=MAP evil.test 127.0.0.1"] });
    const context = await browser.newContext();

    for (const origin of [`http://evil.test:${evil.addr.port}`, `http://127.0.0.1:${evil.addr.port}`]) {
      await t.step(`a page at ${origin} tries every write route; nothing changes`, async () => {
        const page = await context.newPage();
        await page.goto(`${origin}/`);
        const seen = await attack(page, server.url, routes);
        for (const line of seen.filter((l) => l.includes("cors json"))) assert.match(line, /: blocked$/, line);
        assert.equal(await snapshot(server, dir), before);
        // The control: the same page's no-cors POST reaches the server, as a webhook without auth shows.
        const pings = (await server.runs("workflow=ping")).length;
        await page.evaluate(
          (url) => fetch(url, { method: "POST", mode: "no-cors", body: "hi" }),
          `${server.url}/hooks/ping`,
        );
        await waitFor(async () => (await server.runs("workflow=ping")).length === pings + 1);
        await page.close();
      });
    }

    await t.step(
      "a DNS rebinding page (evil.test, one port: the attacker, then flow serve) can neither read nor write",
      async () => {
        using rebinding = rebindingPort(Number(port));
        const page = await context.newPage();
        await page.goto(`http://evil.test:${rebinding.addr.port}/evil.html`);
        assert.equal(await page.title(), "evil");
        const answers = await page.evaluate(async (routes) => {
          const out: { what: string; status: number; text: string }[] = [];
          for (const path of ["/api/v1/workflows", "/api/v1/runs", "/api/v1/workflows/slow", "/"]) {
            const res = await fetch(path);
            out.push({ what: `GET ${path}`, status: res.status, text: await res.text() });
          }
          for (const route of routes) {
            const res = await fetch(route.path, {
              method: route.method,
              headers: { "content-type": route.type ?? "application/json", ...route.headers },
              body: route.body === undefined ? undefined : JSON.stringify(route.body),
            });
            out.push({ what: `${route.method} ${route.path}`, status: res.status, text: await res.text() });
          }
          return out;
        }, routes);
        for (const { what, status, text } of answers) {
          assert.equal(status, 421, what);
          assert.equal(JSON.parse(text).error.code, "HOST_NOT_ALLOWED", what);
          assert.doesNotMatch(text, /slow|quick|executionId/, `${what} leaks nothing`);
        }
        assert.equal(await snapshot(server, dir), before);
        await page.close();
      },
    );

    await t.step("the server's own page still starts runs (same origin)", async () => {
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      const answer = await page.evaluate(async () => {
        const res = await fetch("/api/v1/workflows/quick/runs?wait=true", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        return { status: res.status, body: await res.json() };
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.status, "success");
      await page.close();
    });

    // A script without Origin (like curl) still may cancel.
    assert.equal((await server.json(`/api/v1/runs/${running}/cancel`, { method: "POST" })).status, 202);
    await server.waitForRun(running, ["cancelled"]);
  },
});

Deno.test({
  name: "with --token, a session cookie in the browser does not let a page on another origin write (SameSite, Origin)",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await writeFiles(files);
    await using server = await Served.start([dir, "--token", "s3cret", "--grace", "1s"], { token: "s3cret" });
    const auth = { authorization: "Bearer s3cret" };
    const started = await server.json("/api/v1/workflows/slow/runs", { json: {}, headers: auth });
    const running = started.body.executionId as string;
    const stopped = (await server.json("/api/v1/workflows/slow/runs", { json: {}, headers: auth })).body
      .executionId as string;
    assert.equal((await server.json(`/api/v1/runs/${stopped}/cancel`, { method: "POST", headers: auth })).status, 202);
    const tokenSnapshot = async () => {
      const runs = (await server.json("/api/v1/runs?limit=500", { headers: auth })).body.runs
        .filter((r: { workflowId: string }) => r.workflowId !== "ping")
        .map((r: { executionId: string; status: string }) =>
          `${r.executionId} ${r.status === "running" ? "running" : r.status}`
        )
        .sort();
      const sources: string[] = [];
      for await (const entry of Deno.readDir(dir)) {
        if (entry.isFile) sources.push(`${entry.name}: ${await Deno.readTextFile(`${dir}/${entry.name}`)}`);
      }
      const pins = (await server.json("/api/v1/workflows/quick/pins", { headers: auth })).body;
      const listening = await server.json("/api/v1/workflows/ping/nodes/hook/test-request", { headers: auth });
      return JSON.stringify({ runs, sources: sources.sort(), pins, listening: listening.status }, null, 1);
    };
    const pinned = await server.json("/api/v1/workflows/quick/pins/greet", {
      method: "PUT",
      json: { outputs: { value: "kept" } },
      headers: auth,
    });
    assert.equal(pinned.status, 200, JSON.stringify(pinned.body));
    await waitFor(async () => (await tokenSnapshot()).includes(`${stopped} cancelled`));
    const routes = writeRoutes({ running, cancelled: stopped }, await fileTag(`${dir}/quick.json`));

    await using evil = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response(EVIL_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }),
    );
    await using browser = await launchChromium({ args: ["--host-resolver-rules=MAP evil.test 127.0.0.1"] });
    const context = await browser.newContext();

    await t.step("the console signs in on its own page: the session cookie is in the browser", async () => {
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      const status = await page.evaluate(async () => {
        const res = await fetch("/api/v1/session", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token: "s3cret" }),
        });
        const list = await fetch("/api/v1/workflows");
        return [res.status, list.status];
      });
      assert.deepEqual(status, [204, 200]);
      const [cookie] = await context.cookies(server.url);
      assert.equal(cookie.name, "flow_session");
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, "Strict");
      await page.close();
    });

    const before = await tokenSnapshot();
    // 127.0.0.1 on another port is the same site: the browser sends the cookie, and the Origin check refuses.
    // evil.test is another site: SameSite=Strict keeps the cookie home.
    for (const origin of [`http://127.0.0.1:${evil.addr.port}`, `http://evil.test:${evil.addr.port}`]) {
      await t.step(`a page at ${origin} tries every write route with the cookie there; nothing changes`, async () => {
        const page = await context.newPage();
        await page.goto(`${origin}/`);
        const seen = await attack(page, server.url, routes);
        for (const line of seen.filter((l) => l.includes("cors json"))) assert.match(line, /: blocked$/, line);
        // Reading is refused too (no CORS): the cookie does not hand the API to the page.
        const read = await page.evaluate(async (url) => {
          try {
            return String((await fetch(url, { credentials: "include" })).status);
          } catch {
            return "blocked";
          }
        }, `${server.url}/api/v1/workflows/quick/source`);
        assert.equal(read, "blocked");
        assert.equal(await tokenSnapshot(), before);
        await page.close();
      });
    }

    await t.step(
      "the session still works on the server's own page (nothing signed it out), and writes there",
      async () => {
        const page = await context.newPage();
        await page.goto(`${server.url}/`);
        const answer = await page.evaluate(async () => {
          const source = await fetch("/api/v1/workflows/quick/source");
          const etag = source.headers.get("etag")!;
          const res = await fetch("/api/v1/workflows/quick/source", {
            method: "PATCH",
            headers: { "content-type": "application/json-patch+json", "if-match": etag },
            body: JSON.stringify([{ op: "replace", path: "/nodes/0/config/value", value: "hello" }]),
          });
          return { status: res.status, body: await res.json() };
        });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/quick.json`)).nodes[0].config.value, "hello");
        await page.close();
      },
    );
    assert.equal((await server.json(`/api/v1/runs/${running}/cancel`, { method: "POST", headers: auth })).status, 202);
  },
});
