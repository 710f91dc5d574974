/**
 * The graph of a workflow as boxes and port-to-port edges, from the API's
 * workflow detail (or a sub-workflow's graph). No DOM, no React: the view
 * renders it, and a later editor can change it.
 *
 * Workflow inputs become the ports of one entry box (`$inputs`), declared
 * outputs the ports of one exit box (`$outputs`).
 *
 * @module
 */
import type { ConnectionInfoT, NodeInfoT } from "../../../server/schemas.ts";

/** Id of the entry box. */
export const INPUTS_ID = "$inputs";
/** Id of the exit box. */
export const OUTPUTS_ID = "$outputs";

/** One named port of a box. */
export interface GraphPort {
  /** Port name (also the handle id). */
  name: string;
  /** Value type, e.g. `string`. */
  type: string;
  /** Whether the node needs a value. */
  required?: boolean;
  /** What it carries. */
  description?: string;
}

/** A box: a node, the entry or the exit. */
export interface GraphNode {
  /** Node id, or {@linkcode INPUTS_ID} / {@linkcode OUTPUTS_ID}. */
  id: string;
  /** What the box stands for. */
  kind: "node" | "inputs" | "outputs";
  /** Node type (`http.request`), or `inputs` / `outputs`. */
  type: string;
  /** The colour family: the type's first part (`http`), or `io`. */
  family: string;
  /** The node's optional display name. */
  name?: string;
  /** Input ports, in order. */
  inputs: GraphPort[];
  /** Output ports, in order. */
  outputs: GraphPort[];
  /** The node as the API describes it (absent for the entry and exit). */
  info?: NodeInfoT;
}

/** A connection from an output port to an input port. */
export interface GraphEdge {
  /** `from->to`, unique in a graph. */
  id: string;
  /** Source box id. */
  source: string;
  /** Source port name. */
  sourcePort: string;
  /** Target box id. */
  target: string;
  /** Target port name. */
  targetPort: string;
}

/** Boxes and edges. */
export interface GraphModel {
  /** Every box, the entry first and the exit last when present. */
  nodes: GraphNode[];
  /** Every connection, declared outputs included. */
  edges: GraphEdge[];
}

/** What {@linkcode buildGraph} reads: a workflow detail or a sub-workflow graph. */
export interface GraphSource {
  /** Nodes with their resolved ports. */
  nodes: NodeInfoT[];
  /** Connections as in the file. */
  connections: ConnectionInfoT[];
  /** Declared inputs. */
  inputs: Record<string, Record<string, unknown>>;
  /** Declared outputs: name to `nodeId.port` or `$inputs.name`. */
  outputs: Record<string, string>;
}

/** Splits `node.port` (or `$inputs.name`) at its first dot. */
export function splitEndpoint(endpoint: string): { node: string; port: string } {
  const dot = endpoint.indexOf(".");
  return dot < 0 ? { node: endpoint, port: "" } : { node: endpoint.slice(0, dot), port: endpoint.slice(dot + 1) };
}

/** Builds the boxes and edges of a workflow. Ports used by a connection but not described are added as `any`. */
export function buildGraph(source: GraphSource): GraphModel {
  const nodes: GraphNode[] = [];
  const byId = new Map<string, GraphNode>();
  const inputNames = Object.keys(source.inputs);
  const outputNames = Object.keys(source.outputs);
  if (inputNames.length || source.connections.some((c) => c.from.startsWith(`${INPUTS_ID}.`))) {
    const entry: GraphNode = {
      id: INPUTS_ID,
      kind: "inputs",
      type: "inputs",
      family: "io",
      inputs: [],
      outputs: inputNames.map((name) => inputPort(name, source.inputs[name])),
    };
    nodes.push(entry);
  }
  for (const info of source.nodes) {
    nodes.push({
      id: info.id,
      kind: "node",
      type: info.type,
      family: info.family,
      ...(info.name ? { name: info.name } : {}),
      inputs: ports(info.inputs),
      outputs: ports(info.outputs),
      info,
    });
  }
  if (outputNames.length) {
    nodes.push({
      id: OUTPUTS_ID,
      kind: "outputs",
      type: "outputs",
      family: "io",
      inputs: outputNames.map((name) => ({ name, type: "any" })),
      outputs: [],
    });
  }
  for (const n of nodes) byId.set(n.id, n);
  const edges: GraphEdge[] = [];
  const addEdge = (from: string, target: string, targetPort: string) => {
    const { node: sourceId, port: sourcePort } = splitEndpoint(from);
    const src = byId.get(sourceId);
    const dst = byId.get(target);
    if (!src || !dst) return;
    ensurePort(src.outputs, sourcePort);
    ensurePort(dst.inputs, targetPort);
    edges.push({ id: `${from}->${target}.${targetPort}`, source: sourceId, sourcePort, target, targetPort });
  };
  for (const c of source.connections) {
    const { node, port } = splitEndpoint(c.to);
    addEdge(c.from, node, port);
  }
  for (const name of outputNames) addEdge(source.outputs[name], OUTPUTS_ID, name);
  return { nodes, edges };
}

function inputPort(name: string, decl: Record<string, unknown> | undefined): GraphPort {
  const type = typeof decl?.type === "string" ? decl.type : "any";
  const required = typeof decl?.required === "boolean" ? decl.required : !(decl && "default" in decl);
  return {
    name,
    type,
    required,
    ...(typeof decl?.description === "string" ? { description: decl.description } : {}),
  };
}

function ports(specs: NodeInfoT["inputs"]): GraphPort[] {
  return Object.entries(specs).map(([name, spec]) => ({
    name,
    type: spec.type,
    ...(spec.required !== undefined ? { required: spec.required } : {}),
    ...(spec.description ? { description: spec.description } : {}),
  }));
}

function ensurePort(list: GraphPort[], name: string) {
  if (!list.some((p) => p.name === name)) list.push({ name, type: "any" });
}
