/**
 * 500 concurrent webhook requests against a real `flow serve`: every accepted
 * request is one recorded execution, none is lost, and the only 5xx is the
 * documented 503 (with Retry-After) when `--max-runs` and `--max-waiting` are full.
 */
import assert from "node:assert/strict";
import { Served, waitFor, webhookWorkflow, writeFiles } from "./serve_helpers.ts";

const N = 500;

const files = {
  "echo.json": webhookWorkflow("echo", { path: "echo" }, {
    nodes: [{ id: "wait", type: "time.delay", config: { ms: 20 } }],
    connections: [{ from: "hook.body", to: "wait.value" }],
    outputs: { echo: "wait.value" },
  }),
};

/** Sends `N` requests at once; returns each one's status, execution id and Retry-After. */
function burst(server: Served) {
  return Promise.all(Array.from({ length: N }, async (_, i) => {
    const res = await server.json("/hooks/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ i }),
    });
    if (res.status === 200) assert.deepEqual(res.body, { echo: { i } });
    return {
      status: res.status,
      id: res.headers.get("x-flow-execution-id"),
      retryAfter: res.headers.get("retry-after"),
      code: res.body?.error?.code,
    };
  }));
}

Deno.test("flow serve: 500 concurrent webhooks are 500 recorded executions", async () => {
  const dir = await writeFiles(files);
  await using server = await Served.start([dir]);
  const answers = await burst(server);
  assert.deepEqual([...new Set(answers.map((a) => a.status))], [200]);
  const ids = new Set(answers.map((a) => a.id));
  assert.equal(ids.size, N);
  const runs = await server.runs("workflow=echo");
  assert.equal(runs.length, N);
  assert.ok(runs.every((r) => r.status === "success" && ids.has(r.executionId)));
  const metrics = await (await server.fetch("/api/v1/metrics")).text();
  assert.match(metrics, new RegExp(`^flow_webhook_requests_total\\{status="200"\\} ${N}$`, "m"));
  assert.match(metrics, new RegExp(`^flow_runs_completed_total\\{workflow="echo",status="success"\\} ${N}$`, "m"));
});

Deno.test("flow serve: past --max-runs and --max-waiting, webhooks get 503 with Retry-After; nothing else is lost", async (t) => {
  // --queue N is the former spelling of --max-waiting N.
  for (const waiting of [["--max-waiting", "20"], ["--queue", "20"]]) {
    await t.step(waiting.join(" "), async () => {
      const dir = await writeFiles(files);
      await using server = await Served.start([dir, "--max-runs", "2", ...waiting]);
      const answers = await burst(server);
      const ok = answers.filter((a) => a.status === 200);
      const busy = answers.filter((a) => a.status === 503);
      assert.equal(ok.length + busy.length, N, `only 200 and 503: ${[...new Set(answers.map((a) => a.status))]}`);
      assert.ok(busy.length > 0, "the limits were reached");
      assert.ok(ok.length >= 22, "what fit in the slots and the queue ran");
      assert.ok(busy.every((a) => a.code === "BUSY" && Number(a.retryAfter) >= 1));
      const runs = await waitFor(async () => {
        const all = await server.runs("workflow=echo");
        return all.every((r) => r.status === "success") && all;
      });
      assert.equal(runs.length, ok.length, "every accepted request is one execution; refused ones none");
      const ids = new Set(ok.map((a) => a.id));
      assert.ok(runs.every((r) => ids.has(r.executionId)));
    });
  }
});
