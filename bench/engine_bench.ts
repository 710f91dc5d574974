/**
 * Engine overhead per node: DAGs of no-op nodes run with every event
 * serialised to an NDJSON sink (written to /dev/null through the CLI's
 * buffered output). Divide the time per iteration by the node count for the
 * per-node figure in the README.
 *
 * Run: `deno task bench`
 */
import { defineNode, Registry, runWorkflow, validateWorkflow } from "../mod.ts";
import { ndjsonReporter } from "../cli/reporters.ts";
import { Output } from "../cli/output.ts";

const noop = defineNode({
  type: "bench.noop",
  description: "returns its input",
  inputs: { in: { type: "any", required: false } },
  outputs: { out: { type: "any" } },
  run: ({ inputs }) => ({ out: inputs.in ?? 0 }),
});
const asyncNoop = defineNode({
  type: "bench.async_noop",
  description: "returns its input after a microtask",
  inputs: { in: { type: "any", required: false } },
  outputs: { out: { type: "any" } },
  run: ({ inputs }) => Promise.resolve({ out: inputs.in ?? 0 }),
});
const registry = new Registry([noop, asyncNoop]);

/** A binary-tree DAG: node i takes its input from node (i-1)/2. */
function tree(n: number, type = "bench.noop") {
  return {
    nodes: Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type })),
    connections: Array.from({ length: n - 1 }, (_, k) => ({ from: `n${k >> 1}.out`, to: `n${k + 1}.in` })),
  };
}

const devnull = Deno.openSync(Deno.build.os === "windows" ? "NUL" : "/dev/null", { write: true });
const sink = new Output(devnull);
const reporter = ndjsonReporter(sink);

for (const n of [10_000, 100_000]) {
  const compiled = validateWorkflow(tree(n), registry);
  Deno.bench({
    name: `run ${n} sync no-op nodes, NDJSON events to /dev/null`,
    group: "run",
    baseline: n === 10_000,
    n: n === 10_000 ? 50 : 5,
    async fn() {
      const r = await runWorkflow(compiled, { onEvent: reporter.onEvent, concurrency: 64 });
      sink.flush();
      if (r.status !== "success") throw new Error(r.status);
    },
  });
}

const asyncCompiled = validateWorkflow(tree(10_000, "bench.async_noop"), registry);
Deno.bench({
  name: "run 10000 async no-op nodes, NDJSON events to /dev/null",
  group: "run",
  n: 50,
  async fn() {
    await runWorkflow(asyncCompiled, { onEvent: reporter.onEvent, concurrency: 64 });
    sink.flush();
  },
});

const raw = tree(10_000);
Deno.bench({
  name: "validate and compile 10000 nodes",
  group: "validate",
  n: 20,
  fn() {
    validateWorkflow(raw, registry);
  },
});
