/**
 * Left-to-right layered layout with ELK (elkjs): boxes in layers, edges
 * leaving and entering at their ports, which sit at fixed positions. No DOM:
 * it runs in the browser and in Deno (tests, benchmarks).
 *
 * ELK's layered algorithm grows faster than linearly: on this project's
 * 2-core machines a 500-node workflow takes it 1 to 4 s. Graphs larger than
 * {@linkcode ELK_MAX_NODES} boxes use `layered.ts` instead, which lays out
 * 500 nodes in a few milliseconds (see `bench/ui_bench.ts`).
 *
 * @module
 */
import type { ElkNode } from "elkjs/lib/elk-api.js";
import { boxSize, portY } from "./geometry.ts";
import { layeredLayout } from "./layered.ts";
import type { Layout } from "./layout_types.ts";
import type { GraphModel } from "./model.ts";

export type { Layout, Placement } from "./layout_types.ts";

/** Largest graph (boxes) laid out by ELK; larger ones use the fast layered layout. */
export const ELK_MAX_NODES = 60;

/** ELK's options: layered, left to right, ports at fixed positions. */
export const LAYOUT_OPTIONS: Record<string, string> = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "POLYLINE",
  "elk.layered.spacing.nodeNodeBetweenLayers": "70",
  "elk.spacing.nodeNode": "28",
  "elk.spacing.componentComponent": "40",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
};

/** The part of ELK's API used here (its CommonJS default export loses its constructor type). */
interface ElkApi {
  layout(graph: ElkNode): Promise<ElkNode>;
}
let elk: ElkApi | undefined;

/** The ELK graph of a model: each box with its size and its ports at fixed positions. */
export function elkGraph(model: GraphModel): ElkNode {
  return {
    id: "root",
    layoutOptions: LAYOUT_OPTIONS,
    children: model.nodes.map((node) => {
      const { width, height } = boxSize(node);
      return {
        id: node.id,
        width,
        height,
        layoutOptions: { "elk.portConstraints": "FIXED_POS" },
        ports: [
          ...node.inputs.map((p, i) => ({
            id: portId(node.id, "in", p.name),
            x: 0,
            y: portY(i),
            width: 1,
            height: 1,
            layoutOptions: { "elk.port.side": "WEST" },
          })),
          ...node.outputs.map((p, i) => ({
            id: portId(node.id, "out", p.name),
            x: width - 1,
            y: portY(i),
            width: 1,
            height: 1,
            layoutOptions: { "elk.port.side": "EAST" },
          })),
        ],
      };
    }),
    edges: model.edges.map((e) => ({
      id: e.id,
      sources: [portId(e.source, "out", e.sourcePort)],
      targets: [portId(e.target, "in", e.targetPort)],
    })),
  };
}

/**
 * What a layout of `model` depends on, as a string: the boxes in order with
 * their sizes and ports, and the edges. Two models with the same key are
 * laid out the same (a config value or a position changes no key).
 */
export function layoutKey(model: GraphModel): string {
  const ports = (list: { name: string }[]) => list.map((p) => p.name).join(",");
  const boxes = model.nodes.map((n) => {
    const { width, height } = boxSize(n);
    return `${n.id}\u0000${width}x${height}\u0000${ports(n.inputs)}\u0000${ports(n.outputs)}`;
  });
  return `${boxes.join("\n")}\n\n${model.edges.map((e) => e.id).join("\n")}`;
}

/** Lays a model out (ELK, or the fast layout for large graphs); resolves to each box's place. */
export async function layoutGraph(model: GraphModel): Promise<Layout> {
  return layoutNow(model) ?? await elkLayout(model);
}

/**
 * The layout of a large graph (over {@linkcode ELK_MAX_NODES} boxes), made
 * at once by the fast layered layout, so that it is drawn in the same render;
 * undefined for a graph ELK lays out (asynchronously: {@linkcode layoutGraph}).
 */
export function layoutNow(model: GraphModel): Layout | undefined {
  return model.nodes.length > ELK_MAX_NODES ? layeredLayout(model) : undefined;
}

/** Lays a model out with ELK, whatever its size. */
export async function elkLayout(model: GraphModel): Promise<Layout> {
  if (!elk) {
    // Loaded on first use: large graphs never need it (and the browser never downloads it for them).
    const ELK = (await import("elkjs/lib/elk.bundled.js")).default as unknown as new () => ElkApi;
    elk = new ELK();
  }
  const result = await elk.layout(elkGraph(model));
  const layout: Layout = new Map();
  for (const child of result.children ?? []) {
    layout.set(child.id, { x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? 0, height: child.height ?? 0 });
  }
  return layout;
}

function portId(node: string, side: "in" | "out", port: string): string {
  return `${node}\u0000${side}\u0000${port}`;
}
