import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import type { FlowEvent } from "../mod.ts";
import { parseNdjson, ROOT, runCli } from "./helpers.ts";

type Completed = Extract<FlowEvent, { type: "workflow.completed" }>;

async function runExample(name: string, inputs: Record<string, string>) {
  const args = ["run", `${ROOT}examples/${name}.json`, "--format", "ndjson"];
  for (const [k, v] of Object.entries(inputs)) args.push("--input", `${k}=${v}`);
  const r = await runCli(args);
  const events = parseNdjson(r.stdout);
  return { ...r, events, completed: events.at(-1) as Completed };
}

Deno.test("examples run against a local server", async (t) => {
  const server = startDemoServer();
  try {
    await t.step("linear: HTTP -> parse -> log", async () => {
      const r = await runExample("linear", { url: `${server.url}/zen.json` });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.completed.outputs, { zen: { zen: "Practicality beats purity." } });
      const log = r.events.find((e) => e.type === "node.log");
      assert.equal(log?.type === "node.log" && log.message, '{"zen":"Practicality beats purity."}');
    });
    await t.step("fanout: three requests in parallel, merged", async () => {
      const r = await runExample("fanout", {
        a: `${server.url}/slow?ms=300`,
        b: `${server.url}/slow?ms=300`,
        c: `${server.url}/zen.json`,
      });
      assert.equal(r.code, 0, r.stderr);
      const merged = r.completed.outputs.merged as Record<string, unknown>;
      assert.deepEqual(Object.keys(merged), ["slow", "user", "zen"]);
      // Two 300 ms requests: in parallel the run takes well under 600 ms.
      assert.ok(r.completed.durationMs < 550, `took ${r.completed.durationMs} ms`);
      const starts = r.events.filter((e) => e.type === "node.started").slice(0, 3).map((e) =>
        "nodeId" in e && e.nodeId
      );
      assert.deepEqual(starts, ["fetch_a", "fetch_b", "fetch_c"], "all three fetches start before any parse");
    });
    await t.step("retry: a flaky endpoint succeeds on the third attempt", async () => {
      const r = await runExample("retry", { url: `${server.url}/flaky/example?fail=2` });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.events.filter((e) => e.type === "node.retrying").length, 2);
      assert.deepEqual(r.completed.outputs, { result: { ok: true, attempts: 3 } });
      assert.equal(server.hits.get("/flaky/example"), 3);
    });
    await t.step("continue: the failing branch is skipped, the other completes, exit 1", async () => {
      const r = await runExample("continue", { good: `${server.url}/users/2`, bad: `${server.url}/status/500` });
      assert.equal(r.code, 1);
      assert.equal(r.completed.status, "failed");
      assert.deepEqual(r.completed.outputs, { user: { id: 2, name: "user 2", email: "user2@example.test" } });
      const skipped = r.events.filter((e) => e.type === "node.skipped").map((e) => "nodeId" in e && e.nodeId);
      assert.deepEqual(skipped, ["parse_bad", "log_bad"]);
      const failed = r.events.find((e) => e.type === "node.failed");
      assert.equal(failed?.type === "node.failed" && failed.error.code, "HTTP_STATUS");
    });
  } finally {
    await server.close();
  }
});

Deno.test("the demo task runs the linear example end to end", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "demo"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(stdout, /✔ success in \d+ ms/);
  assert.match(stdout, /Practicality beats purity/);
});
