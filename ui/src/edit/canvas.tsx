/// <reference lib="dom" />
/**
 * The editing canvas: the graph of the document drawn with React Flow, with
 * dragging (committed as one step when the drag ends; arrow keys nudge),
 * connecting ports (a connection the validator would refuse is refused on
 * the spot, with its reason), deleting, multi-select (Ctrl/Cmd+click) and box
 * select (Shift+drag), dropping node types from the palette, and a minimap.
 * Boxes are placed where the layout block says, the others by the automatic
 * layout. It changes nothing itself: every action is a callback.
 *
 * @module
 */
import {
  applyNodeChanges,
  Background,
  type Connection,
  Controls,
  type Edge,
  type FinalConnectionState,
  MiniMap,
  type Node,
  type NodeChange,
  ReactFlow,
  useReactFlow,
} from "@xyflow/react";
import { type DragEvent, type RefObject, useEffect, useImperativeHandle, useMemo, useState } from "react";
import { Box, type BoxData, type BoxState } from "../graph/box.tsx";
import { boxSize } from "../graph/geometry.ts";
import { type Layout, layoutGraph } from "../graph/layout.ts";
import type { GraphModel } from "../graph/model.ts";
import type { Position } from "./doc.ts";
import type { End } from "./graph.ts";

/** What the editor can ask of the canvas. */
export interface CanvasApi {
  /** The canvas position at the middle of the view. */
  center: () => Position;
  /** Fits every box in view. */
  fit: () => void;
  /** Brings a box into view. */
  reveal: (id: string) => void;
  /** Where each box is drawn now. */
  positions: () => Map<string, Position>;
}

/** Props of {@linkcode EditCanvas}. */
export interface EditCanvasProps {
  /** The graph. */
  model: GraphModel;
  /** Positions from the layout block. */
  stored: ReadonlyMap<string, Position>;
  /** Problems of each box (messages). */
  problems: ReadonlyMap<string, string[]>;
  /** Selected box ids. */
  selection: readonly string[];
  /** Whether editing is allowed. */
  editable: boolean;
  /** The selection changed. */
  onSelect: (ids: string[]) => void;
  /** Boxes were moved (`all`: every box's position, for a file without a layout block). */
  onMove: (moved: Map<string, Position>, all: Map<string, Position>, group?: string) => void;
  /** Why a connection would be refused, or undefined. */
  check: (from: End, to: End) => string | undefined;
  /** A valid connection was made. */
  onConnect: (from: End, to: End) => void;
  /** A refused connection was dropped: its reason. */
  onRefused: (reason: string) => void;
  /** Boxes and edges were deleted. */
  onDelete: (nodes: string[], edges: { from: End; to: End }[]) => void;
  /** A node type was dropped from the palette at a canvas position. */
  onDropType: (type: string, at: Position) => void;
  /** Accessible name. */
  label: string;
  /** Set to the canvas's API. */
  apiRef: RefObject<CanvasApi | null>;
  /** Each box's results in the editor's test loop (status, attempts, facts, port previews). */
  states?: ReadonlyMap<string, BoxState>;
}

const nodeTypes = { box: Box };
/** The drag-and-drop type of a node type dragged from the palette. */
export const NODE_TYPE_MIME = "application/x-flow-node-type";
/** Graphs larger than this render only the boxes in view, and open on their first boxes. */
const VISIBLE_ONLY_ABOVE = 150;
/** How many boxes (in file order) a large graph first shows, at a readable zoom. */
const FIRST_VIEW = 12;

/** Ends of a connection as output -> input, whichever end the drag started from. */
function ends(
  c: { source: string | null; sourceHandle?: string | null; target: string | null; targetHandle?: string | null },
) {
  return {
    from: { node: c.source ?? "", port: c.sourceHandle ?? "" },
    to: { node: c.target ?? "", port: c.targetHandle ?? "" },
  };
}

/** The editing canvas; see the module doc. */
export function EditCanvas(props: EditCanvasProps) {
  const { model, stored } = props;
  // Automatic positions for boxes the layout block does not place; recomputed when that set changes.
  const missing = useMemo(() => model.nodes.filter((n) => !stored.has(n.id)).map((n) => n.id).join("\n"), [
    model,
    stored,
  ]);
  const [auto, setAuto] = useState<{ key: string; layout: Layout }>();
  useEffect(() => {
    if (!missing) return;
    let live = true;
    layoutGraph(model).then((layout) => live && setAuto({ key: missing, layout }));
    return () => {
      live = false;
    };
  }, [missing]);
  if (missing && !auto) {
    return <div className="graph graph-loading" role="status">Laying out {model.nodes.length} nodes…</div>;
  }
  return <Canvas {...props} auto={auto?.layout} />;
}

function Canvas(props: EditCanvasProps & { auto?: Layout }) {
  const { model, stored, auto, problems, selection, editable, states } = props;
  const flow = useReactFlow();
  const selected = useMemo(() => new Set(selection), [selection]);
  const built = useMemo<Node<BoxData>[]>(() =>
    model.nodes.map((n, i) => {
      const { width, height } = boxSize(n);
      const p = stored.get(n.id) ?? (auto?.get(n.id) ? [auto.get(n.id)!.x, auto.get(n.id)!.y] : [i * 40, i * 40]);
      const issues = problems.get(n.id);
      const state = states?.get(n.id);
      return {
        id: n.id,
        type: "box",
        position: { x: p[0], y: p[1] },
        width,
        height,
        style: { width, height },
        data: { node: n, editable, ...(issues ? { problems: issues } : {}), ...(state ? { state } : {}) },
        selected: selected.has(n.id),
        deletable: editable && n.kind === "node",
        ariaLabel: `${n.kind === "node" ? `node ${n.id}, ${n.type}` : n.kind}${
          issues ? `, ${issues.length} problem(s)` : ""
        }`,
      };
    }), [model, stored, auto, problems, selected, editable, states]);
  const [nodes, setNodes] = useState(built);
  useEffect(() => setNodes(built), [built]);
  const edges = useMemo<Edge[]>(() =>
    model.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      sourceHandle: e.sourcePort,
      targetHandle: e.targetPort,
      deletable: editable,
      ariaLabel: `connection ${e.source}.${e.sourcePort} to ${e.target}.${e.targetPort}`,
    })), [model, editable]);

  const positions = (list: Node[]) =>
    new Map(list.map((n): [string, Position] => [n.id, [n.position.x, n.position.y]]));
  useImperativeHandle(props.apiRef, () => ({
    center: () => {
      const el = document.querySelector(".edit-canvas .react-flow");
      const r = el?.getBoundingClientRect();
      if (!r) return [0, 0];
      const p = flow.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
      return [p.x - 85, p.y - 30];
    },
    fit: () => void flow.fitView({ padding: 0.15, maxZoom: 1.2 }),
    reveal: (id) => void flow.fitView({ nodes: [{ id }], maxZoom: 1.2, duration: 200 }),
    positions: () => positions(flow.getNodes()),
  }), [flow]);

  const onNodesChange = (changes: NodeChange<Node<BoxData>>[]) => {
    const next = applyNodeChanges(changes, nodes);
    setNodes(next);
    // Arrow keys move selected boxes without a drag: each nudge is committed, joined into one step per pause.
    const nudged = changes.filter((c) => c.type === "position" && c.dragging === undefined && c.position);
    if (nudged.length && editable) {
      const moved = new Map(nudged.map((c): [string, Position] => {
        const p = (c as { position: { x: number; y: number } }).position;
        return [(c as { id: string }).id, [p.x, p.y]];
      }));
      props.onMove(moved, positions(next), "nudge");
    }
    if (changes.some((c) => c.type === "select")) {
      props.onSelect(next.filter((n) => n.selected).map((n) => n.id));
    }
  };
  const onConnectEnd = (_: unknown, state: FinalConnectionState) => {
    if (!state.toHandle || state.isValid) return;
    const a = state.fromHandle!, b = state.toHandle;
    const [out, input] = a.type === "source" ? [a, b] : [b, a];
    const reason = props.check({ node: out.nodeId, port: out.id ?? "" }, { node: input.nodeId, port: input.id ?? "" });
    if (reason) props.onRefused(reason);
  };
  const onDrop = (e: DragEvent) => {
    const type = e.dataTransfer.getData(NODE_TYPE_MIME);
    if (!type || !editable) return;
    e.preventDefault();
    const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    props.onDropType(type, [p.x, p.y]);
  };
  const big = model.nodes.length > VISIBLE_ONLY_ABOVE;
  return (
    <div
      className="graph edit-canvas"
      role="region"
      aria-label={props.label}
      onDragOver={(e) => {
        if (editable && e.dataTransfer.types.includes(NODE_TYPE_MIME)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = "copy";
        }
      }}
      onDrop={onDrop}
      data-rendered="true"
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onInit={() => requestAnimationFrame(() => performance.mark("flow:editor-drawn"))}
        onNodeDragStop={(_, __, dragged) => {
          if (!editable) return;
          props.onMove(positions(dragged), positions(flow.getNodes()));
        }}
        onConnect={(c: Connection) => {
          const { from, to } = ends(c);
          const reason = props.check(from, to);
          if (reason) props.onRefused(reason);
          else props.onConnect(from, to);
        }}
        isValidConnection={(c) => {
          const { from, to } = ends(c);
          return props.check(from, to) === undefined;
        }}
        onConnectEnd={onConnectEnd}
        onDelete={({ nodes: gone, edges: cut }) => {
          props.onDelete(
            gone.map((n) => n.id),
            cut.map((e) => ends(e)),
          );
        }}
        onPaneClick={() => props.onSelect([])}
        nodesDraggable={editable}
        nodesConnectable={editable}
        elementsSelectable
        edgesFocusable
        deleteKeyCode={editable ? ["Delete", "Backspace"] : null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control"]}
        onlyRenderVisibleElements={big}
        colorMode="system"
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1.2, ...(big ? { nodes: nodes.slice(0, FIRST_VIEW) } : {}) }}
        minZoom={0.05}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} aria-label="Zoom and fit" />
        <MiniMap pannable zoomable ariaLabel="Minimap" className="minimap" />
      </ReactFlow>
    </div>
  );
}
