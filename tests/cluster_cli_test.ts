/**
 * The history commands against the distributed mode's PostgreSQL (`--db`),
 * on runs a cluster (1 API server, 1 worker) executed, side by side with the
 * same commands on the SQLite file: `flow runs`, `flow runs show`, `flow runs
 * events` (also `--follow` of a run on a worker), `flow resume`, `flow state`,
 * `flow db migrate`; resume through the API runs on a worker and reuses what
 * completed; an editor run runs in the API server with its pins from PostgreSQL. Also: the one-line errors of
 * `serve --queue` and `worker`.
 */
import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import { runCli } from "./helpers.ts";
import { freePort, hasPostgres, hasRedis, startPostgres } from "./services.ts";
import { type Cluster, postJson, startCluster, startServices } from "./cluster_helpers.ts";

function workflows(demo: string): Record<string, unknown> {
  return {
    "remember.json": {
      id: "remember",
      inputs: { value: { type: "string" } },
      nodes: [{ id: "keep", type: "state.set", config: { key: "last" } }],
      connections: [{ from: "$inputs.value", to: "keep.value" }],
      outputs: { kept: "keep.value" },
    },
    // `key` picks the example server's flaky counter: its first request fails, the next ones succeed.
    "flaky.json": {
      id: "flaky",
      inputs: { key: { type: "string" } },
      nodes: [
        { id: "first", type: "http.request", config: { url: `${demo}/users/9` } },
        {
          id: "second",
          type: "http.request",
          config: { url: `${demo}/flaky/{{ $inputs.key }}?fail=1`, method: "POST" },
        },
      ],
      connections: [{ from: "first.status", to: "second.body" }],
      outputs: { status: "second.status" },
    },
    "steps.json": {
      id: "steps",
      nodes: [
        { id: "a", type: "transform.set", config: { value: "a" } },
        { id: "wait", type: "time.delay", config: { ms: 1000 } },
        { id: "b", type: "transform.set", config: { value: "b" } },
      ],
      connections: [{ from: "a.value", to: "wait.value" }, { from: "wait.value", to: "b.in" }],
      outputs: { b: "b.value" },
    },
  };
}

/** What the steps share. */
interface Ctx {
  cluster: Cluster;
  /** `--db URL` of the cluster's database. */
  db: string[];
  /** The environment of CLI runs on the SQLite file. */
  sqlite: Record<string, string>;
  /** The workflow folder. */
  dir: string;
  /** Requests the example server saw, by path. */
  hits: Map<string, number>;
}

/** Runs the CLI with a state directory of its own (its SQLite file) and expects exit 0. */
async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const r = await runCli(args, { env });
  assert.equal(r.code, 0, `flow ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Starts a run of `workflow` on the cluster and waits for its end; resolves to the result. */
async function runOnCluster(cluster: Cluster, workflow: string, inputs: Record<string, unknown>) {
  const { status, body } = await postJson(`${cluster.servers[0].url}/api/v1/workflows/${workflow}/runs?wait=true`, {
    inputs,
  });
  assert.equal(status, 200, JSON.stringify(body));
  return body as { executionId: string; status: string; outputs: Record<string, unknown> };
}

Deno.test({
  name: "flow runs, runs events, resume and state work with --db postgres:// as with SQLite",
  ignore: !hasRedis || !hasPostgres,
  async fn(t) {
    const demo = startDemoServer();
    const dir = await Deno.makeTempDir({ prefix: "flow-cli-db-" });
    for (const [name, wf] of Object.entries(workflows(demo.url))) {
      await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify(wf));
    }
    const sqlite = { FLOW_STATE_DIR: await Deno.makeTempDir({ prefix: "flow-cli-sqlite-" }) };
    await using services = await startServices();
    await using cluster = await startCluster({ services, paths: [dir], servers: 1, workers: 1 });
    const ctx: Ctx = { cluster, db: ["--db", cluster.dbUrl], sqlite, dir, hits: demo.hits };
    try {
      await t.step("flow state reads what a worker stored, as flow run stores it in SQLite", () => stateBothWays(ctx));

      await t.step("flow runs, runs show and runs events show the cluster's runs", () => listsAndEvents(ctx));

      await t.step("flow runs events --follow tails a run a worker executes", async () => {
        const { status, body } = await postJson(`${cluster.servers[0].url}/api/v1/workflows/steps/runs`, {});
        assert.equal(status, 202);
        const id = (body as { executionId: string }).executionId;
        const followed = await cli(["runs", "events", id, "--follow", ...ctx.db], sqlite);
        const lines = followed.trimEnd().split("\n").map((l) => JSON.parse(l));
        assert.deepEqual(lines.map((e) => e.seq), lines.map((_, i) => i));
        assert.equal(lines.at(-1).type, "workflow.completed");
        assert.equal(lines.at(-1).status, "success");
      });

      await t.step("flow resume --db resumes a failed run, reusing what completed", () => resumeByCli(ctx));

      await t.step("resume through the API runs on a worker and reuses what completed", () => resumeByApi(ctx));

      await t.step("an editor run runs in the API server, with the pins kept in PostgreSQL", () => editorRun(ctx));

      await t.step("flow db migrate: the schema the servers made is up to date", async () => {
        const out = await cli(["db", "migrate", ...ctx.db], sqlite);
        assert.match(out, /: the schema is up to date\n$/);
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

/** `flow state` reads and deletes what a worker stored, in PostgreSQL as in SQLite. */
async function stateBothWays(ctx: Ctx) {
  const remote = await runOnCluster(ctx.cluster, "remember", { value: "in postgres" });
  assert.equal(remote.status, "success");
  await cli(["run", `${ctx.dir}/remember.json`, "--input", "value=in sqlite"], ctx.sqlite);
  assert.equal(await cli(["state", "get", "remember", "last", ...ctx.db], ctx.sqlite), '"in postgres"\n');
  assert.equal(await cli(["state", "get", "remember", "last"], ctx.sqlite), '"in sqlite"\n');
  const [pgList, liteList] = await Promise.all([
    cli(["state", "list", "remember", "--format", "json", ...ctx.db], ctx.sqlite),
    cli(["state", "list", "remember", "--format", "json"], ctx.sqlite),
  ]).then((texts) => texts.map((t) => JSON.parse(t)));
  assert.deepEqual(Object.keys(pgList[0]).sort(), Object.keys(liteList[0]).sort());
  await cli(["state", "delete", "remember", "last", ...ctx.db], ctx.sqlite);
  const gone = await runCli(["state", "get", "remember", "last", ...ctx.db], { env: ctx.sqlite });
  assert.equal(gone.code, 1);
}

/** `flow runs`, `runs show` and `runs events` on a run a worker executed. */
async function listsAndEvents(ctx: Ctx) {
  const { executionId } = await runOnCluster(ctx.cluster, "remember", { value: "listed" });
  const listed = JSON.parse(await cli(["runs", "--format", "json", "--workflow", "remember", ...ctx.db], ctx.sqlite));
  const local = JSON.parse(await cli(["runs", "--format", "json", "--workflow", "remember"], ctx.sqlite));
  assert.equal(listed[0].executionId, executionId);
  assert.equal(listed[0].status, "success");
  assert.equal(listed[0].trigger, "api");
  assert.deepEqual(Object.keys(local[0]).filter((k) => !(k in listed[0])), []);
  const shown = await cli(["runs", "show", executionId.slice(0, 8), ...ctx.db], ctx.sqlite);
  assert.match(shown, new RegExp(executionId));
  assert.match(shown, /success/);
  const events = await cli(["runs", "events", executionId, ...ctx.db], ctx.sqlite);
  assert.deepEqual(events, (await ctx.cluster.store.readJournal(executionId)).join(""));
}

/** `flow resume --db` on a run that failed on a worker: the CLI runs it, reusing what completed. */
async function resumeByCli(ctx: Ctx) {
  const failed = await runOnCluster(ctx.cluster, "flaky", { key: "cli" });
  assert.equal(failed.status, "failed");
  assert.equal(ctx.hits.get("/users/9"), 1);
  const resumed = JSON.parse(await cli(["resume", failed.executionId, "--format", "json", ...ctx.db], ctx.sqlite));
  assert.equal(resumed.status, "success");
  assert.equal(ctx.hits.get("/users/9"), 1, "a completed node ran again");
  const record = await ctx.cluster.execution(resumed.executionId);
  assert.equal(record?.resumedFrom, failed.executionId);
  assert.equal(record?.status, "success");
}

/** The API's resume: a worker runs it, reusing what completed. */
async function resumeByApi(ctx: Ctx) {
  const failed = await runOnCluster(ctx.cluster, "flaky", { key: "api" });
  assert.equal(failed.status, "failed");
  assert.equal(ctx.hits.get("/users/9"), 2);
  const { status, body } = await postJson(
    `${ctx.cluster.servers[0].url}/api/v1/runs/${failed.executionId}/resume`,
  );
  assert.equal(status, 202, JSON.stringify(body));
  const record = await ctx.cluster.settled((body as { executionId: string }).executionId);
  assert.equal(record.status, "success");
  assert.equal(record.resumedFrom, failed.executionId);
  assert.equal(ctx.cluster.workerByPid(record.owner?.pid), ctx.cluster.workers[0]);
  assert.equal(ctx.hits.get("/users/9"), 2, "a completed node ran again");
  const journal = await ctx.cluster.journal(record.executionId);
  assert.ok(journal.some((e) => e.type === "node.completed" && e.nodeId === "first" && e.reused));
}

/** An editor run in the distributed mode: the API server runs it (its plan and pins stay there), pins in PostgreSQL. */
async function editorRun(ctx: Ctx) {
  const server = ctx.cluster.servers[0];
  const pin = await fetch(`${server.url}/api/v1/workflows/flaky/pins/first`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ outputs: { status: 299, headers: {}, body: "pinned" } }),
  });
  assert.equal(pin.status, 200, await pin.text());
  const before = ctx.hits.get("/users/9");
  const { status, body } = await postJson(`${server.url}/api/v1/workflows/flaky/editor-runs?wait=true`, {
    inputs: { key: "editor" },
    mode: "to",
    node: "second",
  });
  assert.equal(status, 200, JSON.stringify(body));
  const { executionId } = body as { executionId: string };
  const record = await ctx.cluster.settled(executionId);
  assert.equal(record.trigger, "editor");
  assert.equal(record.owner?.pid, server.proc.pid, "the API server ran it, not a worker");
  assert.equal(ctx.hits.get("/users/9"), before, "the pinned node was not called");
  const journal = await ctx.cluster.journal(executionId);
  assert.ok(journal.some((e) => e.type === "node.completed" && e.nodeId === "first" && e.pinned));
  const pins = JSON.parse(
    await cli(["state", "list", "flaky", "--node", "@pins", "-f", "json", ...ctx.db], ctx.sqlite),
  );
  assert.deepEqual(pins.map((p: { key: string }) => p.key), ["first"]);
  const listed = JSON.parse(await cli(["runs", "-f", "json", "-w", "flaky", ...ctx.db], ctx.sqlite));
  assert.ok(!listed.some((r: { trigger: string }) => r.trigger === "editor"), "flow runs hides editor runs");
}

Deno.test({
  name: "flow serve --queue and flow worker: what they need is one line and exit 2",
  ignore: !hasPostgres,
  async fn() {
    const closed = `redis://:secret@127.0.0.1:${freePort()}`;
    const cases: [string[], RegExp][] = [
      [["serve", "--queue", closed], /^flow: serve: --queue needs --db postgres:\/\/\.\.\. \(or FLOW_DATABASE_URL\)/],
      [["worker"], /^flow: worker: --queue redis:\/\/\.\.\. \(or FLOW_QUEUE_URL\) is required/],
      [["worker", "--queue", closed], /^flow: worker: --db postgres:\/\/\.\.\. \(or FLOW_DATABASE_URL\) is required/],
      [["worker", "--queue", "http://x"], /^flow: --queue: expected a redis:\/\/ URL; got "http:\/\/x"/],
      [["worker", "--queue", closed, "--db", "mysql://u:pw@h/db"], /^flow: --db: expected a postgres:\/\/ URL/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { env: { FLOW_QUEUE_URL: "", FLOW_DATABASE_URL: "" } });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.ok(!r.stderr.includes("secret") && !r.stderr.includes(":pw@"), r.stderr);
    }
    await using pg = await startPostgres();
    const unreachable = await runCli(["serve", "--port", "0", "--queue", closed, "--db", pg.url]);
    assert.equal(unreachable.code, 2, unreachable.stderr);
    assert.match(unreachable.stderr, /^flow: queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: /);
    assert.equal(unreachable.stderr.trimEnd().split("\n").length, 1, unreachable.stderr);
  },
});
