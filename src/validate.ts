/**
 * Validation: everything about a workflow is checked before the first node
 * runs, and every problem is reported at once. The result is a compiled
 * workflow the executor runs without further checks.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { fileErrorReason, formatIssue, type ValidationIssue, WorkflowValidationError } from "./errors.ts";
import { childSchema, parseTemplate, skipsTemplates, type Template } from "./expressions.ts";
import { type Edge, topoSort } from "./graph.ts";
import { parseWorkflowText } from "./load.ts";
import type { AnyNodeDefinition, InputMode, PortSpec, PrepareTools, WorkflowRef } from "./node.ts";
import type { Registry } from "./registry.ts";
import { fitsPortType, formatPath, preview, typeName } from "./values.ts";
import { ENDPOINT_PATTERN, type RetryPolicy, type Workflow, WorkflowSchema } from "./workflow.ts";

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
  /** The config as written (templates unevaluated). */
  rawConfig: Record<string, unknown>;
  /** `{{ }}` templates in the config, evaluated before each attempt. */
  templates: TemplateSite[];
  /** What the type's `prepare` hook returned. */
  prepared: unknown;
  /** How the node waits for its inputs. */
  inputMode: InputMode;
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

/** A `{{ }}` template at a path inside a node's config. */
export interface TemplateSite {
  /** Path inside `config`. */
  path: (string | number)[];
  /** The compiled template. */
  template: Template;
}

/** A compiled sub-workflow reference (see `PrepareTools.workflow`). */
export interface CompiledRef extends WorkflowRef {
  /** The compiled workflow; undefined while it is still being compiled (recursion) or when invalid. */
  compiled?: CompiledWorkflow;
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
    env: string[];
    secrets: string[];
  };
  /** Sub-workflows its nodes run. */
  subworkflows: CompiledRef[];
  /** The file it came from, if any. */
  file?: string;
}

/** Options of {@linkcode validateWorkflow}. */
export interface ValidateOptions {
  /** The file name, used in messages, as the base of relative paths and as the default workflow id. */
  file?: string;
  /** Id used when the workflow has none (default: from the file name, else "workflow"). */
  defaultId?: string;
  /** Set when compiling a sub-workflow: shares the file cache with its parent. */
  context?: CompileContext;
}

/** Shared state while compiling a workflow and its sub-workflows. */
export interface CompileContext {
  /** Sub-workflow files compiled so far, by absolute path (and implicit inputs). */
  files: Map<string, CompiledRef>;
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
  if (!parsed.success) issues.push(...zodIssues(parsed.error.issues, []));
  // Semantic checks run on whatever is well-formed, so all problems show at once.
  const wf = (parsed.success ? parsed.data : lenient(raw)) as Workflow;
  const nodes = Array.isArray(wf.nodes) ? wf.nodes : [];
  const connections = Array.isArray(wf.connections) ? wf.connections : [];
  const fileId = options.file?.startsWith("<")
    ? undefined
    : options.file?.replace(/^.*[\\/]/, "").replace(/\.json$/i, "").replace(/[^A-Za-z0-9_-]/g, "_");
  const wfId = typeof wf.id === "string"
    ? wf.id
    : options.defaultId ?? (fileId && /^[A-Za-z_]/.test(fileId) ? fileId : "workflow");

  // Input defaults must fit their declared type.
  if (isObject(wf.inputs)) {
    for (const [name, decl] of Object.entries(wf.inputs)) {
      if (!isObject(decl) || decl.default === undefined || typeof decl.type !== "string") continue;
      if (!fitsPortType(decl.type as PortSpec["type"], decl.default)) {
        issues.push({ path: `inputs.${name}.default`, message: `expected ${decl.type}; got ${preview(decl.default)}` });
      }
    }
  }

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
    if (typeof node.type === "string" && node.type !== "" && !def) {
      const close = registry.suggest(node.type);
      issues.push({
        path: `nodes[${i}].type`,
        message: `unknown node type "${node.type}"` +
          (close.length ? `; did you mean ${close.join(", ")}?` : "; run `flow nodes` to list types"),
      });
    }
    defs.push(def);
  });

  if (options.context && wf.imports?.length) {
    issues.push({ path: "imports", message: "only the top-level workflow may import node modules" });
  }
  const context: CompileContext = options.context ?? { files: new Map() };
  const subworkflows: CompiledRef[] = [];

  // Config: schema keys validated by the type's schema, input-port keys as
  // constants, {{ }} templates compiled now and evaluated at run time.
  const configs: unknown[] = [];
  const constants: Map<string, unknown>[] = [];
  const sites: TemplateSite[][] = [];
  const prepared: unknown[] = [];
  const outputPorts: (Record<string, PortSpec> | undefined)[] = [];
  nodes.forEach((node, i) => {
    const def = defs[i];
    const consts = new Map<string, unknown>();
    constants.push(consts);
    configs.push(undefined);
    sites.push([]);
    prepared.push(undefined);
    outputPorts.push(def?.outputs);
    if (!def || !isObject(node)) return;
    const config = isObject(node.config) ? node.config : {};
    const found = sites[i] = findTemplates(
      config,
      def.config,
      [],
      (path, message) => issues.push({ path: formatPath(["nodes", i, "config", ...path]), message }),
    );
    const templatedKeys = new Set(found.map((site) => String(site.path[0])));
    const split = splitConfig(def, config);
    const known = [...Object.keys(split.shape ?? {}), ...Object.keys(def.inputs)];
    for (const key of split.unknown) {
      issues.push({
        path: `nodes[${i}].config.${key}`,
        message: `unknown config key for ${def.type}` +
          (known.length ? `; expected one of ${[...new Set(known)].join(", ")}` : ""),
      });
    }
    for (const [key, value] of split.constants) {
      const port = inputSpec(def, key)!;
      const inSchema = split.shape && Object.hasOwn(split.shape, key);
      if (!templatedKeys.has(key) && !inSchema && !fitsPortType(port.type, value)) {
        issues.push({ path: `nodes[${i}].config.${key}`, message: `expected ${port.type}; got ${preview(value)}` });
      }
      consts.set(key, value);
    }
    if (def.config) {
      const r = def.config.safeParse(split.forSchema, { reportInput: true });
      if (r.success) configs[i] = r.data;
      else {
        // Templated values are checked after evaluation, at run time.
        const real = r.error.issues.filter((iss: z.core.$ZodIssue) =>
          !found.some((site) => startsWith(iss.path, site.path))
        );
        if (real.length) issues.push(...zodIssues(real, ["nodes", i, "config"]));
        else {
          const rest = Object.fromEntries(Object.entries(split.forSchema).filter(([k]) => !templatedKeys.has(k)));
          const r2 = def.config.safeParse(rest);
          if (r2.success) configs[i] = r2.data;
        }
      }
      // Schema defaults of keys that are also input ports act as constants.
      if (isObject(configs[i])) {
        for (const [key, value] of Object.entries(configs[i] as object)) {
          if (value !== undefined && Object.hasOwn(def.inputs, key) && !consts.has(key)) consts.set(key, value);
        }
      }
    } else configs[i] = {};
    if (configs[i] === undefined) {
      // Config problems are reported; ports that depend on the config are not checked.
      if (def.dynamicOutputs) outputPorts[i] = undefined;
      return;
    }
    if (def.prepare) prepared[i] = def.prepare(configs[i], prepareTools(i, node.id));
    if (def.dynamicOutputs) {
      const extra = def.dynamicOutputs(configs[i], prepared[i]);
      outputPorts[i] = extra === undefined ? undefined : { ...def.outputs, ...extra };
    }
  });

  // Connections.
  const inputDecls = isObject(wf.inputs) ? wf.inputs : {};
  // A connection whose source is bad (already reported) still feeds its input: source undefined.
  const slotSources: Map<string, { source?: SlotSource; at: number }>[] = nodes.map(() => new Map());
  const edges: Edge[] = [];
  connections.forEach((c, ci) => {
    if (!isObject(c) || typeof c.from !== "string" || typeof c.to !== "string") return;
    const from = resolveSource(c.from, `connections[${ci}].from`);
    if (!TO_PATTERN.test(c.to)) return; // the schema reported it
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
    slotSources[toIndex].set(toPort, { source: from, at: ci });
    if (from?.kind === "node") edges.push({ from: from.node, to: toIndex });
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
    // Types whose inputs depend on what they prepared (a sub-workflow's inputs) check them here.
    if (def.checkInputs && prepared[i] !== undefined) {
      const given = [...new Set([...slotSources[i].keys(), ...constants[i].keys()])];
      for (const message of def.checkInputs(given, prepared[i])) issues.push({ path: `nodes[${i}]`, message });
    }
  });

  // Workflow outputs.
  const outputs: CompiledWorkflow["outputs"] = [];
  if (isObject(wf.outputs)) {
    for (const [name, endpoint] of Object.entries(wf.outputs)) {
      if (typeof endpoint !== "string") continue;
      const source = resolveSource(endpoint, `outputs.${name}`);
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
    for (const [port, { source }] of [...slotSources[i]].sort((a, b) => a[1].at - b[1].at)) addSlot(port, source!);
    for (const [port, value] of constants[i]) if (!seen.has(port)) addSlot(port, { kind: "const", value });
    return {
      index: i,
      id: node.id,
      type: node.type,
      def,
      config: configs[i] ?? {},
      rawConfig: isObject(node.config) ? node.config : {},
      templates: sites[i],
      prepared: prepared[i],
      inputMode: typeof def.inputMode === "function" ? def.inputMode(configs[i] ?? {}) : def.inputMode ?? "all",
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
  return {
    workflow: wf,
    id: wfId,
    nodes: compiled,
    order,
    outputs,
    settings: {
      onError: settings.onError ?? "stop",
      maxWorkflowRetries: settings.maxWorkflowRetries ?? 1,
      concurrency: settings.concurrency ?? 16,
      timeoutMs: settings.timeoutMs,
      lock: settings.lock ?? false,
      env: settings.env ?? [],
      secrets: settings.secrets ?? [],
    },
    subworkflows,
    file: options.file,
  };

  function resolveSource(
    endpoint: string,
    path: string,
  ): (SlotSource & { kind: "input" | "node" }) | undefined {
    if (!ENDPOINT_PATTERN.test(endpoint)) return undefined; // the schema reported it
    const [id, port] = splitEndpoint(endpoint);
    if (id === "$inputs") {
      if (!Object.hasOwn(inputDecls, port)) {
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
    const ports = outputPorts[index];
    if (ports && !Object.hasOwn(ports, port)) {
      issues.push({
        path,
        message: `node "${id}" (${def.type}) has no output port "${port}"; outputs: ${portList(ports)}`,
      });
      return undefined;
    }
    return { kind: "node", node: index, port };
  }

  function prepareTools(i: number, nodeId: string): PrepareTools {
    const base = `nodes[${i}].config`;
    return {
      issue: (path, message) => issues.push({ path: path ? `${base}.${path}` : base, message }),
      workflow(spec, opts = {}) {
        const inline = spec.workflow !== undefined, file = spec.workflowFile !== undefined;
        if (inline === file) {
          issues.push({ path: base, message: 'give exactly one of "workflow" (inline) or "workflowFile"' });
          return undefined;
        }
        const implicit = opts.implicitInputs ?? {};
        const withInputs = (raw: unknown) =>
          isObject(raw) && Object.keys(implicit).length
            ? { ...raw, inputs: { ...implicit, ...(isObject(raw.inputs) ? raw.inputs : {}) } }
            : raw;
        if (inline) {
          try {
            const compiled = validateWorkflow(withInputs(spec.workflow), registry, {
              file: options.file,
              defaultId: `${wfId}.${nodeId}`,
              context,
            });
            const ref: CompiledRef = { label: `inline workflow of "${nodeId}"`, compiled };
            subworkflows.push(ref);
            return ref;
          } catch (err) {
            if (!(err instanceof WorkflowValidationError)) throw err;
            for (const iss of err.issues) {
              issues.push({ ...iss, path: iss.path ? `${base}.workflow.${iss.path}` : `${base}.workflow` });
            }
            return undefined;
          }
        }
        const rel = spec.workflowFile!;
        const abs = resolve(options.file && !options.file.startsWith("<") ? dirname(options.file) : ".", rel);
        const key = `${abs}#${Object.keys(implicit).sort().join(",")}`;
        const cached = context.files.get(key);
        if (cached) {
          subworkflows.push(cached);
          return cached;
        }
        const ref: CompiledRef = { label: rel };
        context.files.set(key, ref);
        subworkflows.push(ref);
        const fail = (message: string) => {
          issues.push({ path: `${base}.workflowFile`, message });
          return undefined;
        };
        let text: string;
        try {
          text = Deno.readTextFileSync(abs);
        } catch (err) {
          return fail(`${rel}: cannot read workflow: ${fileErrorReason(err)}`);
        }
        try {
          ref.compiled = validateWorkflow(withInputs(parseWorkflowText(text, rel)), registry, { file: abs, context });
        } catch (err) {
          if (!(err instanceof WorkflowValidationError)) throw err;
          for (const iss of err.issues) fail(formatIssue(iss, rel));
          return undefined;
        }
        return ref;
      },
    };
  }

  function unknownNode(id: string): string {
    const close = [...byId.keys()].filter((k) => k.toLowerCase() === id.toLowerCase() || near(k, id));
    return `unknown node "${id}"` + (close.length ? `; did you mean ${close.join(", ")}?` : "");
  }
}

/**
 * A workflow and every sub-workflow it runs, each once, with the label that
 * names it in messages (empty for the top level).
 *
 * @example
 * ```ts
 * import { validateWorkflow, workflowTree } from "./validate.ts";
 * import { Registry } from "./registry.ts";
 * const wf = validateWorkflow({ nodes: [], connections: [] }, new Registry());
 * workflowTree(wf).length; // 1
 * ```
 */
export function workflowTree(root: CompiledWorkflow): { workflow: CompiledWorkflow; label: string }[] {
  const seen = new Set<CompiledWorkflow>();
  const out: { workflow: CompiledWorkflow; label: string }[] = [];
  const visit = (wf: CompiledWorkflow | undefined, label: string) => {
    if (!wf || seen.has(wf)) return;
    seen.add(wf);
    out.push({ workflow: wf, label });
    for (const ref of wf.subworkflows) visit(ref.compiled, ref.label);
  };
  visit(root, "");
  return out;
}

/**
 * Checks and converts the values given for a workflow's inputs; applies
 * defaults. `hint` ends the message of a missing input (default: how to pass it
 * on the command line). Throws a {@linkcode WorkflowValidationError}.
 *
 * @example
 * ```ts
 * import { resolveInputs, validateWorkflow } from "./validate.ts";
 * import { Registry } from "./registry.ts";
 * const wf = validateWorkflow({ inputs: { n: { type: "number" } }, nodes: [], connections: [] }, new Registry());
 * resolveInputs(wf, { n: "3" }); // { n: 3 }: strings from the command line are converted
 * ```
 */
export function resolveInputs(
  compiled: CompiledWorkflow,
  given: Record<string, unknown>,
  hint: (name: string) => string = (name) => `; pass --input ${name}=...`,
): Record<string, unknown> {
  const decls = compiled.workflow.inputs ?? {};
  const issues: ValidationIssue[] = [];
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(decls, name)) {
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
          message: `required input has no value and no default${hint(name)}`,
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

/** How a node's config splits into schema keys, input-port constants and unknown keys. */
export interface ConfigSplit {
  /** Keys for the type's config schema. */
  forSchema: Record<string, unknown>;
  /** Input-port constants by port. */
  constants: Map<string, unknown>;
  /** Keys that are neither. */
  unknown: string[];
  /** The config schema's object shape, if it has one. */
  shape?: Record<string, unknown>;
}

/** Splits a node's config into what its schema validates and what feeds its input ports. */
export function splitConfig(def: AnyNodeDefinition, config: Record<string, unknown>): ConfigSplit {
  const shape = def.config instanceof z.ZodObject ? def.config.shape as Record<string, unknown> : undefined;
  const forSchema: Record<string, unknown> = {};
  const constants = new Map<string, unknown>();
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    // A config schema key is an input constant only when the port is declared, not a dynamic input.
    const port = !shape || !Object.hasOwn(shape, key) || Object.hasOwn(def.inputs, key)
      ? inputSpec(def, key)
      : undefined;
    if (port) constants.set(key, value);
    if (shape ? Object.hasOwn(shape, key) : def.config && !port) forSchema[key] = value;
    else if (!port) unknown.push(key);
  }
  return { forSchema, constants, unknown, shape };
}

/** Finds `{{ }}` templates in a config value, skipping fields whose schema takes expressions or raw values. */
function findTemplates(
  value: unknown,
  schema: unknown,
  path: (string | number)[],
  report: (path: (string | number)[], message: string) => void,
): TemplateSite[] {
  if (schema !== undefined && skipsTemplates(schema)) return [];
  if (typeof value === "string") {
    try {
      const template = parseTemplate(value);
      return template ? [{ path, template }] : [];
    } catch (err) {
      report(path, (err as Error).message);
      return [];
    }
  }
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => findTemplates(v, childSchema(schema, i), [...path, i], report));
  }
  if (isObject(value)) {
    return Object.entries(value).flatMap(([k, v]) => findTemplates(v, childSchema(schema, k), [...path, k], report));
  }
  return [];
}

function startsWith(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

/** A connection target: `nodeId.port`. */
const TO_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*$/;

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
        isObject(c) && typeof c.from === "string" && typeof c.to === "string"
      ) as Workflow["connections"]
      : [],
    outputs: isObject(raw.outputs) ? raw.outputs as Workflow["outputs"] : undefined,
  };
}

/** Turns zod issues into one-line validation issues under `base`. */
export function zodIssues(zodIssueList: readonly z.core.$ZodIssue[], base: PropertyKey[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const iss of zodIssueList) {
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
        // When every branch failed only on its type, name the types instead of zod's "Invalid input".
        const types = iss.errors.map((b) =>
          b.length === 1 && b[0].code === "invalid_type" && !b[0].path.length ? b[0].expected : ""
        );
        const expected = types.length > 1 && !types.includes("")
          ? `expected ${types.slice(0, -1).join(", ")} or ${types[types.length - 1]}`
          : iss.message;
        out.push({ path: formatPath(path), message: `${expected}; got ${preview(input)}` });
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
