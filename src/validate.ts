/**
 * Validation: everything about a workflow is checked before the first node
 * runs, and every problem is reported at once. The result is a compiled
 * workflow the executor runs without further checks.
 *
 * @module
 */
import { z } from "zod";
import { type ValidationIssue, WorkflowValidationError } from "./errors.ts";
import { type Edge, topoSort } from "./graph.ts";
import type { AnyNodeDefinition, PortSpec } from "./node.ts";
import type { Registry } from "./registry.ts";
import { fitsPortType, formatPath, preview, typeName } from "./values.ts";
import { type RetryPolicy, type Workflow, WorkflowSchema } from "./workflow.ts";

/** Where an input slot of a node gets its value from. */
export type SlotSource =
  | { kind: "const"; value: unknown }
  | { kind: "input"; name: string }
  | { kind: "node"; node: number; port: string };

/** One input port of a compiled node with its source. */
export interface Slot {
  /** Input port name. */
  port: string;
  /** Where the value comes from. */
  source: SlotSource;
  /** Whether the node needs this value to run. */
  required: boolean;
  /** Declared port spec. */
  spec: PortSpec;
}

/** A node ready for the executor: definition resolved, config parsed, inputs wired. */
export interface CompiledNode {
  /** Position in `nodes`. */
  index: number;
  /** Node id. */
  id: string;
  /** Node type name. */
  type: string;
  /** The node type. */
  def: AnyNodeDefinition;
  /** Config parsed by the type's schema (keys that are only input constants removed). */
  config: unknown;
  /** Input slots in file order: connections and config constants. */
  slots: Slot[];
  /** Connections leaving this node. */
  outgoing: { port: string; to: number; slot: number }[];
  /** Number of slots fed by other nodes. */
  upstreamCount: number;
  /** Retry policy, if any. */
  retry?: RetryPolicy;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Effective error policy for this node. */
  onError: "stop" | "continue";
}

/** A validated workflow, wired for execution. */
export interface CompiledWorkflow {
  /** The workflow as parsed. */
  workflow: Workflow;
  /** Workflow id (from the file, else the file name, else "workflow"). */
  id: string;
  /** Compiled nodes, same order as the file. */
  nodes: CompiledNode[];
  /** Node indexes in topological order. */
  order: number[];
  /** Workflow outputs: name -> source. */
  outputs: { name: string; source: SlotSource & { kind: "input" | "node" } }[];
  /** Settings with defaults applied. */
  settings: {
    onError: "stop" | "continue" | "retry";
    maxWorkflowRetries: number;
    concurrency: number;
    timeoutMs?: number;
    lock: boolean;
  };
  /** The file it came from, if any. */
  file?: string;
}

/** Options of {@linkcode validateWorkflow}. */
export interface ValidateOptions {
  /** The file name, used in messages and as the default workflow id. */
  file?: string;
}

/**
 * Validates a parsed workflow against the schema and the registry and compiles
 * it. Throws a {@linkcode WorkflowValidationError} listing every problem.
 *
 * @example
 * ```ts
 * import { validateWorkflow } from "./validate.ts";
 * import { Registry } from "./registry.ts";
 * const compiled = validateWorkflow({ nodes: [], connections: [] }, new Registry());
 * console.log(compiled.nodes.length); // 0
 * ```
 */
export function validateWorkflow(
  raw: unknown,
  registry: Registry,
  options: ValidateOptions = {},
): CompiledWorkflow {
  const issues: ValidationIssue[] = [];
  const parsed = WorkflowSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) issues.push(...zodIssues(parsed.error, []));
  // Semantic checks run on whatever is well-formed, so all problems show at once.
  const wf = (parsed.success ? parsed.data : lenient(raw)) as Workflow;
  const nodes = Array.isArray(wf.nodes) ? wf.nodes : [];
  const connections = Array.isArray(wf.connections) ? wf.connections : [];

  // Node ids and types.
  const byId = new Map<string, number>();
  const defs: (AnyNodeDefinition | undefined)[] = [];
  nodes.forEach((node, i) => {
    if (!isObject(node)) return defs.push(undefined);
    if (typeof node.id === "string") {
      const first = byId.get(node.id);
      if (first !== undefined) {
        issues.push({
          path: `nodes[${i}].id`,
          message: `duplicate node id "${node.id}" (first used at nodes[${first}])`,
        });
      } else byId.set(node.id, i);
    }
    const def = typeof node.type === "string" ? registry.get(node.type) : undefined;
    if (typeof node.type === "string" && !def) {
      const close = registry.suggest(node.type);
      issues.push({
        path: `nodes[${i}].type`,
        message: `unknown node type "${node.type}"` +
          (close.length ? `; did you mean ${close.join(", ")}?` : "; run `flow nodes` to list types"),
      });
    }
    defs.push(def);
  });

  // Config: schema keys validated by the type's schema, input-port keys as constants.
  const configs: unknown[] = [];
  const constants: Map<string, unknown>[] = [];
  nodes.forEach((node, i) => {
    const def = defs[i];
    const consts = new Map<string, unknown>();
    constants.push(consts);
    configs.push(undefined);
    if (!def || !isObject(node)) return;
    const config = isObject(node.config) ? node.config : {};
    const shape = def.config instanceof z.ZodObject ? def.config.shape as Record<string, unknown> : undefined;
    const forSchema: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
      const port = inputSpec(def, key);
      if (port) {
        if (!fitsPortType(port.type, value) && !(shape && key in shape)) {
          issues.push({ path: `nodes[${i}].config.${key}`, message: `expected ${port.type}; got ${preview(value)}` });
        }
        consts.set(key, value);
      }
      if (shape ? key in shape : def.config && !port) forSchema[key] = value;
      else if (!port) {
        const known = [...Object.keys(shape ?? {}), ...Object.keys(def.inputs)];
        issues.push({
          path: `nodes[${i}].config.${key}`,
          message: `unknown config key for ${def.type}` +
            (known.length ? `; expected one of ${[...new Set(known)].join(", ")}` : ""),
        });
      }
    }
    if (def.config) {
      const r = def.config.safeParse(forSchema, { reportInput: true });
      if (r.success) {
        configs[i] = r.data;
        // Schema defaults of keys that are also input ports act as constants.
        if (isObject(r.data)) {
          for (const [key, value] of Object.entries(r.data)) {
            if (value !== undefined && inputSpec(def, key)) consts.set(key, value);
          }
        }
      } else issues.push(...zodIssues(r.error, ["nodes", i, "config"]));
    }
  });

  // Connections.
  const inputDecls = isObject(wf.inputs) ? wf.inputs : {};
  const slotSources: Map<string, { source: SlotSource; at: number }>[] = nodes.map(() => new Map());
  const edges: Edge[] = [];
  connections.forEach((c, ci) => {
    if (!isObject(c) || typeof c.from !== "string" || typeof c.to !== "string") return;
    const from = resolveSource(c.from, `connections[${ci}].from`, "output");
    const [toId, toPort] = splitEndpoint(c.to);
    const toIndex = byId.get(toId);
    if (toIndex === undefined) {
      issues.push({ path: `connections[${ci}].to`, message: unknownNode(toId) });
      return;
    }
    const def = defs[toIndex];
    if (def && !inputSpec(def, toPort)) {
      issues.push({
        path: `connections[${ci}].to`,
        message: `node "${toId}" (${def.type}) has no input port "${toPort}"; inputs: ${portList(def.inputs)}`,
      });
      return;
    }
    const prior = slotSources[toIndex].get(toPort);
    if (prior) {
      issues.push({
        path: `connections[${ci}].to`,
        message:
          `input port "${c.to}" is already fed by connections[${prior.at}]; an input takes one connection (use flow.merge to combine)`,
      });
      return;
    }
    if (!from) return;
    slotSources[toIndex].set(toPort, { source: from, at: ci });
    if (from.kind === "node") edges.push({ from: from.node, to: toIndex });
  });

  // Required inputs.
  nodes.forEach((node, i) => {
    const def = defs[i];
    if (!def || !isObject(node)) return;
    for (const [port, spec] of Object.entries(def.inputs as Record<string, PortSpec>)) {
      if (spec.required === false || slotSources[i].has(port) || constants[i].has(port)) continue;
      issues.push({
        path: `nodes[${i}]`,
        message: `required input "${port}" of "${node.id}" (${def.type}) is not connected and has no config value`,
      });
    }
  });

  // Workflow outputs.
  const outputs: CompiledWorkflow["outputs"] = [];
  if (isObject(wf.outputs)) {
    for (const [name, endpoint] of Object.entries(wf.outputs)) {
      if (typeof endpoint !== "string") continue;
      const source = resolveSource(endpoint, `outputs.${name}`, "output");
      if (source) outputs.push({ name, source });
    }
  }

  // Cycles.
  let order: number[] = [];
  const sorted = topoSort(nodes.length, edges);
  if (sorted.cycles) {
    for (const cycle of sorted.cycles) {
      const names = cycle.map((n) => nodes[n].id);
      issues.push({ path: "connections", message: `cycle: ${[...names, names[0]].join(" -> ")}` });
    }
  } else order = sorted.order;

  if (issues.length > 0) throw new WorkflowValidationError(issues, options.file);

  // Compile.
  const settings = wf.settings ?? {};
  const compiled: CompiledNode[] = nodes.map((node, i) => {
    const def = defs[i]!;
    const slots: Slot[] = [];
    const seen = new Set<string>();
    const addSlot = (port: string, source: SlotSource) => {
      const spec = inputSpec(def, port)!;
      seen.add(port);
      slots.push({ port, source, spec, required: spec.required !== false });
    };
    for (const [port, { source }] of [...slotSources[i]].sort((a, b) => a[1].at - b[1].at)) addSlot(port, source);
    for (const [port, value] of constants[i]) if (!seen.has(port)) addSlot(port, { kind: "const", value });
    return {
      index: i,
      id: node.id,
      type: node.type,
      def,
      config: configs[i] ?? {},
      slots,
      outgoing: [],
      upstreamCount: slots.filter((s) => s.source.kind === "node").length,
      retry: node.retry,
      timeoutMs: node.timeoutMs,
      onError: node.onError ?? (settings.onError === "continue" ? "continue" : "stop"),
    };
  });
  for (const node of compiled) {
    node.slots.forEach((slot, s) => {
      if (slot.source.kind === "node") {
        compiled[slot.source.node].outgoing.push({ port: slot.source.port, to: node.index, slot: s });
      }
    });
  }
  const fileId = options.file?.replace(/^.*[\\/]/, "").replace(/\.json$/i, "").replace(/[^A-Za-z0-9_-]/g, "_");
  return {
    workflow: wf,
    id: wf.id ?? (fileId && /^[A-Za-z_]/.test(fileId) ? fileId : "workflow"),
    nodes: compiled,
    order,
    outputs,
    settings: {
      onError: settings.onError ?? "stop",
      maxWorkflowRetries: settings.maxWorkflowRetries ?? 1,
      concurrency: settings.concurrency ?? 16,
      timeoutMs: settings.timeoutMs,
      lock: settings.lock ?? false,
    },
    file: options.file,
  };

  function resolveSource(
    endpoint: string,
    path: string,
    _dir: "output",
  ): (SlotSource & { kind: "input" | "node" }) | undefined {
    const [id, port] = splitEndpoint(endpoint);
    if (id === "$inputs") {
      if (!(port in inputDecls)) {
        const declared = Object.keys(inputDecls);
        issues.push({
          path,
          message: `unknown workflow input "${port}"; ` +
            (declared.length ? `declared: ${declared.join(", ")}` : "the workflow declares no inputs"),
        });
        return undefined;
      }
      return { kind: "input", name: port };
    }
    const index = byId.get(id);
    if (index === undefined) {
      issues.push({ path, message: unknownNode(id) });
      return undefined;
    }
    const def = defs[index];
    if (!def) return undefined;
    if (!(port in def.outputs)) {
      issues.push({
        path,
        message: `node "${id}" (${def.type}) has no output port "${port}"; outputs: ${portList(def.outputs)}`,
      });
      return undefined;
    }
    return { kind: "node", node: index, port };
  }

  function unknownNode(id: string): string {
    const close = [...byId.keys()].filter((k) => k.toLowerCase() === id.toLowerCase() || near(k, id));
    return `unknown node "${id}"` + (close.length ? `; did you mean ${close.join(", ")}?` : "");
  }
}

/** Checks and converts the values given for a workflow's inputs; applies defaults. */
export function resolveInputs(
  compiled: CompiledWorkflow,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const decls = compiled.workflow.inputs ?? {};
  const issues: ValidationIssue[] = [];
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(given)) {
    if (!(name in decls)) {
      const declared = Object.keys(decls);
      issues.push({
        path: `inputs.${name}`,
        message: "unknown input; " +
          (declared.length ? `declared: ${declared.join(", ")}` : "the workflow declares no inputs"),
      });
    }
  }
  for (const [name, decl] of Object.entries(decls)) {
    let value = given[name];
    if (value === undefined) value = decl.default;
    if (value === undefined) {
      if (decl.required !== false) {
        issues.push({
          path: `inputs.${name}`,
          message: "required input has no value and no default; pass --input " + name + "=...",
        });
      }
      continue;
    }
    const type = decl.type ?? "any";
    if (typeof value === "string" && type !== "string" && type !== "any" && given[name] === value) {
      const coerced = coerce(value, type);
      if (coerced !== undefined) value = coerced;
    }
    if (!fitsPortType(type, value)) {
      issues.push({ path: `inputs.${name}`, message: `expected ${type}; got ${preview(value)}` });
      continue;
    }
    values[name] = value;
  }
  if (issues.length) throw new WorkflowValidationError(issues, compiled.file);
  return values;
}

function coerce(text: string, type: string): unknown {
  if (type === "number") return text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : undefined;
  if (type === "boolean") return text === "true" ? true : text === "false" ? false : undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function inputSpec(def: AnyNodeDefinition, port: string): PortSpec | undefined {
  return Object.hasOwn(def.inputs, port) ? def.inputs[port] : def.dynamicInputs;
}

function splitEndpoint(endpoint: string): [string, string] {
  const dot = endpoint.lastIndexOf(".");
  return [endpoint.slice(0, dot), endpoint.slice(dot + 1)];
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeName(v) === "object";
}

/** Keeps only well-formed parts of a workflow that failed the schema, for further checks. */
function lenient(raw: unknown): Partial<Workflow> {
  if (!isObject(raw)) return {};
  const ok = (v: unknown) => isObject(v) && typeof v.id === "string" && typeof v.type === "string";
  return {
    inputs: isObject(raw.inputs) ? raw.inputs as Workflow["inputs"] : undefined,
    nodes: Array.isArray(raw.nodes) ? raw.nodes.map((n) => ok(n) ? n : {}) as Workflow["nodes"] : [],
    connections: Array.isArray(raw.connections)
      ? raw.connections.filter((c) =>
        isObject(c) && typeof c.from === "string" && typeof c.to === "string" && c.from.includes(".") &&
        c.to.includes(".")
      ) as Workflow["connections"]
      : [],
    outputs: isObject(raw.outputs) ? raw.outputs as Workflow["outputs"] : undefined,
  };
}

/** Turns zod issues into one-line validation issues under `base`. */
export function zodIssues(error: z.ZodError, base: PropertyKey[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const iss of error.issues) {
    const path = [...base, ...iss.path];
    const input = (iss as { input?: unknown }).input;
    switch (iss.code) {
      case "invalid_value":
        out.push({
          path: formatPath(path),
          message: `expected ${
            iss.values.length === 1 ? preview(iss.values[0]) : "one of " + iss.values.join(", ")
          }; got ${preview(input)}`,
        });
        break;
      case "invalid_type":
        out.push({
          path: formatPath(path),
          message: input === undefined
            ? `required (${iss.expected})`
            : `expected ${iss.expected}; got ${preview(input)}`,
        });
        break;
      case "unrecognized_keys":
        for (const key of iss.keys) out.push({ path: formatPath([...path, key]), message: "unknown key" });
        break;
      case "too_small":
        out.push({
          path: formatPath(path),
          message: `expected ${iss.inclusive === false ? ">" : ">="} ${iss.minimum}${
            iss.origin === "string" || iss.origin === "array" ? " in length" : ""
          }; got ${preview(input)}`,
        });
        break;
      case "too_big":
        out.push({
          path: formatPath(path),
          message: `expected ${iss.inclusive === false ? "<" : "<="} ${iss.maximum}${
            iss.origin === "string" || iss.origin === "array" ? " in length" : ""
          }; got ${preview(input)}`,
        });
        break;
      case "invalid_union": {
        out.push({ path: formatPath(path), message: `${iss.message}; got ${preview(input)}` });
        break;
      }
      default:
        out.push({
          path: formatPath(path),
          message: iss.message.includes("got ") || input === undefined
            ? iss.message
            : `${iss.message}; got ${preview(input)}`,
        });
    }
  }
  return out;
}
