/**
 * Graceful shutdown of a real `flow serve`: on SIGTERM/SIGINT it stops
 * accepting work (new webhooks 503), lets runs in flight finish within
 * `--grace`, cancels what is left (recorded as cancelled), flushes the store
 * and exits 0, even with event streams open.
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers.ts";
import { Served, waitFor, webhookWorkflow, writeFiles } from "./serve_helpers.ts";

const files = (ms: number) => ({
  "slow.json": webhookWorkflow("slow", { path: "slow" }, {
    nodes: [{ id: "wait", type: "time.delay", config: { ms } }],
    connections: [{ from: "hook.body", to: "wait.value" }],
    outputs: { waited: "wait.value" },
  }),
  "fast.json": webhookWorkflow("fast", { path: "fast" }),
});

const post = { method: "POST", headers: { "content-type": "application/json" }, body: '{"n":1}' };

Deno.test("flow serve: SIGTERM lets the run in flight finish, refuses new webhooks, exits 0", async () => {
  const dir = await writeFiles(files(3_000));
  await using server = await Served.start([dir, "--grace", "20s"]);
  // An open event stream must not hold the shutdown up.
  const events = await server.fetch("/api/v1/events");
  const eventsText = events.text().catch(() => "");
  const inFlight = server.json("/hooks/slow", post);
  const running = await waitFor(async () => (await server.runs("workflow=slow&status=running"))[0]);

  server.kill("SIGTERM");
  const refused = await waitFor(async () => {
    const res = await server.json("/hooks/fast", post);
    return res.status === 503 && res;
  }, { timeoutMs: 2_500, message: () => `new webhooks were not refused while draining; stderr:\n${server.stderr}` });
  assert.equal(refused.body.error.code, "SHUTTING_DOWN");
  assert.ok(refused.headers.get("retry-after"));

  const answer = await inFlight;
  assert.equal(answer.status, 200, "the run in flight finished and was answered");
  assert.deepEqual(answer.body, { waited: { n: 1 } });
  const stopped = await server.exited();
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stderr, /shutting down; waiting up to 20000 ms for 1 run\(s\)/);
  assert.match(stopped.stderr, /flow serve: stopped/);
  await eventsText;

  const shown = await runCli(["runs", "show", running.executionId, "--format", "json"], {
    env: { FLOW_STATE_DIR: server.stateDir },
  });
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).status, "success");
});

Deno.test("flow serve: SIGINT past --grace cancels what is left, records it, exits 0", async () => {
  const dir = await writeFiles(files(60_000));
  await using server = await Served.start([dir, "--grace", "300ms"]);
  const inFlight = server.json("/hooks/slow", post);
  const running = await waitFor(async () => (await server.runs("workflow=slow&status=running"))[0]);
  const sent = Date.now();
  server.kill("SIGINT");
  const stopped = await server.exited();
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.ok(Date.now() - sent < 15_000, "did not wait for the 60 s run");
  const answer = await inFlight.catch((err) => ({ status: 0, body: String(err) }));
  assert.ok(answer.status === 500 || answer.status === 0, JSON.stringify(answer));
  const shown = await runCli(["runs", "show", running.executionId, "--format", "json"], {
    env: { FLOW_STATE_DIR: server.stateDir },
  });
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).status, "cancelled");
});
