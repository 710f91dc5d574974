/**
 * The guards of a real `flow serve` at the socket (docs/security.md): raw
 * request targets that `fetch` would normalise (dot segments, backslashes,
 * absolute form), the `Host` header (which `fetch` does not let a caller
 * set), `--allow-host` and `FLOW_ALLOW_HOST`, and a `--host` anywhere in
 * 127.0.0.0/8 counting as loopback.
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers.ts";
import { Served, webhookWorkflow, writeFiles } from "./serve_helpers.ts";

const files = {
  "quick.json": {
    id: "quick",
    nodes: [{ id: "greet", type: "transform.set", config: { value: "hi" } }],
    connections: [],
    outputs: { greeting: "greet.value" },
  },
  "echo.json": webhookWorkflow("echo", { path: "echo" }),
};

/** A raw HTTP/1.1 exchange over TCP: the request target and headers are sent exactly as given. */
async function raw(
  server: Served,
  target: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; body: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const { hostname, port } = new URL(server.url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const head = { host: `${hostname}:${port}`, ...headers, connection: "close" };
  const text = `${method} ${target} HTTP/1.1\r\n` +
    Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
  await conn.write(new TextEncoder().encode(text));
  const answer = await new Response(conn.readable).text(); // until the server closes
  const [top, ...rest] = answer.split("\r\n\r\n");
  let body = rest.join("\r\n\r\n");
  if (/^transfer-encoding: chunked$/im.test(top)) {
    let out = "";
    for (let at = 0;;) {
      const eol = body.indexOf("\r\n", at);
      const size = parseInt(body.slice(at, eol), 16);
      if (!size) break;
      out += body.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    body = out;
  }
  return { status: Number(top.split(" ")[1]), body: body ? JSON.parse(body) : {} };
}

Deno.test("flow serve: raw paths a URL parser would rewrite are refused before the token and any handler", async () => {
  const dir = await writeFiles(files);
  const token = "edge-token-1";
  await using server = await Served.start([dir], { env: { FLOW_API_TOKEN: token }, token });
  // Each of these is /api/v1/health once a URL parser has normalised it, and once reached a handler without the token.
  for (
    const target of [
      "/api/v1/workflows/x\\..\\..\\health",
      "/api/v1/workflows/quick\\..\\..\\health",
      "/api/v1/runs/x/..\\..\\health",
      "/api/v1/workflows/%2e%2e/health",
      "/api/v1/x/../health",
      "/api/v1/./workflows",
      "/hooks/echo/..\\..\\api\\v1\\workflows",
    ]
  ) {
    const res = await raw(server, target);
    assert.equal(res.status, 400, target);
    assert.equal(res.body.error?.code, "BAD_PATH", target);
    assert.match(res.body.error!.message, /has dot segments or backslashes/);
  }
  const absolute = await raw(server, `http://evil.test/api/v1/health`);
  assert.equal(absolute.status, 421, "an absolute request target names the host too");
  assert.equal(absolute.body.error?.code, "HOST_NOT_ALLOWED");

  await Promise.all([
    (async () => assert.equal((await raw(server, "/api/v1/health")).status, 200))(),
    (async () => assert.equal((await raw(server, "/api/v1/workflows")).status, 401, "the token still guards"))(),
    (async () => {
      const lower = await raw(server, "/api/v1/workflows", { authorization: `bearer ${token}` });
      assert.equal(lower.status, 200, "the scheme is case-insensitive");
    })(),
  ]);
  const rebound = await raw(server, "/api/v1/health", { host: `evil.test:${new URL(server.url).port}` });
  assert.equal(rebound.status, 421);
  assert.equal(
    rebound.body.error?.message,
    `Host "evil.test:${
      new URL(server.url).port
    }" does not name this server; to serve that name, start flow serve with --allow-host evil.test`,
  );
  const hook = await raw(server, "/hooks/echo", { host: "evil.test", "content-length": "0" }, "POST");
  assert.equal(hook.status, 421, "webhooks too");
  const runs = await server.json("/api/v1/runs", { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual(runs.body.runs, [], "nothing ran");
});

Deno.test("flow serve: --host 127.0.0.2 is loopback; FLOW_ALLOW_HOST adds names, --allow-host wins over it", async () => {
  const dir = await writeFiles(files);
  await using env = await Served.start(["--host", "127.0.0.2", dir], {
    env: { FLOW_ALLOW_HOST: "env.example, .corp.example" },
  });
  assert.match(env.url, /^http:\/\/127\.0\.0\.2:\d+$/);
  assert.equal((await env.json("/api/v1/workflows")).status, 200, "no token needed on loopback");
  for (const host of ["env.example", "ENV.example:8080", "corp.example", "a.corp.example"]) {
    assert.equal((await raw(env, "/api/v1/health", { host })).status, 200, host);
  }
  for (const host of ["flag.example", "xcorp.example", "127.0.0.1.evil.test"]) {
    assert.equal((await raw(env, "/api/v1/health", { host })).status, 421, host);
  }

  await using flag = await Served.start(["--allow-host", "flag.example", "--allow-host", "two.example", dir], {
    env: { FLOW_ALLOW_HOST: "env.example" },
  });
  for (const host of ["flag.example", "two.example:443", "localhost"]) {
    assert.equal((await raw(flag, "/api/v1/health", { host })).status, 200, host);
  }
  assert.equal((await raw(flag, "/api/v1/health", { host: "env.example" })).status, 421, "the flag wins");
});

Deno.test("flow serve: a malformed --allow-host or FLOW_ALLOW_HOST exits 2 with one line", async () => {
  const dir = await writeFiles(files);
  const bad = await runCli(["serve", "--port", "0", "--allow-host", "https://flow.example.com", dir]);
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr.trim(),
    'flow: --allow-host: expected a host name such as flow.example.com (no scheme, port or path); got "https://flow.example.com"',
  );
  const env = await runCli(["serve", "--port", "0", dir], {
    env: { FLOW_ALLOW_HOST: "ok.example,flow.example.com:8080" },
  });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /^flow: FLOW_ALLOW_HOST: expected a host name .*; got "flow\.example\.com:8080"\n$/);
});
