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
import { builtinNodes } from "../nodes/mod.ts";
import { noop, tree } from "./nodes.ts";

const asyncNoop = defineNode({
  type: "bench.async_noop",
  description: "returns its input after a microtask",
  inputs: { in: { type: "any", required: false } },
  outputs: { out: { type: "any" } },
  run: ({ inputs }) => Promise.resolve({ out: inputs.in ?? 0 }),
});
const registry = new Registry([noop, asyncNoop]);

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

// control.loop over 10,000 items through a 3-node sub-workflow, concurrency 16,
// every event (about 12 per item) serialised to the NDJSON sink.
const loopRegistry = new Registry([noop, ...builtinNodes]);
const loopCompiled = validateWorkflow({
  inputs: { items: { type: "array" } },
  nodes: [{
    id: "each",
    type: "control.loop",
    config: {
      concurrency: 16,
      workflow: {
        nodes: [
          { id: "a", type: "bench.noop" },
          { id: "b", type: "bench.noop" },
          { id: "c", type: "bench.noop" },
        ],
        connections: [
          { from: "$inputs.item", to: "a.in" },
          { from: "a.out", to: "b.in" },
          { from: "b.out", to: "c.in" },
        ],
        outputs: { out: "c.out" },
      },
    },
  }],
  connections: [{ from: "$inputs.items", to: "each.items" }],
  outputs: { results: "each.results" },
}, loopRegistry);
const items = Array.from({ length: 10_000 }, (_, i) => i);
Deno.bench({
  name: "loop of 10000 items through a 3-node sub-workflow, NDJSON events to /dev/null",
  group: "loop",
  n: 10,
  async fn() {
    const r = await runWorkflow(loopCompiled, { inputs: { items }, onEvent: reporter.onEvent });
    sink.flush();
    if (r.status !== "success" || (r.outputs.results as unknown[]).length !== 10_000) throw new Error(r.status);
  },
});

// The same loop whose body reshapes each item with one JSONata expression (issue 26: at least 3x faster
// than when every evaluation went through JSONata's asynchronous evaluator).
const exprLoopCompiled = validateWorkflow({
  inputs: { items: { type: "array" } },
  nodes: [{
    id: "each",
    type: "control.loop",
    config: {
      concurrency: 16,
      workflow: {
        nodes: [{
          id: "shape",
          type: "transform.set",
          config: {
            value: "{{ {'id': $node.item.id, 'label': $uppercase($node.item.name), 'total': $node.item.price * 2} }}",
          },
        }],
        connections: [{ from: "$inputs.item", to: "shape.item" }],
        outputs: { out: "shape.value" },
      },
    },
  }],
  connections: [{ from: "$inputs.items", to: "each.items" }],
  outputs: { results: "each.results" },
}, loopRegistry);
const records = Array.from({ length: 10_000 }, (_, i) => ({ id: i, name: `item ${i}`, price: i % 100 }));
Deno.bench({
  name: "loop of 10000 items through a JSONata expression, NDJSON events to /dev/null",
  group: "loop",
  n: 10,
  async fn() {
    const r = await runWorkflow(exprLoopCompiled, { inputs: { items: records }, onEvent: reporter.onEvent });
    sink.flush();
    const results = r.outputs.results as { out: { label: string } }[];
    if (r.status !== "success" || results.length !== 10_000 || results[7].out.label !== "ITEM 7") {
      throw new Error(`${r.status} ${JSON.stringify(r.error ?? results[7])}`);
    }
  },
});
