/**
 * Cold start of the single-file bundle: wall time of whole `deno run` processes.
 *
 * Builds `dist/flow.js` (`deno task bundle`) unless it is newer than every
 * source file, then runs, each RUNS times and one after another:
 * - `deno run -A dist/flow.js --version`
 * - `deno run -A dist/flow.js run <tmp>/wf.json --quiet` for a 3-node workflow
 *   (time.delay 0 ms -> debug.log -> transform.json_stringify)
 * and prints the median and p90 wall time of each in ms.
 *
 * Run: `deno task cold-start [--runs N] [--rebuild]`
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BUNDLE = `${ROOT}dist/flow.js`;

/** The benchmark workflow: three connected nodes, no network. */
export const WORKFLOW = {
  id: "cold-start",
  name: "cold start",
  inputs: { greeting: { type: "string", default: "hello" } },
  nodes: [
    { id: "wait", type: "time.delay", config: { ms: 0 } },
    { id: "log", type: "debug.log" },
    { id: "json", type: "transform.json_stringify" },
  ],
  connections: [
    { from: "$inputs.greeting", to: "wait.value" },
    { from: "wait.value", to: "log.message" },
    { from: "log.message", to: "json.value" },
  ],
  outputs: { json: "json.json" },
};

/** The q-quantile (0..1) of sorted numbers, nearest-rank. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Median of sorted numbers (mean of the middle two for an even count). */
export function median(sorted: number[]): number {
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function newestSource(): Promise<number> {
  let newest = 0;
  const visit = async (path: string) => {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      for await (const e of Deno.readDir(path)) {
        if (e.isDirectory || /\.(ts|js|json)$/.test(e.name)) await visit(`${path}/${e.name}`);
      }
    } else newest = Math.max(newest, info.mtime?.getTime() ?? 0);
  };
  for (const p of ["cli.ts", "mod.ts", "deno.json", "deno.lock", "cli", "src", "nodes", "scripts/bundle.ts"]) {
    try {
      await visit(`${ROOT}${p}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return newest;
}

async function ensureBundle(rebuild: boolean): Promise<void> {
  let built = 0;
  try {
    built = (await Deno.stat(BUNDLE)).mtime?.getTime() ?? 0;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!rebuild && built > 0 && built >= await newestSource()) {
    console.log("reusing dist/flow.js");
    return;
  }
  console.log("building dist/flow.js (deno task bundle)");
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "bundle"],
    cwd: ROOT,
    stdin: "null",
  }).output();
  if (code !== 0) {
    console.error("cold-start: deno task bundle failed");
    Deno.exit(1);
  }
}

async function time(args: string[], runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const ms = performance.now() - start;
    if (out.code !== 0) {
      console.error(`cold-start: deno ${args.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
      Deno.exit(1);
    }
    times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

if (import.meta.main) {
  const runsFlag = Deno.args.indexOf("--runs");
  const runs = runsFlag >= 0 ? Number(Deno.args[runsFlag + 1]) : 20;
  if (!Number.isInteger(runs) || runs < 1) {
    console.error("cold-start: --runs takes a positive integer");
    Deno.exit(2);
  }
  await ensureBundle(Deno.args.includes("--rebuild"));

  const dir = await Deno.makeTempDir({ prefix: "flow-cold-start-" });
  try {
    const wf = `${dir}/wf.json`;
    await Deno.writeTextFile(wf, JSON.stringify(WORKFLOW, null, 2));
    const cases: [string, string[]][] = [
      ["flow --version", ["run", "-A", BUNDLE, "--version"]],
      ["flow run (3 nodes) --quiet", ["run", "-A", BUNDLE, "run", wf, "--quiet"]],
    ];
    // One untimed run each, so the first timed run does not pay for anything
    // that is done once per machine rather than once per process.
    for (const [, args] of cases) await time(args, 1);

    const v = Deno.version;
    console.log(`deno ${v.deno} · ${Deno.build.target} · ${navigator.hardwareConcurrency} CPUs · ${runs} runs each`);
    for (const [name, args] of cases) {
      const t = await time(args, runs);
      console.log(
        `${name.padEnd(28)} median ${median(t).toFixed(1).padStart(6)} ms   p90 ${
          quantile(t, 0.9).toFixed(1).padStart(6)
        } ms`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
