/**
 * Default retention in long-running processes: the {@linkcode RetentionPruner}
 * (at once for the first ended run, then at most once per interval) and
 * `flow serve`'s runtime, which prunes a workflow whose runs ended once it has
 * more than 1,010 executions. (`flow run`'s prune is tested through the CLI
 * in history_cli_test.ts.)
 */
import assert from "node:assert/strict";
import { builtinRegistry } from "../nodes/mod.ts";
import { FlowRuntime } from "../src/runtime/runtime.ts";
import { historyKeep, KEEP_PER_WORKFLOW, pruneSlack, RetentionPruner } from "../src/store/retention.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { NewExecution, Store } from "../src/store/types.ts";
import { createApp } from "../server/app.ts";
import { webhookWorkflow, writeFiles } from "./serve_helpers.ts";

/** `count` finished executions of `workflowId`, oldest first (a minute apart, in the past). */
function finished(workflowId: string, count: number): NewExecution[] {
  const start = Date.now() - (count + 1) * 60_000;
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(start + i * 60_000).toISOString();
    return {
      executionId: `${workflowId}-${String(i).padStart(5, "0")}`,
      workflowId,
      inputs: {},
      trigger: "cli",
      status: "success",
      createdAt: at,
      startedAt: at,
    };
  });
}

/** How many executions `workflowId` has. */
async function count(store: Store, workflowId: string): Promise<number> {
  return (await store.listExecutions({ workflowId, limit: 100_000 })).length;
}

/** Resolves once `check` holds, checking every 10 ms for up to 10 s (no event tells when a timer-driven prune ran). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`still not so after 10 s: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const PAST = KEEP_PER_WORKFLOW + pruneSlack(KEEP_PER_WORKFLOW) + 1; // 1011: one past what is kept with the slack

Deno.test("RetentionPruner: the first ended run prunes at once; a burst waits for the interval, then prunes all", async () => {
  const store = await openSqliteStore(":memory:");
  const pruner = new RetentionPruner(store, (err) => assert.fail(String(err)), { intervalMs: 50 });
  try {
    await store.write({ created: [...finished("a", PAST), ...finished("b", PAST), ...finished("c", PAST - 1)] });
    pruner.ended("a"); // at once
    pruner.ended("b"); // within the interval: waits for it
    pruner.ended("c"); // 1010: within the slack, so nothing to delete
    await eventually(async () => await count(store, "a") === KEEP_PER_WORKFLOW, "a pruned to 1000");
    await eventually(async () => await count(store, "b") === KEEP_PER_WORKFLOW, "b pruned to 1000");
    assert.equal(await count(store, "c"), PAST - 1, "within the slack: untouched");
    const left = (await store.listExecutions({ workflowId: "a", limit: 1, oldestFirst: true }))[0];
    assert.equal(left.executionId, `a-${String(PAST - KEEP_PER_WORKFLOW).padStart(5, "0")}`, "the oldest went");
  } finally {
    await pruner.close();
    await store.close();
  }
});

Deno.test("flow serve's runtime prunes a workflow whose run ended, once it has more than 1,010", async () => {
  const dir = await writeFiles({ "echo.json": webhookWorkflow("echo", { path: "echo" }) });
  const store = await openSqliteStore(`${dir}/flow.db`);
  await store.write({ created: [...finished("echo", PAST - 1), ...finished("other", PAST)] });
  const runtime = await FlowRuntime.start({ paths: [dir], registry: builtinRegistry(), watch: false, store });
  const app = createApp(runtime, { log: () => {} });
  try {
    const res = await app.request("/hooks/echo", { method: "POST", body: "{}" });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    // Its run made 1011 executions of echo: down to the newest 1000, the run just ended among them.
    await eventually(async () => await count(store, "echo") === KEEP_PER_WORKFLOW, "echo pruned to 1000");
    const newest = (await store.listExecutions({ workflowId: "echo", limit: 1 }))[0];
    assert.equal(newest.trigger, "webhook");
    assert.equal(await count(store, "other"), PAST, "a workflow that did not run is not touched");
  } finally {
    await runtime.shutdown(1000);
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FLOW_HISTORY_KEEP: a whole number (0 keeps every execution), 1000 by default; the slack is 1%, at least 1", () => {
  assert.equal(historyKeep(undefined), 1000);
  assert.equal(historyKeep(""), 1000);
  assert.equal(historyKeep("50"), 50);
  assert.equal(historyKeep(" 0 "), 0);
  for (const bad of ["-1", "1.5", "ten", "1e3"]) {
    assert.throws(() => historyKeep(bad), {
      message: `FLOW_HISTORY_KEEP: expected a whole number (0 keeps every execution); got "${bad}"`,
    });
  }
  assert.deepEqual([1000, 50, 1].map(pruneSlack), [10, 1, 1]);
});

Deno.test("RetentionPruner with keep 0 prunes nothing", async () => {
  const store = await openSqliteStore(":memory:");
  const pruner = new RetentionPruner(store, (err) => assert.fail(String(err)), { keep: 0 });
  try {
    await store.write({ created: finished("a", 20) });
    pruner.ended("a");
    await pruner.close(); // would wait for a prune under way
    assert.equal(await count(store, "a"), 20);
  } finally {
    await store.close();
  }
});
