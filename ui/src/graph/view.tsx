/// <reference lib="dom" />
/**
 * The graph view: a laid-out model drawn with React Flow, with pan, zoom and
 * fit, boxes selectable by mouse and keyboard. The workflow and run pages
 * share it; a run passes each box's state.
 *
 * It is read-only for now. The model (`model.ts`) and the layout are kept
 * apart from it, so an editor can later turn on dragging and connecting
 * (`nodesDraggable`, `onConnect`) and write changes back to the model.
 *
 * @module
 */
import {
  Background,
  Controls,
  type Edge,
  type FitViewOptions,
  type Node,
  type NodeChange,
  ReactFlow,
  ReactFlowProvider,
  type Viewport,
} from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { Box, type BoxData, boxHandles, type BoxState } from "./box.tsx";
import { HANDLE_SIZE } from "./geometry.ts";
import { type Layout, layoutGraph, layoutNow } from "./layout.ts";
import type { GraphModel } from "./model.ts";

/** Props of {@linkcode GraphView}. */
export interface GraphViewProps {
  /** What to draw. */
  model: GraphModel;
  /** Each box's state in a run. */
  states?: ReadonlyMap<string, BoxState>;
  /** The selected box id. */
  selected?: string;
  /** Called when a box is selected (undefined: the selection was cleared). */
  onSelect?: (id: string | undefined) => void;
  /** Accessible name of the graph region. */
  label: string;
}

const nodeTypes = { box: Box };
/** Graphs larger than this render only the boxes in view, and open at a readable zoom on their first box. */
export const VISIBLE_ONLY_ABOVE = 150;

/** How a graph first shows: React Flow's `fitView`, `fitViewOptions` and `defaultViewport` props. */
export interface FirstView {
  /** Whether to fit the graph in view. */
  fitView: boolean;
  /** How. */
  fitViewOptions: FitViewOptions;
  /** Where the view starts instead. */
  defaultViewport?: Viewport;
}

/**
 * How a graph first shows: whole, fitted in view; or, above
 * {@linkcode VISIBLE_ONLY_ABOVE} boxes, at zoom 1 with its first box (in file
 * order) at the top left, so that only the boxes around it are drawn (the
 * fit button shows everything).
 */
export function firstView(nodes: readonly { position: { x: number; y: number } }[]): FirstView {
  const fitViewOptions = { padding: 0.15, maxZoom: 1.2 };
  if (nodes.length <= VISIBLE_ONLY_ABOVE) return { fitView: true, fitViewOptions };
  const { x, y } = nodes[0].position;
  return { fitView: false, fitViewOptions, defaultViewport: { x: 40 - x, y: 40 - y, zoom: 1 } };
}

/** Lays out and draws a graph; see the module doc. */
export function GraphView(props: GraphViewProps) {
  const { model } = props;
  // A large graph is laid out at once (the fast layout) and drawn in this render; a small one by ELK, after it.
  const now = useMemo(() => {
    performance.mark("flow:graph-requested");
    const start = performance.now();
    const l = layoutNow(model);
    return l && { model, layout: l, ms: performance.now() - start };
  }, [model]);
  const [later, setLayout] = useState<{ model: GraphModel; layout: Layout; ms: number }>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (now) return;
    let live = true;
    const start = performance.now();
    layoutGraph(model).then(
      (l) => live && setLayout({ model, layout: l, ms: performance.now() - start }),
      (err) => live && setError((err as Error).message),
    );
    return () => {
      live = false;
    };
  }, [model, now]);
  const layout = now ?? later;
  if (error) return <p role="alert" className="error">Cannot lay out the graph: {error}</p>;
  if (!layout || layout.model !== model) {
    return <div className="graph graph-loading" role="status">Laying out {model.nodes.length} nodes…</div>;
  }
  return (
    <ReactFlowProvider>
      <Flow {...props} layout={layout.layout} layoutMs={layout.ms} />
    </ReactFlowProvider>
  );
}

function Flow(props: GraphViewProps & { layout: Layout; layoutMs: number }) {
  const { model, layout, states, selected, onSelect } = props;
  const nodes = useMemo<Node<BoxData>[]>(() =>
    model.nodes.map((n) => {
      const place = layout.get(n.id) ?? { x: 0, y: 0, width: 170, height: 60 };
      const state = states?.get(n.id);
      return {
        id: n.id,
        type: "box",
        position: { x: place.x, y: place.y },
        width: place.width,
        height: place.height,
        // Measured and with its handles already: React Flow draws only the boxes in view, instead of every box once.
        measured: { width: place.width, height: place.height },
        handles: boxHandles(n, place.width, HANDLE_SIZE.view),
        style: { width: place.width, height: place.height },
        data: { node: n, ...(state ? { state } : {}) },
        selected: n.id === selected,
        ariaLabel: `${n.kind === "node" ? `node ${n.id}, ${n.type}` : n.kind}${state ? `, ${state.status}` : ""}`,
      };
    }), [model, layout, states, selected]);
  const edges = useMemo<Edge[]>(() =>
    model.edges.map((e) => {
      const status = states?.get(e.source)?.status;
      return {
        id: e.id,
        source: e.source,
        target: e.target,
        sourceHandle: e.sourcePort,
        targetHandle: e.targetPort,
        className: status ? `edge-${status}` : undefined,
        animated: status === "running",
        focusable: false,
      };
    }), [model, states]);
  // When React Flow has drawn and fitted the boxes, a frame later: the mark that tests and docs read.
  const [rendered, setRendered] = useState(false);
  const onInit = () =>
    requestAnimationFrame(() => {
      performance.mark("flow:graph-rendered");
      setRendered(true);
    });
  // A large graph opens at its first box, so that only the boxes around it render; the fit button shows it all.
  const first = useMemo(() => firstView(nodes), [model, layout]);
  const onNodesChange = (changes: NodeChange<Node<BoxData>>[]) => {
    for (const c of changes) if (c.type === "select" && c.selected) onSelect?.(c.id);
  };
  return (
    <div
      className="graph"
      role="region"
      aria-label={props.label}
      data-layout-ms={props.layoutMs.toFixed(0)}
      data-rendered={rendered ? "true" : undefined}
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onInit={onInit}
        onNodesChange={onNodesChange}
        onNodeClick={(_, n) => onSelect?.(n.id)}
        onPaneClick={() => onSelect?.(undefined)}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        onlyRenderVisibleElements={model.nodes.length > VISIBLE_ONLY_ABOVE}
        colorMode="system"
        {...first}
        minZoom={0.05}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} aria-label="Zoom and fit" />
      </ReactFlow>
    </div>
  );
}
