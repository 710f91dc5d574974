/**
 * One cron dialect for every mode: each `time.cron` schedule written in docs/
 * and examples/ is accepted by `flow validate` (croner), gets a timer in one
 * process, and gets a BullMQ job scheduler in the distributed mode (a real
 * Redis) whose next fire is croner's; a schedule that never fires is refused
 * by `flow validate`; one schedule that cannot be set is logged with its
 * workflow and node, and the others are set all the same.
 */
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Cron } from "croner";
import { Redis } from "ioredis";
import { builtinRegistry } from "../nodes/mod.ts";
import { connectQueue } from "../queue/connector.ts";
import { KEY_PREFIX, QUEUE_NAME, schedulerId } from "../queue/names.ts";
import { Schedules } from "../src/runtime/schedules.ts";
import { buildVersion, type WorkflowVersion } from "../src/runtime/version.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { Store } from "../src/store/types.ts";
import { deleteFlowKeys } from "./cluster_helpers.ts";
import { ROOT, runCli } from "./helpers.ts";
import { hasRedis, startRedis } from "./services.ts";

/** One field of a cron pattern: numbers, `*`, `?`, ranges, steps, lists, `L`, `W`, `#`, or day and month names. */
const FIELD = /^(?:[0-9*?,\-\/#LW]+|[A-Z]{3}(?:[-,][A-Z]{3})*)$/;

/** Whether `text` reads as a cron pattern of 5 or 6 fields. */
function isCronPattern(text: string): boolean {
  const fields = text.trim().split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => FIELD.test(f)) &&
    fields.some((f) => /[0-9*]/.test(f));
}

/** Every file under `dir` (relative to the repository) whose name ends with one of `exts`. */
async function* filesUnder(dir: string, exts: string[]): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* filesUnder(path, exts);
    else if (exts.some((e) => entry.name.endsWith(e))) yield path;
  }
}

/**
 * The cron patterns written in docs/ and examples/: every `"schedule"` value
 * (JSON and YAML), and every inline code span of a doc that reads as a cron
 * pattern. Patterns in fenced crontab blocks are for the system's cron, not
 * for `time.cron`.
 */
async function documentedPatterns(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const dir of ["docs", "examples"]) {
    for await (const path of filesUnder(dir, [".md", ".json", ".yaml", ".yml", ".ts"])) {
      const text = await Deno.readTextFile(`${ROOT}${path}`);
      for (const m of text.matchAll(/"?schedule"?\s*:\s*"([^"]+)"/g)) found.set(m[1], path);
      if (!path.endsWith(".md")) continue;
      for (const m of text.matchAll(/`"?([^`"\n]+)"?`/g)) if (isCronPattern(m[1])) found.set(m[1].trim(), path);
    }
  }
  return found;
}

/** A workflow with one `time.cron` node per pattern (`c0`, `c1`, …), in UTC. */
function cronWorkflow(id: string, patterns: string[]) {
  return {
    id,
    nodes: patterns.map((schedule, i) => ({
      id: `c${i}`,
      type: "time.cron",
      config: { schedule, timezone: "UTC" },
    })),
    connections: [],
  };
}

/** A version of `workflow`, as if read from `dir/<id>.json`. */
async function versionOf(dir: string, workflow: { id: string }): Promise<WorkflowVersion> {
  const file = `${dir}/${workflow.id}.json`;
  const text = JSON.stringify(workflow);
  await Deno.writeTextFile(file, text);
  return await buildVersion(file, text, builtinRegistry(), []);
}

/** croner's next fire of `pattern` in UTC after `after`. */
function cronerNext(pattern: string, after: Date): number {
  return new Cron(pattern, { paused: true, timezone: "UTC" }).nextRun(after)!.getTime();
}

/**
 * Asserts that `next` is a fire time of `pattern` (croner's) and the first
 * one after a moment between `t0` and `t1`, when it was computed.
 */
function assertCronerNext(pattern: string, next: number | undefined, t0: Date, t1: Date) {
  assert.ok(next !== undefined, `${pattern}: no next fire`);
  const [lo, hi] = [cronerNext(pattern, t0), cronerNext(pattern, t1)];
  const at = new Date(next).toISOString();
  assert.ok(lo <= next && next <= hi, `${pattern}: fires next at ${at}; croner: ${new Date(lo).toISOString()}`);
  assert.equal(cronerNext(pattern, new Date(next - 1)), next, `${pattern}: ${at} is not one of croner's fire times`);
}

Deno.test("cron: the docs write schedules that need croner's dialect", async () => {
  const patterns = await documentedPatterns();
  // The list this file checks is not empty, and holds the patterns BullMQ's own parser refuses.
  for (const p of ["30 2 * * *", "*/10 * * * * *", "0 0 15W * *", "0 0 L * *", "0 9 * * 1#1"]) {
    assert.ok(patterns.has(p), `${p} is no longer in docs/: ${[...patterns.keys()].join(" | ")}`);
  }
});

Deno.test("cron: flow validate accepts every documented schedule, and refuses one that never fires", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-cron-" });
  const patterns = [...(await documentedPatterns()).keys()];
  await Deno.writeTextFile(`${dir}/all.json`, JSON.stringify(cronWorkflow("all", patterns)));
  const ok = await runCli(["validate", `${dir}/all.json`]);
  assert.equal(ok.code, 0, ok.stderr);

  await Deno.writeTextFile(`${dir}/never.json`, JSON.stringify(cronWorkflow("never", ["0 0 30 2 *"])));
  const never = await runCli(["validate", `${dir}/never.json`]);
  assert.equal(never.code, 2, never.stderr);
  assert.match(never.stderr, /nodes\[0\].config.schedule: never fires \(no such date\): "0 0 30 2 \*"/);
});

Deno.test("cron: every documented schedule gets a timer in one process, at croner's next fire", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-cron-" });
  const patterns = [...(await documentedPatterns()).keys()];
  const version = await versionOf(dir, cronWorkflow("local", patterns));
  const logged: string[] = [];
  const schedules = new Schedules({ run: () => Promise.resolve(), skipped: () => {}, log: (l) => logged.push(l) });
  try {
    const t0 = new Date();
    schedules.sync([version]);
    const t1 = new Date();
    for (const [i, pattern] of patterns.entries()) {
      const next = schedules.nextFire(version, `c${i}`);
      assertCronerNext(pattern, next === undefined ? undefined : Date.parse(next), t0, t1);
    }
    assert.deepEqual(logged, []);
  } finally {
    schedules.stop();
  }
});

Deno.test({
  name: "cron: every documented schedule gets a job scheduler on the queue, at croner's next fire",
  ignore: !hasRedis,
  async fn() {
    await using redis = await startRedis();
    if (!redis.local) await deleteFlowKeys(redis.url);
    const dir = await Deno.makeTempDir({ prefix: "flow-cron-" });
    const store = await openSqliteStore(`${dir}/flow.db`);
    const logged: string[] = [];
    const connector = await connectQueue({ url: redis.url, store, log: (l) => logged.push(l) });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const queue = new Queue(QUEUE_NAME, { connection, prefix: KEY_PREFIX });
    const schedules = connector.schedules({} as never);
    try {
      const patterns = [...(await documentedPatterns()).keys()];
      // One workflow per pattern, in the order of the docs: a pattern that fails must not stop the ones after it.
      const versions = await Promise.all(patterns.map((p, i) => versionOf(dir, cronWorkflow(`p${i}`, [p]))));
      const t0 = new Date();
      await (schedules.sync(versions) as unknown as Promise<void>);
      const t1 = new Date();
      const schedulers = await queue.getJobSchedulers(0, -1);
      assert.deepEqual(logged, []);
      for (const [i, pattern] of patterns.entries()) {
        const s = schedulers.find((x) => x.key === schedulerId(`p${i}`, "c0"));
        assert.ok(s, `${pattern}: no job scheduler (got ${schedulers.map((x) => x.key).join(", ")})`);
        assert.equal(s.pattern, pattern);
        assertCronerNext(pattern, s.next, t0, t1);
      }
    } finally {
      await queue.close();
      connection.disconnect();
      await connector.close();
      await store.close();
      if (!redis.local) await deleteFlowKeys(redis.url);
    }
  },
});

Deno.test({
  name: "cron: a schedule that cannot be set is logged with its workflow and node; the others are set",
  ignore: !hasRedis,
  async fn() {
    await using redis = await startRedis();
    if (!redis.local) await deleteFlowKeys(redis.url);
    const dir = await Deno.makeTempDir({ prefix: "flow-cron-" });
    const sqlite = await openSqliteStore(`${dir}/flow.db`);
    // The database refuses the version of one workflow (as a full disk or a lost connection would).
    const store = new Proxy(sqlite, {
      get(target, key, receiver) {
        if (key === "saveVersion") {
          return (v: { workflowId: string }) =>
            v.workflowId === "broken" ? Promise.reject(new Error("disk full")) : target.saveVersion(v as never);
        }
        const value = Reflect.get(target, key, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as Store;
    const logged: string[] = [];
    const connector = await connectQueue({ url: redis.url, store, log: (l) => logged.push(l) });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const queue = new Queue(QUEUE_NAME, { connection, prefix: KEY_PREFIX });
    const schedules = connector.schedules({} as never);
    try {
      const versions = [
        await versionOf(dir, cronWorkflow("first", ["0 0 * * *"])),
        await versionOf(dir, cronWorkflow("broken", ["0 1 * * *"])),
        await versionOf(dir, cronWorkflow("after", ["0 0 15W * *", "0 2 * * *"])),
      ];
      await (schedules.sync(versions) as unknown as Promise<void>);
      const keys = (await queue.getJobSchedulers(0, -1)).map((s) => s.key).sort();
      assert.deepEqual(keys, ["flow:after:c0", "flow:after:c1", "flow:first:c0"]);
      assert.equal(logged.length, 1, logged.join("\n"));
      assert.equal(
        logged[0],
        `flow serve: schedule "c0" of workflow "broken" (${dir}/broken.json) is not set, so it does not fire: disk full`,
      );
    } finally {
      await queue.close();
      connection.disconnect();
      await connector.close();
      await sqlite.close();
      if (!redis.local) await deleteFlowKeys(redis.url);
    }
  },
});
