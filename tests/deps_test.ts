/**
 * The distributed mode's dependencies work under this Deno: Hono answers a
 * request, and BullMQ (with ioredis, which it cannot load by itself from ESM)
 * runs a job through a real Redis. postgres and playwright-core are exercised
 * by the store and browser tests.
 */
import assert from "node:assert/strict";
import { Queue, Worker } from "bullmq";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { hasRedis, startRedis } from "./services.ts";

Deno.test("hono answers a request", async () => {
  const app = new Hono().get("/executions/:id", (c) => c.json({ id: c.req.param("id") }));
  const res = await app.request("/executions/abc");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { id: "abc" });
});

Deno.test({
  name: "bullmq runs a job through a real Redis",
  ignore: !hasRedis,
  fn: async () => {
    await using redis = await startRedis();
    // BullMQ needs maxRetriesPerRequest: null on the connections it blocks on.
    const connection = () => new Redis(redis.url, { maxRetriesPerRequest: null });
    const [queueConnection, workerConnection] = [connection(), connection()];
    const queue = new Queue("runs", { connection: queueConnection, prefix: redis.prefix });
    const done = Promise.withResolvers<unknown>();
    const worker = new Worker("runs", (job) => Promise.resolve({ doubled: job.data.n * 2 }), {
      connection: workerConnection,
      prefix: redis.prefix,
    });
    worker.on("completed", (_job, result) => done.resolve(result));
    worker.on("failed", (_job, err) => done.reject(err));
    try {
      await queue.add("double", { n: 21 });
      assert.deepEqual(await done.promise, { doubled: 42 });
    } finally {
      await worker.close();
      await queue.close();
      await Promise.all([queueConnection.quit(), workerConnection.quit()]);
    }
  },
});
