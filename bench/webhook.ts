/**
 * Webhook load benchmark: `flow serve` answering a webhook -> transform.set
 * -> http.respond workflow (POST `{"name":"x","n":1}` is answered
 * `{"name":"x","n":1,"greeting":"hello x"}`, checked on every response),
 * under autocannon (Node) at 1, 16 and 64 connections, with history off and
 * on. Two forms of the workflow: `templates` sets each field with a plain
 * template path (`{{ $node.body.name }}`), `expression` reshapes the body
 * with one JSONata expression
 * (`{{ $merge([$node.body, {'greeting': 'hello ' & $node.body.name}]) }}`).
 * Node-RED 4.1.15 answers the same request with its equivalent flow
 * (`http in` -> `change`, a JSONata expression too -> `http response`;
 * `bench/nodered/`, the peers' files, runs without the network: no editor,
 * no telemetry, no palette installs), measured alternately in the same run,
 * and the ratios are printed.
 *
 * Each cell: a freshly started server, a warm-up, then a measured run;
 * requests/s, exact p50/p99 latency, the server's CPU time per request (all
 * its threads, from /proc), the server's RSS right after. Cells are
 * repeated `--rounds` times (targets alternating) and the medians reported.
 *
 * Run: `deno task bench:webhook [--rounds N] [--duration S] [--warmup S] [--connections 1,16,64]
 * [--workflows templates,expression] [--no-node-red]`
 *
 * Environment: `FLOW_BENCH_DIR` (scratch folder for autocannon and Node-RED,
 * default $TMPDIR/flow-bench; each installed there with npm, once, when
 * missing: from then on the bench needs no network), `NODE_RED_DIR` (a folder
 * where `npm install node-red@4.1.15` ran; default FLOW_BENCH_DIR).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { exists } from "../scripts/common.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const AUTOCANNON = "autocannon@9.0.0";
const NODE_RED = "node-red@4.1.15";
const SCRATCH = Deno.env.get("FLOW_BENCH_DIR") ?? `${Deno.env.get("TMPDIR") ?? "/tmp"}/flow-bench`;
const NODE_RED_DIR = Deno.env.get("NODE_RED_DIR") ?? SCRATCH;
/** Node-RED's flow and settings for the benchmark (the same as the peers' figures used). */
const NODE_RED_FILES = `${ROOT}bench/nodered`;

/** The benchmarked workflow, with `value` as the transform.set node's config value. */
const workflow = (value: unknown) => ({
  id: "greet",
  nodes: [
    { id: "hook", type: "http.webhook", config: { path: "hook", respond: "node" } },
    { id: "set", type: "transform.set", config: { value } },
    { id: "reply", type: "http.respond" },
  ],
  connections: [{ from: "hook.body", to: "set.body" }, { from: "set.value", to: "reply.body" }],
});

/** The two forms of the benchmarked workflow, by name. */
const WORKFLOWS: Record<string, ReturnType<typeof workflow>> = {
  templates: workflow({
    name: "{{ $node.body.name }}",
    n: "{{ $node.body.n }}",
    greeting: "hello {{ $node.body.name }}",
  }),
  expression: workflow("{{ $merge([$node.body, {'greeting': 'hello ' & $node.body.name}]) }}"),
};

/** One measured cell. */
interface Cell {
  rps: number;
  /** The server's CPU time per answered request, µs (all its threads). */
  cpuUs: number;
  p50: number;
  p99: number;
  rssMiB: number;
  non2xx: number;
  mismatches: number;
  errors: number;
}

/** A server under test. */
interface Target {
  name: string;
  start(): Promise<{ url: string; pid: number; stop(): Promise<void> }>;
}

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "1,16,64" },
    workflows: { type: "string", default: "templates,expression" },
    "no-node-red": { type: "boolean", default: false },
  },
});

async function sh(cmd: string, args: string[], options: Deno.CommandOptions = {}): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...options }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

/** Installs the npm package `spec` (`name@version`) into `dir` when `dir` does not have it (saved in `dir`'s package.json, so a later install keeps it). */
async function ensureInstalled(spec: string, dir: string): Promise<void> {
  const name = spec.slice(0, spec.lastIndexOf("@"));
  if (await exists(`${dir}/node_modules/${name}/package.json`)) return;
  console.error(`installing ${spec} into ${dir} ...`);
  await Deno.mkdir(dir, { recursive: true });
  await sh("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", spec]);
}

/** The server's resident memory, MiB (Linux). */
async function rssMiB(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** Checks the answer to one request. */
async function checkAnswer(url: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"name":"x","n":1}',
  });
  const body = await res.json();
  if (res.status !== 200 || JSON.stringify(body) !== '{"name":"x","n":1,"greeting":"hello x"}') {
    throw new Error(`${url} answered ${res.status} ${JSON.stringify(body)}`);
  }
}

/** Polls until `url` answers the benchmark request (a server that just started). */
async function waitUntilServing(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await checkAnswer(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** `flow serve` of the workflow in `dir` on a free port, with history on or off, in a fresh state directory. */
function flowTarget(history: boolean, dir: string, form: string): Target {
  return {
    name: `flow (${form}), history ${history ? "on" : "off"}`,
    async start() {
      const state = await Deno.makeTempDir({ prefix: "flow-bench-state-" });
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "-A",
          `${ROOT}cli.ts`,
          "serve",
          "--port",
          "0",
          ...(history ? [] : ["--no-history"]),
          dir,
        ],
        env: { FLOW_STATE_DIR: state, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "null",
        stdin: "null",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("flow serve exited before listening");
        text += value;
      }
      const base = /listening on (\S+)/.exec(text)![1];
      const drain = (async () => {
        while (!(await reader.read()).done) { /* keep the pipe open */ }
      })();
      const url = `${base}/hooks/hook`;
      await waitUntilServing(url);
      return {
        url,
        pid: child.pid,
        async stop() {
          child.kill("SIGTERM");
          await child.status;
          await drain;
          await Deno.remove(state, { recursive: true });
        },
      };
    },
  };
}

/** Node-RED with the peers' settings and flow, on a free port. */
function nodeRedTarget(): Target {
  return {
    name: "Node-RED 4.1.15",
    async start() {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      listener.close();
      const userDir = await Deno.makeTempDir({ prefix: "flow-bench-nodered-" });
      const child = new Deno.Command("node", {
        args: [
          `${NODE_RED_DIR}/node_modules/node-red/red.js`,
          "--settings",
          `${NODE_RED_FILES}/settings.cjs`,
          "--userDir",
          userDir,
          `${NODE_RED_FILES}/flows.json`,
        ],
        env: { PEER_PORT: String(port), PEER_LOG_LEVEL: "warn" },
        stdout: "null",
        stderr: "null",
        stdin: "null",
      }).spawn();
      const url = `http://127.0.0.1:${port}/hook`;
      await waitUntilServing(url);
      return {
        url,
        pid: child.pid,
        async stop() {
          child.kill("SIGTERM");
          await child.status;
          await Deno.remove(userDir, { recursive: true });
        },
      };
    },
  };
}

/** One cell: start the target, load it, read its RSS, stop it. */
async function measure(target: Target, connections: number): Promise<Cell> {
  const server = await target.start();
  try {
    const out = await sh("node", [
      `${ROOT}bench/webhook_load.cjs`,
      server.url,
      String(connections),
      flags.warmup!,
      flags.duration!,
      String(server.pid),
    ], { env: { NODE_PATH: `${SCRATCH}/node_modules` } });
    const rssMiBAfter = await rssMiB(server.pid);
    const r = JSON.parse(out);
    return { ...r, cpuUs: r.cpuMs * 1000 / r.requests, rssMiB: rssMiBAfter };
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  await ensureInstalled(AUTOCANNON, SCRATCH);
  const dir = await Deno.makeTempDir({ prefix: "flow-bench-wf-" });
  const targets: Target[] = [];
  for (const form of flags.workflows!.split(",")) {
    if (!WORKFLOWS[form]) throw new Error(`--workflows: unknown form "${form}"; known: ${Object.keys(WORKFLOWS)}`);
    await Deno.mkdir(`${dir}/${form}`);
    await Deno.writeTextFile(`${dir}/${form}/greet.json`, JSON.stringify(WORKFLOWS[form], null, 2));
    targets.push(flowTarget(false, `${dir}/${form}`, form), flowTarget(true, `${dir}/${form}`, form));
  }
  if (!flags["no-node-red"]) {
    await ensureInstalled(NODE_RED, NODE_RED_DIR);
    targets.push(nodeRedTarget());
  }
  const conns = flags.connections!.split(",").map(Number);
  const rounds = Number(flags.rounds);
  const cells = new Map<string, Cell[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const c of conns) {
      for (const target of targets) {
        const cell = await measure(target, c);
        const key = `${target.name}\u0000${c}`;
        cells.set(key, [...(cells.get(key) ?? []), cell]);
        console.error(
          `round ${round} ${target.name} c=${c}: ${cell.rps.toFixed(0)} req/s, p50 ${cell.p50.toFixed(2)} ms, ` +
            `p99 ${cell.p99.toFixed(2)} ms, CPU ${cell.cpuUs.toFixed(0)} µs/request, RSS ${
              cell.rssMiB.toFixed(0)
            } MiB` +
            (cell.non2xx || cell.mismatches || cell.errors
              ? `, non-2xx ${cell.non2xx}, wrong bodies ${cell.mismatches}, errors ${cell.errors}`
              : ""),
        );
      }
    }
  }
  report(targets, conns, cells);
  await Deno.remove(dir, { recursive: true });
}

function report(targets: Target[], conns: number[], cells: Map<string, Cell[]>) {
  const med = (name: string, c: number) => {
    const list = cells.get(`${name}\u0000${c}`)!;
    const pick = (k: keyof Cell) => median(list.map((x) => x[k]));
    return {
      rps: pick("rps"),
      min: Math.min(...list.map((x) => x.rps)),
      max: Math.max(...list.map((x) => x.rps)),
      p50: pick("p50"),
      p99: pick("p99"),
      cpu: pick("cpuUs"),
      rss: pick("rssMiB"),
      bad: list.reduce((n, x) => n + x.non2xx + x.mismatches + x.errors, 0),
    };
  };
  console.log(
    `\n| server | connections | req/s [min–max] | p50 ms | p99 ms | server CPU µs/request | RSS MiB | bad answers |`,
  );
  console.log(`|---|---|---|---|---|---|---|---|`);
  for (const t of targets) {
    for (const c of conns) {
      const m = med(t.name, c);
      console.log(
        `| ${t.name} | ${c} | ${m.rps.toFixed(0)} [${m.min.toFixed(0)}–${m.max.toFixed(0)}] | ${m.p50.toFixed(2)} | ` +
          `${m.p99.toFixed(2)} | ${m.cpu.toFixed(0)} | ${m.rss.toFixed(0)} | ${m.bad} |`,
      );
    }
  }
  const red = targets.find((t) => t.name.startsWith("Node-RED"));
  if (!red) return;
  console.log(
    `\n| flow vs Node-RED | connections | req/s ratio (median of rounds) | p99 ratio (lower is better) | ` +
      `requests per CPU second ratio |`,
  );
  console.log(`|---|---|---|---|---|`);
  for (const t of targets.filter((t) => t !== red)) {
    for (const c of conns) {
      // The median of the per-round ratios: rounds alternate the servers, so each ratio shares its conditions.
      const mine = cells.get(`${t.name}\u0000${c}`)!;
      const theirs = cells.get(`${red.name}\u0000${c}`)!;
      const rps = median(mine.map((m, i) => m.rps / theirs[i].rps));
      const p99 = median(mine.map((m, i) => m.p99 / theirs[i].p99));
      // Requests answered per second of the server's CPU: what each would serve with the cores to itself, which a
      // machine that other jobs share measures more steadily than requests per second.
      const perCpu = median(mine.map((m, i) => theirs[i].cpuUs / m.cpuUs));
      console.log(`| ${t.name} | ${c} | ${rps.toFixed(2)}x | ${p99.toFixed(2)}x | ${perCpu.toFixed(2)}x |`);
    }
  }
}

if (import.meta.main) await main();
