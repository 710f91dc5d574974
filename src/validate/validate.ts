/**
 * Validation: everything about a workflow is checked before the first node
 * runs, and every problem is reported at once. The result is a compiled
 * workflow the executor runs without further checks.
 *
 * {@linkcode validateWorkflow} runs the steps in order, each in a module of
 * its own: the nesting depth and numbers with the file's shape
 * (`../workflow/shape.ts`, `../workflow/limits.ts`; else the zod schema), the
 * nodes and their configs (`nodes.ts`), the wiring (`wiring.ts`), then the
 * compiled form for the executor. The types live in `types.ts`, below every
 * module of the folder.
 *
 * @module
 */
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_WORKFLOW_RETRIES } from "../defaults.ts";
import { type ValidationIssue, WorkflowValidationError } from "../errors.ts";
import type { PortSpec } from "../node/node.ts";
import type { Registry } from "../node/registry.ts";
import { prepareTools } from "./subworkflows.ts";
import { checkNodeTypes, compileConfigs, inputSpec } from "./nodes.ts";
import { checkNeeds, grantsOf } from "./permissions.ts";
import { checkCycles, checkRequiredInputs, resolveOutputs, wireConnections } from "./wiring.ts";
import { checkTitle, isObject, isReservedName, portSource, reservedNameMessage, type Validation } from "./context.ts";
import { fitsPortType, formatPath, preview } from "../workflow/values.ts";
import { type Workflow, workflowSchemas } from "../workflow/format.ts";
import { screenWorkflow } from "../workflow/shape.ts";
import { zodIssues } from "../workflow/zod_issues.ts";
import type { CompiledNode, CompiledWorkflow, Slot, ValidateOptions } from "./types.ts";

export { resolveInputs } from "./inputs.ts";
export { type ConfigSplit, splitConfig } from "./nodes.ts";
export { zodIssues } from "../workflow/zod_issues.ts";
export type {
  CompileContext,
  CompiledNode,
  CompiledRef,
  CompiledWorkflow,
  Slot,
  SlotSource,
  TemplateSite,
  UnreadFile,
  ValidateOptions,
} from "./types.ts";

/**
 * Validates a parsed workflow against the schema and the registry and compiles
 * it. Throws a {@linkcode WorkflowValidationError} listing every problem.
 *
 * @example
 * ```ts
 * import { validateWorkflow } from "./validate.ts";
 * import { Registry } from "../node/registry.ts";
 * const compiled = validateWorkflow({ nodes: [], connections: [] }, new Registry());
 * console.log(compiled.nodes.length); // 0
 * ```
 */
export function validateWorkflow(
  raw: unknown,
  registry: Registry,
  options: ValidateOptions = {},
): CompiledWorkflow {
  const { v, order, outputs } = runChecks(raw, registry, options);
  return {
    workflow: v.wf,
    id: v.id,
    nodes: compileNodes(v),
    order,
    outputs,
    settings: settingsOf(v.wf),
    permissions: v.permissions,
    subworkflows: v.subworkflows,
    file: options.file,
  };
}

/**
 * Checks a workflow like {@linkcode validateWorkflow}, every problem
 * included, but does not build its executor form (`flow validate`): for a
 * large workflow that is most of the memory validation allocates. Returns
 * the parsed workflow.
 *
 * @example
 * ```ts
 * import { checkWorkflow } from "./validate.ts";
 * import { Registry } from "../node/registry.ts";
 * checkWorkflow({ nodes: [], connections: [] }, new Registry()).nodes.length; // 0
 * ```
 */
export function checkWorkflow(raw: unknown, registry: Registry, options: ValidateOptions = {}): Workflow {
  return runChecks(raw, registry, options).v.wf;
}

/** Every check, in order; throws a {@linkcode WorkflowValidationError} listing every problem. */
function runChecks(raw: unknown, registry: Registry, options: ValidateOptions) {
  // Depth and numbers first, with the shape: every later step may then recurse.
  const wellFormed = screenWorkflow(raw, options.file);
  const issues: ValidationIssue[] = [];
  // Semantic checks run on whatever is well-formed, so all problems show at once.
  const wf = checkShape(raw, wellFormed, issues);
  const v: Validation = {
    issues,
    schemaValid: issues.length === 0,
    registry,
    options,
    wf,
    nodes: Array.isArray(wf.nodes) ? wf.nodes : [],
    id: workflowId(wf, options),
    permissions: grantsOf(raw, options),
    context: options.context ?? { files: new Map(), sources: options.sources, unread: options.unread },
    subworkflows: [],
    byId: new Map(),
    defs: [],
    configs: [],
    constants: [],
    sites: [],
    prepared: [],
    outputPorts: [],
    portSources: [],
    parsedConfigs: new Map(),
  };
  checkInputDefaults(v);
  checkNames(v);
  checkNodeTypes(v);
  if (options.context && wf.imports?.length) {
    issues.push({ path: "imports", message: "only the top-level workflow may import node modules" });
  }
  const compile = (sub: unknown, opts: ValidateOptions) => validateWorkflow(sub, registry, opts);
  compileConfigs(v, (i, nodeId) => prepareTools(v, compile, i, nodeId));
  checkNeeds(v);
  const edges = wireConnections(v);
  checkRequiredInputs(v);
  const outputs = resolveOutputs(v);
  const order = checkCycles(v, edges);
  if (issues.length > 0) throw new WorkflowValidationError(issues, options.file);
  return { v, order, outputs };
}

/**
 * The workflow as far as it is well-formed: the file itself when it has the
 * schema's shape (the quick check), else the schema's problems are reported
 * and its well-formed parts are kept for the other checks.
 */
function checkShape(raw: unknown, wellFormed: boolean, issues: ValidationIssue[]): Workflow {
  if (wellFormed) return raw as Workflow;
  const parsed = workflowSchemas().workflow.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  issues.push(...zodIssues(parsed.error.issues, []));
  return lenient(raw) as Workflow;
}

/** The workflow id: from the file, else the default given, else the file name, else "workflow". */
function workflowId(wf: Workflow, options: ValidateOptions): string {
  if (typeof wf.id === "string") return wf.id;
  const fileId = options.file?.startsWith("<")
    ? undefined
    : options.file?.replace(/^.*[\\/]/, "").replace(/\.json$/i, "").replace(/[^A-Za-z0-9_-]/g, "_");
  return options.defaultId ?? (fileId && /^[A-Za-z_]/.test(fileId) ? fileId : "workflow");
}

/** Input defaults must fit their declared type. */
function checkInputDefaults(v: Validation): void {
  if (!isObject(v.wf.inputs)) return;
  for (const [name, decl] of Object.entries(v.wf.inputs)) {
    if (!isObject(decl) || decl.default === undefined || typeof decl.type !== "string") continue;
    if (!fitsPortType(decl.type as PortSpec["type"], decl.default)) {
      v.issues.push({ path: `inputs.${name}.default`, message: `expected ${decl.type}; got ${preview(decl.default)}` });
    }
  }
}

/**
 * Names of the workflow that become keys of plain objects must not be
 * reserved ones (see {@linkcode isReservedName}); its title and output names
 * must not hold control characters. (Node ids and names: `checkNodeTypes`.)
 */
function checkNames(v: Validation): void {
  const { wf, issues } = v;
  const reserved = (name: unknown, path: string) => {
    if (typeof name === "string" && isReservedName(name)) issues.push({ path, message: reservedNameMessage(name) });
  };
  checkTitle(wf.name, "name", issues);
  if (isObject(wf.inputs)) { for (const name in wf.inputs) reserved(name, formatPath(["inputs", name])); }
  if (isObject(wf.outputs)) {
    for (const name in wf.outputs) {
      reserved(name, formatPath(["outputs", name]));
      checkTitle(name, formatPath(["outputs", name]), issues, "the output name");
    }
  }
  for (const list of ["env", "secrets"] as const) {
    const names = isObject(wf.settings) ? wf.settings[list] : undefined;
    if (Array.isArray(names)) names.forEach((name, k) => reserved(name, `settings.${list}[${k}]`));
  }
}

/**
 * The executor's form of each node: slots in file order, then config
 * constants, and the edges out. Lists are made at their final size: a
 * 100,000-node workflow allocates little beyond what it keeps.
 */
function compileNodes(v: Validation): CompiledNode[] {
  const onError = v.wf.settings?.onError === "continue" ? "continue" : "stop";
  const outCount = new Int32Array(v.nodes.length);
  const compiled: CompiledNode[] = v.nodes.map((node, i) => {
    const def = v.defs[i]!;
    const connected = v.portSources[i], constants = v.constants[i];
    let extra = 0;
    if (constants) { for (const port of constants.keys()) if (!portSource(connected, port)) extra++; }
    const slots: Slot[] = new Array((connected?.length ?? 0) + extra);
    let s = 0, upstreamCount = 0;
    // Connected ports in file order (connections were read in order), then config constants.
    for (let k = 0; connected && k < connected.length; k++) {
      const { port, source } = connected[k];
      const spec = inputSpec(def, port)!;
      slots[s++] = { port, source: source!, spec, required: spec.required !== false };
      if (source!.kind === "node") {
        upstreamCount++;
        outCount[source!.node]++;
      }
    }
    if (extra) {
      for (const [port, value] of constants!) {
        if (portSource(connected, port)) continue;
        const spec = inputSpec(def, port)!;
        slots[s++] = { port, source: { kind: "const", value }, spec, required: spec.required !== false };
      }
    }
    const config = v.configs[i] ?? {};
    return {
      index: i,
      id: node.id,
      type: node.type,
      def,
      config,
      rawConfig: isObject(node.config) ? node.config : {},
      templates: v.sites[i],
      prepared: v.prepared[i],
      inputMode: typeof def.inputMode === "function" ? def.inputMode(config) : def.inputMode ?? "all",
      slots,
      outgoing: [],
      upstreamCount,
      retry: node.retry,
      timeoutMs: node.timeoutMs,
      onError: node.onError ?? onError,
    };
  });
  for (let i = 0; i < compiled.length; i++) if (outCount[i]) compiled[i].outgoing = new Array(outCount[i]);
  const filled = new Int32Array(compiled.length);
  for (const node of compiled) {
    for (let s = 0; s < node.slots.length; s++) {
      const source = node.slots[s].source;
      if (source.kind === "node") {
        compiled[source.node].outgoing[filled[source.node]++] = { port: source.port, to: node.index, slot: s };
      }
    }
  }
  return compiled;
}

/** Settings with their defaults. */
function settingsOf(wf: Workflow): CompiledWorkflow["settings"] {
  const settings = wf.settings ?? {};
  return {
    onError: settings.onError ?? "stop",
    maxWorkflowRetries: settings.maxWorkflowRetries ?? DEFAULT_MAX_WORKFLOW_RETRIES,
    concurrency: settings.concurrency ?? DEFAULT_CONCURRENCY,
    timeoutMs: settings.timeoutMs,
    lock: settings.lock ?? false,
    env: settings.env ?? [],
    secrets: settings.secrets ?? [],
  };
}

/**
 * Keeps only well-formed parts of a workflow that failed the schema, for
 * further checks. Not a third schema: the schema's problems are already
 * reported; this only picks what the later checks can read safely.
 */
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

/**
 * A workflow and every sub-workflow it runs, each once, with the label that
 * names it in messages (empty for the top level).
 *
 * @example
 * ```ts
 * import { validateWorkflow, workflowTree } from "./validate.ts";
 * import { Registry } from "../node/registry.ts";
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
