/**
 * Throughput of the distributed mode against one process, on this machine.
 *
 * The workflow: a webhook (`respond: onCompleted`), an `http.request` to the
 * example server, a `transform.set` of its status and the request's body.
 * Closed-loop load: `--concurrency` clients (default 32) each POST to the
 * webhook and wait for its answer, until `--runs` executions (default 1000)
 * have answered, after 50 unmeasured ones. Configurations:
 * - `single`: `flow serve` alone, history in SQLite (the default), `--max-runs 32`;
 * - `single-pg`: the same with `--db postgres://...`;
 * - `1`, `2`, `4`: one API server (`--queue --db`) and that many workers
 *   (`--concurrency 16` each), on a fresh database.
 *
 * For each it prints executions/s, answer latency (p50, p90), and the CPU
 * each part used during the measured runs, in cores (CPU seconds / wall
 * seconds): the API server, the workers, Redis, PostgreSQL and this process
 * (the clients and the example server). Every part shares this machine's cores.
 *
 * Run: `deno task bench:scale-out [--runs N] [--concurrency C] [--only single,1,2,4]`
 * (Redis and PostgreSQL as for the tests: `redis-server` and PostgreSQL 15 here).
 *
 * @module
 */
import { Redis } from "ioredis";
import { startDemoServer } from "../examples/server.ts";
import { type Cluster, Proc, type Services, startCluster, startServices } from "../tests/cluster_helpers.ts";
import { median, quantile } from "./bundle.ts";

/** One measured configuration. */
interface Result {
  name: string;
  perSecond: number;
  p50: number;
  p90: number;
  cores: Record<string, number>;
}

/** The benchmark workflow, calling the example server at `demo`. */
function workflow(demo: string) {
  return {
    id: "bench",
    nodes: [
      { id: "hook", type: "http.webhook", config: { path: "bench" } },
      { id: "fetch", type: "http.request", config: { url: `${demo}/users/1` } },
      { id: "out", type: "transform.set", config: { value: { n: "{{ $node.body.n }}", status: "{{ $node.s }}" } } },
    ],
    connections: [{ from: "hook.body", to: "out.body" }, { from: "fetch.status", to: "out.s" }],
    outputs: { out: "out.value" },
  };
}

/** `count` webhook calls by `concurrency` clients; resolves to the wall time and each call's latency, ms. */
async function load(url: string, count: number, concurrency: number): Promise<{ wallMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < count) {
      const n = next++;
      const t = performance.now();
      const res = await fetch(`${url}/hooks/bench`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ n }),
      });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`call ${n}: ${res.status} ${body}`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return { wallMs: performance.now() - started, latencies: latencies.sort((a, b) => a - b) };
}

// ---------------------------------------------------------------------------
// CPU accounting (Linux /proc)

const TICKS_PER_SECOND = 100;

/** utime + stime (+ cutime + cstime with `children`) of a process, in seconds; 0 when it is gone. */
function cpuOf(pid: number | "self", children = false): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
    return ticks / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The PostgreSQL server listening on `port`: its postmaster's and live backends' CPU seconds. */
function postgresCpu(port: string): number {
  const procs: { pid: number; ppid: number; cmd: string }[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      procs.push({ pid: Number(e.name), ppid: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]), cmd });
    } catch { /* gone */ }
  }
  const master = procs.find((p) => /postgres .*-p \d+/.test(p.cmd) && p.cmd.includes(`-p ${port}`));
  if (!master) return 0;
  return cpuOf(master.pid, true) + procs.filter((p) => p.ppid === master.pid).reduce((s, p) => s + cpuOf(p.pid), 0);
}

/** Redis's own CPU seconds (INFO cpu). */
async function redisCpu(url: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await client.info("cpu");
    const get = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
    return get("used_cpu_user") + get("used_cpu_sys");
  } finally {
    client.disconnect();
  }
}

/** CPU seconds of each part now. */
async function cpuNow(parts: { api: Proc; workers: Proc[]; services?: Services; dbPort?: string }) {
  return {
    api: cpuOf(parts.api.pid),
    workers: parts.workers.reduce((s, w) => s + cpuOf(w.pid), 0),
    redis: parts.services ? await redisCpu(parts.services.redis.url) : 0,
    postgres: parts.dbPort ? postgresCpu(parts.dbPort) : 0,
    bench: cpuOf("self"),
  };
}

// ---------------------------------------------------------------------------
// Configurations

/** Warms up, measures, and returns the result; `parts` are measured for CPU. */
async function measure(
  name: string,
  url: string,
  parts: Parameters<typeof cpuNow>[0],
  options: { runs: number; concurrency: number },
): Promise<Result> {
  await load(url, 50, options.concurrency);
  const before = await cpuNow(parts);
  const { wallMs, latencies } = await load(url, options.runs, options.concurrency);
  const after = await cpuNow(parts);
  const cores = Object.fromEntries(
    Object.entries(after).map(([k, v]) => [k, (v - before[k as keyof typeof before]) / (wallMs / 1000)]),
  );
  return {
    name,
    perSecond: options.runs / (wallMs / 1000),
    p50: median(latencies),
    p90: quantile(latencies, 0.9),
    cores,
  };
}

/** `flow serve` alone (history in SQLite, or in PostgreSQL with `db`). */
async function single(dir: string, options: { runs: number; concurrency: number }, db?: string): Promise<Result> {
  const state = await Deno.makeTempDir({ prefix: "flow-bench-state-" });
  const extra = db ? ["--db", db] : [];
  const api = new Proc("single", ["serve", dir, "--port", "0", "--max-runs", "32", ...extra], {
    FLOW_STATE_DIR: state,
  });
  try {
    const [, url] = await api.waitFor(/listening on (http:\/\/\S+)/);
    await api.waitFor(/serving \d+ workflow/);
    const dbPort = db ? new URL(db).port : undefined;
    return await measure(
      db ? "one process, PostgreSQL" : "one process, SQLite",
      url,
      { api, workers: [], dbPort },
      options,
    );
  } finally {
    await api.stop();
    await Deno.remove(state, { recursive: true });
  }
}

/** One API server and `workers` workers on a fresh database. */
async function distributed(
  dir: string,
  services: Services,
  workers: number,
  options: { runs: number; concurrency: number },
): Promise<Result> {
  const dbUrl = await services.pg.createDatabase();
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({
      services,
      dbUrl,
      paths: [dir],
      servers: 1,
      workers,
      workerArgs: ["--concurrency", "16"],
    });
    const parts = { api: cluster.servers[0].proc, workers: cluster.workers, services, dbPort: new URL(dbUrl).port };
    return await measure(`queue, ${workers} worker${workers > 1 ? "s" : ""}`, cluster.servers[0].url, parts, options);
  } finally {
    await cluster?.stop();
  }
}

function table(results: Result[]): string {
  const parts = ["api", "workers", "redis", "postgres", "bench"];
  const head = `| mode | executions/s | p50 ms | p90 ms | CPU cores: ${parts.join(" / ")} | total | ` +
    `CPU ms per execution (flow, Redis, PostgreSQL) |`;
  const rows = results.map((r) => {
    const cores = parts.map((p) => r.cores[p].toFixed(2)).join(" / ");
    const total = parts.reduce((s, p) => s + r.cores[p], 0).toFixed(2);
    // What the execution costs the system, without the load generator and the example server (the bench process).
    const perExecution = parts.filter((p) => p !== "bench").reduce((s, p) => s + r.cores[p], 0) * 1000 / r.perSecond;
    return `| ${r.name} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(0)} | ${
      r.p90.toFixed(0)
    } | ${cores} | ${total} | ${perExecution.toFixed(2)} |`;
  });
  return [head, "| --- | --: | --: | --: | --- | --: | --: |", ...rows].join("\n");
}

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : fallback;
}

if (import.meta.main) {
  const options = { runs: Number(flag("--runs", "1000")), concurrency: Number(flag("--concurrency", "32")) };
  const only = flag("--only", "single,single-pg,1,2,4").split(",");
  if (![options.runs, options.concurrency].every((n) => Number.isInteger(n) && n > 0)) {
    console.error("bench:scale-out: --runs and --concurrency take positive integers");
    Deno.exit(2);
  }
  const demo = startDemoServer();
  const dir = await Deno.makeTempDir({ prefix: "flow-bench-" });
  await Deno.writeTextFile(`${dir}/bench.json`, JSON.stringify(workflow(demo.url)));
  const services = await startServices();
  const results: Result[] = [];
  try {
    console.log(
      `deno ${Deno.version.deno} · ${navigator.hardwareConcurrency} CPUs · ${options.runs} executions per mode · ` +
        `${options.concurrency} clients`,
    );
    if (only.includes("single")) results.push(await single(dir, options));
    if (only.includes("single-pg")) results.push(await single(dir, options, await services.pg.createDatabase()));
    for (const n of [1, 2, 4]) {
      if (only.includes(String(n))) results.push(await distributed(dir, services, n, options));
    }
    console.log(table(results));
  } finally {
    await services.stop();
    await demo.close();
    await Deno.remove(dir, { recursive: true });
  }
}
