/**
 * Large workflows through the whole CLI: wall time and peak memory (RSS) of
 * `deno run -A dist/flow.js ...` processes on generated layered workflows.
 *
 * A layered workflow has 100 nodes per layer; each node after the first
 * layer takes its input from the node at the same position in the layer
 * before (10,000 nodes: 100 layers; 100,000 nodes: 1,000 layers). Cases:
 * - 10,000 `time.delay` (`ms: 0`) nodes, `flow run --format ndjson`
 * - 100,000 `time.delay` (`ms: 0`) nodes, `flow run` (pretty output)
 * - 100,000 `debug.inspect` nodes, `flow run --format ndjson`
 * - the same 100,000-node file, `flow validate`
 *
 * History is on, as in a user's run, recorded in a temporary state directory
 * (never the user's own history). Output goes to /dev/null. Each case runs
 * RUNS times (default 3); the table shows the median wall time, the largest
 * peak RSS (from GNU time's `%M`, where `/usr/bin/time` is GNU time) and the
 * goal of issue 11.
 *
 * Run: `deno task scale [--runs N] [--rebuild]`
 *
 * @module
 */
import { BUNDLE, ensureBundle, intFlag, machineLine, median } from "./bundle.ts";

/** A layered workflow of `count` nodes of `type`, `width` nodes per layer. */
export function layeredWorkflow(
  count: number,
  type: "time.delay" | "debug.inspect",
  width = 100,
): { id: string; nodes: Record<string, unknown>[]; connections: { from: string; to: string }[] } {
  const nodes: Record<string, unknown>[] = [];
  const connections: { from: string; to: string }[] = [];
  for (let i = 0; i < count; i++) {
    const layer = Math.floor(i / width), j = i % width;
    const node: Record<string, unknown> = { id: `n${layer}_${j}`, type };
    if (type === "time.delay") node.config = { ms: 0 };
    else if (layer === 0) node.config = { value: j };
    nodes.push(node);
    if (layer > 0) connections.push({ from: `n${layer - 1}_${j}.value`, to: `n${layer}_${j}.value` });
  }
  return { id: `layered-${type.replace(".", "-")}-${count}`, nodes, connections };
}

/** One benchmark case. */
interface Case {
  name: string;
  file: string;
  args: string[];
  goalSeconds: number;
  goalMiB?: number;
}

/** Whether `/usr/bin/time` is GNU time (it reports peak RSS with `-f %M`). */
async function gnuTime(): Promise<boolean> {
  try {
    const out = await new Deno.Command("/usr/bin/time", { args: ["-f", "%M", "true"], stderr: "piped" }).output();
    return out.code === 0 && /^\d+\s*$/.test(new TextDecoder().decode(out.stderr));
  } catch {
    return false;
  }
}

/** Runs the CLI once; wall time in s and peak RSS in MiB (undefined without GNU time). */
async function once(args: string[], withTime: boolean, dir: string): Promise<{ seconds: number; mib?: number }> {
  const rss = `${dir}/rss.txt`;
  const deno = [Deno.execPath(), "run", "-A", BUNDLE, ...args];
  const [cmd, ...rest] = withTime ? ["/usr/bin/time", "-f", "%M", "-o", rss, ...deno] : deno;
  const start = performance.now();
  const out = await new Deno.Command(cmd, {
    args: rest,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { FLOW_STATE_DIR: `${dir}/state` },
  }).output();
  const seconds = (performance.now() - start) / 1000;
  if (out.code !== 0) {
    console.error(
      `scale: flow ${args.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr).slice(0, 500)}`,
    );
    Deno.exit(1);
  }
  return { seconds, mib: withTime ? Number((await Deno.readTextFile(rss)).trim()) / 1024 : undefined };
}

if (import.meta.main) {
  const runs = intFlag(Deno.args, "runs", 3, "scale");
  await ensureBundle(Deno.args.includes("--rebuild"), "scale");
  const dir = await Deno.makeTempDir({ prefix: "flow-scale-" });
  try {
    const files = {
      delay10k: layeredWorkflow(10_000, "time.delay"),
      delay100k: layeredWorkflow(100_000, "time.delay"),
      inspect100k: layeredWorkflow(100_000, "debug.inspect"),
    };
    for (const [name, wf] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(wf));
    const cases: Case[] = [
      {
        name: "10k time.delay 0 ms, run --format ndjson",
        file: "delay10k",
        args: ["--format", "ndjson"],
        goalSeconds: 0.3,
      },
      { name: "100k time.delay 0 ms, run (pretty)", file: "delay100k", args: [], goalSeconds: 3, goalMiB: 400 },
      {
        name: "100k debug.inspect, run --format ndjson",
        file: "inspect100k",
        args: ["--format", "ndjson"],
        goalSeconds: 1.5,
      },
      { name: "100k debug.inspect, validate", file: "inspect100k", args: [], goalSeconds: 0.8 },
    ];
    const withTime = await gnuTime();
    console.log(machineLine(`${runs} runs each, bundle ${BUNDLE.replace(/^.*\/dist\//, "dist/")}`));
    console.log(`${"case".padEnd(42)} ${"median".padStart(8)} ${"peak RSS".padStart(10)}   goal`);
    for (const c of cases) {
      const command = c.name.endsWith("validate") ? "validate" : "run";
      const results = [];
      for (let i = 0; i < runs; i++) {
        results.push(await once([command, `${dir}/${c.file}.json`, ...c.args], withTime, dir));
      }
      const seconds = median(results.map((r) => r.seconds).sort((a, b) => a - b));
      const mib = withTime ? Math.max(...results.map((r) => r.mib!)) : undefined;
      const ok = seconds < c.goalSeconds && (c.goalMiB === undefined || mib === undefined || mib < c.goalMiB);
      const goal = `< ${c.goalSeconds} s${c.goalMiB ? `, < ${c.goalMiB} MiB` : ""}`;
      console.log(
        `${c.name.padEnd(42)} ${seconds.toFixed(2).padStart(6)} s ${
          mib === undefined ? "n/a".padStart(10) : `${mib.toFixed(0)} MiB`.padStart(10)
        }   ${goal} ${ok ? "ok" : "MISSED"}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
