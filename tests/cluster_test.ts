/**
 * The distributed mode's guarantees, shown on one real cluster: Redis,
 * PostgreSQL, 2 API servers (`flow serve --queue --db`) and 3 workers
 * (`flow worker`), each a subprocess, with the example HTTP server counting
 * the requests nodes make.
 *
 * In order (the steps share the cluster): 300 webhook calls over both servers
 * are exactly 300 executions; a job is never run twice (enqueued again, or
 * re-enqueued by the reconciler); workers run the version by content hash or
 * fail clearly; events reach another server's SSE client in order and without
 * gaps; webhook answers (onCompleted, node, 504) come from whichever worker
 * ran the run; cancel through the other server; a loop of sub-workflows; a
 * 1-second cron fires once per tick; a worker killed with `kill -9` is taken
 * over from the journal without calling completed nodes again.
 */
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { startDemoServer } from "../examples/server.ts";
import { KEY_PREFIX, QUEUE_NAME } from "../queue/names.ts";
import { runCli } from "./helpers.ts";
import { writeFiles } from "./serve_helpers.ts";
import { hasPostgres, hasRedis } from "./services.ts";
import {
  type Cluster,
  getJson,
  postJson,
  readSse,
  startCluster,
  startServices,
  waitUntil,
  within,
} from "./cluster_helpers.ts";

/** The lock of a job whose worker stopped renewing it expires after this (so takeover is quick), ms. */
const LOCK_MS = 4000;

/** The workflows every API server serves, calling the example server at `demo`. */
function workflows(demo: string): Record<string, unknown> {
  return { ...webhookWorkflows(demo), ...runWorkflows(demo) };
}

/** Workflows started by webhooks. */
function webhookWorkflows(demo: string): Record<string, unknown> {
  return {
    "count.json": {
      id: "count",
      nodes: [
        { id: "hook", type: "http.webhook", config: { path: "count" } },
        { id: "fetch", type: "http.request", config: { url: `${demo}/users/300` } },
        { id: "out", type: "transform.set", config: { value: "{{ $node.body.n }}" } },
      ],
      connections: [{ from: "hook.body", to: "out.body" }, { from: "fetch.status", to: "out.status" }],
      outputs: { n: "out.value" },
    },
    "answer.json": {
      id: "answer",
      nodes: [
        { id: "hook", type: "http.webhook", config: { path: "answer", respond: "node" } },
        { id: "reply", type: "http.respond", config: { status: 201 } },
        { id: "after", type: "time.delay", config: { ms: 1000 } },
      ],
      connections: [{ from: "hook.body", to: "reply.body" }, { from: "reply.status", to: "after.value" }],
    },
    "late.json": {
      id: "late",
      nodes: [
        { id: "hook", type: "http.webhook", config: { path: "late", timeoutMs: 300 } },
        { id: "wait", type: "time.delay", config: { ms: 1500 } },
      ],
      connections: [{ from: "hook.body", to: "wait.value" }],
      outputs: { body: "wait.value" },
    },
  };
}

/** Workflows started through the API. */
function runWorkflows(demo: string): Record<string, unknown> {
  return {
    "steps.json": {
      id: "steps",
      nodes: [
        { id: "a", type: "transform.set", config: { value: "a" } },
        { id: "wait1", type: "time.delay", config: { ms: 300 } },
        { id: "b", type: "transform.set", config: { value: "{{ $node.in }}b" } },
        { id: "wait2", type: "time.delay", config: { ms: 300 } },
        { id: "c", type: "transform.set", config: { value: "{{ $node.in }}c" } },
      ],
      connections: [
        { from: "a.value", to: "wait1.value" },
        { from: "wait1.value", to: "b.in" },
        { from: "b.value", to: "wait2.value" },
        { from: "wait2.value", to: "c.in" },
      ],
      outputs: { abc: "c.value" },
    },
    "long.json": {
      id: "long",
      nodes: [
        { id: "first", type: "transform.set", config: { value: 1 } },
        { id: "wait", type: "time.delay", config: { ms: 120_000 } },
      ],
      connections: [{ from: "first.value", to: "wait.value" }],
    },
    "takeover.json": {
      id: "takeover",
      nodes: [
        { id: "a", type: "http.request", config: { url: `${demo}/users/71` } },
        { id: "wait", type: "time.delay", config: { ms: 3000 } },
        { id: "c", type: "http.request", config: { url: `${demo}/users/72`, method: "POST" } },
      ],
      connections: [{ from: "a.status", to: "wait.value" }, { from: "wait.value", to: "c.body" }],
      outputs: { status: "c.status" },
    },
    "loop.json": {
      id: "loop",
      inputs: { ids: { type: "array", default: [1, 2, 3, 4, 5, 6] } },
      nodes: [{
        id: "each",
        type: "control.loop",
        config: {
          concurrency: 3,
          workflow: {
            nodes: [{ id: "user", type: "flow.subworkflow", config: { workflowFile: "./sub/user.json" } }],
            connections: [{ from: "$inputs.item", to: "user.id" }],
            outputs: { name: "user.name" },
          },
        },
      }],
      connections: [{ from: "$inputs.ids", to: "each.items" }],
      outputs: { results: "each.results" },
    },
    "sub/user.json": {
      id: "user",
      inputs: { id: { type: "number" } },
      nodes: [
        { id: "fetch", type: "http.request", config: { url: `${demo}/users/{{ $inputs.id }}` } },
        { id: "parse", type: "transform.json_parse" },
        { id: "name", type: "transform.set", config: { value: "{{ $node.user.name }}" } },
      ],
      connections: [{ from: "fetch.body", to: "parse.json" }, { from: "parse.parsed", to: "name.user" }],
      outputs: { name: "name.value" },
    },
  };
}

/** Starts a run of `workflow` through `server`'s API; resolves to its execution id. */
async function startRun(server: string, workflow: string, inputs: Record<string, unknown> = {}): Promise<string> {
  const { status, body } = await postJson(`${server}/api/v1/workflows/${workflow}/runs`, { inputs });
  assert.equal(status, 202, JSON.stringify(body));
  return (body as { executionId: string }).executionId;
}

/** The journal's events of one type (and node). */
function events(journal: Record<string, unknown>[], type: string, nodeId?: string) {
  return journal.filter((e) => e.type === type && (nodeId === undefined || e.nodeId === nodeId));
}

/** Asserts that a journal is `seq` 0, 1, 2, ... and ends with one top-level workflow.completed. */
function assertWholeJournal(journal: Record<string, unknown>[], status = "success") {
  assert.deepEqual(journal.map((e) => e.seq), journal.map((_, i) => i), "seq has gaps or repeats");
  const ends = journal.filter((e) => e.type === "workflow.completed" && e.parentNodeId === undefined);
  assert.equal(ends.length, 1);
  assert.equal(ends[0], journal[journal.length - 1]);
  assert.equal(ends[0].status, status);
}

Deno.test({
  name: "distributed mode: 2 API servers and 3 workers keep every guarantee",
  ignore: !hasRedis || !hasPostgres,
  async fn(t) {
    const demo = startDemoServer();
    const dir = await Deno.makeTempDir({ prefix: "flow-cluster-" });
    await writeFiles(workflows(demo.url), dir);
    await using services = await startServices();
    await using cluster = await startCluster({
      services,
      paths: [dir],
      env: { FLOW_WORKER_LOCK_MS: String(LOCK_MS) },
    });
    const connection = new Redis(cluster.redisUrl, { maxRetriesPerRequest: 1 });
    const queue = new Queue(QUEUE_NAME, { connection, prefix: KEY_PREFIX });
    const [a, b] = cluster.servers.map((s) => s.url);
    try {
      await t.step("300 webhook calls over both servers are exactly 300 executions", async () => {
        await allWebhooks(cluster, demo.hits);
      });
      await t.step("a job enqueued again, or re-enqueued by the reconciler, never runs twice", async () => {
        await noSecondRun(cluster, queue, demo.hits, a);
      });
      await t.step("a worker runs the accepted version by hash, or fails clearly without one", async () => {
        await versionsByHash(cluster, queue, a);
      });
      await t.step("a run on a worker reaches the other server's SSE client in order, without gaps", async () => {
        await sseThroughOtherServer(cluster, a, b);
      });
      await t.step("webhook answers come from whichever worker ran the run; 504 with the id on timeout", async () => {
        await webhookAnswers(cluster, a, b);
      });
      await t.step("cancel through the other server reaches the worker running the execution", async () => {
        await cancelElsewhere(cluster, a, b);
      });
      await t.step("a loop of sub-workflows runs on the cluster exactly as in one process", async () => {
        await loopOfSubworkflows(cluster, queue, b, dir);
      });
      await t.step("a 1-second cron fires once per tick across both servers", async () => {
        await cronOncePerTick(cluster, queue, dir);
      });
      await t.step("kill -9 of a worker mid-run: another one takes over from the journal", async () => {
        await takeover(cluster, demo.hits, a);
      });
    } catch (err) {
      console.error(cluster.logs());
      throw err;
    } finally {
      await queue.close();
      connection.disconnect();
      await cluster.stop();
      await demo.close();
    }
  },
});

/** A run started through `a` streams through `b`'s SSE: the journal, every event, in order. */
async function sseThroughOtherServer(cluster: Cluster, a: string, b: string) {
  const id = await startRun(a, "steps");
  const res = await fetch(`${b}/api/v1/runs/${id}/events`, { headers: { accept: "text/event-stream" } });
  assert.equal(res.status, 200);
  const sse = await within(readSse(res), 30_000, "the SSE stream");
  const journal = await cluster.journal(id);
  assertWholeJournal(journal);
  assert.deepEqual(sse.map((e) => Number(e.id)), journal.map((e) => e.seq));
  assert.deepEqual(sse.map((e) => JSON.parse(e.data)), journal);
  assert.deepEqual(sse.map((e) => e.event), journal.map((e) => e.type));
  assert.equal((await cluster.execution(id))?.outputs?.abc, "abc");
}

/** `respond: "node"` answers through the server holding the request; a timeout is 504 and the run goes on. */
async function webhookAnswers(cluster: Cluster, a: string, b: string) {
  const answered = await postJson(`${b}/hooks/answer`, { hello: "node" });
  assert.equal(answered.status, 201);
  assert.deepEqual(answered.body, { hello: "node" });
  const late = await postJson(`${a}/hooks/late`, { slow: true });
  assert.equal(late.status, 504);
  const { executionId, error } = late.body as { executionId: string; error: { code: string } };
  assert.equal(error.code, "TIMEOUT");
  const record = await cluster.settled(executionId);
  assert.equal(record.status, "success", "the run goes on after the 504");
  assert.deepEqual(record.outputs, { body: { slow: true } });
}

/** A run started through `a`, waiting on a worker, cancelled through `b`. */
async function cancelElsewhere(cluster: Cluster, a: string, b: string) {
  const id = await startRun(a, "long");
  await waitUntil(async () => events(await cluster.journal(id), "node.started", "wait").length > 0, {
    what: "the long run to start waiting",
  });
  const { status, body } = await postJson(`${b}/api/v1/runs/${id}/cancel`);
  assert.equal(status, 202, JSON.stringify(body));
  const record = await cluster.settled(id, undefined, 30_000);
  assert.equal(record.status, "cancelled");
  const again = await postJson(`${a}/api/v1/runs/${id}/cancel`);
  assert.equal(again.status, 409);
}

/**
 * `control.loop` over `flow.subworkflow` on the cluster gives what `flow run`
 * gives in one process; its finished job in Redis holds no copy of the result.
 */
async function loopOfSubworkflows(cluster: Cluster, queue: Queue, api: string, dir: string) {
  const { status, body } = await postJson(`${api}/api/v1/workflows/loop/runs?wait=true`, {});
  assert.equal(status, 200, JSON.stringify(body));
  const cli = await runCli(["run", `${dir}/loop.json`, "--format", "json", "--no-history"]);
  assert.equal(cli.code, 0, cli.stderr);
  const local = JSON.parse(cli.stdout);
  const remote = body as typeof local;
  assert.equal(remote.status, "success");
  assert.deepEqual(remote.outputs, local.outputs);
  assert.equal(remote.outputs.results.length, 6);
  const journal = await cluster.journal(remote.executionId);
  assertWholeJournal(journal);
  assert.equal(events(journal, "workflow.completed").filter((e) => e.parentNodeId !== undefined).length, 12);
  const job = await queue.getJob(remote.executionId);
  assert.equal(job?.finishedOn !== undefined, true, "the job is kept as finished");
  assert.equal(job?.returnvalue, null);
}

/** 300 webhook calls, half on each server, answered 200 by their own runs; 300 rows; each node called once. */
async function allWebhooks(cluster: Cluster, hits: Map<string, number>) {
  const before = hits.get("/users/300") ?? 0;
  const answers = await Promise.all(Array.from({ length: 300 }, async (_, n) => {
    const server = cluster.servers[n % 2].url;
    const res = await fetch(`${server}/hooks/count`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n }),
    });
    return { n, status: res.status, id: res.headers.get("x-flow-execution-id"), body: await res.json() };
  }));
  for (const r of answers) {
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.deepEqual(r.body, { n: r.n });
  }
  const ids = new Set(answers.map((r) => r.id));
  assert.equal(ids.size, 300);
  const rows = await cluster.sql<{ id: string; status: string; last_seq: number }[]>`
    SELECT id, status, last_seq FROM executions WHERE workflow_id = 'count'`;
  assert.equal(rows.length, 300, "executions lost or doubled");
  assert.ok(rows.every((r) => ids.has(r.id) && r.status === "success"));
  // Each run ran once: one workflow.started per journal, and the example server saw one request per run.
  const [{ starts }] = await cluster.sql<{ starts: number }[]>`
    SELECT count(*)::int AS starts FROM journal j JOIN executions e ON e.id = j.execution_id
    WHERE e.workflow_id = 'count' AND j.body LIKE '%"type":"workflow.started"%'`;
  assert.equal(starts, 300);
  assert.equal((hits.get("/users/300") ?? 0) - before, 300);
  // Both servers took calls, and the work was spread over the workers.
  const owners = await cluster.sql<{ pid: number }[]>`
    SELECT DISTINCT pid FROM executions WHERE workflow_id = 'count'`;
  assert.ok(owners.length >= 2, `only ${owners.length} worker(s) ran the 300 runs`);
  assert.ok(owners.every((o) => cluster.workerByPid(Number(o.pid))), "a run was not run by a worker");
  for (const w of cluster.workers) assert.doesNotMatch(w.output, /is not in the database/);
}

/**
 * A finished job added again is the same job; with its job gone from Redis, a
 * new enqueue is taken by a worker that sees the execution ended and does not
 * run it; the reconciler enqueues a queued execution that has no job, once.
 */
async function noSecondRun(cluster: Cluster, queue: Queue, hits: Map<string, number>, api: string) {
  const [done] = await cluster.sql<{ id: string; last_seq: number }[]>`
    SELECT id, last_seq FROM executions WHERE workflow_id = 'count' LIMIT 1`;
  const called = hits.get("/users/300");
  const job = await queue.add("run", { executionId: done.id }, { jobId: done.id });
  assert.equal(await job.getState(), "completed", "adding a finished job again made a new one");
  await (await queue.getJob(done.id))!.remove();
  await queue.add("run", { executionId: done.id }, { jobId: done.id });
  await waitUntil(async () => await (await queue.getJob(done.id))?.getState() === "completed", {
    what: "the job enqueued again to be taken",
  });
  assert.equal(hits.get("/users/300"), called, "an ended execution ran again");
  assert.equal((await cluster.execution(done.id))?.lastSeq, Number(done.last_seq));

  // A queued execution whose job is missing (the server died between the two writes).
  const { body } = await getJson(`${api}/api/v1/workflows/count`);
  const id = crypto.randomUUID();
  await cluster.store.write({
    created: [{
      executionId: id,
      workflowId: "count",
      hash: body.hash as string,
      file: body.file as string,
      inputs: {},
      trigger: "webhook",
      triggerNode: "hook",
      payload: { method: "POST", path: "/hooks/count", headers: {}, query: {}, body: { n: -1 } },
      status: "queued",
      createdAt: new Date(Date.now() - 60_000).toISOString(),
    }],
  });
  const record = await cluster.settled(id, undefined, 30_000);
  assert.equal(record.status, "success");
  assert.deepEqual(record.outputs, { n: -1 });
  assert.equal(hits.get("/users/300"), called! + 1, "both servers' reconcilers ran it");
  assert.equal(events(await cluster.journal(id), "workflow.started").length, 1);
  assert.ok(cluster.servers.some((s) => s.proc.output.includes(`re-enqueued queued execution ${id}`)));
}

/** The text stored under a hash is what runs (not the file); a missing or broken version fails clearly. */
async function versionsByHash(cluster: Cluster, queue: Queue, api: string) {
  const { body } = await getJson(`${api}/api/v1/workflows/steps`);
  const file = body.file as string;
  const other = {
    id: "steps",
    nodes: [{ id: "c", type: "transform.set", config: { value: "stored under its hash" } }],
    connections: [],
    outputs: { abc: "c.value" },
  };
  const text = JSON.stringify(other);
  const hash = await sha256(text);
  assert.notEqual(hash, body.hash);
  await cluster.store.saveVersion({ hash, workflowId: "steps", file, text });
  const broken = JSON.stringify({ ...other, nodes: [{ id: "c", type: "no.such_type" }] });
  const brokenHash = await sha256(broken);
  await cluster.store.saveVersion({ hash: brokenHash, workflowId: "steps", file, text: broken });
  const missingHash = `sha256:${"0".repeat(64)}`;
  const ids = [hash, brokenHash, missingHash].map((h) => ({ id: crypto.randomUUID(), hash: h }));
  await cluster.store.write({
    created: ids.map(({ id, hash }) => ({
      executionId: id,
      workflowId: "steps",
      file,
      hash,
      inputs: {},
      trigger: "api" as const,
      status: "queued" as const,
      createdAt: new Date().toISOString(),
    })),
  });
  for (const { id } of ids) await queue.add("run", { executionId: id }, { jobId: id });
  const [ran, bad, missing] = await Promise.all(ids.map(({ id }) => cluster.settled(id)));
  assert.equal(ran.status, "success");
  assert.deepEqual(ran.outputs, { abc: "stored under its hash" });
  assert.equal(bad.status, "failed");
  assert.equal(bad.error?.code, "VERSION_UNAVAILABLE");
  assert.match(bad.error!.message, /^workflow "steps" version sha256:[0-9a-f]{12} does not load here: .*no\.such_type/);
  assert.equal(missing.status, "failed");
  assert.equal(missing.error?.code, "VERSION_UNAVAILABLE");
  assert.equal(
    missing.error?.message,
    `workflow "steps" version sha256:000000000000 is not in the database; no other version is run`,
  );
}

/** `sha256:` and the hex digest of `text`, as flow hashes workflow files. */
async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * A cron workflow added to the served folder (both servers load it) fires
 * every second; every tick is one execution; removing the file removes the
 * schedule from Redis. A second one, written in croner's dialect (`5#L`, the
 * last Friday, which BullMQ's own cron parser refuses), fires every second
 * too: its first job is set by an API server, the next ones by the workers
 * that take each tick, all with croner's fire times.
 */
async function cronOncePerTick(cluster: Cluster, queue: Queue, dir: string) {
  await writeFiles({
    "tock.json": {
      id: "tock",
      nodes: [{ id: "clock", type: "time.cron", config: { schedule: "* * * * * 0-6,5#L" } }],
      connections: [],
    },
    "tick.json": {
      id: "tick",
      nodes: [
        { id: "clock", type: "time.cron", config: { schedule: "* * * * * *" } },
        { id: "at", type: "transform.set", config: { value: "{{ $node.at }}" } },
      ],
      connections: [{ from: "clock.scheduledAt", to: "at.at" }],
      outputs: { at: "at.value" },
    },
  }, dir);
  const ticks = await waitUntil(async () => {
    const rows = await cluster.sql<{ id: string; status: string; payload: string }[]>`
      SELECT id, status, payload FROM executions WHERE workflow_id = 'tick' ORDER BY created_at`;
    return rows.length >= 6 ? rows : undefined;
  }, { what: "six cron executions" });
  await waitUntil(async () => {
    const [{ n }] = await cluster.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM executions WHERE workflow_id = 'tock'`;
    return n >= 3;
  }, { what: "three executions of a schedule in croner's dialect" });
  await Deno.remove(`${dir}/tick.json`);
  await Deno.remove(`${dir}/tock.json`);
  await waitUntil(async () => (await queue.getJobSchedulers()).length === 0, {
    what: "the job scheduler to be removed",
  });
  const all = await cluster.sql<{ status: string; payload: string }[]>`
    SELECT status, payload FROM executions WHERE workflow_id = 'tick'`;
  assert.ok(all.length >= ticks.length);
  const scheduled = all.map((r) => JSON.parse(r.payload).scheduledAt as string);
  assert.equal(new Set(scheduled).size, scheduled.length, `a tick fired twice: ${scheduled.sort().join(", ")}`);
  for (const at of scheduled) assert.equal(Date.parse(at) % 1000, 0, `${at} is not on a second`);
  assert.ok(all.every((r) => r.status === "success" || r.status === "skipped"), JSON.stringify(all));
}

/**
 * A run waited on through the API; its worker is killed with SIGKILL while
 * it waits between two requests; another worker takes the stalled job over,
 * reuses the first request's result and makes only the second request; the
 * waiting API caller gets the success.
 */
async function takeover(cluster: Cluster, hits: Map<string, number>, api: string) {
  const waited = postJson(`${api}/api/v1/workflows/takeover/runs?wait=true`, {});
  const running = await waitUntil(async () => {
    const [row] = await cluster.sql<{ id: string; pid: number }[]>`
      SELECT id, pid FROM executions WHERE workflow_id = 'takeover' AND status = 'running'`;
    if (!row) return undefined;
    const journal = await cluster.journal(row.id);
    return events(journal, "node.started", "wait").length ? row : undefined;
  }, { what: "the takeover run to reach its wait" });
  const victim = cluster.workerByPid(Number(running.pid));
  assert.ok(victim, `no worker has pid ${running.pid}`);
  assert.equal(hits.get("/users/71"), 1);
  victim.kill("SIGKILL");
  assert.equal((await victim.child.status).signal, "SIGKILL");
  const record = await cluster.settled(running.id, ["success", "failed", "cancelled"], 60_000);
  assert.equal(record.status, "success", JSON.stringify(record.error));
  assert.notEqual(record.owner?.pid, victim.pid);
  assert.ok(cluster.workerByPid(record.owner?.pid), "the run was finished by another worker");
  assert.equal(hits.get("/users/71"), 1, "a node recorded complete was called again");
  assert.equal(hits.get("/users/72"), 1);
  const journal = await cluster.journal(running.id);
  assertWholeJournal(journal);
  // The journal goes on after the takeover: a second workflow.started says so, and `a` is reused, not run.
  assert.equal(events(journal, "node.started", "a").length, 1);
  assert.deepEqual(events(journal, "node.completed", "a").map((e) => e.reused), [undefined, true]);
  assert.deepEqual(events(journal, "workflow.started").map((e) => e.takeover), [undefined, true]);
  assert.equal(events(journal, "node.started", "c").length, 1);
  const { status, body } = await within(waited, 30_000, "the API caller waiting on the run");
  assert.equal(status, 200);
  assert.equal((body as { status: string }).status, "success", JSON.stringify(body));
  await cluster.addWorker();
}
