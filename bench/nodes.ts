/**
 * Node types and workflow shapes the benchmarks share.
 *
 * @module
 */
import { defineNode } from "../mod.ts";

/** A synchronous node that returns its input. */
export const noop = defineNode({
  type: "bench.noop",
  description: "returns its input",
  inputs: { in: { type: "any", required: false } },
  outputs: { out: { type: "any" } },
  run: ({ inputs }) => ({ out: inputs.in ?? 0 }),
});

/** A binary-tree DAG of `n` nodes of `type`: node i takes its input from node (i-1)/2. */
export function tree(n: number, type = "bench.noop"): { nodes: unknown[]; connections: unknown[] } {
  return {
    nodes: Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type })),
    connections: Array.from({ length: n - 1 }, (_, k) => ({ from: `n${k >> 1}.out`, to: `n${k + 1}.in` })),
  };
}
