/**
 * What history costs per node, measured in pairs: the 10,000-node DAG of
 * `engine_bench.ts` run without and with recording to a SQLite store, one
 * after the other, for many rounds (every other round in the other order),
 * so that a shared, noisy machine weighs on both sides alike. Two sinks:
 * every event written as NDJSON to /dev/null (the engine benchmark, where the
 * run already serialises each event, and the journal reuses that line), and
 * no sink at all (`flow run --quiet`, where the recorder is the only reason
 * events are serialised).
 *
 * `deno task bench` runs the same comparison with `Deno.bench` (history off,
 * then on); this script is the one the README's figures come from.
 *
 * Run: `deno task bench:history [--rounds N]`
 *
 * @module
 */
import { Registry, validateWorkflow } from "../mod.ts";
import { ndjsonReporter } from "../cli/reporters.ts";
import { Output } from "../cli/output.ts";
import type { FlowEvent } from "../src/engine/events.ts";
import { runRecorded } from "../src/runtime/recorded.ts";
import { Recorder } from "../src/store/recorder.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { intFlag, machineLine, median, quantile } from "./bundle.ts";
import { noop, tree } from "./nodes.ts";

const N = 10_000;
const WARMUP = 20;

/** Milliseconds of each round without and with history. */
interface Pairs {
  off: number[];
  on: number[];
}

/** Runs `rounds` pairs (after a warm-up) with `onEvent` as the sink. */
async function measure(
  rounds: number,
  onEvent: ((e: FlowEvent) => void) | undefined,
  flush: () => void,
  recorder: Recorder,
): Promise<Pairs> {
  const compiled = validateWorkflow({ id: "bench", ...tree(N) }, new Registry([noop]));
  const once = async (history: boolean) => {
    const start = performance.now();
    const r = await runRecorded(compiled, {
      onEvent,
      concurrency: 64,
      trigger: "cli",
      recorder: history ? recorder : undefined,
    });
    flush();
    if (r.status !== "success") throw new Error(`the benchmark run ended ${r.status}`);
    return performance.now() - start;
  };
  const pairs: Pairs = { off: [], on: [] };
  for (let i = 0; i < WARMUP + rounds; i++) {
    let off: number, on: number;
    if (i % 2 === 0) [off, on] = [await once(false), await once(true)];
    else [on, off] = [await once(true), await once(false)];
    if (i < WARMUP) continue;
    pairs.off.push(off);
    pairs.on.push(on);
  }
  return pairs;
}

/** One line: medians, p90s and what history adds at the median and on average. */
function report(name: string, p: Pairs): string {
  const off = [...p.off].sort((a, b) => a - b);
  const on = [...p.on].sort((a, b) => a - b);
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const pct = (a: number, b: number) => `${a >= b ? "+" : ""}${((a / b - 1) * 100).toFixed(0)}%`;
  return `${name.padEnd(34)} off: median ${median(off).toFixed(1)} ms, p90 ${quantile(off, 0.9).toFixed(1)}   ` +
    `on: median ${median(on).toFixed(1)} ms, p90 ${quantile(on, 0.9).toFixed(1)}   ` +
    `history ${pct(median(on), median(off))} at the median, ${pct(mean(on), mean(off))} on average, ` +
    `${(((median(on) - median(off)) / N) * 1000).toFixed(2)} µs per node`;
}

if (import.meta.main) {
  const rounds = intFlag(Deno.args, "rounds", 100, "bench:history");
  const dir = await Deno.makeTempDir({ prefix: "flow-bench-history-" });
  const devnull = Deno.openSync(Deno.build.os === "windows" ? "NUL" : "/dev/null", { write: true });
  const store = await openSqliteStore(`${dir}/flow.db`);
  try {
    const recorder = new Recorder(store);
    const sink = new Output(devnull);
    const ndjson = await measure(rounds, ndjsonReporter(sink).onEvent, () => sink.flush(), recorder);
    const quiet = await measure(rounds, undefined, () => {}, recorder);
    console.log(machineLine(`${N} sync no-op nodes, ${rounds} rounds of history off and on, alternating`));
    console.log(report("NDJSON events to /dev/null", ndjson));
    console.log(report("no sink (flow run --quiet)", quiet));
  } finally {
    await store.close();
    devnull.close();
    await Deno.remove(dir, { recursive: true });
  }
}
