/**
 * The distributed mode when things go away, on one real cluster (Redis,
 * PostgreSQL, 2 API servers, 3 workers with `--grace 4s`):
 * - Redis stopped for a few seconds under a steady stream of webhook calls:
 *   the API servers answer 503 QUEUE_UNAVAILABLE at once (recorded as
 *   refused), everything answered 202 runs once, the workers reconnect;
 * - PostgreSQL stopped: 503 STORE_UNAVAILABLE; a run in flight finishes once
 *   it is back;
 * - SIGTERM on a worker: it takes no new job, finishes its own (or cancels it
 *   after `--grace`) and exits 0;
 * - no worker alive: `/api/v1/ready` says so, `/api/v1/metrics` and `flow
 *   runs` show the queued execution and how long it has waited; a worker
 *   started later runs it;
 * - SIGTERM while Redis is away: servers and workers still stop, exit 0.
 */
import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import { runCli } from "./helpers.ts";
import { hasPostgres, hasRedis } from "./services.ts";
import {
  type Cluster,
  getJson,
  postJson,
  type Services,
  startCluster,
  startServices,
  waitUntil,
  within,
} from "./cluster_helpers.ts";

/** Short job locks, so that a job left active by a Redis outage is taken again soon, ms. */
const LOCK_MS = 4000;

/** How long Redis is away: longer than a job's lock, ms. */
const OUTAGE_MS = 5000;

/** How long the run in flight through a Redis outage waits: well past the outage and the stall check after it, ms. */
const SPAN_MS = 12_000;

/** Outages need servers this test starts (halt and resume). */
const external = !!Deno.env.get("FLOW_TEST_REDIS_URL") || !!Deno.env.get("FLOW_TEST_DATABASE_URL");

function workflows(demo: string): Record<string, unknown> {
  const delayed = (id: string, ms: number) => ({
    id,
    nodes: [
      { id: "first", type: "transform.set", config: { value: id } },
      { id: "wait", type: "time.delay", config: { ms } },
    ],
    connections: [{ from: "first.value", to: "wait.value" }],
    outputs: { value: "wait.value" },
  });
  return {
    "in.json": {
      id: "in",
      nodes: [
        { id: "hook", type: "http.webhook", config: { path: "in", respond: "immediately" } },
        { id: "fetch", type: "http.request", config: { url: `${demo}/users/5` } },
        { id: "wait", type: "time.delay", config: { ms: 300 } },
        { id: "out", type: "transform.set", config: { value: "{{ $node.body.i }}" } },
      ],
      connections: [
        { from: "hook.body", to: "out.body" },
        { from: "fetch.status", to: "wait.value" },
        { from: "wait.value", to: "out.status" },
      ],
      outputs: { i: "out.value" },
    },
    "quick.json": {
      id: "quick",
      nodes: [{ id: "set", type: "transform.set", config: { value: "quick" } }],
      connections: [],
      outputs: { value: "set.value" },
    },
    "pause.json": delayed("pause", 2500),
    "span.json": {
      id: "span",
      nodes: [
        { id: "wait", type: "time.delay", config: { ms: SPAN_MS } },
        { id: "call", type: "http.request", config: { url: `${demo}/users/8`, method: "POST" } },
      ],
      connections: [{ from: "wait.value", to: "call.body" }],
      outputs: { status: "call.status" },
    },
    "finish.json": delayed("finish", 1500),
    "long.json": delayed("long", 120_000),
  };
}

/** One webhook call of the load: its answer and how long it took. */
interface Call {
  status: number;
  id?: string;
  code?: string;
  ms: number;
  /** When it was answered, relative to the outage: before, during or after. */
  phase: "before" | "during" | "after";
}

Deno.test({
  name: "distributed mode: outages, SIGTERM and no worker are refused or reported, never lost",
  ignore: !hasRedis || !hasPostgres || external,
  async fn(t) {
    const demo = startDemoServer();
    const dir = await Deno.makeTempDir({ prefix: "flow-outage-" });
    for (const [name, wf] of Object.entries(workflows(demo.url))) {
      await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify(wf));
    }
    await using services = await startServices();
    await using cluster = await startCluster({
      services,
      paths: [dir],
      workerArgs: ["--grace", "4s"],
      // Retention off: calls refused during an outage are recorded too (cancelled), and past 1,010 executions of a
      // workflow the oldest, runs this test checks, would be pruned.
      env: { FLOW_WORKER_LOCK_MS: String(LOCK_MS), FLOW_HISTORY_KEEP: "0" },
    });
    try {
      await t.step("ready: queue, database and live workers", async () => {
        for (const { url } of cluster.servers) {
          const { status, body } = await getJson(`${url}/api/v1/ready`);
          assert.equal(status, 200, JSON.stringify(body));
          const checks = body.checks as Record<string, { ok: boolean; live?: number }>;
          assert.ok(checks.queue.ok && checks.store.ok && checks.workers.ok);
          assert.equal(checks.workers.live, 3);
        }
      });
      await t.step("Redis away for a few seconds: 503 at once, nothing accepted is lost", async () => {
        await redisOutage(cluster, services, demo.hits);
      });
      await t.step("a run in flight through a Redis outage longer than its lock runs once", async () => {
        await runOnceThroughOutage(cluster, services, demo.hits);
      });
      await t.step("PostgreSQL away: 503, and a run in flight finishes when it is back", async () => {
        await postgresOutage(cluster, services);
      });
      await t.step("SIGTERM: a worker takes no new job, finishes its own and exits 0", async () => {
        await sigtermFinishes(cluster);
      });
      await t.step("SIGTERM: after --grace the worker cancels its run and exits 0", async () => {
        await sigtermCancels(cluster);
      });
      await t.step("no worker alive: ready, metrics and flow runs tell; a new worker runs what waited", async () => {
        await noWorker(cluster);
      });
      await t.step("SIGTERM while Redis is away: an API server and a worker still exit 0, at once", async () => {
        await services.redis.halt();
        try {
          const [server] = cluster.servers;
          const [worker] = cluster.liveWorkers();
          await server.proc.waitFor(/flow serve: queue: /);
          const started = Date.now();
          const statuses = await Promise.all([server.proc.stop("SIGTERM", 20_000), worker.stop("SIGTERM", 20_000)]);
          assert.deepEqual(statuses.map((s) => s.code), [0, 0], cluster.logs());
          assert.ok(Date.now() - started < 15_000);
          for (const p of [server.proc, worker]) {
            assert.match(p.output, /stopped\n$/);
            assert.doesNotMatch(p.output, /^\s+at /m, "a stack trace");
          }
        } finally {
          await services.redis.resume();
        }
      });
    } catch (err) {
      console.error(cluster.logs());
      throw err;
    } finally {
      await cluster.stop();
      await demo.close();
    }
  },
});

/**
 * Four clients call the webhook of both servers in turn while Redis is
 * stopped and started again; every 202 runs exactly once, every 503 is
 * QUEUE_UNAVAILABLE and recorded as refused, no call waits.
 */
async function redisOutage(cluster: Cluster, services: Services, hits: Map<string, number>) {
  const calls: Call[] = [];
  let phase: Call["phase"] = "before";
  let stop = false;
  let n = 0;
  let inFlight = 0;
  const client = async () => {
    while (!stop) {
      const i = n++;
      const started = performance.now();
      const { status, body } = await postJson(`${cluster.servers[i % 2].url}/hooks/in`, { i });
      const b = body as { executionId?: string; error?: { code: string } };
      calls.push({ status, id: b.executionId, code: b.error?.code, ms: performance.now() - started, phase });
    }
  };
  const load = Promise.all(Array.from({ length: 4 }, client));
  const count = (p: Call["phase"], status: number) => calls.filter((c) => c.phase === p && c.status === status).length;
  try {
    await waitUntil(() => count("before", 202) >= 20, { what: "20 calls accepted before the outage" });
    inFlight = (await cluster.sql`SELECT 1 FROM executions WHERE workflow_id = 'in' AND status = 'running'`).length;
    await services.redis.halt();
    phase = "during";
    // The outage lasts longer than a job's lock: runs in flight lose theirs and are checked again after.
    const halted = Date.now();
    await waitUntil(() => count("during", 503) >= 10 && Date.now() - halted > OUTAGE_MS, {
      what: `10 calls refused and ${OUTAGE_MS} ms of outage`,
      timeoutMs: OUTAGE_MS + 30_000,
    });
    for (const { url } of cluster.servers) {
      const { status, body } = await getJson(`${url}/api/v1/ready`);
      assert.equal(status, 503);
      assert.equal((body.checks as Record<string, { ok: boolean }>).queue.ok, false);
      const metrics = await fetch(`${url}/api/v1/metrics`);
      assert.equal(metrics.status, 200, "metrics fail while Redis is away");
      assert.match(await metrics.text(), /^flow_workers_live 0$/m);
    }
    await services.redis.resume();
    phase = "after";
    await waitUntil(() => count("after", 202) >= 20, { what: "20 calls accepted after the outage" });
  } finally {
    stop = true;
    await load;
  }
  assert.ok(inFlight > 0, "no run was in flight when Redis went away");
  const accepted = calls.filter((c) => c.status === 202);
  const refused = calls.filter((c) => c.status !== 202);
  assert.ok(refused.every((c) => c.status === 503 && c.code === "QUEUE_UNAVAILABLE"), JSON.stringify(refused));
  assert.ok(calls.every((c) => c.ms < 10_000), "a call waited for Redis");
  for (const c of accepted) assert.equal((await cluster.settled(c.id!)).status, "success");
  const rows = await cluster.sql<{ status: string; code: string | null; n: number }[]>`
    SELECT status, error::json->>'code' AS code, count(*)::int AS n FROM executions
    WHERE workflow_id = 'in' GROUP BY 1, 2`;
  const byStatus = Object.fromEntries(rows.map((r) => [`${r.status}:${r.code ?? ""}`, r.n]));
  assert.deepEqual(byStatus, {
    "success:": accepted.length,
    ...(refused.length ? { "cancelled:QUEUE_UNAVAILABLE": refused.length } : {}),
  });
  // Each accepted run called the example server once: none ran twice, none was dropped.
  assert.equal(hits.get("/users/5"), accepted.length);
  const [{ starts }] = await cluster.sql<{ starts: number }[]>`
    SELECT count(*)::int AS starts FROM journal j JOIN executions e ON e.id = j.execution_id
    WHERE e.workflow_id = 'in' AND j.body LIKE '%"type":"workflow.started"%'`;
  assert.equal(starts, accepted.length);
  // The workers reconnected by themselves and ran what came after.
  assert.equal(cluster.liveWorkers().length, 3);
  const after = accepted.filter((c) => c.phase === "after").map((c) => c.id!);
  const owners = await cluster.sql<{ pid: number }[]>`SELECT DISTINCT pid FROM executions WHERE id IN ${
    cluster.sql(after)
  }`;
  assert.ok(owners.every((o) => cluster.workerByPid(Number(o.pid))?.exited === undefined));
}

/**
 * A run waits on its worker while Redis is away longer than the job's lock:
 * BullMQ then sees the job as stalled and hands it to a worker again, while
 * its first worker, alive, still runs it. The second must not run it too.
 */
async function runOnceThroughOutage(cluster: Cluster, services: Services, hits: Map<string, number>) {
  const { id, worker } = await runningOnAWorker(cluster, "span");
  await services.redis.halt();
  const halted = Date.now();
  await waitUntil(() => Date.now() - halted > OUTAGE_MS, { what: "the outage to last", timeoutMs: OUTAGE_MS + 5000 });
  await services.redis.resume();
  const record = await cluster.settled(id, undefined, SPAN_MS + 30_000);
  assert.equal(record.status, "success");
  assert.equal(hits.get("/users/8"), 1, "the run went on twice");
  assert.equal(record.owner?.pid, worker.pid);
  const journal = await cluster.journal(id);
  assert.deepEqual(journal.map((e) => e.seq), journal.map((_, i) => i));
  assert.equal(journal.filter((e) => e.type === "workflow.started").length, 1);
  // The job did come back while its worker still ran it: whoever got it waited instead of running it.
  const waited = new RegExp(`execution ${id} is still run by \\S+ pid ${worker.pid}; waiting for it`);
  assert.ok(cluster.workers.some((w) => waited.test(w.output)), cluster.logs());
}

/** PostgreSQL stopped while a run waits: 503 STORE_UNAVAILABLE, ready says so; the run ends once it is back. */
async function postgresOutage(cluster: Cluster, services: Services) {
  const [a, b] = cluster.servers.map((s) => s.url);
  const { body } = await postJson(`${a}/api/v1/workflows/pause/runs`, {});
  const id = (body as { executionId: string }).executionId;
  await waitUntil(async () => (await cluster.journal(id)).some((e) => e.type === "node.started"), {
    what: "the pause run to start",
  });
  await services.pg.halt();
  try {
    const refused = await postJson(`${b}/hooks/in`, { i: -1 });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    const error = (refused.body as { error: { code: string; message: string } }).error;
    assert.equal(error.code, "STORE_UNAVAILABLE");
    assert.ok(!error.message.includes("\n"));
    const ready = await getJson(`${a}/api/v1/ready`);
    assert.equal(ready.status, 503);
    assert.equal((ready.body.checks as Record<string, { ok: boolean }>).store.ok, false);
  } finally {
    await services.pg.resume();
  }
  const record = await cluster.settled(id);
  assert.equal(record.status, "success");
  const journal = await cluster.journal(id);
  assert.deepEqual(journal.map((e) => e.seq), journal.map((_, i) => i));
  assert.equal(journal.at(-1)?.type, "workflow.completed");
  const again = await waitUntil(async () => {
    const r = await postJson(`${b}/hooks/in`, { i: -2 });
    return r.status === 202 ? r : undefined;
  }, { what: "the webhook to accept again" });
  const after = await cluster.settled((again.body as { executionId: string }).executionId);
  assert.equal(after.status, "success");
  assert.equal(cluster.liveWorkers().length, 3);
}

/** Starts `workflow` through the first server and waits until a worker runs its delay; resolves to id and worker. */
async function runningOnAWorker(cluster: Cluster, workflow: string) {
  const { status, body } = await postJson(`${cluster.servers[0].url}/api/v1/workflows/${workflow}/runs`, {});
  assert.equal(status, 202);
  const id = (body as { executionId: string }).executionId;
  const pid = await waitUntil(async () => {
    const record = await cluster.execution(id);
    const journal = await cluster.journal(id);
    return record?.status === "running" && journal.some((e) => e.nodeId === "wait") ? record.owner?.pid : undefined;
  }, { what: `the ${workflow} run to wait on a worker` });
  const worker = cluster.workerByPid(pid);
  assert.ok(worker, `no worker has pid ${pid}`);
  return { id, worker };
}

async function sigtermFinishes(cluster: Cluster) {
  const { id, worker } = await runningOnAWorker(cluster, "finish");
  worker.kill("SIGTERM");
  await worker.waitFor(/flow worker: shutting down; waiting up to 4000 ms for 1 run\(s\)/, 10_000);
  const quick = await Promise.all(Array.from({ length: 6 }, async () => {
    const { body } = await postJson(`${cluster.servers[1].url}/api/v1/workflows/quick/runs?wait=true`, {});
    return body as { executionId: string; status: string };
  }));
  assert.ok(quick.every((r) => r.status === "success"), JSON.stringify(quick));
  for (const r of quick) {
    assert.notEqual((await cluster.execution(r.executionId))?.owner?.pid, worker.pid, "a stopping worker took a job");
  }
  const status = await within(worker.child.status, 20_000, "the worker to exit");
  assert.equal(status.code, 0, worker.tail());
  const record = await cluster.settled(id);
  assert.equal(record.status, "success");
  assert.equal(record.owner?.pid, worker.pid, "the run was finished by the worker that had it");
  assert.equal((await cluster.journal(id)).filter((e) => e.type === "workflow.started").length, 1);
  await worker.waitFor(/flow worker: stopped/);
}

async function sigtermCancels(cluster: Cluster) {
  const { id, worker } = await runningOnAWorker(cluster, "long");
  const signalled = Date.now();
  worker.kill("SIGTERM");
  const status = await within(worker.child.status, 30_000, "the worker to exit");
  assert.equal(status.code, 0, worker.tail());
  assert.ok(Date.now() - signalled >= 3500, "the worker did not wait for --grace");
  const record = await cluster.settled(id);
  assert.equal(record.status, "cancelled");
  assert.equal(record.error?.code, "CANCELLED");
}

/** Every worker stopped: a run waits, seen by ready, metrics and `flow runs`; a new worker runs it. */
async function noWorker(cluster: Cluster) {
  const [a, b] = cluster.servers.map((s) => s.url);
  const statuses = await Promise.all(cluster.liveWorkers().map((w) => w.stop()));
  assert.ok(statuses.every((s) => s.code === 0));
  const ready = await waitUntil(async () => {
    const r = await getJson(`${a}/api/v1/ready`);
    return r.status === 503 ? r : undefined;
  }, { what: "ready to say that no worker is alive" });
  const checks = ready.body.checks as Record<string, { ok: boolean; live?: number; error?: string }>;
  assert.deepEqual(checks.workers, { ok: false, live: 0, error: "no worker is connected" });
  assert.ok(checks.queue.ok && checks.store.ok);

  const { status, body } = await postJson(`${b}/api/v1/workflows/quick/runs`, {});
  assert.equal(status, 202);
  assert.equal((body as { queued: boolean }).queued, true);
  const id = (body as { executionId: string }).executionId;
  const metrics = await waitUntil(async () => {
    const text = await (await fetch(`${a}/api/v1/metrics`)).text();
    const m = metricValues(text);
    return m.flow_queue_oldest_age_seconds > 0.2 ? m : undefined;
  }, { what: "the oldest queued age to grow" });
  assert.equal(metrics.flow_queue_depth, 1);
  assert.equal(metrics.flow_workers_live, 0);

  const runs = await runCli(["runs", "--db", cluster.dbUrl, "--workflow", "quick", "--status", "queued"]);
  assert.equal(runs.code, 0, runs.stderr);
  assert.match(runs.stdout, new RegExp(`${id.slice(0, 8)}[\\s│]+quick[\\s│]+queued[\\s│].*│ waiting [\\d.]+ m?s │`));
  const api = await getJson(`${a}/api/v1/runs/${id}`);
  assert.equal(api.body.status, "queued");

  // Cancelled while it waits (through the other server): it never reaches a worker.
  const { body: other } = await postJson(`${b}/api/v1/workflows/quick/runs`, {});
  const dropped = (other as { executionId: string }).executionId;
  assert.equal((await postJson(`${a}/api/v1/runs/${dropped}/cancel`)).status, 202);
  const cancelled = await cluster.settled(dropped);
  assert.equal(cancelled.status, "cancelled");
  assert.equal(cancelled.error?.message, "the run was cancelled while queued");

  await cluster.addWorker();
  assert.equal((await cluster.settled(id)).status, "success");
  assert.equal((await cluster.execution(dropped))?.status, "cancelled");
  assert.equal((await cluster.journal(dropped)).length, 0);
  const back = await waitUntil(async () => {
    const r = await getJson(`${a}/api/v1/ready`);
    return r.status === 200 ? r : undefined;
  }, { what: "ready again" });
  assert.equal((back.body.checks as Record<string, { live: number }>).workers.live, 1);
}

/** The samples of a Prometheus text without labels, by name. */
function metricValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+) (\S+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}
