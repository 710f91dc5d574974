/**
 * Fuzzing `flow serve` (docs/security.md#fuzzing): thousands of hostile
 * requests through `app.request()` (the API, webhooks with JSON, form, text,
 * multipart and random bodies, the console; hostile methods, paths, query
 * strings, ids, cursors and headers), then a bounded subset over real
 * sockets to a real `flow serve` process, with oversized headers and URLs
 * and bytes that are not HTTP.
 *
 * The properties: every answer is below 500, or a webhook's 500 for a run
 * that failed (with its execution id); a 4xx is JSON with `error.code` and a
 * one-line message; nothing is logged as an internal error; history keeps
 * recording; `/api/v1/health` answers afterwards and the process never exits.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { builtinRegistry } from "../nodes/mod.ts";
import { FlowRuntime } from "../src/runtime/runtime.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { createApp } from "../server/app.ts";
import { uiHandler } from "../server/ui.ts";
import {
  assertNoStack,
  depthArb,
  fuzz,
  HOSTILE_KEYS,
  HOSTILE_STRINGS,
  hostileBytes,
  hostileJsonText,
  jsonText,
  nestedText,
  sample,
} from "./fuzz.ts";
import { mutantText } from "./fuzz_bases.ts";
import { Served, webhookWorkflow, writeFiles } from "./serve_helpers.ts";

/** The workflows served: webhooks of every `respond` mode and `auth` type, and one to start through the API. */
function fixtureFiles(): Record<string, unknown> {
  const parse = {
    nodes: [{ id: "parse", type: "transform.json_parse" }, { id: "keep", type: "state.set", config: { key: "last" } }],
    connections: [{ from: "hook.body", to: "parse.json" }, { from: "parse.parsed", to: "keep.value" }],
    outputs: { parsed: "parse.parsed" },
  };
  const answer = {
    nodes: [{ id: "answer", type: "http.respond" }],
    connections: [
      { from: "hook.body", to: "answer.body" },
      { from: "hook.query", to: "answer.headers" },
    ],
  };
  return {
    "echo.json": webhookWorkflow("echo", { path: "echo", method: "POST" }),
    "get.json": webhookWorkflow("get", { path: "get/it", method: "GET" }),
    "later.json": webhookWorkflow("later", { path: "later", respond: "immediately" }),
    "parse.json": webhookWorkflow("parse", { path: "parse", respond: "immediately" }, parse),
    "answer.json": webhookWorkflow("answer", { path: "answer", respond: "node", timeoutMs: 2000 }, answer),
    "small.json": webhookWorkflow("small", { path: "small", maxBodyBytes: 64 }),
    "bearer.json": webhookWorkflow("bearer", { path: "bearer", auth: { type: "bearer", secret: "FUZZ_SECRET" } }),
    "basic.json": webhookWorkflow("basic", {
      path: "basic",
      auth: { type: "basic", username: "u", secret: "FUZZ_SECRET" },
    }),
    "hmac.json": webhookWorkflow("hmac", {
      path: "hmac",
      auth: { type: "hmac", header: "x-signature", prefix: "sha256=", secret: "FUZZ_SECRET" },
    }),
    "quick.json": {
      id: "quick",
      inputs: { text: { type: "string", default: "x" }, n: { type: "number", required: false } },
      nodes: [{ id: "echo", type: "transform.set", config: { value: "{{ $inputs.text }}" } }],
      connections: [],
      outputs: { text: "echo.value" },
    },
  };
}

/** A runtime with history (SQLite) over the fixture, and the app over it. */
async function fixture() {
  Deno.env.set("FUZZ_SECRET", "s3cret");
  const dir = await writeFiles(fixtureFiles());
  const store = await openSqliteStore(`${dir}/flow.db`);
  const logged: string[] = [];
  const log = (line: string) => logged.push(line);
  const runtime = await FlowRuntime.start({ paths: [dir], registry: builtinRegistry(), watch: false, store, log });
  const app = createApp(runtime, { maxApiBody: 256 * 1024, log, ui: uiHandler() });
  return {
    app,
    runtime,
    logged,
    async [Symbol.asyncDispose]() {
      await runtime.shutdown(2000);
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** One request. */
interface FuzzRequest {
  method: string;
  /** The path and query, as sent (not normalised). */
  target: string;
  headers: [string, string][];
  body?: Uint8Array;
}

/** Percent-encodes a string's UTF-8 bytes (a lone surrogate as U+FFFD, which `encodeURIComponent` refuses). */
function encode(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}

/** A path segment: an id of the fixture, a hostile string (encoded or not), or odd characters. */
const segment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("echo", "quick", "parse", "answer", "later", "nope", "a", "-", "00000000"),
  fc.constantFrom(...HOSTILE_STRINGS, ...HOSTILE_KEYS).map(encode),
  fc.constantFrom(
    "%",
    "%zz",
    "%00",
    "%0a",
    "a%0d%0ab",
    "%1b[31m",
    "%ff",
    "%c0%80",
    "%2F",
    "%5C",
    "..%2F",
    ";",
    "*",
    "~",
  ),
  fc.constantFrom("%E2%80%AE", "%E2%80%A8", "é", "😀"),
  fc.string({
    unit: fc.constantFrom("a", "%", "2", "e", ".", "/", "~", "!", "$", "&", "'", "(", "*", "+", ","),
    maxLength: 12,
  }),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => "a".repeat(n)),
);

/** A path: one of the routes with hostile segments, or anything. */
const pathArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "/api/v1/health",
    "/api/v1/ready",
    "/api/v1/metrics",
    "/api/v1/openapi.json",
    "/api/v1/workflows",
    "/api/v1/runs",
    "/api/v1/validate",
    "/",
    "/runs",
    "/hooks/echo",
    "/hooks/later",
    "/hooks/parse",
    "/hooks/answer",
    "/hooks/small",
    "/hooks/bearer",
    "/hooks/basic",
    "/hooks/hmac",
    "/hooks/get/it",
  ),
  fc.tuple(
    fc.constantFrom(
      "/api/v1/workflows/$",
      "/api/v1/workflows/$/runs",
      "/api/v1/runs/$",
      "/api/v1/runs/$/events",
      "/api/v1/runs/$/cancel",
      "/api/v1/runs/$/resume",
      "/hooks/$",
      "/hooks/echo/$",
      "/assets/$",
      "/$",
      "/api/v1/$",
    ),
    segment,
  ).map(([template, seg]) => template.replace("$", seg)),
  fc.array(segment, { maxLength: 4 }).map((segs) => `/${segs.join("/")}`),
  fc.constantFrom("//", "/api//v1/health", "/api/v1/health/", "/hooks/", "/hooks//echo", "/API/V1/HEALTH"),
);

/** A query string: parameters the routes read, and others, with hostile values. */
const queryArb: fc.Arbitrary<string> = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom("after", "before", "limit", "wait", "force", "status", "workflow", "x", "__proto__"),
      fc.constantFrom(...HOSTILE_KEYS).map(encode),
    ),
    fc.oneof(
      fc.constantFrom("true", "false", "1", "0", "-1", "1e400", "NaN", "500", "501", "", "%", "%zz", "%00", "a%20b"),
      fc.constantFrom(...HOSTILE_STRINGS).map(encode),
      fc.integer().map(String),
    ),
  ),
  { maxLength: 4 },
).map((pairs) => pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`);

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "application/vnd.api+json",
  "APPLICATION/JSON",
  "application/x-www-form-urlencoded",
  "text/plain",
  "text/plain; charset=utf-16",
  "multipart/form-data; boundary=XyZ",
  "multipart/form-data",
  "application/octet-stream",
  "application/xml",
  "",
  ";",
  "json",
  "application/",
  "*/*",
];

/** A header value: visible ASCII only (what `Headers` takes), sometimes long. */
const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", "Bearer", "Bearer s3cret", "bearer s3cret", "Basic dTpzM2NyZXQ=", "Basic !!!", "Basic ", "null"),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.integer({ min: 1000, max: 60_000 }).map((n) => "v".repeat(n)),
);

const headersArb: fc.Arbitrary<[string, string][]> = fc.array(
  fc.tuple(
    fc.constantFrom(
      "content-type",
      "accept",
      "authorization",
      "origin",
      "sec-fetch-site",
      "last-event-id",
      "x-signature",
      "x-forwarded-for",
      "cookie",
      "x-custom",
      "constructor",
      "__proto__",
    ),
    fc.oneof(fc.constantFrom(...CONTENT_TYPES, "text/event-stream", "application/x-ndjson", "cross-site"), headerValue),
  ),
  { maxLength: 4 },
);

/** A multipart body around hostile text. */
function multipart(text: string): string {
  return `--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n${text}\r\n--XyZ--\r\n`;
}

const bodyArb: fc.Arbitrary<Uint8Array | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: hostileBytes(hostileJsonText) },
  {
    weight: 1,
    arbitrary: fc.tuple(depthArb, jsonText).map(([d, t]) => new TextEncoder().encode(nestedText(d, t, "array"))),
  },
  { weight: 1, arbitrary: jsonText.map((t) => new TextEncoder().encode(`{"inputs":{"text":${t}},"trigger":${t}}`)) },
  {
    weight: 1,
    arbitrary: fc.array(fc.tuple(fc.constantFrom(...HOSTILE_KEYS), fc.constantFrom(...HOSTILE_STRINGS)), {
      maxLength: 5,
    })
      .map((pairs) => new TextEncoder().encode(new URLSearchParams(pairs).toString())),
  },
  { weight: 1, arbitrary: jsonText.map((t) => new TextEncoder().encode(multipart(t))) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }).map((n) => new Uint8Array(n).fill(0x5b)) },
);

/** Methods: the usual, and (over sockets only: `Request` refuses or normalises them) what Deno hands on as given. */
const methodArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS") },
  { weight: 1, arbitrary: fc.constantFrom("get", "head", "post", "Post", "TRACE", "TRACK", "PROPFIND", "M-SEARCH") },
);

/** Stands for an execution id the server gave earlier in the run of the property (see `withRunId`). */
const RUN = "{run}";

/** The routes that do something, with the method they take: most requests go there, so they get past 404 and 405. */
const ROUTES: readonly [string, string][] = [
  ["POST", "/hooks/echo"],
  ["POST", "/hooks/later"],
  ["POST", "/hooks/parse"],
  ["POST", "/hooks/answer"],
  ["POST", "/hooks/small"],
  ["POST", "/hooks/bearer"],
  ["POST", "/hooks/basic"],
  ["POST", "/hooks/hmac"],
  ["GET", "/hooks/get/it"],
  ["POST", "/api/v1/validate"],
  ["POST", "/api/v1/workflows/quick/runs"],
  ["POST", "/api/v1/workflows/$/runs"],
  ["GET", "/api/v1/workflows/$"],
  ["GET", "/api/v1/runs"],
  ["GET", `/api/v1/runs/${RUN}`],
  ["GET", `/api/v1/runs/${RUN}/events`],
  ["POST", `/api/v1/runs/${RUN}/cancel`],
  ["POST", `/api/v1/runs/${RUN}/resume`],
  ["GET", "/api/v1/runs/$"],
  ["GET", "/api/v1/runs/$/events"],
  ["GET", "/api/v1/events"],
];

/** A body for a route: a workflow for /validate, a run request for the API, anything for webhooks. */
const routedBody: fc.Arbitrary<Uint8Array | undefined> = fc.oneof(
  { weight: 3, arbitrary: bodyArb },
  { weight: 2, arbitrary: hostileBytes(mutantText) },
  {
    weight: 2,
    arbitrary: fc.record({
      inputs: fc.dictionary(fc.constantFrom("text", "n", "__proto__", "constructor", "x"), hostileJsonText, {
        maxKeys: 3,
      }),
      trigger: fc.option(fc.constantFrom('"echo"', '"nope"', "1", "null", '"__proto__"')),
    }).map(({ inputs, trigger }) => {
      const entries = Object.entries(inputs).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",");
      return new TextEncoder().encode(`{"inputs":{${entries}}${trigger === null ? "" : `,"trigger":${trigger}`}}`);
    }),
  },
);

/** A request to one of the routes, mostly with a JSON content type and the right method. */
const routedArb: fc.Arbitrary<FuzzRequest> = fc.record({
  route: fc.constantFrom(...ROUTES),
  method: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: methodArb }),
  segment,
  query: queryArb,
  json: fc.boolean(),
  headers: headersArb,
  body: routedBody,
}).map(({ route: [routeMethod, path], method, segment, query, json, headers, body }) => {
  const m = method ?? routeMethod;
  const sent: [string, string][] = json ? [["content-type", "application/json"], ...headers] : headers;
  return {
    method: m,
    target: path.replace("$", segment) + query,
    headers: sent,
    body: m === "GET" || m === "HEAD" ? undefined : body,
  };
});

/** Anything: any method, path, query, headers and body. */
const anyArb: fc.Arbitrary<FuzzRequest> = fc.record({
  method: methodArb,
  target: fc.tuple(pathArb, queryArb).map(([p, q]) => p + q),
  headers: headersArb,
  body: bodyArb,
}).map((r) => ({ ...r, body: r.method === "GET" || r.method === "HEAD" ? undefined : r.body }));

const requestArb: fc.Arbitrary<FuzzRequest> = fc.oneof({ weight: 3, arbitrary: routedArb }, {
  weight: 1,
  arbitrary: anyArb,
});

/** Execution ids the server answered with, for `{run}` in later requests. */
const runIds: string[] = [];

/** The request with `{run}` replaced by an execution id seen so far (or a prefix of one), and ids of its answer kept. */
function withRunId(r: FuzzRequest): FuzzRequest {
  if (!r.target.includes(RUN)) return r;
  const id = runIds.length ? runIds[r.target.length % runIds.length] : "00000000-0000-0000-0000-000000000000";
  return { ...r, target: r.target.replace(RUN, r.body && r.body.length % 3 === 0 ? id.slice(0, 4) : id) };
}

/** Keeps the execution id an answer names. */
function keepRunId(res: Response): void {
  const id = res.headers.get("x-flow-execution-id") ??
    /\/runs\/([0-9a-f-]{36})/.exec(res.headers.get("location") ?? "")?.[1];
  if (id && runIds.length < 200) runIds.push(id);
}

/** Checks one answer: below 500 (or a webhook run's own failure), a 4xx in the JSON error format. */
async function checkAnswer(res: Response, what: string, method: string): Promise<void> {
  const type = res.headers.get("content-type") ?? "";
  if (method.toUpperCase() === "HEAD") {
    // No body: the status and the media type tell.
    await res.body?.cancel();
    assert.ok(res.status < 500, `${what}: ${res.status}`);
    if (res.status >= 400) assert.ok(type.startsWith("application/json"), `${what}: ${res.status} with ${type}`);
    return;
  }
  let text = "";
  if (type.startsWith("text/event-stream") || type.startsWith("application/x-ndjson")) {
    // A stream: its first chunk is enough, and the server-wide one never ends.
    const reader = res.body!.getReader();
    const first = await Promise.race([reader.read(), new Promise((r) => setTimeout(r, 2000, undefined))]);
    assert.ok(first !== undefined, `${what}: a stream sent nothing for 2 s`);
    await reader.cancel();
  } else text = await res.text();
  if (res.status < 400) return;
  assert.ok(
    type.startsWith("application/json"),
    `${what}: ${res.status} with content-type ${type}: ${text.slice(0, 300)}`,
  );
  // deno-lint-ignore no-explicit-any
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${what}: ${res.status} is not JSON: ${text.slice(0, 300)}`);
  }
  assert.equal(typeof body?.error?.code, "string", `${what}: ${res.status} has no error.code: ${text.slice(0, 300)}`);
  assert.equal(typeof body.error.message, "string", `${what}: no error.message`);
  assert.ok(!body.error.message.includes("\n"), `${what}: a message of more than one line: ${body.error.message}`);
  assertNoStack(body.error.message, what);
  if (res.status >= 500) {
    // A webhook waiting for its run answers 500 when the run failed: the run's error, with its execution id.
    const runFailed = res.status === 500 && typeof body.executionId === "string" && body.error.code !== "INTERNAL";
    assert.ok(runFailed, `${what}: ${res.status} ${text.slice(0, 500)}`);
  }
}

/** The request as `app.request()` takes it; undefined when `Request` itself refuses it (a client-side error). */
function toRequest(r: FuzzRequest): Request | undefined {
  try {
    const headers = new Headers(r.headers);
    return new Request(`http://localhost${r.target}`, {
      method: r.method,
      headers,
      body: r.body as Uint8Array<ArrayBuffer> | undefined,
    });
  } catch {
    return undefined;
  }
}

/** Runs `step`; fails (naming `what`) when it takes more than 10 s: nothing should hang. */
async function withDeadline(step: () => Promise<void>, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within 10 s`)), 10_000);
  });
  try {
    await Promise.race([step(), late]);
  } finally {
    clearTimeout(timer);
  }
}

const describe = (r: FuzzRequest) =>
  `${r.method} ${r.target.slice(0, 200)} ${JSON.stringify(r.headers).slice(0, 300)} body ${r.body?.length ?? "none"}`;

Deno.test("fuzz: hostile requests through app.request() are answered below 500, in the JSON error format", async () => {
  await using f = await fixture();
  await fuzz("requests", requestArb, async (given) => {
    const r = withRunId(given);
    const request = toRequest(r);
    if (!request) return;
    await withDeadline(async () => {
      const res = await f.app.request(request);
      keepRunId(res);
      await checkAnswer(res, describe(r), r.method);
    }, describe(r));
  }, 1500);
  await f.runtime.flush();
  const internal = f.logged.filter((l) => /internal error|no longer recorded|Uncaught|RangeError/.test(l));
  assert.deepEqual(internal, [], "the server logged an internal error");
  const health = await f.app.request("/api/v1/health");
  assert.equal(health.status, 200);
  // History still records: a run started now can be looked up.
  const started = await f.app.request("/api/v1/workflows/quick/runs?wait=true", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(started.status, 200);
  const { executionId } = await started.json();
  await f.runtime.flush();
  assert.equal((await f.app.request(`/api/v1/runs/${executionId}`)).status, 200);
});

/**
 * Sends raw bytes on a new connection and reads the answer until the server
 * closes it. `"refused"`: Deno's HTTP layer refused the request before flow
 * saw it (a bare 400 without a body, as for a request head over 64 KiB, or
 * the connection closed without an answer).
 */
async function rawRequest(url: string, bytes: Uint8Array): Promise<Response | "refused"> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  // The server must answer or close within 10 s: a request it waits on forever is a finding too.
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, 10_000);
  try {
    await writeAll(conn, bytes).catch(() => {});
    // Nothing more to send: a server waiting for the rest of a body (a false Content-Length) sees the end.
    await conn.closeWrite().catch(() => {});
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      // A stream does not end: its head is enough.
      if (/content-type: (text\/event-stream|application\/x-ndjson)/i.test(new TextDecoder().decode(chunks[0]))) break;
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }
  if (chunks.length === 0) return "refused";
  const res = parseResponse(new Uint8Array(await new Blob(chunks).arrayBuffer()));
  return res.status === 400 && !res.headers.has("content-type") ? "refused" : res;
}

/** Writes every byte (a socket write may take only part). */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** An HTTP/1.1 answer as a `Response` (chunked bodies decoded). */
function parseResponse(bytes: Uint8Array): Response {
  const text = new TextDecoder().decode(bytes);
  const split = text.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = text.slice(0, split < 0 ? text.length : split).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  assert.ok(status >= 200 && status < 600, `not an HTTP answer: ${statusLine.slice(0, 200)}`);
  const headers = new Headers(lines.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]));
  let body: string | null = split < 0 ? "" : text.slice(split + 4);
  if (headers.get("transfer-encoding") === "chunked") {
    let out = "";
    for (let at = 0;;) {
      const eol = body.indexOf("\r\n", at);
      const size = parseInt(body.slice(at, eol), 16);
      if (!(size > 0)) break;
      out += body.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    body = out;
  }
  headers.delete("transfer-encoding");
  if (status === 204 || status === 304 || body === "") body = null; // no body: no content-type made up for it
  return new Response(body, { status, headers });
}

/** A request as raw HTTP/1.1 bytes: the target as is (not normalised), and the body framed by Content-Length. */
function rawBytes(r: FuzzRequest, host = "localhost"): Uint8Array {
  const head = [`${r.method} ${r.target} HTTP/1.1`, `host: ${host}`, "connection: close"];
  for (const [k, v] of r.headers) if (k !== "content-length") head.push(`${k}: ${v}`);
  if (r.body) head.push(`content-length: ${r.body.length}`);
  const text = new TextEncoder().encode(head.join("\r\n") + "\r\n\r\n");
  if (!r.body) return text;
  const out = new Uint8Array(text.length + r.body.length);
  out.set(text);
  out.set(r.body, text.length);
  return out;
}

Deno.test("fuzz: a real flow serve answers hostile requests, oversized headers and garbage, and stays up", async (t) => {
  const dir = await writeFiles(fixtureFiles());
  await using server = await Served.start([dir], { env: { FUZZ_SECRET: "s3cret" } });

  await t.step("generated requests over sockets, paths as sent", async () => {
    for (const given of sample(requestArb, 200, 7)) {
      const r = withRunId(given);
      let res: Response | "refused";
      try {
        res = await rawRequest(server.url, rawBytes(r));
      } catch (err) {
        throw new Error(`${describe(r)}: ${err}; flow serve wrote:\n${server.stderr.slice(-5000)}`);
      }
      if (res !== "refused") keepRunId(res);
      // Deno's HTTP layer itself refuses what it cannot parse (and heads over 64 KiB).
      if (res !== "refused") await checkAnswer(res, describe(r), r.method);
    }
  });

  await t.step("oversized headers, long URLs, many headers and bytes that are not HTTP: 4xx or closed", async () => {
    const big = (n: number) => "a".repeat(n);
    const cases: [string, string][] = [
      ["a 100 KiB header", `GET /api/v1/health HTTP/1.1\r\nhost: localhost\r\nx-big: ${big(100 * 1024)}\r\n\r\n`],
      ["a 1 MiB header", `GET /api/v1/health HTTP/1.1\r\nhost: localhost\r\nx-big: ${big(1024 * 1024)}\r\n\r\n`],
      ["a 100 KiB URL", `GET /api/v1/runs/${big(100 * 1024)} HTTP/1.1\r\nhost: localhost\r\n\r\n`],
      ["a 1 MiB URL", `GET /hooks/${big(1024 * 1024)} HTTP/1.1\r\nhost: localhost\r\n\r\n`],
      ["a 100 KiB query", `GET /api/v1/runs?before=${big(100 * 1024)} HTTP/1.1\r\nhost: localhost\r\n\r\n`],
      [
        "5,000 headers",
        `GET /api/v1/health HTTP/1.1\r\nhost: localhost\r\n${
          Array.from({ length: 5000 }, (_, i) => `x-h${i}: v`).join("\r\n")
        }\r\n\r\n`,
      ],
      ["a NUL in the target", "GET /api/v1/health\0 HTTP/1.1\r\nhost: localhost\r\n\r\n"],
      ["a bare LF request", "GET /api/v1/health HTTP/1.1\nhost: localhost\n\n"],
      [
        "a huge Content-Length",
        "POST /hooks/echo HTTP/1.1\r\nhost: localhost\r\ncontent-length: 99999999999999\r\n\r\n{}",
      ],
      ["a negative Content-Length", "POST /hooks/echo HTTP/1.1\r\nhost: localhost\r\ncontent-length: -1\r\n\r\n{}"],
      [
        "two Content-Lengths",
        "POST /hooks/echo HTTP/1.1\r\nhost: localhost\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",
      ],
      [
        "a bad chunk size",
        "POST /hooks/echo HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      ],
      ["HTTP/9.9", "GET /api/v1/health HTTP/9.9\r\nhost: localhost\r\n\r\n"],
    ];
    for (const bytes of sample(fc.uint8Array({ minLength: 1, maxLength: 2000 }), 4, 9)) {
      cases.push(["random bytes", new TextDecoder("latin1").decode(bytes)]);
    }
    // Deno's HTTP layer takes these as the requests they stand for.
    const lenient = ["a bare LF request", "two Content-Lengths"];
    for (const [what, text] of cases) {
      const bytes = what === "random bytes"
        ? Uint8Array.from(text, (c) => c.charCodeAt(0))
        : new TextEncoder().encode(text);
      const res = await rawRequest(server.url, bytes);
      if (res === "refused") continue;
      await res.body?.cancel();
      assert.ok(res.status < 500 && (res.status >= 400 || lenient.includes(what)), `${what}: ${res.status}`);
    }
  });

  await t.step("the server still answers, never exited, and logged no internal error", async () => {
    const health = await server.json("/api/v1/health");
    assert.equal(health.status, 200);
    assert.doesNotMatch(server.stderr, /internal error|Uncaught|RangeError|no longer recorded/);
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fuzz findings, pinned: deep bodies, answers HTTP does not allow, odd methods, half-closed clients", async (t) => {
  await using f = await fixture();
  const post = (path: string, body: string, type = "application/json") =>
    f.app.request(path, { method: "POST", headers: { "content-type": type }, body });
  const deep = nestedText(20_000, "1", "array");

  await t.step(
    "a webhook body 20,000 levels deep: 400 TOO_DEEP naming the path and the limit; history records on",
    async () => {
      for (const path of ["/hooks/echo", "/hooks/later"]) {
        const res = await post(path, `{"a":${deep}}`);
        assert.equal(res.status, 400);
        const { error } = await res.json();
        assert.equal(error.code, "TOO_DEEP");
        assert.equal(
          error.message,
          `the JSON body: a${"[0]".repeat(63)}: nested deeper than the limit of 64 levels of arrays and objects ` +
            "(FLOW_MAX_WORKFLOW_DEPTH)",
        );
      }
      const res = await post("/api/v1/workflows/quick/runs", `{"inputs":{"text":${deep}}}`);
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.code, "TOO_DEEP");
    },
  );

  await t.step("deep JSON text parsed by transform.json_parse fails the node; the run is recorded", async () => {
    const res = await post("/hooks/parse", deep, "text/plain");
    assert.equal(res.status, 202);
    const { executionId } = await res.json();
    await f.runtime.flush();
    const detail = await f.app.request(`/api/v1/runs/${executionId}`);
    assert.equal(detail.status, 200);
    const run = await detail.json();
    assert.equal(run.status, "failed");
    assert.equal(run.error.code, "JSON_PARSE");
    assert.match(run.error.message, /^the JSON text: \[0\]\[0\].*: nested deeper than the limit of 64 levels/);
    assert.deepEqual(f.logged.filter((l) => /no longer recorded|internal error/.test(l)), []);
  });

  await t.step(
    "http.respond given a header or status HTTP does not allow fails its node: not a 500 INTERNAL",
    async () => {
      for (const query of ["?%ef%bf%bd=0", "?a%0ab=1", "?x=a%00b"]) {
        const res = await post(`/hooks/answer${query}`, "{}");
        const body = await res.json();
        assert.equal(res.status, 500, JSON.stringify(body));
        assert.equal(body.error.code, "BAD_INPUT");
        assert.match(body.error.message, /^headers/);
        assert.equal(typeof body.executionId, "string");
      }
    },
  );

  await t.step("a body the connection drops while it is read (a client that half-closes): 400, not 500", async () => {
    for (const path of ["/api/v1/validate", "/hooks/echo"]) {
      const body = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("connection reset")) });
      const res = await f.app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        error: {
          code: "BAD_REQUEST",
          message: "the request body could not be read: the connection closed while it was read",
        },
      });
    }
  });

  await t.step("every error message is one line: an id holding a newline, a parser message quoting one", async () => {
    const byId = await f.app.request("/api/v1/workflows/a%0ab");
    assert.deepEqual(await byId.json(), { error: { message: 'no workflow "a\\nb"', code: "NOT_FOUND" } });
    const comment = await post("/hooks/echo", "// comment\n{}");
    const { error } = await comment.json();
    assert.equal(error.code, "BAD_JSON");
    assert.equal(error.message, `malformed JSON body: Unexpected token '/', "// comment\\n{}" is not valid JSON`);
  });

  await t.step("through app.request, the server never logged an internal error", () => {
    assert.deepEqual(f.logged.filter((l) => /internal error|Uncaught|RangeError/.test(l)), []);
  });
});

Deno.test("fuzz findings, pinned, over sockets: odd methods are 405; a response header with a control character does not end the server", async () => {
  const dir = await writeFiles(fixtureFiles());
  await using server = await Served.start([dir], { env: { FUZZ_SECRET: "s3cret" } });
  const cases: [string, number][] = [
    ["get /api/v1/health HTTP/1.1\r\nhost: localhost\r\n\r\n", 405],
    ["head /api/v1/runs HTTP/1.1\r\nhost: localhost\r\n\r\n", 405],
    ["TRACE /api/v1/health HTTP/1.1\r\nhost: localhost\r\n\r\n", 405],
    [
      "TRACK /api/v1/validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
      405,
    ],
  ];
  // http.respond given a header value with an escape character (here from the query): Deno's server panicked
  // writing it, and the process ended. Now the node fails, and the request gets the failed run's 500.
  const hook = "POST /hooks/answer?x=%1b%5b31m HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n";
  cases.push([`${hook}content-length: 2\r\n\r\n{}`, 500]);
  for (const [text, status] of cases) {
    const res = await rawRequest(server.url, new TextEncoder().encode(text));
    assert.ok(res !== "refused", text);
    const body = await res.text();
    assert.equal(res.status, status, `${text.split("\r\n")[0]}: ${body}`);
    assert.equal(typeof JSON.parse(body).error.code, "string");
  }
  assert.equal((await server.json("/api/v1/health")).status, 200);
  assert.doesNotMatch(server.stderr, /internal error|Uncaught/);
  await Deno.remove(dir, { recursive: true });
});
