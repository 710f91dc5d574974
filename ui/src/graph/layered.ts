/**
 * A fast layered layout, left to right, for graphs too large for ELK to lay
 * out in well under a second: longest-path layers, a few barycenter sweeps
 * that take port order into account, and boxes placed at the height of the
 * ports that feed them (so chains come out straight). Linear in the graph's
 * size per sweep. No DOM.
 *
 * @module
 */
import { boxSize, portY } from "./geometry.ts";
import type { GraphModel } from "./model.ts";
import type { Layout } from "./layout_types.ts";

/** Horizontal gap between layers, px. */
const LAYER_GAP = 70;
/** Vertical gap between boxes of one layer, px. */
const NODE_GAP = 28;
/** Barycenter sweeps (down and up each count one). */
const SWEEPS = 6;

interface Item {
  id: string;
  index: number;
  width: number;
  height: number;
  layer: number;
  order: number;
  /** Incoming: source item index, the source's output port row, this box's input port row. */
  preds: { from: number; outRow: number; inRow: number }[];
  succs: { to: number; outRow: number; inRow: number }[];
}

/** Lays a model out in layers; see the module doc. */
export function layeredLayout(model: GraphModel): Layout {
  const items = itemsOf(model);
  const layers = assignLayers(items);
  orderLayers(items, layers);
  return place(items, layers);
}

function itemsOf(model: GraphModel): Item[] {
  const index = new Map<string, number>();
  const items: Item[] = model.nodes.map((node, i) => {
    index.set(node.id, i);
    return { id: node.id, index: i, ...boxSize(node), layer: 0, order: 0, preds: [], succs: [] };
  });
  for (const e of model.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    const outRow = Math.max(0, model.nodes[s].outputs.findIndex((p) => p.name === e.sourcePort));
    const inRow = Math.max(0, model.nodes[t].inputs.findIndex((p) => p.name === e.targetPort));
    items[s].succs.push({ to: t, outRow, inRow });
    items[t].preds.push({ from: s, outRow, inRow });
  }
  return items;
}

/** Longest path from the sources (Kahn's order); edges closing a cycle are ignored. */
function assignLayers(items: Item[]): Item[][] {
  const indegree = items.map((it) => it.preds.length);
  const queue: number[] = [];
  indegree.forEach((d, i) => d === 0 && queue.push(i));
  const done = new Array<boolean>(items.length).fill(false);
  for (let head = 0;; head++) {
    if (head === queue.length) {
      // A cycle: start from the first node not yet placed.
      const next = done.findIndex((d, i) => !d && !queue.includes(i));
      if (next < 0) break;
      queue.push(next);
    }
    const i = queue[head];
    done[i] = true;
    for (const s of items[i].succs) {
      if (done[s.to]) continue;
      items[s.to].layer = Math.max(items[s.to].layer, items[i].layer + 1);
      if (--indegree[s.to] === 0) queue.push(s.to);
    }
  }
  const layers: Item[][] = [];
  for (const it of items) (layers[it.layer] ??= []).push(it);
  return layers.filter(Boolean).map((layer, l) => {
    layer.forEach((it, i) => {
      it.layer = l;
      it.order = i;
    });
    return layer;
  });
}

/** Barycenter sweeps, down then up; a port's row counts as a fraction of its box. */
function orderLayers(items: Item[], layers: Item[][]) {
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    const range = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const layer of range) {
      const key = new Map<Item, number>();
      for (const it of layer) {
        const links = down
          ? it.preds.map((p) => ({ other: items[p.from], row: p.outRow }))
          : it.succs.map((s) => ({ other: items[s.to], row: s.inRow }));
        const near = links.filter((l) => Math.abs(l.other.layer - it.layer) === 1);
        const use = near.length ? near : links;
        key.set(
          it,
          use.length ? use.reduce((sum, l) => sum + l.other.order + l.row / 64, 0) / use.length : it.order,
        );
      }
      layer.sort((a, b) => key.get(a)! - key.get(b)! || a.index - b.index);
      layer.forEach((it, i) => it.order = i);
    }
  }
}

/** Columns by layer; each box at the height of the ports feeding it, pushed down past the box above. */
function place(items: Item[], layers: Item[][]): Layout {
  const layout: Layout = new Map();
  const y = new Array<number>(items.length).fill(0);
  let x = 0;
  for (const layer of layers) {
    let bottom = -Infinity;
    for (const it of layer) {
      const placed = it.preds.filter((p) => items[p.from].layer < it.layer);
      const want = placed.length
        ? placed.reduce((sum, p) => sum + y[p.from] + portY(p.outRow) - portY(p.inRow), 0) / placed.length
        : bottom === -Infinity
        ? 0
        : bottom + NODE_GAP;
      y[it.index] = bottom === -Infinity ? want : Math.max(want, bottom + NODE_GAP);
      bottom = y[it.index] + it.height;
    }
    const width = Math.max(...layer.map((it) => it.width));
    for (const it of layer) layout.set(it.id, { x, y: y[it.index], width: it.width, height: it.height });
    x += width + LAYER_GAP;
  }
  return layout;
}
