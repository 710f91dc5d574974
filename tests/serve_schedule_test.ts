/**
 * Schedules through a real `flow serve`: a 6-field cron firing every second,
 * an interval, each overlap policy, and the skipping of nodes that only
 * another trigger reaches. Also `flow run` of a workflow with triggers.
 */
import assert from "node:assert/strict";
import { runCli, writeWorkflow } from "./helpers.ts";
import { Served, waitFor, writeFiles } from "./serve_helpers.ts";

const delayed = (id: string, trigger: Record<string, unknown>, ms: number) => ({
  id,
  nodes: [
    { id: "tick", type: "time.interval", config: trigger },
    { id: "wait", type: "time.delay", config: { ms } },
  ],
  connections: [{ from: "tick.firedAt", to: "wait.value" }],
  outputs: { firedAt: "wait.value" },
});

const files = {
  "cron6.json": {
    id: "cron6",
    nodes: [
      { id: "clock", type: "time.cron", config: { schedule: "* * * * * *", timezone: "UTC" } },
      { id: "hook", type: "http.webhook", config: { path: "cron6" } },
      { id: "from_clock", type: "transform.set", config: { value: "{{ $node.at }}" } },
      { id: "from_hook", type: "transform.set", config: { value: "hook" } },
    ],
    connections: [
      { from: "clock.scheduledAt", to: "from_clock.at" },
      { from: "hook.body", to: "from_hook.body" },
    ],
    outputs: { scheduledAt: "clock.scheduledAt", firedAt: "clock.firedAt", hook: "from_hook.value" },
  },
  "interval.json": {
    id: "interval",
    nodes: [{ id: "tick", type: "time.interval", config: { every: "300ms", startImmediately: true } }],
    connections: [],
    outputs: { scheduledAt: "tick.scheduledAt", firedAt: "tick.firedAt" },
  },
  "skip.json": delayed("skip", { every: "150ms" }, 400),
  "queue.json": delayed("queue", { every: "150ms", overlap: "queue" }, 250),
  "allow.json": delayed("allow", { every: "150ms", overlap: "allow" }, 400),
};

interface Run {
  executionId: string;
  status: string;
  trigger: string;
  startedAt?: string;
  endedAt?: string;
  error?: { code: string };
}

const span = (r: Run) => [Date.parse(r.startedAt!), Date.parse(r.endedAt!)];

/** Whether any two runs were running at the same time. */
function overlapping(runs: Run[]): boolean {
  const done = runs.filter((r) => r.status === "success").map(span).sort((a, b) => a[0] - b[0]);
  return done.some((s, i) => i > 0 && s[0] < done[i - 1][1]);
}

Deno.test("flow serve: schedules", async (t) => {
  const dir = await writeFiles(files);
  await using server = await Served.start([dir, "--grace", "2s"]);

  await t.step("a 6-field cron fires every second; nodes only the webhook reaches are skipped", async () => {
    const runs = await waitFor(async () => {
      const all = (await server.runs("workflow=cron6&status=success")) as Run[];
      return all.length >= 2 && all;
    }, { timeoutMs: 10_000 });
    const detail = await server.waitForRun(runs[0].executionId);
    assert.equal(detail.trigger, "cron");
    assert.equal(detail.triggerNode, "clock");
    const { scheduledAt, firedAt } = detail.outputs;
    assert.match(scheduledAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/, "due on a whole second");
    assert.ok(Date.parse(firedAt) >= Date.parse(scheduledAt));
    const byId = Object.fromEntries(detail.nodes.map((n: { id: string }) => [n.id, n]));
    assert.equal(byId.from_clock.status, "completed");
    assert.equal(byId.hook.status, "skipped");
    assert.equal(byId.hook.reason, 'trigger "hook" did not fire');
    assert.equal(byId.from_hook.status, "skipped");
    // And the other way round.
    const res = await server.json("/hooks/cron6", { method: "POST", body: "{}" });
    assert.equal(res.status, 200);
    assert.equal(res.body.hook, "hook");
    const hooked = await server.waitForRun(res.headers.get("x-flow-execution-id")!);
    const clock = hooked.nodes.find((n: { id: string }) => n.id === "clock");
    assert.equal(clock.status, "skipped");
    assert.equal(clock.reason, 'trigger "clock" did not fire');
    const info = (await server.json("/api/v1/workflows/cron6")).body;
    const cron = info.triggers.find((tr: { nodeId: string }) => tr.nodeId === "clock");
    assert.ok(Date.parse(cron.nextFireAt) > Date.now() - 1000, JSON.stringify(cron));
  });

  await t.step("an interval fires (startImmediately, then every 300ms)", async () => {
    const runs = await waitFor(async () => {
      const all = (await server.runs("workflow=interval&status=success")) as Run[];
      return all.length >= 3 && all;
    });
    assert.ok(runs.every((r) => r.trigger === "interval"));
  });

  await t.step('overlap "skip": a fire during a run is recorded as a skipped execution', async () => {
    const skipped = await waitFor(async () => {
      const all = (await server.runs("workflow=skip&status=skipped")) as Run[];
      return all.length >= 2 && all;
    });
    assert.equal(skipped[0].trigger, "interval");
    assert.equal(skipped[0].error?.code, "OVERLAP");
    const ran = (await server.runs("workflow=skip")) as Run[];
    assert.ok(!overlapping(ran), "skip never runs two at once");
  });

  await t.step('overlap "queue": fires wait for the previous run; none skipped, none overlapping', async () => {
    const runs = await waitFor(async () => {
      const all = (await server.runs("workflow=queue&status=success")) as Run[];
      return all.length >= 3 && all;
    });
    assert.ok(!overlapping(runs), JSON.stringify(runs.map(span)));
    assert.equal((await server.runs("workflow=queue&status=skipped")).length, 0);
  });

  await t.step('overlap "allow": runs overlap', async () => {
    await waitFor(async () => overlapping((await server.runs("workflow=allow&status=success")) as Run[]));
    assert.equal((await server.runs("workflow=allow&status=skipped")).length, 0);
  });

  await t.step("skipped fires are counted in /metrics", async () => {
    const text = await (await server.fetch("/api/v1/metrics")).text();
    assert.match(text, /^flow_schedule_skipped_total\{workflow="skip"\} [1-9]\d*$/m);
  });
});

Deno.test("flow run: a workflow with triggers runs as if one fired once", async () => {
  const one = await writeWorkflow({
    id: "one_trigger",
    nodes: [{ id: "hook", type: "http.webhook", config: { path: "x" } }],
    connections: [],
    outputs: { body: "hook.body", method: "hook.method" },
  });
  const ok = await runCli(["run", one, "--format", "json", "--trigger-data", '{"body":{"a":1}}']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).outputs, { body: { a: 1 }, method: "POST" });

  const two = await writeWorkflow({
    id: "two_triggers",
    nodes: [
      { id: "hook", type: "http.webhook", config: { path: "x" } },
      { id: "clock", type: "time.cron", config: { schedule: "0 * * * *" } },
    ],
    connections: [],
    outputs: { scheduledAt: "clock.scheduledAt", body: "hook.body" },
  });
  const refused = await runCli(["run", two]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /hook \(http\.webhook\), clock \(time\.cron\)/);
  assert.match(refused.stderr, /--trigger/);
  const chosen = await runCli(["run", two, "--trigger", "clock", "--format", "json"]);
  assert.equal(chosen.code, 0, chosen.stderr);
  const result = JSON.parse(chosen.stdout);
  assert.equal(typeof result.outputs.scheduledAt, "string");
  assert.equal(result.outputs.body, undefined, "the webhook did not fire");
  const hookNode = result.nodes.find((n: { id: string }) => n.id === "hook");
  assert.equal(hookNode.status, "skipped");
});
