/**
 * The test-service helpers themselves: real servers start, take connections,
 * survive a halt and resume, and are gone after `stop()`; a missing program
 * is reported, not crashed on.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { Redis } from "ioredis";
import {
  announce,
  findExecutable,
  freePort,
  hasPostgres,
  hasRedis,
  postgresAvailability,
  redisAvailability,
  startPostgres,
  startRedis,
} from "./services.ts";
import { exists } from "../scripts/common.ts";

/** Runs `fn` with the `FLOW_TEST_*` URL variables unset, restoring them after. */
async function withoutExternalServices(fn: () => void | Promise<void>) {
  const names = ["FLOW_TEST_REDIS_URL", "FLOW_TEST_DATABASE_URL"];
  const saved = names.map((n) => Deno.env.get(n));
  names.forEach((n) => Deno.env.delete(n));
  try {
    await fn();
  } finally {
    names.forEach((n, i) => saved[i] === undefined ? Deno.env.delete(n) : Deno.env.set(n, saved[i]!));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.ConnectionRefused) return false;
    throw err;
  }
}

Deno.test("a missing server program is reported with what to install, and a start says so", async () => {
  await withoutExternalServices(async () => {
    const redis = redisAvailability("/nonexistent/redis-server");
    assert.equal(redis.available, false);
    assert.match(redis.reason!, /\/nonexistent\/redis-server not found \(apt-get install redis-server/);
    const pg = postgresAvailability("/nonexistent/postgresql/15/bin");
    assert.equal(pg.available, false);
    assert.match(pg.reason!, /\/nonexistent\/postgresql\/15\/bin\/initdb not found \(apt-get install postgresql-15/);
    await assert.rejects(startRedis({ binary: "/nonexistent/redis-server" }), /not found/);
    await assert.rejects(startPostgres({ binDir: "/nonexistent/postgresql/15/bin" }), /not found/);
  });
});

Deno.test("an external URL makes a service available without its program", async () => {
  await withoutExternalServices(() => {
    Deno.env.set("FLOW_TEST_REDIS_URL", "redis://127.0.0.1:1");
    assert.equal(redisAvailability("/nonexistent/redis-server").available, true);
  });
});

Deno.test("announce prints a skipped service once per process", () => {
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    const missing = { available: false, reason: "frobnicator not found" };
    const service = `Frobnicator ${crypto.randomUUID()}`;
    assert.equal(announce(service, missing), false);
    assert.equal(announce(service, missing), false);
    assert.equal(announce(service, { available: true }), true);
  } finally {
    console.error = original;
  }
  assert.equal(printed.length, 1);
  assert.match(printed[0], /^SKIPPED: tests that need Frobnicator .*: frobnicator not found$/);
});

Deno.test("findExecutable looks on PATH and at paths", () => {
  assert.equal(findExecutable("sh", "/nonexistent:/bin:/usr/bin")?.endsWith("/sh"), true);
  assert.equal(findExecutable("surely-not-a-program-here", "/bin:/usr/bin"), undefined);
  assert.equal(findExecutable("/nonexistent/sh"), undefined);
});

Deno.test("freePort gives a port nobody listens on", async () => {
  assert.equal(await listening(freePort()), false);
});

Deno.test({
  name: "startRedis: a real server that keeps its data over halt/resume and is gone after stop",
  ignore: !hasRedis,
  fn: async () => {
    const redis = await startRedis();
    try {
      const port = Number(new URL(redis.url).port);
      const key = `${redis.prefix}:greeting`;
      const client = new Redis(redis.url);
      assert.equal(await client.set(key, "hello"), "OK");
      await client.quit();
      if (redis.local) {
        await redis.halt();
        assert.equal(await listening(port), false);
        await redis.resume();
      }
      const again = new Redis(redis.url);
      assert.equal(await again.get(key), "hello");
      await again.quit();
      await redis.stop();
      if (redis.local) assert.equal(await listening(port), false);
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name: "startPostgres: a real server with databases that survive halt/resume, gone after stop",
  ignore: !hasPostgres,
  fn: async () => {
    const pg = await startPostgres();
    try {
      const port = Number(new URL(pg.url).port);
      let sql = postgres(pg.url, { max: 1, onnotice: () => {} });
      await sql`CREATE TABLE t (v text)`;
      await sql`INSERT INTO t VALUES ('kept')`;
      const [{ server_version: version }] = await sql`SHOW server_version`;
      assert.match(version, /^15\./);
      await sql.end();
      if (pg.local) {
        await pg.halt();
        assert.equal(await listening(port), false);
        await pg.resume();
      }
      sql = postgres(pg.url, { max: 1 });
      assert.deepEqual([...await sql`SELECT v FROM t`], [{ v: "kept" }]);
      await sql.end();
      const other = postgres(await pg.createDatabase(), { max: 1 });
      assert.deepEqual([...await other`SELECT to_regclass('t') AS t`], [{ t: null }]);
      await other.end();
      await pg.stop();
      if (pg.local) assert.equal(await listening(port), false);
    } finally {
      await pg.stop();
    }
  },
});

Deno.test({
  name: "startPostgres with a password: the right one connects, a wrong one is refused",
  ignore: !hasPostgres || Deno.env.get("FLOW_TEST_DATABASE_URL") !== undefined,
  fn: async () => {
    await using pg = await startPostgres({ password: "s3cret/:@" });
    const sql = postgres(pg.url, { max: 1 });
    assert.deepEqual([...await sql`SELECT 1 AS one`], [{ one: 1 }]);
    await sql.end();
    const url = new URL(pg.url);
    url.password = "wrong";
    const bad = postgres(url.href, { max: 1 });
    await assert.rejects(bad`SELECT 1`, /password authentication failed/);
    await bad.end();
  },
});

Deno.test({
  name: "stop() removes the server's directory",
  ignore: !hasPostgres || !hasRedis || Deno.env.get("FLOW_TEST_DATABASE_URL") !== undefined ||
    Deno.env.get("FLOW_TEST_REDIS_URL") !== undefined,
  fn: async () => {
    const before = new Set<string>();
    for await (const e of Deno.readDir(tmpRoot())) before.add(e.name);
    const redis = await startRedis();
    const pg = await startPostgres();
    const created: string[] = [];
    for await (const e of Deno.readDir(tmpRoot())) if (!before.has(e.name)) created.push(`${tmpRoot()}/${e.name}`);
    assert.equal(created.filter((d) => /flow-(redis|pg)-/.test(d)).length, 2);
    await redis.stop();
    await pg.stop();
    for (const dir of created.filter((d) => /flow-(redis|pg)-/.test(d))) assert.equal(await exists(dir), false, dir);
  },
});

function tmpRoot(): string {
  return Deno.env.get("TMPDIR") ?? "/tmp";
}

/** Runs `fn` with `name` set to `value`, restoring it after. */
async function withEnv(name: string, value: string, fn: () => Promise<void>) {
  const saved = Deno.env.get(name);
  Deno.env.set(name, value);
  try {
    await fn();
  } finally {
    saved === undefined ? Deno.env.delete(name) : Deno.env.set(name, saved);
  }
}

Deno.test({
  name: "FLOW_TEST_REDIS_URL: each test gets a key prefix of its own, whose keys stop() deletes",
  ignore: !hasRedis,
  fn: async () => {
    await using server = await startRedis();
    const client = new Redis(server.url);
    await client.set("unrelated", "stays");
    await withEnv("FLOW_TEST_REDIS_URL", server.url, async () => {
      const a = await startRedis();
      const b = await startRedis();
      assert.equal(a.local, false);
      assert.equal(a.url, server.url);
      assert.notEqual(a.prefix, b.prefix);
      await client.set(`${a.prefix}:x`, "1");
      await client.set(`${b.prefix}:x`, "2");
      await assert.rejects(a.halt(), /need a local server/);
      await a.stop();
      assert.equal(await client.get(`${a.prefix}:x`), null);
      assert.equal(await client.get(`${b.prefix}:x`), "2");
      await b.stop();
    });
    assert.deepEqual(await client.keys("*"), ["unrelated"]);
    await client.quit();
  },
});

Deno.test({
  name: "FLOW_TEST_DATABASE_URL: each test gets a database of its own, which stop() drops",
  ignore: !hasPostgres,
  fn: async () => {
    await using server = await startPostgres();
    const admin = postgres(server.url, { max: 1 });
    const databases = async () =>
      (await admin`SELECT datname FROM pg_database WHERE datname LIKE 'flow_test_%'`).map((r) => r.datname);
    await withEnv("FLOW_TEST_DATABASE_URL", server.url, async () => {
      const pg = await startPostgres();
      assert.equal(pg.local, false);
      const extra = await pg.createDatabase();
      const names = [new URL(pg.url).pathname.slice(1), new URL(extra).pathname.slice(1)];
      assert.deepEqual((await databases()).sort(), names.sort());
      const sql = postgres(pg.url, { max: 1 });
      await sql`SELECT 1`; // an open connection does not keep the database from being dropped
      await assert.rejects(pg.resume(), /need a local server/);
      await pg.stop();
      assert.deepEqual(await databases(), []);
      await sql.end();
    });
    await admin.end();
  },
});
