/**
 * Validation of how nodes connect: each connection's ends, one connection
 * per input port, required inputs, the workflow's outputs, and cycles.
 *
 * @module
 */
import { type Edge, topoSort } from "../workflow/graph.ts";
import type { PortSpec } from "../node/node.ts";
import type { CompiledWorkflow, SlotSource } from "./types.ts";
import { inputSpec } from "./nodes.ts";
import { isObject, isReservedName, portSource, reservedNameMessage, type Validation } from "./context.ts";
import { formatPath } from "../workflow/values.ts";
import { ENDPOINT_PATTERN, TO_PATTERN } from "../workflow/format.ts";

/** Checks every connection and records the source of each connected input port; returns the node-to-node edges. */
export function wireConnections(v: Validation): Edge[] {
  const { issues, byId, defs, portSources } = v;
  for (let i = 0; i < v.nodes.length; i++) portSources.push(undefined);
  const edges: Edge[] = [];
  const connections = Array.isArray(v.wf.connections) ? v.wf.connections : [];
  for (let ci = 0; ci < connections.length; ci++) {
    const c = connections[ci];
    if (!isObject(c) || typeof c.from !== "string" || typeof c.to !== "string") continue;
    const from = resolveSource(v, c.from, `connections[${ci}].from`);
    if (!v.schemaValid && !TO_PATTERN.test(c.to)) continue; // the schema reported it
    const dot = c.to.lastIndexOf(".");
    const toId = c.to.slice(0, dot), toPort = c.to.slice(dot + 1);
    const toIndex = byId.get(toId);
    if (toIndex === undefined) {
      issues.push({ path: `connections[${ci}].to`, message: unknownNode(v, toId) });
      continue;
    }
    const def = defs[toIndex];
    if (def && !inputSpec(def, toPort)) {
      issues.push({
        path: `connections[${ci}].to`,
        message: `node "${toId}" (${def.type}) has no input port "${toPort}"; inputs: ${portList(def.inputs)}`,
      });
      continue;
    }
    // A type with dynamic inputs takes any name: not one of these.
    if (def?.dynamicInputs && isReservedName(toPort) && !Object.hasOwn(def.inputs, toPort)) {
      issues.push({ path: `connections[${ci}].to`, message: reservedNameMessage(toPort) });
      continue;
    }
    const ports = portSources[toIndex];
    const prior = portSource(ports, toPort);
    if (prior) {
      issues.push({
        path: `connections[${ci}].to`,
        message:
          `input port "${c.to}" is already fed by connections[${prior.at}]; an input takes one connection (use flow.merge to combine)`,
      });
      continue;
    }
    // A list made with its first entry holds just that one (a `[]` grown by push reserves room for 17).
    if (ports) ports.push({ port: toPort, source: from, at: ci });
    else portSources[toIndex] = [{ port: toPort, source: from, at: ci }];
    if (from?.kind === "node") edges.push({ from: from.node, to: toIndex });
  }
  return edges;
}

/** Every required input port must be connected or set in config; types may check their inputs further. */
export function checkRequiredInputs(v: Validation): void {
  const { issues } = v;
  for (let i = 0; i < v.nodes.length; i++) {
    const def = v.defs[i];
    const node = v.nodes[i];
    if (!def || !isObject(node)) continue;
    const connected = v.portSources[i], constants = v.constants[i];
    for (const port in def.inputs) {
      const spec = (def.inputs as Record<string, PortSpec>)[port];
      if (spec.required === false || portSource(connected, port) || constants?.has(port)) continue;
      issues.push({
        path: `nodes[${i}]`,
        message: `required input "${port}" of "${node.id}" (${def.type}) is not connected and has no config value`,
      });
    }
    // Types whose inputs depend on what they prepared (a sub-workflow's inputs) check them here.
    if (def.checkInputs && v.prepared[i] !== undefined) {
      const given = [...new Set([...(connected ?? []).map((c) => c.port), ...constants?.keys() ?? []])];
      for (const message of def.checkInputs(given, v.prepared[i])) issues.push({ path: `nodes[${i}]`, message });
    }
  }
}

/** The workflow's outputs with their sources (bad ones reported and left out). */
export function resolveOutputs(v: Validation): CompiledWorkflow["outputs"] {
  const outputs: CompiledWorkflow["outputs"] = [];
  if (isObject(v.wf.outputs)) {
    for (const [name, endpoint] of Object.entries(v.wf.outputs)) {
      if (typeof endpoint !== "string") continue;
      const source = resolveSource(v, endpoint, formatPath(["outputs", name]));
      if (source) outputs.push({ name, source });
    }
  }
  return outputs;
}

/** The nodes in an order where every node comes after its sources; each cycle is reported. */
export function checkCycles(v: Validation, edges: Edge[]): number[] {
  const sorted = topoSort(v.nodes.length, edges);
  if (!sorted.cycles) return sorted.order;
  for (const cycle of sorted.cycles) {
    const names = cycle.map((n) => v.nodes[n].id);
    v.issues.push({ path: "connections", message: `cycle: ${[...names, names[0]].join(" -> ")}` });
  }
  return [];
}

/** Where `endpoint` (`node.port` or `$inputs.NAME`) gets its value; undefined (reported) when it does not exist. */
function resolveSource(
  v: Validation,
  endpoint: string,
  path: string,
): (SlotSource & { kind: "input" | "node" }) | undefined {
  if (!v.schemaValid && !ENDPOINT_PATTERN.test(endpoint)) return undefined; // the schema reported it
  const dot = endpoint.lastIndexOf(".");
  const id = endpoint.slice(0, dot), port = endpoint.slice(dot + 1);
  if (id === "$inputs") {
    const decls = isObject(v.wf.inputs) ? v.wf.inputs : {};
    if (!Object.hasOwn(decls, port)) {
      const declared = Object.keys(decls);
      v.issues.push({
        path,
        message: `unknown workflow input "${port}"; ` +
          (declared.length ? `declared: ${declared.join(", ")}` : "the workflow declares no inputs"),
      });
      return undefined;
    }
    return { kind: "input", name: port };
  }
  const index = v.byId.get(id);
  if (index === undefined) {
    v.issues.push({ path, message: unknownNode(v, id) });
    return undefined;
  }
  const def = v.defs[index];
  if (!def) return undefined;
  const ports = v.outputPorts[index];
  if (ports && !Object.hasOwn(ports, port)) {
    v.issues.push({
      path,
      message: `node "${id}" (${def.type}) has no output port "${port}"; outputs: ${portList(ports)}`,
    });
    return undefined;
  }
  // A type with dynamic outputs (or outputs unknown, its config being invalid) has any name: not one of these.
  if (!ports && isReservedName(port)) {
    v.issues.push({ path, message: reservedNameMessage(port) });
    return undefined;
  }
  return { kind: "node", node: index, port };
}

function unknownNode(v: Validation, id: string): string {
  const close = [...v.byId.keys()].filter((k) => k.toLowerCase() === id.toLowerCase() || near(k, id));
  return `unknown node "${id}"` + (close.length ? `; did you mean ${close.join(", ")}?` : "");
}

function portList(ports: Record<string, unknown>): string {
  const names = Object.keys(ports);
  return names.length ? names.join(", ") : "(none)";
}

function near(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  const sa = [...a].sort().join(""), sb = [...b].sort().join("");
  return sa === sb || (a.length > 3 && (a.startsWith(b.slice(0, -1)) || b.startsWith(a.slice(0, -1))));
}
