/**
 * The API server's side of the distributed mode, in this process against a
 * real Redis and PostgreSQL, with a spy BullMQ worker in place of `flow
 * worker`:
 * - every job's execution is readable in PostgreSQL at the moment a worker
 *   picks the job up (the row is committed before the job is added);
 * - enqueueing is idempotent: the same execution submitted twice is one job;
 * - a result comes with the workers' messages (the top-level
 *   `workflow.completed` among published journal lines, or `flow:done`),
 *   while the database still says queued; a sub-workflow's end is not one;
 * - a job that a real worker fails for good (here: stalled too often) is
 *   recorded failed through `flow:done`, though its execution reads running;
 * - a real worker runs, once, an execution this process claimed and never ran
 *   (the store lets an owner claim again what it claimed);
 * - Redis away: a submit is refused at once with a 503-class error naming the
 *   queue, and the refusal is recorded; PostgreSQL away: refused with a
 *   StoreError; both accept again once the service is back.
 */
import assert from "node:assert/strict";
import { type Job as BullJob, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { builtinRegistry } from "../nodes/mod.ts";
import { connectQueue, RUN_JOB_OPTIONS } from "../queue/connector.ts";
import { FlowWorker } from "../queue/worker.ts";
import { currentProcess } from "../src/process.ts";
import {
  DONE_CHANNEL,
  type DoneMessage,
  EVENTS_CHANNEL,
  eventsMessage,
  KEY_PREFIX,
  QUEUE_NAME,
  type RunJobData,
} from "../queue/names.ts";
import { eventLine, type FlowEvent } from "../src/engine/events.ts";
import { type BackendContext, type ExecutionBackend, UnavailableError } from "../src/runtime/backend.ts";
import { buildVersion, type WorkflowVersion } from "../src/runtime/version.ts";
import { openPostgresStore, type PostgresStore } from "../src/store/postgres.ts";
import { type ExecutionRecord, StoreError } from "../src/store/types.ts";
import { deleteFlowKeys, waitUntil } from "./cluster_helpers.ts";
import { hasPostgres, hasRedis, startPostgres, startRedis, within } from "./services.ts";

const WORKFLOW = {
  id: "plain",
  nodes: [{ id: "set", type: "transform.set", config: { value: 1 } }],
  connections: [],
  outputs: { value: "set.value" },
};

/** A backend context with a store and nothing else. */
function context(store: PostgresStore): BackendContext {
  return { store, state: store, publish: () => {}, ended: () => {}, log: () => {} };
}

/**
 * Redis, PostgreSQL, a store on it and a connector on both, for one test;
 * disposed in reverse order (the connector, the store, the keys a shared
 * Redis was left with, the services).
 */
async function queueFixture() {
  await using stack = new AsyncDisposableStack();
  const redis = stack.use(await startRedis());
  const pg = stack.use(await startPostgres());
  if (!redis.local) await deleteFlowKeys(redis.url);
  stack.defer(async () => {
    if (!redis.local) await deleteFlowKeys(redis.url);
  });
  const store = await openPostgresStore(pg.url);
  stack.defer(() => store.close());
  const connector = await connectQueue({ url: redis.url, store, log: () => {} });
  stack.defer(() => connector.close());
  const owned = stack.move();
  return { redis, pg, store, connector, [Symbol.asyncDispose]: () => owned.disposeAsync() };
}

/** A version of {@linkcode WORKFLOW}, as if read from a file. */
async function version(): Promise<WorkflowVersion> {
  const dir = await Deno.makeTempDir({ prefix: "flow-queue-" });
  return await buildVersion(`${dir}/plain.json`, JSON.stringify(WORKFLOW), builtinRegistry(), []);
}

/** Submits one execution of `v`. */
function submit(backend: ExecutionBackend, v: WorkflowVersion, executionId: string = crypto.randomUUID()) {
  return backend.submit({ executionId, version: v, inputs: {}, trigger: "api", history: true });
}

/**
 * A BullMQ worker in this process that reads each job's execution from the
 * database the moment it gets the job, and completes it.
 */
function spyWorker(url: string, store: PostgresStore) {
  const seen: { jobId: string; record?: ExecutionRecord }[] = [];
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const worker = new Worker<RunJobData>(QUEUE_NAME, async (job: BullJob<RunJobData>) => {
    const record = await store.getExecution(job.data.executionId);
    seen.push({ jobId: job.id!, record });
    return { executionId: job.data.executionId, status: "success", outputs: {}, durationMs: 0, nodes: [] };
  }, { connection, prefix: KEY_PREFIX, concurrency: 8 });
  return {
    seen,
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}

Deno.test({
  name: "queue connector: the row is in PostgreSQL before the job is visible; enqueueing is idempotent",
  ignore: !hasRedis || !hasPostgres,
  async fn() {
    await using services = await queueFixture();
    const { redis, pg, store, connector } = services;
    const spy = spyWorker(redis.url, store);
    try {
      const backend = connector.backend(context(store));
      const v = await version();
      const ids = Array.from({ length: 200 }, () => crypto.randomUUID());
      const accepted = await Promise.all(ids.map((id) => submit(backend, v, id)));
      assert.deepEqual(accepted.map((a) => a.executionId), ids);
      assert.ok(accepted.every((a) => a.queued));
      await waitUntil(() => spy.seen.length >= ids.length, { what: "the spy worker to get 200 jobs" });
      // Every job was picked up by a worker waiting for it, and its row was there.
      for (const { jobId, record } of spy.seen) {
        assert.ok(record, `job ${jobId}: no execution in the database when the worker got it`);
        assert.equal(record.executionId, jobId, "the job id is the execution id");
        assert.equal(record.hash, v.hash);
      }
      assert.equal(new Set(spy.seen.map((s) => s.jobId)).size, ids.length);

      // The same execution submitted again (a retried request) is not a second job.
      const again = ids[0];
      const before = spy.seen.length;
      await submit(backend, v, again);
      const fresh = crypto.randomUUID();
      await submit(backend, v, fresh);
      await waitUntil(() => spy.seen.some((s) => s.jobId === fresh), { what: "the spy worker to get the new job" });
      assert.equal(spy.seen.length, before + 1, "a retried enqueue of a finished job ran again");
      assert.equal(spy.seen.filter((s) => s.jobId === again).length, 1);
      const [{ n }] = await rows(pg.url, again);
      assert.equal(n, 1);
    } finally {
      await spy.close();
    }
  },
});

Deno.test({
  name: "queue connector: results come with the workers' messages, not from the database; a sub-workflow's end is none",
  ignore: !hasRedis || !hasPostgres,
  async fn() {
    await using services = await queueFixture();
    const { redis, store, connector } = services;
    const publisher = new Redis(redis.url, { maxRetriesPerRequest: null });
    const published: FlowEvent[] = [];
    try {
      const backend = connector.backend({ ...context(store), publish: (e) => published.push(e) });
      const v = await version();
      // No worker: the jobs wait and the rows stay queued, so only a message can end them.
      const [byJournal, byDone, byFailure] = await Promise.all([
        submit(backend, v),
        submit(backend, v),
        submit(backend, v),
      ]);
      const id = byJournal.executionId;
      const base = { executionId: id, workflowId: "plain", ts: new Date().toISOString() };
      const lines = [
        { ...base, seq: 0, type: "workflow.started", nodeCount: 1 },
        {
          ...base,
          seq: 1,
          type: "workflow.completed",
          status: "failed",
          durationMs: 1,
          outputs: {},
          parentNodeId: "child",
          runPath: "child",
        },
        { ...base, seq: 2, type: "workflow.completed", status: "success", durationMs: 3, outputs: { value: 42 } },
      ] as FlowEvent[];
      await publisher.publish(
        EVENTS_CHANNEL,
        eventsMessage({ executionId: id, firstSeq: 0, lines: lines.map(eventLine) }),
      );
      assert.deepEqual(await within(byJournal.done, 10_000, "the result from the journal lines"), {
        executionId: id,
        workflowId: "plain",
        status: "success",
        durationMs: 3,
        outputs: { value: 42 },
        nodes: [],
      });
      assert.deepEqual(published.map((e) => e.seq), [0, 1, 2], "every line is handed to the live streams");
      assert.equal((await store.getExecution(id))?.status, "queued");

      const error = { message: "no version", code: "VERSION_UNAVAILABLE" };
      const done: DoneMessage = {
        executionId: byDone.executionId,
        result: {
          executionId: byDone.executionId,
          workflowId: "plain",
          status: "failed",
          durationMs: 0,
          outputs: {},
          error,
          nodes: [],
        },
      };
      await publisher.publish(DONE_CHANNEL, JSON.stringify(done));
      const fromDone = await within(byDone.done, 10_000, "the result on flow:done");
      assert.equal(fromDone.status, "failed");
      assert.equal(fromDone.error?.code, "VERSION_UNAVAILABLE");

      // A job that failed for good: the execution is recorded failed, and its caller told.
      const failure: DoneMessage = { jobId: byFailure.executionId, failedReason: "the database is away" };
      await publisher.publish(DONE_CHANNEL, JSON.stringify(failure));
      const failed = await within(byFailure.done, 10_000, "the failure on flow:done");
      assert.equal(failed.status, "failed");
      assert.deepEqual(failed.error, {
        message: "the execution could not be run: the database is away",
        code: "JOB_FAILED",
      });
      assert.equal((await store.getExecution(byFailure.executionId))?.status, "failed");
    } finally {
      publisher.disconnect();
    }
  },
});

Deno.test({
  name: "queue connector: a job a worker fails for good is recorded failed through flow:done",
  ignore: !hasRedis || !hasPostgres,
  async fn() {
    await using services = await queueFixture();
    const { redis, store, connector } = services;
    const client = new Redis(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
    let worker: FlowWorker | undefined;
    try {
      connector.backend(context(store));
      // An execution that reads running under a live owner: the reconciler (queued ones only) leaves it alone.
      const id = crypto.randomUUID();
      const now = new Date().toISOString();
      await store.write({
        created: [{
          executionId: id,
          workflowId: "plain",
          inputs: {},
          trigger: "api",
          status: "running",
          createdAt: now,
          startedAt: now,
          owner: currentProcess(),
        }],
      });
      // Its job, marked as BullMQ marks one that stalled too often: the worker that takes it fails it at once.
      await queue.add("run", { executionId: id } satisfies RunJobData, { jobId: id, ...RUN_JOB_OPTIONS });
      await client.hset(`${KEY_PREFIX}:${QUEUE_NAME}:${id}`, "defa", "stalled too often");
      worker = await FlowWorker.start({ url: redis.url, store, registry: builtinRegistry(), log: () => {} });
      const failed = await waitUntil(async () => {
        const record = await store.getExecution(id);
        return record?.status === "failed" && record;
      }, { what: "the execution to be recorded failed" });
      assert.deepEqual(failed.error, {
        message: "the execution could not be run: stalled too often",
        code: "JOB_FAILED",
      });
    } finally {
      await worker?.close(1000);
      await queue.close();
      client.disconnect();
    }
  },
});

Deno.test({
  name: "queue worker: an execution it claimed and never ran (its job failed first) is claimed again and run once",
  ignore: !hasRedis || !hasPostgres,
  async fn() {
    await using services = await queueFixture();
    const { redis, store, connector } = services;
    const accepted = await submit(connector.backend(context(store)), await version());
    // As a job of this process leaves it when its claim's answer is lost or the database goes away before the run.
    const claim = { executionId: accepted.executionId, startedAt: new Date().toISOString(), owner: currentProcess() };
    assert.equal((await store.claim(claim))?.status, "queued");
    assert.equal((await store.getExecution(accepted.executionId))?.status, "running");
    const worker = await FlowWorker.start({ url: redis.url, store, registry: builtinRegistry(), log: () => {} });
    try {
      const result = await within(accepted.done, 20_000, "the execution's result");
      assert.deepEqual([result.status, result.outputs], ["success", { value: 1 }]);
      const record = await store.getExecution(accepted.executionId);
      assert.deepEqual([record?.status, record?.startedAt], ["success", claim.startedAt]);
      const started = (await store.readJournal(accepted.executionId)).filter((l) => l.includes('"workflow.started"'));
      assert.equal(started.length, 1, "run once");
    } finally {
      await worker.close(1000);
    }
  },
});

/** How many rows execution `id` has. */
async function rows(url: string, id: string): Promise<{ n: number }[]> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM executions WHERE id = ${id}`;
  } finally {
    await sql.end();
  }
}

Deno.test({
  name: "queue connector: Redis or PostgreSQL away is a clear refusal at once, recorded, and accepted again after",
  ignore: !hasRedis || !hasPostgres || !!Deno.env.get("FLOW_TEST_REDIS_URL") ||
    !!Deno.env.get("FLOW_TEST_DATABASE_URL"),
  async fn() {
    await using services = await queueFixture();
    const { redis, pg, store, connector } = services;
    const backend = connector.backend(context(store));
    const v = await version();
    await submit(backend, v);

    await redis.halt();
    const started = performance.now();
    const refused = crypto.randomUUID();
    const err = await submit(backend, v, refused).then(() => undefined, (e) => e);
    assert.ok(err instanceof UnavailableError, `expected UnavailableError; got ${err}`);
    assert.equal(err.code, "QUEUE_UNAVAILABLE");
    assert.match(err.message, /^not accepted: the queue redis:\/\/127\.0\.0\.1:\d+\/? is unreachable/);
    assert.ok(!err.message.includes("\n"));
    assert.ok(performance.now() - started < 10_000, "a refusal must not wait for Redis");
    const record = await store.getExecution(refused);
    assert.equal(record?.status, "cancelled");
    assert.equal(record?.error?.code, "QUEUE_UNAVAILABLE");
    assert.deepEqual((await connector.ready()).queue.ok, false);

    await redis.resume();
    const back = await waitUntil(() => submit(backend, v).catch(() => undefined), { what: "Redis to accept again" });
    assert.equal(back.queued, true);
    assert.equal((await connector.ready()).queue.ok, true);

    await pg.halt();
    const storeErr = await submit(backend, v).then(() => undefined, (e) => e);
    assert.ok(storeErr instanceof StoreError, `expected StoreError; got ${storeErr}`);
    assert.ok(!storeErr.message.includes("\n"));
    await pg.resume();
    await waitUntil(() => submit(backend, v).catch(() => undefined), { what: "PostgreSQL to accept again" });
  },
});

Deno.test({
  name: "queue connector: an unreachable Redis at start is one line with the URL's password hidden",
  ignore: !hasPostgres,
  async fn() {
    await using pg = await startPostgres();
    const store = await openPostgresStore(pg.url);
    try {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      listener.close();
      const err = await connectQueue({ url: `redis://:s3cret@127.0.0.1:${port}`, store, log: () => {} })
        .then(() => undefined, (e) => e);
      assert.ok(err instanceof UnavailableError, `expected UnavailableError; got ${err}`);
      assert.match(err.message, new RegExp(`^queue redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/?: `));
      assert.ok(!err.message.includes("s3cret"));
      assert.ok(!err.message.includes("\n"));
    } finally {
      await store.close();
    }
  },
});
