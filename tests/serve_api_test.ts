/**
 * The HTTP API through a real `flow serve`: workflows, runs (202 and
 * ?wait=true), validate, listing with filters and pages, cancel and resume,
 * SSE replay with Last-Event-ID and live follow, /events, health, ready,
 * metrics (parsed), OpenAPI, the error format, the API token and the
 * `--host` refusal; `flow runs` shows serve runs beside `flow run` runs.
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers.ts";
import { parseSse, Served, waitFor, writeFiles } from "./serve_helpers.ts";

const files = {
  "quick.json": {
    id: "quick",
    name: "Quick",
    inputs: { who: { type: "string", default: "world" } },
    nodes: [{ id: "greet", type: "transform.set", config: { value: "hello {{ $inputs.who }}" } }],
    connections: [],
    outputs: { greeting: "greet.value" },
  },
  "slow.json": {
    id: "slow",
    inputs: { ms: { type: "number", default: 60000 } },
    nodes: [
      { id: "first", type: "transform.set", config: { value: "done first" } },
      { id: "wait", type: "time.delay", config: { ms: "{{ $inputs.ms }}" } },
    ],
    connections: [{ from: "first.value", to: "wait.value" }],
    outputs: { waited: "wait.value" },
  },
};

const start = (server: Served, id: string, body: unknown = {}, query = "") =>
  server.json(`/api/v1/workflows/${id}/runs${query}`, { json: body });

/** Parses the Prometheus text format: every sample as `name{labels}` -> value; fails on a malformed line. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample: ${line}`);
    const value = Number(m[3] === "+Inf" ? Infinity : m[3]);
    assert.ok(!Number.isNaN(value), line);
    samples.set(m[1] + (m[2] ?? ""), value);
  }
  return samples;
}

Deno.test("flow serve: the HTTP API", async (t) => {
  const dir = await writeFiles(files);
  await using server = await Served.start([dir, "--grace", "1s"]);

  await t.step("GET /workflows and /workflows/{id}; errors are {error: {message, code}}", async () => {
    const list = await server.json("/api/v1/workflows");
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.workflows.map((w: { id: string }) => w.id).sort(), ["quick", "slow"]);
    const one = await server.json("/api/v1/workflows/quick");
    assert.equal(one.body.name, "Quick");
    assert.equal(one.body.nodes[0].id, "greet");
    const missing = await server.json("/api/v1/workflows/nope");
    assert.equal(missing.status, 404);
    assert.deepEqual(Object.keys(missing.body.error).sort(), ["code", "message"]);
    const route = await server.json("/api/v1/nothing");
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, "NOT_FOUND");
    const badQuery = await server.json("/api/v1/runs?limit=0");
    assert.equal(badQuery.status, 400);
    assert.equal(badQuery.body.error.code, "BAD_REQUEST");
    const badInput = await start(server, "quick", { inputs: { who: 3 } });
    assert.equal(badInput.status, 400);
    assert.equal(typeof badInput.body.error.message, "string");
  });

  await t.step(
    "POST /workflows/{id}/runs: 202 with Location; ?wait=true is what flow run --format json prints",
    async () => {
      const accepted = await start(server, "quick", { inputs: { who: "api" } });
      assert.equal(accepted.status, 202);
      assert.equal(accepted.headers.get("location"), `/api/v1/runs/${accepted.body.executionId}`);
      const run = await server.waitForRun(accepted.body.executionId);
      assert.equal(run.trigger, "api");
      assert.deepEqual(run.outputs, { greeting: "hello api" });

      const waited = await start(server, "quick", { inputs: { who: "wait" } }, "?wait=true");
      assert.equal(waited.status, 200);
      const cli = await runCli(["run", `${dir}/quick.json`, "--format", "json", "--input", "who=wait"]);
      assert.equal(cli.code, 0, cli.stderr);
      const printed = JSON.parse(cli.stdout);
      assert.deepEqual(Object.keys(waited.body).sort(), Object.keys(printed).sort());
      assert.deepEqual(waited.body.outputs, printed.outputs);
      assert.equal(waited.body.status, "success");
    },
  );

  await t.step("POST /validate", async () => {
    const ok = await server.json("/api/v1/validate", { json: files["quick.json"] });
    assert.deepEqual(ok.body, { valid: true, errors: [], unchecked: [] });
    const bad = await server.json("/api/v1/validate", { json: { nodes: [{ id: "x", type: "no.such" }] } });
    assert.equal(bad.status, 200);
    assert.equal(bad.body.valid, false);
    assert.ok(bad.body.errors.length >= 1);
  });

  await t.step("GET /runs filters by workflow and status and pages with limit and before", async () => {
    for (let i = 0; i < 3; i++) await start(server, "quick", {}, "?wait=true");
    const all = await server.runs("workflow=quick");
    assert.ok(all.length >= 5);
    const page = await server.json("/api/v1/runs?workflow=quick&status=success&limit=2");
    assert.equal(page.body.runs.length, 2);
    assert.ok(page.body.next);
    const next = await server.json(`/api/v1/runs?workflow=quick&limit=2&before=${page.body.next}`);
    assert.deepEqual(next.body.runs.map((r: { executionId: string }) => r.executionId), [
      all[2].executionId,
      all[3].executionId,
    ]);
    assert.equal((await server.json("/api/v1/runs?workflow=quick&status=failed")).body.runs.length, 0);
  });

  let cancelled = "";
  await t.step("cancel a running run; cancelling it again is 409", async () => {
    const { body } = await start(server, "slow");
    await waitFor(async () => {
      const run = (await server.json(`/api/v1/runs/${body.executionId}`)).body;
      return run.nodes?.find((n: { id: string }) => n.id === "wait")?.status === "running";
    });
    const res = await server.json(`/api/v1/runs/${body.executionId}/cancel`, { method: "POST" });
    assert.equal(res.status, 202);
    const run = await server.waitForRun(body.executionId);
    assert.equal(run.status, "cancelled");
    const again = await server.json(`/api/v1/runs/${body.executionId}/cancel`, { method: "POST" });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "NOT_RUNNING");
    cancelled = body.executionId;
  });

  await t.step("resume the cancelled run: a new execution reusing what completed", async () => {
    const res = await server.json(`/api/v1/runs/${cancelled}/resume`, { method: "POST" });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get("location"), `/api/v1/runs/${res.body.executionId}`);
    const detail = await waitFor(async () => {
      const run = (await server.json(`/api/v1/runs/${res.body.executionId}`)).body;
      return run.nodes?.find((n: { id: string }) => n.id === "wait")?.status === "running" && run;
    });
    assert.equal(detail.resumedFrom, cancelled);
    assert.equal(detail.nodes.find((n: { id: string }) => n.id === "first").reused, true);
    await server.json(`/api/v1/runs/${res.body.executionId}/cancel`, { method: "POST" });
    assert.equal((await server.waitForRun(res.body.executionId)).status, "cancelled");
    const done = await server.json(`/api/v1/runs/${res.body.executionId.slice(0, 8)}`);
    assert.equal(done.body.executionId, res.body.executionId, "a unique prefix works");
    const nothing = await server.json(`/api/v1/runs/${(await server.runs("workflow=quick"))[0].executionId}/resume`, {
      method: "POST",
    });
    assert.equal(nothing.status, 409);
    assert.equal(nothing.body.error.code, "NOTHING_TO_RESUME");
  });

  await t.step("GET /runs/{id}/events: NDJSON, SSE, replay from Last-Event-ID or ?after=", async () => {
    const { body } = await start(server, "quick", {}, "?wait=true");
    const id = body.executionId;
    const ndjson = await server.fetch(`/api/v1/runs/${id}/events`);
    assert.match(ndjson.headers.get("content-type")!, /application\/x-ndjson/);
    const events = (await ndjson.text()).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(events[0].type, "workflow.started");
    assert.equal(events.at(-1).type, "workflow.completed");
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i));

    const sse = await server.fetch(`/api/v1/runs/${id}/events`, { headers: { accept: "text/event-stream" } });
    assert.match(sse.headers.get("content-type")!, /text\/event-stream/);
    const frames = parseSse(await sse.text());
    assert.deepEqual(frames.map((f) => Number(f.id)), events.map((e) => e.seq));
    assert.deepEqual(frames.map((f) => f.event), events.map((e) => e.type));
    assert.deepEqual(frames.map((f) => JSON.parse(f.data)), events);

    const after = 1;
    const replay = await server.fetch(`/api/v1/runs/${id}/events`, {
      headers: { accept: "text/event-stream", "last-event-id": String(after) },
    });
    const replayed = parseSse(await replay.text());
    assert.deepEqual(replayed.map((f) => Number(f.id)), events.slice(after + 1).map((e) => e.seq));
    const byQuery = await (await server.fetch(`/api/v1/runs/${id}/events?after=${after}`)).text();
    assert.equal(byQuery.trim().split("\n").length, events.length - after - 1);
  });

  await t.step("SSE of a running run follows it live until workflow.completed, then ends", async () => {
    const { body } = await start(server, "slow", { inputs: { ms: 400 } });
    const res = await server.fetch(`/api/v1/runs/${body.executionId}/events`, {
      headers: { accept: "text/event-stream" },
    });
    const frames = parseSse(await res.text());
    assert.equal(frames[0].event, "workflow.started");
    assert.equal(frames.at(-1)!.event, "workflow.completed");
    assert.equal(JSON.parse(frames.at(-1)!.data).status, "success");
    assert.deepEqual(frames.map((f) => Number(f.id)), frames.map((_, i) => i), "no gap between replay and live");
  });

  await t.step("GET /events streams every execution's events", async () => {
    const controller = new AbortController();
    const res = await server.fetch("/api/v1/events", { signal: controller.signal });
    assert.match(res.headers.get("content-type")!, /text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const { body } = await start(server, "quick");
    let text = "";
    while (!text.includes(`"executionId":"${body.executionId}"`) || !text.includes("workflow.completed")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    controller.abort();
    await reader.cancel().catch(() => {});
    const mine = parseSse(text).filter((f) => f.data.includes(body.executionId));
    assert.equal(mine[0].event, "workflow.started");
    assert.ok(mine.some((f) => f.event === "workflow.completed"));
  });

  await t.step("health, ready, OpenAPI", async () => {
    const health = await server.json("/api/v1/health");
    assert.equal(health.body.ok, true);
    const ready = await server.json("/api/v1/ready");
    assert.equal(ready.body.ready, true);
    assert.deepEqual(ready.body.workflows, { serving: 2, invalid: 0 });
    assert.equal(ready.body.checks.store.ok, true);
    const doc = (await server.json("/api/v1/openapi.json")).body;
    assert.equal(doc.openapi, "3.1.0");
    for (
      const path of [
        "/workflows",
        "/workflows/{id}",
        "/workflows/{id}/runs",
        "/validate",
        "/runs",
        "/runs/{id}",
        "/runs/{id}/cancel",
        "/runs/{id}/resume",
        "/runs/{id}/events",
        "/events",
        "/health",
        "/ready",
      ]
    ) assert.ok(doc.paths[path], `OpenAPI lacks ${path}`);
    assert.ok(doc.components.schemas.Error);
    for (const status of ["400", "413", "415"]) {
      assert.ok(doc.paths["/validate"].post.responses[status], `POST /validate documents ${status}`);
      assert.ok(
        doc.paths["/workflows/{id}/runs"].post.responses[status],
        `POST /workflows/{id}/runs documents ${status}`,
      );
    }
    assert.equal(doc.components.schemas.RunRequest.additionalProperties, false, "unknown body keys are refused");
  });

  await t.step("GET /metrics is valid Prometheus text with the flow_ series", async () => {
    const res = await server.fetch("/api/v1/metrics");
    assert.match(res.headers.get("content-type")!, /^text\/plain/);
    const samples = parseMetrics(await res.text());
    assert.ok([...samples.keys()].every((k) => k.startsWith("flow_")));
    assert.ok(samples.get('flow_runs_started_total{workflow="quick",trigger="api"}')! >= 6);
    assert.ok(samples.get('flow_runs_completed_total{workflow="quick",status="success"}')! >= 6);
    assert.ok(samples.get('flow_runs_completed_total{workflow="slow",status="cancelled"}')! >= 2);
    assert.equal(samples.get("flow_runs_in_flight"), 0);
    assert.equal(samples.get("flow_runs_queued"), 0);
    assert.equal(samples.get("flow_workflows_serving"), 2);
    const buckets = [...samples].filter(([k]) => k.startsWith('flow_run_duration_seconds_bucket{workflow="quick"'));
    assert.ok(buckets.length > 2);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], "cumulative buckets");
    assert.equal(buckets.at(-1)![1], samples.get('flow_run_duration_seconds_count{workflow="quick"}'));
    assert.ok([...samples.keys()].some((k) => k.startsWith('flow_node_duration_seconds_count{type="transform.set"}')));
  });

  await t.step("flow runs (same FLOW_STATE_DIR) lists serve runs beside flow run runs", async () => {
    const env = { FLOW_STATE_DIR: server.stateDir };
    const ran = await runCli(["run", `${dir}/quick.json`, "--quiet"], { env });
    assert.equal(ran.code, 0, ran.stderr);
    const listed = await runCli(["runs", "--workflow", "quick", "--limit", "100"], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /\bcli\b/);
    assert.match(listed.stdout, /\bapi\b/);
    const fromApi = await server.runs();
    assert.ok(fromApi.some((r) => r.trigger === "cli"), "the API lists flow run runs too");
  });
});

Deno.test("flow serve: the API token, CORS and the --host refusal", async (t) => {
  const dir = await writeFiles({ "quick.json": files["quick.json"] });

  await t.step("a non-loopback --host without a token exits 2", async () => {
    // (127.0.0.2 is loopback, like all of 127.0.0.0/8: serve_edge_test.ts serves it without a token.)
    const res = await runCli(["serve", "--host", "0.0.0.0", "--port", "0", dir]);
    assert.equal(res.code, 2);
    assert.equal(res.stdout, "");
    assert.match(res.stderr, /--host 0\.0\.0\.0 exposes the API beyond this machine: set --token/);
    assert.equal(res.stderr.trim().split("\n").length, 1, "one line, no stack trace");
  });

  await t.step("with a token every /api route needs it, but health", async () => {
    const token = "api-token-123";
    await using server = await Served.start(["--host", "127.0.0.2", dir], { env: { FLOW_API_TOKEN: token }, token });
    assert.match(server.url, /^http:\/\/127\.0\.0\.2:\d+$/);
    const denied = await server.json("/api/v1/workflows");
    assert.equal(denied.status, 401);
    assert.equal(denied.body.error.code, "UNAUTHORIZED");
    assert.equal((await server.json("/api/v1/workflows", { headers: { authorization: "Bearer nope" } })).status, 401);
    assert.equal((await server.json("/api/v1/metrics")).status, 401);
    const ok = await server.json("/api/v1/workflows", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.equal((await server.json("/api/v1/health")).status, 200);
    const body = await server.json("/api/v1/health");
    assert.ok(!JSON.stringify(body).includes(token));
  });

  await t.step("CORS is off unless --cors", async () => {
    await using plain = await Served.start([dir]);
    const res = await plain.fetch("/api/v1/health", { headers: { origin: "https://app.example" } });
    await res.body?.cancel();
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    await using withCors = await Served.start(["--cors", "https://app.example", dir]);
    const allowed = await withCors.fetch("/api/v1/health", { headers: { origin: "https://app.example" } });
    await allowed.body?.cancel();
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
  });
});
