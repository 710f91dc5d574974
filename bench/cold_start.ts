/**
 * Cold start of the single-file bundle beside a hello-world baseline: wall
 * time of whole `deno run` processes, measured in the same run and
 * interleaved (one of each in turn), so the ratio holds on any machine.
 *
 * Builds `dist/flow.js` (`deno task bundle`) unless it is newer than every
 * source file, then runs, RUNS times each:
 * - `deno run -A <tmp>/hello.js` (`console.log("hello")`): the baseline
 * - `deno run -A dist/flow.js --version`
 * - `deno run -A dist/flow.js run <tmp>/three.json` (pretty output), the same with `--quiet`, and with
 *   `--quiet --no-history`, for a 3-node workflow (time.delay 0 ms -> debug.log -> transform.json_stringify);
 *   history (on by default) is recorded in a temporary state directory that
 *   already holds `--recorded N` (default 1,000) finished runs of that workflow,
 *   each with a journal: the state of a workflow that cron has run for a while
 *   (each recorded run then also prunes the oldest, as retention keeps 1,000;
 *   the untimed first run remembers the file's content hash, as a cron job's
 *   first run does),
 * - the `--quiet --no-history` run of the same workflow with a JSONata
 *   expression in its last node (`transform.set`), which loads JSONata,
 * then `--pairs N` (default 100) more rounds of just the two `--quiet` runs,
 * and prints the p10, median and p90 wall time of each case in ms, its
 * median as a multiple of the baseline's, and what history costs, from every
 * pair of `--quiet` runs with and without it: the median of the paired
 * differences with its 95% confidence interval, and the difference between
 * their p10s.
 *
 * Run: `deno task cold-start [--runs N] [--pairs N] [--recorded N] [--rebuild]`
 *
 * @module
 */
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { NewExecution } from "../src/store/types.ts";
import { BUNDLE, ensureBundle, intFlag, machineLine, median, quantile } from "./bundle.ts";
import { EXPRESSION_WORKFLOW, WORKFLOW } from "../scripts/compile_profile.ts";

/**
 * Wall time of one `deno ARGS` process, ms; exits 1 if it fails. It runs in
 * `cwd`, away from this repository: there Deno would read its `deno.json`
 * and `deno.lock`, as no installed flow does, and a dynamic import (of
 * `node:sqlite`) would cost about 2 ms more.
 */
async function once(args: string[], cwd: string, stateDir?: string): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", ...(stateDir ? { FLOW_STATE_DIR: stateDir } : {}) },
  }).output();
  const ms = performance.now() - start;
  if (out.code !== 0) {
    console.error(`cold-start: deno ${args.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
    Deno.exit(1);
  }
  return ms;
}

/** Records `count` finished runs of {@linkcode WORKFLOW} (a minute apart, in the past) in the store at `path`. */
async function seedHistory(path: string, count: number): Promise<void> {
  const store = await openSqliteStore(path);
  const start = Date.now() - count * 60_000;
  const created: NewExecution[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(start + i * 60_000).toISOString();
    created.push({
      executionId: crypto.randomUUID(),
      workflowId: WORKFLOW.id,
      workflowName: WORKFLOW.name,
      inputs: {},
      trigger: "cli",
      status: "success",
      createdAt: at,
      startedAt: at,
    });
  }
  const line = (id: string, seq: number) => `${JSON.stringify({ type: "node.completed", executionId: id, seq })}\n`;
  await store.write({
    created,
    journal: created.map((e) => ({
      executionId: e.executionId,
      firstSeq: 0,
      lastSeq: 7,
      lines: Array.from({ length: 8 }, (_, seq) => line(e.executionId, seq)),
    })),
    ended: created.map((e) => ({ executionId: e.executionId, status: "success", endedAt: e.createdAt, durationMs: 1 })),
  });
  await store.close();
}

/** One measured case: its label and the `deno` arguments. */
type Case = [name: string, args: string[]];

/** Wall times (ms) of `rounds` rounds of `cases`, one of each per round, every other round in reverse order. */
async function rounds(cases: Case[], count: number, cwd: string, state: string): Promise<number[][]> {
  const times = cases.map(() => [] as number[]);
  // Every other round in reverse order, so that no case always follows the same one.
  const forward = cases.map((_, c) => c);
  for (let i = 0; i < count; i++) {
    for (const c of i % 2 === 0 ? forward : [...forward].reverse()) times[c].push(await once(cases[c][1], cwd, state));
  }
  return times;
}

/** Prints the p10, median and p90 of each case, and its median as a multiple of the first case's. */
function printCases(cases: Case[], times: number[][]) {
  const sorted = times.map((t) => [...t].sort((a, b) => a - b));
  const base = median(sorted[0]);
  const ms = (x: number) => `${x.toFixed(1).padStart(6)} ms`;
  cases.forEach(([name], c) => {
    const t = sorted[c];
    const ratio = c === 0 ? "" : `   ${(median(t) / base).toFixed(2)}x baseline`;
    console.log(
      `${name.padEnd(40)} p10 ${ms(quantile(t, 0.1))}   median ${ms(median(t))}   p90 ${ms(quantile(t, 0.9))}${ratio}`,
    );
  });
}

/**
 * Prints what history costs, from runs with it (`on`) and without (`off`)
 * measured in pairs (`on[i]` next to `off[i]`): the median of the paired
 * differences, which cancels most of what a shared machine adds to both,
 * with its distribution-free 95% confidence interval (the order statistics
 * n/2 ± 0.98·√n of the sorted differences); and the difference between the
 * p10s, the runs a busy machine slowed least (on a busy machine every step
 * of a run takes longer, history's too).
 */
function printHistoryCost(on: number[], off: number[]) {
  const n = on.length;
  const paired = on.map((t, i) => t - off[i]).sort((a, b) => a - b);
  const k = Math.max(0, Math.floor(n / 2 - 0.98 * Math.sqrt(n)));
  const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)} ms`;
  const p10 = quantile([...on].sort((a, b) => a - b), 0.1) - quantile([...off].sort((a, b) => a - b), 0.1);
  console.log(
    `history on a 3-node run (--quiet): ${signed(median(paired))}, median of ${n} paired differences ` +
      `(95% confidence: ${signed(paired[k])} to ${signed(paired[n - 1 - k])}); ${signed(p10)} between the p10s`,
  );
}

if (import.meta.main) {
  const runs = intFlag(Deno.args, "runs", 20, "cold-start");
  const pairs = intFlag(Deno.args, "pairs", 100, "cold-start");
  const recorded = intFlag(Deno.args, "recorded", 1000, "cold-start");
  await ensureBundle(Deno.args.includes("--rebuild"), "cold-start");
  const dir = await Deno.makeTempDir({ prefix: "flow-cold-start-" });
  try {
    const wf = `${dir}/three.json`;
    await Deno.writeTextFile(wf, JSON.stringify(WORKFLOW, null, 2));
    const expression = `${dir}/expression.json`;
    await Deno.writeTextFile(expression, JSON.stringify(EXPRESSION_WORKFLOW, null, 2));
    await Deno.writeTextFile(`${dir}/hello.js`, 'console.log("hello");\n');
    const cases: Case[] = [
      ["hello world (baseline)", ["run", "-A", `${dir}/hello.js`]],
      ["flow --version", ["run", "-A", BUNDLE, "--version"]],
      ["flow run (3 nodes)", ["run", "-A", BUNDLE, "run", wf]],
      ["flow run (3 nodes) --quiet", ["run", "-A", BUNDLE, "run", wf, "--quiet"]],
      ["flow run (3 nodes) --quiet --no-history", ["run", "-A", BUNDLE, "run", wf, "--quiet", "--no-history"]],
      ["same, with a JSONata expression", ["run", "-A", BUNDLE, "run", expression, "--quiet", "--no-history"]],
    ];
    const state = `${dir}/state`; // runs are recorded here (history is on by default)
    await Deno.mkdir(state);
    await seedHistory(`${state}/flow.db`, recorded);
    // One untimed run each: the first run pays for what is done once per machine, not per process.
    for (const [, args] of cases) await once(args, dir, state);
    const times = await rounds(cases, runs, dir, state);
    // Then the two runs whose difference is history's cost, in more pairs of their own: one pair says little on a
    // shared machine, where two runs of the same command differ by tens of ms.
    const [on, off] = await rounds(cases.slice(3, 5), pairs, dir, state);
    console.log(machineLine(`${runs} runs each, interleaved; ${recorded} earlier runs recorded`));
    printCases(cases, times);
    printHistoryCost([...times[3], ...on], [...times[4], ...off]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
