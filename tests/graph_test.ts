/**
 * Tests of `src/workflow/graph.ts`: topological order (every edge forward, ties in file
 * order), cycle reporting, and large graphs.
 */
import assert from "node:assert/strict";
import { type Edge, topoSort } from "../src/workflow/graph.ts";

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Edges from `[from, to]` pairs of node indexes. */
function edges(...pairs: [number, number][]): Edge[] {
  return pairs.map(([from, to]) => ({ from, to }));
}

/** Asserts `order` is a permutation of 0..count-1 with every edge pointing forward. */
function assertTopological(count: number, es: readonly Edge[], order: number[]): void {
  assert.equal(order.length, count, "order has every node once");
  const pos = new Int32Array(count).fill(-1);
  order.forEach((n, i) => {
    assert.ok(Number.isInteger(n) && n >= 0 && n < count, `index ${n} in range`);
    assert.equal(pos[n], -1, `node ${n} appears once`);
    pos[n] = i;
  });
  for (const e of es) assert.ok(pos[e.from] < pos[e.to], `edge ${e.from} -> ${e.to} points forward`);
}

/**
 * Asserts the order is the stable one: at each step the lowest-index node whose
 * predecessors have all been placed comes next (brute force, small graphs).
 */
function assertStable(count: number, es: readonly Edge[], order: number[]): void {
  const placed = new Set<number>();
  for (const n of order) {
    const ready = [];
    for (let c = 0; c < count; c++) {
      if (!placed.has(c) && es.every((e) => e.to !== c || placed.has(e.from))) ready.push(c);
    }
    assert.equal(n, Math.min(...ready), `after [${[...placed]}] the lowest ready node is ${Math.min(...ready)}`);
    placed.add(n);
  }
}

/** Asserts each reported cycle is real: consecutive nodes joined by edges, closing, starting at its lowest index. */
function assertRealCycles(es: readonly Edge[], cycles: number[][]): void {
  const has = new Set(es.map((e) => `${e.from}>${e.to}`));
  for (const cycle of cycles) {
    assert.ok(cycle.length > 0);
    assert.equal(new Set(cycle).size, cycle.length, "a cycle visits each node once");
    assert.equal(cycle[0], Math.min(...cycle), "starts at its lowest index");
    cycle.forEach((n, i) => {
      const next = cycle[(i + 1) % cycle.length];
      assert.ok(has.has(`${n}>${next}`), `edge ${n} -> ${next} exists`);
    });
  }
}

Deno.test("topoSort: graphs without cycles", async (t) => {
  await t.step("empty graph", () => {
    assert.deepEqual(topoSort(0, []), { order: [] });
  });

  await t.step("no edges keeps file order", () => {
    assert.deepEqual(topoSort(5, []), { order: [0, 1, 2, 3, 4] });
  });

  await t.step("the documented example", () => {
    assert.deepEqual(topoSort(3, edges([2, 0], [0, 1])), { order: [2, 0, 1] });
  });

  await t.step("an order comes without cycles", () => {
    const r = topoSort(2, edges([0, 1]));
    assert.deepEqual(r.order, [0, 1]);
    assert.equal(r.cycles, undefined);
  });

  await t.step("a chain written backwards is reversed", () => {
    // 3 feeds 2 feeds 1 feeds 0.
    assert.deepEqual(topoSort(4, edges([3, 2], [2, 1], [1, 0])).order, [3, 2, 1, 0]);
  });

  await t.step("diamond", () => {
    // 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3
    const es = edges([0, 1], [0, 2], [1, 3], [2, 3]);
    assert.deepEqual(topoSort(4, es).order, [0, 1, 2, 3]);
  });

  await t.step("parallel edges between the same nodes (two ports) count once each", () => {
    const es = edges([1, 0], [1, 0], [0, 2], [0, 2]);
    const order = topoSort(3, es).order!;
    assert.deepEqual(order, [1, 0, 2]);
  });

  await t.step("edges listed in any order give the same result", () => {
    const es = edges([0, 3], [1, 3], [3, 4], [2, 4], [5, 0]);
    const expected = topoSort(6, es).order;
    assertTopological(6, es, expected!);
    assert.deepEqual(topoSort(6, [...es].reverse()).order, expected);
  });
});

Deno.test("topoSort: ties keep file order", async (t) => {
  await t.step("a node freed by its upstream goes before later independent nodes", () => {
    // Node 0 depends on node 1; node 2 is independent. After 1, both 0 and 2
    // are ready: 0 comes first in the file, so it goes first.
    assert.deepEqual(topoSort(3, edges([1, 0])).order, [1, 0, 2]);
  });

  await t.step("nodes freed at the same time come out in file order, not edge order", () => {
    // Edge to 3 is listed before the edge to 2; still 2 precedes 3.
    assert.deepEqual(topoSort(4, edges([0, 3], [1, 2])).order, [0, 1, 2, 3]);
    assert.deepEqual(topoSort(4, edges([0, 3], [0, 2], [0, 1])).order, [0, 1, 2, 3]);
  });

  await t.step("only edges move a node; everything else stays where the file put it", () => {
    // File order a0 b1 c2 d3 e4; only e4 -> b1 forces a change.
    assert.deepEqual(topoSort(5, edges([4, 1])).order, [0, 2, 3, 4, 1]);
  });

  await t.step("two independent branches written interleaved", () => {
    // Branch A: 0 -> 2 -> 4, branch B: 1 -> 3 -> 5.
    const es = edges([0, 2], [2, 4], [1, 3], [3, 5]);
    assert.deepEqual(topoSort(6, es).order, [0, 1, 2, 3, 4, 5]);
  });

  await t.step("random DAGs: every edge forward and the order is the stable one", () => {
    const random = rng(42);
    for (let trial = 0; trial < 300; trial++) {
      const count = 1 + Math.floor(random() * 12);
      // A hidden permutation makes edges point "backwards" in file order too.
      const perm = [...Array(count).keys()].sort(() => random() - 0.5);
      const es: Edge[] = [];
      const m = Math.floor(random() * count * 2);
      for (let k = 0; k < m; k++) {
        const a = Math.floor(random() * count), b = Math.floor(random() * count);
        if (a === b) continue;
        const [lo, hi] = a < b ? [a, b] : [b, a];
        es.push({ from: perm[lo], to: perm[hi] });
      }
      const r = topoSort(count, es);
      assert.equal(r.cycles, undefined, `trial ${trial} is acyclic`);
      assertTopological(count, es, r.order!);
      assertStable(count, es, r.order!);
    }
  });
});

Deno.test("topoSort: cycles", async (t) => {
  await t.step("a three-node cycle is named in edge direction", () => {
    const r = topoSort(3, edges([0, 1], [1, 2], [2, 0]));
    assert.equal(r.order, undefined);
    assert.deepEqual(r.cycles, [[0, 1, 2]]);
  });

  await t.step("the cycle starts at its lowest index whatever the file order", () => {
    // 2 -> 0 -> 1 -> 2, and the edges listed in a scrambled order.
    assert.deepEqual(topoSort(3, edges([1, 2], [2, 0], [0, 1])).cycles, [[0, 1, 2]]);
    // Reverse direction: 0 -> 2 -> 1 -> 0.
    assert.deepEqual(topoSort(3, edges([0, 2], [2, 1], [1, 0])).cycles, [[0, 2, 1]]);
  });

  await t.step("a self-loop", () => {
    assert.deepEqual(topoSort(3, edges([0, 1], [1, 1])).cycles, [[1]]);
  });

  await t.step("two separate cycles are both reported", () => {
    // 0 <-> 1 and 2 -> 3 -> 4 -> 2, plus an acyclic node 5.
    const es = edges([0, 1], [1, 0], [2, 3], [3, 4], [4, 2], [4, 5]);
    assert.deepEqual(topoSort(6, es).cycles, [[0, 1], [2, 3, 4]]);
  });

  await t.step("a self-loop and a separate cycle", () => {
    const es = edges([3, 3], [0, 1], [1, 2], [2, 0]);
    assert.deepEqual(topoSort(4, es).cycles, [[0, 1, 2], [3]]);
  });

  await t.step("nodes upstream and downstream of a cycle are not part of it", () => {
    // 0 -> 1 -> 2 -> 3 -> 1, 3 -> 4.
    const es = edges([0, 1], [1, 2], [2, 3], [3, 1], [3, 4]);
    assert.deepEqual(topoSort(5, es).cycles, [[1, 2, 3]]);
  });

  await t.step("cycles sharing a node: every reported cycle is real and there is at least one", () => {
    // Figure eight through node 0: 0 -> 1 -> 0 and 0 -> 2 -> 0.
    const es = edges([0, 1], [1, 0], [0, 2], [2, 0]);
    const cycles = topoSort(3, es).cycles!;
    assert.ok(cycles.length >= 1);
    assertRealCycles(es, cycles);
  });

  await t.step("random graphs with cycles: every reported cycle is real", () => {
    const random = rng(7);
    let withCycles = 0;
    for (let trial = 0; trial < 300; trial++) {
      const count = 1 + Math.floor(random() * 10);
      const es: Edge[] = [];
      const m = Math.floor(random() * count * 2);
      for (let k = 0; k < m; k++) {
        es.push({ from: Math.floor(random() * count), to: Math.floor(random() * count) });
      }
      const r = topoSort(count, es);
      if (r.order) {
        assertTopological(count, es, r.order);
        continue;
      }
      withCycles++;
      assert.ok(r.cycles.length >= 1);
      assertRealCycles(es, r.cycles);
      // Reported cycles are distinct (no node in two reported cycles).
      const all = r.cycles.flat();
      assert.equal(new Set(all).size, all.length);
    }
    assert.ok(withCycles > 50, `enough cyclic trials (${withCycles})`);
  });
});

Deno.test("topoSort: large graphs sort quickly without overflowing the stack", async (t) => {
  const N = 100_000;
  const LIMIT_MS = 5_000;
  const timed = <T>(f: () => T): [T, number] => {
    const t0 = performance.now();
    const r = f();
    return [r, performance.now() - t0];
  };

  await t.step("100k-node chain in file order", () => {
    const es = Array.from({ length: N - 1 }, (_, i) => ({ from: i, to: i + 1 }));
    const [r, ms] = timed(() => topoSort(N, es));
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    assertTopological(N, es, r.order!);
    assert.deepEqual(r.order, [...Array(N).keys()]);
  });

  await t.step("100k-node chain written backwards", () => {
    const es = Array.from({ length: N - 1 }, (_, i) => ({ from: i + 1, to: i }));
    const [r, ms] = timed(() => topoSort(N, es));
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    assert.equal(r.order![0], N - 1);
    assert.equal(r.order![N - 1], 0);
    assertTopological(N, es, r.order!);
  });

  await t.step("100k-node wide graph: one source fans out to all, all fan in to one sink", () => {
    const es: Edge[] = [];
    for (let i = 1; i < N - 1; i++) es.push({ from: 0, to: i }, { from: i, to: N - 1 });
    const [r, ms] = timed(() => topoSort(N, es));
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    assert.deepEqual(r.order, [...Array(N).keys()]);
  });

  await t.step("100k-node wide graph declared sink first, source last", () => {
    // Node 0 is the sink, node N-1 the source, the middle in reverse.
    const es: Edge[] = [];
    for (let i = 1; i < N - 1; i++) es.push({ from: N - 1, to: i }, { from: i, to: 0 });
    const [r, ms] = timed(() => topoSort(N, es));
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    assert.equal(r.order![0], N - 1);
    assert.equal(r.order![N - 1], 0);
    // The middle nodes, all ready together, keep file order.
    assert.deepEqual(r.order!.slice(1, N - 1), Array.from({ length: N - 2 }, (_, i) => i + 1));
  });

  await t.step("100k independent nodes", () => {
    const [r, ms] = timed(() => topoSort(N, []));
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    assert.equal(r.order!.length, N);
  });

  await t.step("a 1M-node ring is reported as one cycle", () => {
    const M = 1_000_000;
    const es = Array.from({ length: M }, (_, i) => ({ from: i, to: (i + 1) % M }));
    const [r, ms] = timed(() => topoSort(M, es));
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    assert.equal(r.cycles!.length, 1);
    const cycle = r.cycles![0];
    assert.equal(cycle.length, M);
    assert.equal(cycle[0], 0);
    assert.equal(cycle[1], 1);
    assert.equal(cycle[M - 1], M - 1);
  });

  await t.step("a long chain feeding a cycle at its end", () => {
    const es = Array.from({ length: N - 1 }, (_, i) => ({ from: i, to: i + 1 }));
    es.push({ from: N - 1, to: N - 3 }); // N-3 -> N-2 -> N-1 -> N-3
    const [r, ms] = timed(() => topoSort(N, es));
    assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
    assert.deepEqual(r.cycles, [[N - 3, N - 2, N - 1]]);
  });
});
