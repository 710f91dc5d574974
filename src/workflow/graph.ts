/**
 * The workflow graph: topological order and cycle detection, O((nodes +
 * edges) log nodes) and O(nodes + edges).
 *
 * @module
 */

/** A directed edge between node indexes. */
export interface Edge {
  /** Index of the upstream node. */
  from: number;
  /** Index of the downstream node. */
  to: number;
}

/** Result of {@linkcode topoSort}: an order, or the cycles that prevent one. */
export type TopoResult = { order: number[]; cycles?: undefined } | {
  order?: undefined;
  cycles: number[][];
};

/**
 * Sorts `count` nodes so every edge points forward (Kahn's algorithm, stable:
 * whenever several nodes could come next, the lowest index does, so ties keep
 * file order). When the graph has cycles, returns them instead, each as a list
 * of node indexes starting at its lowest index.
 *
 * @example
 * ```ts
 * import { topoSort } from "./graph.ts";
 * topoSort(3, [{ from: 2, to: 0 }, { from: 0, to: 1 }]); // { order: [2, 0, 1] }
 * ```
 */
export function topoSort(count: number, edges: readonly Edge[]): TopoResult {
  const indegree = new Int32Array(count);
  const outStart = new Int32Array(count + 1);
  for (const e of edges) {
    indegree[e.to]++;
    outStart[e.from + 1]++;
  }
  for (let i = 0; i < count; i++) outStart[i + 1] += outStart[i];
  const outList = new Int32Array(edges.length);
  const fill = outStart.slice(0, count);
  for (const e of edges) outList[fill[e.from]++] = e.to;

  // Ready nodes wait in a min-heap of indexes, so the earliest in file order goes first.
  const heap = new Int32Array(count);
  let size = 0;
  const push = (v: number) => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= v) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = v;
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap[--size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  };
  const order: number[] = [];
  for (let i = 0; i < count; i++) if (indegree[i] === 0) push(i);
  while (size > 0) {
    const n = pop();
    order.push(n);
    for (let k = outStart[n]; k < outStart[n + 1]; k++) {
      if (--indegree[outList[k]] === 0) push(outList[k]);
    }
  }
  if (order.length === count) return { order };
  return { cycles: findCycles(count, edges, indegree) };
}

/** Finds distinct cycles among nodes left with a positive in-degree after Kahn. */
function findCycles(count: number, edges: readonly Edge[], indegree: Int32Array): number[][] {
  // Every remaining node has a remaining predecessor, so walking backwards
  // from one must come round to a node already on the walk: a cycle.
  const pred = new Int32Array(count).fill(-1);
  for (const e of edges) if (indegree[e.from] > 0 && indegree[e.to] > 0) pred[e.to] = e.from;
  const seen = new Uint8Array(count); // 0 new, 1 on current walk, 2 done
  const cycles: number[][] = [];
  for (let start = 0; start < count; start++) {
    if (indegree[start] === 0 || seen[start]) continue;
    const walk: number[] = [];
    let n = start;
    while (n !== -1 && seen[n] === 0) {
      seen[n] = 1;
      walk.push(n);
      n = pred[n];
    }
    if (n !== -1 && seen[n] === 1) {
      const cycle = walk.slice(walk.indexOf(n)).reverse();
      let low = 0; // not Math.min(...cycle): a long cycle would overflow the stack
      for (let k = 1; k < cycle.length; k++) if (cycle[k] < cycle[low]) low = k;
      cycles.push([...cycle.slice(low), ...cycle.slice(0, low)]);
    }
    for (const w of walk) seen[w] = 2;
  }
  return cycles;
}
