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
import { type DragEvent, type RefObject, useEffect, useImperativeHandle, useMemo, useRef, useState } from "react";
import { Box, type BoxData, boxHandles, type BoxState } from "../graph/box.tsx";
import { boxSize, HANDLE_SIZE } from "../graph/geometry.ts";
import { type Layout, layoutGraph, layoutKey, layoutNow } from "../graph/layout.ts";
import type { GraphModel, GraphNode } from "../graph/model.ts";
import { firstView, VISIBLE_ONLY_ABOVE } from "../graph/view.tsx";
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
  // Automatic positions for boxes the layout block does not place. They are a function of the graph's shape only
  // (laid out again when it changes, not when a box moves), so a reload shows every box where it was.
  const missing = useMemo(() => model.nodes.some((n) => !stored.has(n.id)), [model, stored]);
  const key = useMemo(() => (missing ? layoutKey(model) : ""), [missing, model]);
  // A large graph is laid out at once (the fast layout), drawn in this render; a small one by ELK, after it.
  const now = useMemo(() => (key ? layoutNow(model) : undefined), [key]);
  const [auto, setAuto] = useState<{ key: string; layout: Layout }>();
  useEffect(() => {
    if (!key || now) return;
    let live = true;
    layoutGraph(model).then((layout) => live && setAuto({ key, layout }));
    return () => {
      live = false;
    };
  }, [key, now]);
  const layout = now ?? auto?.layout;
  if (missing && !layout) {
    return <div className="graph graph-loading" role="status">Laying out {model.nodes.length} nodes…</div>;
  }
  return <Canvas {...props} auto={layout} />;
}

/** What a box's React Flow node is made of: when none of it changed, the node object is kept. */
interface BoxInputs {
  node: GraphNode;
  x: number;
  y: number;
  problems: string;
  selected: boolean;
  editable: boolean;
  /** The node's result in the editor's last run (the test loop), if any. */
  state: BoxState | undefined;
}

/** The React Flow node of a box. */
function flowNode(
  n: GraphNode,
  x: number,
  y: number,
  issues: string[] | undefined,
  selected: boolean,
  editable: boolean,
  state: BoxState | undefined,
) {
  const { width, height } = boxSize(n);
  return {
    id: n.id,
    type: "box",
    position: { x, y },
    width,
    height,
    // Measured and with its handles already: React Flow draws only the boxes in view, instead of every box once.
    measured: { width, height },
    handles: boxHandles(n, width, editable ? HANDLE_SIZE.edit : HANDLE_SIZE.view),
    style: { width, height },
    data: { node: n, editable, ...(issues ? { problems: issues } : {}), ...(state ? { state } : {}) },
    selected,
    deletable: editable && n.kind === "node",
    ariaLabel: `${n.kind === "node" ? `node ${n.id}, ${n.type}` : n.kind}${
      issues ? `, ${issues.length} problem(s)` : ""
    }`,
  } satisfies Node<BoxData>;
}

/**
 * The React Flow nodes of the boxes, each object kept from the last call
 * while what it shows is unchanged: after an edit, React Flow and the boxes
 * redo only the boxes that changed (a drop, one box; a selection, two).
 */
function useBoxNodes(props: EditCanvasProps & { auto?: Layout }, selected: ReadonlySet<string>): Node<BoxData>[] {
  const { model, stored, auto, problems, editable, states } = props;
  const cache = useRef(new Map<string, { inputs: BoxInputs; node: Node<BoxData> }>());
  return useMemo(() => {
    const next = new Map<string, { inputs: BoxInputs; node: Node<BoxData> }>();
    const out = model.nodes.map((n, i) => {
      const place = auto?.get(n.id);
      // Automatic positions are rounded as the layout block stores them: what is shown is what a save writes.
      const [x, y] = stored.get(n.id) ?? (place ? [Math.round(place.x), Math.round(place.y)] : [i * 40, i * 40]);
      const issues = problems.get(n.id);
      const inputs: BoxInputs = {
        node: n,
        x,
        y,
        problems: issues?.join("\n") ?? "",
        selected: selected.has(n.id),
        editable,
        state: states?.get(n.id),
      };
      const old = cache.current.get(n.id);
      const same = old && (Object.keys(inputs) as (keyof BoxInputs)[]).every((k) => old.inputs[k] === inputs[k]);
      const node = same ? old.node : flowNode(n, x, y, issues, inputs.selected, editable, inputs.state);
      next.set(n.id, { inputs, node });
      return node;
    });
    cache.current = next;
    return out;
  }, [model, stored, auto, problems, selected, editable, states]);
}

/** The React Flow edges, each object kept while its connection is there (an edge's id says all it shows). */
function useEdges(model: GraphModel, editable: boolean): Edge[] {
  const cache = useRef({ editable, edges: new Map<string, Edge>() });
  return useMemo(() => {
    const old = cache.current.editable === editable ? cache.current.edges : new Map<string, Edge>();
    const next = new Map<string, Edge>();
    const out = model.edges.map((e) => {
      const edge = old.get(e.id) ?? {
        id: e.id,
        source: e.source,
        target: e.target,
        sourceHandle: e.sourcePort,
        targetHandle: e.targetPort,
        deletable: editable,
        ariaLabel: `connection ${e.source}.${e.sourcePort} to ${e.target}.${e.targetPort}`,
      };
      next.set(e.id, edge);
      return edge;
    });
    cache.current = { editable, edges: next };
    return out;
  }, [model, editable]);
}

const DELETE_KEYS = ["Delete", "Backspace"];
const MULTI_SELECT_KEYS = ["Meta", "Control"];
const PRO_OPTIONS = { hideAttribution: true };

/** A node list's positions by id. */
function positions(list: Node[]): Map<string, Position> {
  return new Map(list.map((n): [string, Position] => [n.id, [n.position.x, n.position.y]]));
}

function Canvas(props: EditCanvasProps & { auto?: Layout }) {
  const { model, selection, editable } = props;
  const flow = useReactFlow();
  const selected = useMemo(() => new Set(selection), [selection]);
  const built = useBoxNodes(props, selected);
  const [nodes, setNodes] = useState(built);
  useEffect(() => setNodes(built), [built]);
  const edges = useEdges(model, editable);
  // React Flow copies each of its props into its store, one update per changed prop, each running every box's
  // selector: its props stay the same objects from one render (one drag step) to the next, reading the latest here.
  const live = useRef({ props, nodes });
  live.current = { props, nodes };
  const handlers = useMemo(() => flowHandlers(live, setNodes, flow), [flow]);
  const big = model.nodes.length > VISIBLE_ONLY_ABOVE;
  // Fixed when the canvas opens: a later edit does not move the view.
  const [first] = useState(() => firstView(built));
  // A big graph's minimap (a shape per box) is drawn just after the canvas's first frame, not before it.
  const [mapShown, showMap] = useState(!big);
  useEffect(() => {
    if (mapShown) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => timer = setTimeout(() => showMap(true)));
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [mapShown]);

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

  return (
    <div
      className="graph edit-canvas"
      role="region"
      aria-label={props.label}
      onDragOver={handlers.onDragOver}
      onDrop={handlers.onDrop}
      data-rendered="true"
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={handlers.onNodesChange}
        onInit={handlers.onInit}
        onNodeDragStop={handlers.onNodeDragStop}
        onConnect={handlers.onConnect}
        isValidConnection={handlers.isValidConnection}
        onConnectEnd={handlers.onConnectEnd}
        onDelete={handlers.onDelete}
        onPaneClick={handlers.onPaneClick}
        nodesDraggable={editable}
        nodesConnectable={editable}
        elementsSelectable
        edgesFocusable
        deleteKeyCode={editable ? DELETE_KEYS : null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        onlyRenderVisibleElements={big}
        colorMode="system"
        {...first}
        minZoom={0.05}
        proOptions={PRO_OPTIONS}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} aria-label="Zoom and fit" />
        {mapShown && <MiniMap pannable zoomable ariaLabel="Minimap" className="minimap" />}
      </ReactFlow>
    </div>
  );
}

/** The canvas's event handlers, made once: each reads the latest props and boxes from `live`. */
function flowHandlers(
  live: RefObject<{ props: EditCanvasProps; nodes: Node<BoxData>[] }>,
  setNodes: (nodes: Node<BoxData>[]) => void,
  flow: ReturnType<typeof useReactFlow>,
) {
  const props = () => live.current.props;
  return {
    onNodesChange(changes: NodeChange<Node<BoxData>>[]) {
      const next = applyNodeChanges(changes, live.current.nodes);
      live.current.nodes = next;
      setNodes(next);
      // Arrow keys move selected boxes without a drag: each nudge is committed, joined into one step per pause.
      const nudged = changes.filter((c) => c.type === "position" && c.dragging === undefined && c.position);
      if (nudged.length && props().editable) {
        const moved = new Map(nudged.map((c): [string, Position] => {
          const p = (c as { position: { x: number; y: number } }).position;
          return [(c as { id: string }).id, [p.x, p.y]];
        }));
        props().onMove(moved, positions(next), "nudge");
      }
      if (changes.some((c) => c.type === "select")) {
        props().onSelect(next.filter((n) => n.selected).map((n) => n.id));
      }
    },
    onInit() {
      requestAnimationFrame(() => performance.mark("flow:editor-drawn"));
    },
    onNodeDragStop(_: unknown, __: unknown, dragged: Node[]) {
      if (props().editable) props().onMove(positions(dragged), positions(flow.getNodes()));
    },
    onConnect(c: Connection) {
      const { from, to } = ends(c);
      const reason = props().check(from, to);
      if (reason) props().onRefused(reason);
      else props().onConnect(from, to);
    },
    isValidConnection(c: Edge | Connection) {
      const { from, to } = ends(c);
      return props().check(from, to) === undefined;
    },
    onConnectEnd(_: unknown, state: FinalConnectionState) {
      if (!state.toHandle || state.isValid) return;
      const a = state.fromHandle!, b = state.toHandle;
      const [out, input] = a.type === "source" ? [a, b] : [b, a];
      const reason = props().check({ node: out.nodeId, port: out.id ?? "" }, {
        node: input.nodeId,
        port: input.id ?? "",
      });
      if (reason) props().onRefused(reason);
    },
    onDelete({ nodes: gone, edges: cut }: { nodes: Node[]; edges: Edge[] }) {
      props().onDelete(gone.map((n) => n.id), cut.map((e) => ends(e)));
    },
    onPaneClick() {
      props().onSelect([]);
    },
    onDragOver(e: DragEvent) {
      if (props().editable && e.dataTransfer.types.includes(NODE_TYPE_MIME)) {
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
      }
    },
    onDrop(e: DragEvent) {
      const type = e.dataTransfer.getData(NODE_TYPE_MIME);
      if (!type || !props().editable) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      props().onDropType(type, [p.x, p.y]);
    },
  };
}
