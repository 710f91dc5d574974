/**
 * The editor's graph: the boxes and edges of the workflow object at a path
 * of the document (the file's text, parsed), with each node's ports from the
 * node catalog (`GET /api/v1/nodes`); and the check that refuses, on the
 * spot and with its reason, a connection the validator would refuse. No DOM.
 *
 * @module
 */
import type { NodeInfoT } from "../../../server/schemas.ts";
import { topoSort } from "../../../src/workflow/graph.ts";
import type { NodeType } from "../api_types.ts";
import { buildGraph, type GraphModel, type GraphNode, INPUTS_ID, OUTPUTS_ID } from "../graph/model.ts";
import { connectionsOf, nodesOf, outputsOf, type WorkflowDoc } from "./doc.ts";

/** Node types by type name. */
export type Catalog = ReadonlyMap<string, NodeType>;

/** A node type's family: its type's first part. */
export function familyOf(type: string): string {
  const dot = type.indexOf(".");
  return dot > 0 ? type.slice(0, dot) : "other";
}

/** Describes one node entry as the graph view reads it (ports from the catalog, then from `resolved`). */
function nodeInfo(raw: Record<string, unknown>, id: string, type: string, catalog: Catalog, resolved?: NodeInfoT) {
  const def = catalog.get(type);
  const same = resolved && resolved.type === type ? resolved : undefined;
  const config = raw.config && typeof raw.config === "object" && !Array.isArray(raw.config)
    ? raw.config as Record<string, unknown>
    : {};
  return {
    id,
    type,
    family: def?.family ?? familyOf(type),
    description: def?.description ?? (type ? `unknown node type "${type}"` : "no type"),
    ...(typeof raw.name === "string" ? { name: raw.name } : {}),
    inputs: { ...def?.inputs, ...same?.inputs },
    outputs: { ...def?.outputs, ...same?.outputs },
    config,
    ...(raw.retry && typeof raw.retry === "object" ? { retry: raw.retry as Record<string, unknown> } : {}),
    ...(typeof raw.timeoutMs === "number" ? { timeoutMs: raw.timeoutMs } : {}),
    onError: typeof raw.onError === "string" ? raw.onError : "stop",
  } satisfies NodeInfoT;
}

/**
 * The boxes and edges of a workflow object. `resolved` are the nodes as the
 * server compiled the saved file (their ports may depend on config, as a
 * `control.switch`'s cases); the catalog gives the rest.
 */
export function editorGraph(
  w: WorkflowDoc,
  catalog: Catalog,
  resolved?: ReadonlyMap<string, NodeInfoT>,
  newPorts = false,
): GraphModel {
  const nodes = nodesOf(w).map((n) => nodeInfo(n.raw, n.id, n.type, catalog, resolved?.get(n.id)));
  const inputs = w.inputs && typeof w.inputs === "object" && !Array.isArray(w.inputs)
    ? Object.fromEntries(
      Object.entries(w.inputs).map(([k, v]) => [k, v && typeof v === "object" ? v as Record<string, unknown> : {}]),
    )
    : {};
  const connections = connectionsOf(w).map((c) => ({ from: c.from, to: c.to }));
  const model = buildGraph({ nodes, connections, inputs, outputs: outputsOf(w) });
  if (newPorts) addNewPorts(model, catalog);
  return model;
}

/**
 * `next` with every box and edge that equals one of `prev` replaced by
 * `prev`'s object, or `prev` itself when nothing changed: after an edit of
 * the text, the canvas, the layout and everything keyed on the graph redo
 * only what the edit changed (moving a box changes no box of the graph).
 */
export function keepUnchanged(prev: GraphModel | undefined, next: GraphModel): GraphModel {
  if (!prev) return next;
  const oldNodes = new Map(prev.nodes.map((n) => [n.id, n]));
  const oldEdges = new Map(prev.edges.map((e) => [e.id, e]));
  let changed = prev.nodes.length !== next.nodes.length || prev.edges.length !== next.edges.length;
  const nodes = next.nodes.map((n, i) => {
    const old = oldNodes.get(n.id);
    const keep = old && signature(old) === signature(n) ? old : n;
    if (keep !== prev.nodes[i]) changed = true;
    return keep;
  });
  const edges = next.edges.map((e, i) => {
    // An edge's id is made of all it holds: its two ends and ports.
    const keep = oldEdges.get(e.id) ?? e;
    if (keep !== prev.edges[i]) changed = true;
    return keep;
  });
  return changed ? { nodes, edges } : prev;
}

/** A box's content as a string (cached: boxes kept from one edit to the next are not serialised again). */
const signatures = new WeakMap<GraphNode, string>();
function signature(n: GraphNode): string {
  let s = signatures.get(n);
  if (s === undefined) signatures.set(n, s = JSON.stringify(n));
  return s;
}

/** The port that makes a new port when a connection is dropped on it (outputs box, types with dynamic inputs). */
export const NEW_PORT = "+";

function addNewPorts(model: GraphModel, catalog: Catalog) {
  if (!model.nodes.some((n) => n.kind === "outputs")) {
    model.nodes.push({ id: OUTPUTS_ID, kind: "outputs", type: "outputs", family: "io", inputs: [], outputs: [] });
  }
  for (const n of model.nodes) {
    if (n.kind === "outputs" || (n.kind === "node" && catalog.get(n.type)?.dynamicInputs)) {
      n.inputs.push({
        name: NEW_PORT,
        type: "any",
        required: false,
        description: "Drop a connection here for a new port",
      });
    }
  }
}

/** One end of a connection being made. */
export interface End {
  /** Box id. */
  node: string;
  /** Port name. */
  port: string;
}

/**
 * Why connecting `from` (an output port) to `to` (an input port) would be
 * refused, or undefined when it is fine: an unknown port, a type mismatch,
 * an input already fed, or a cycle.
 */
export function connectionProblem(model: GraphModel, catalog: Catalog, from: End, to: End): string | undefined {
  const src = model.nodes.find((n) => n.id === from.node);
  const dst = model.nodes.find((n) => n.id === to.node);
  if (!src) return `there is no node "${from.node}"`;
  if (!dst) return `there is no node "${to.node}"`;
  if (dst.kind === "inputs") return "the workflow's inputs take no connection";
  if (src.kind === "outputs") return "the workflow's outputs have no output port";
  const out = src.outputs.find((p) => p.name === from.port);
  const dynamicOut = src.kind === "node" && catalog.get(src.type)?.dynamicOutputs;
  if (!out && !dynamicOut && src.kind === "node") {
    return `node "${src.id}" (${src.type}) has no output port "${from.port}"; outputs: ${names(src.outputs)}`;
  }
  const input = dst.inputs.find((p) => p.name === to.port);
  const dynamicIn = dst.kind === "outputs" || (dst.kind === "node" && catalog.get(dst.type)?.dynamicInputs);
  if (to.port === NEW_PORT && !dynamicIn) return `node "${dst.id}" takes no new input port`;
  if (!input && !dynamicIn) {
    return `node "${dst.id}" (${dst.type}) has no input port "${to.port}"; inputs: ${names(dst.inputs)}`;
  }
  const a = out?.type ?? "any", b = input?.type ?? "any";
  if (a !== "any" && b !== "any" && a !== b) {
    return `type mismatch: "${from.node}.${from.port}" gives ${a}, "${to.node}.${to.port}" takes ${b}`;
  }
  const fed = to.port !== NEW_PORT && model.edges.find((e) => e.target === dst.id && e.targetPort === to.port);
  if (fed && dst.kind === "node") {
    return `input port "${to.node}.${to.port}" is already fed by "${fed.source}.${fed.sourcePort}"; ` +
      "an input takes one connection (use flow.merge to combine)";
  }
  if (src.kind === "node" && dst.kind === "node") return cycleThrough(model, from.node, to.node);
  return undefined;
}

function names(ports: { name: string }[]): string {
  return ports.length ? ports.map((p) => p.name).join(", ") : "none";
}

/** The cycle a new edge `from` -> `to` would close, as a message, or undefined. */
function cycleThrough(model: GraphModel, from: string, to: string): string | undefined {
  if (from === to) return `cycle: ${from} -> ${from}`;
  const ids = model.nodes.filter((n) => n.kind === "node").map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const edges = model.edges
    .filter((e) => index.has(e.source) && index.has(e.target))
    .map((e) => ({ from: index.get(e.source)!, to: index.get(e.target)! }));
  edges.push({ from: index.get(from)!, to: index.get(to)! });
  const sorted = topoSort(ids.length, edges);
  const cycle = sorted.cycles?.find((c) => c.includes(index.get(from)!) && c.includes(index.get(to)!));
  if (!cycle) return undefined;
  const path = cycle.map((i) => ids[i]);
  return `cycle: ${[...path, path[0]].join(" -> ")}`;
}

/** The endpoint text of a box's port: `node.port`, `$inputs.name` or `$outputs.name`. */
export function endpoint(end: End): string {
  return `${end.node === INPUTS_ID ? "$inputs" : end.node === OUTPUTS_ID ? "$outputs" : end.node}.${end.port}`;
}
