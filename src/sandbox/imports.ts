/**
 * Custom node modules: the workflow's `imports` and `--nodes` folders,
 * each loaded into its own permission-restricted Worker.
 *
 * @module
 */
import { dirname, extname, join, resolve } from "../path.ts";
import { fileErrorReason, type ValidationIssue, WorkflowValidationError } from "../errors.ts";
import { ExpressionEngineNotLoaded, loadExpressionEngine } from "../expressions/expressions.ts";
import { checkWorkflow, type CompiledWorkflow, type ValidateOptions, validateWorkflow } from "../validate/validate.ts";
import type { Workflow } from "../workflow/format.ts";
import type { Registry } from "../node/registry.ts";
import { type AnyNodeDefinition, LoadBeforeValidation } from "../node/node.ts";
import type { ImportPermissions, ModuleSpec, NodeModuleHost } from "./host.ts";
import { typeName } from "../workflow/values.ts";

/** Custom node modules loaded for one run. */
export interface LoadedModules {
  /** The given registry plus every custom node type. */
  registry: Registry;
  /** Where each custom type came from (type -> module path as written). */
  sources: Map<string, string>;
  /** Stops every module's Worker. */
  close(): void;
}

/** Options of {@linkcode loadNodeModules}. */
export interface LoadModulesOptions {
  /** The workflow file (its folder is the base of relative import paths). */
  file?: string;
  /** Folders whose every .ts/.js module is loaded (without permissions). */
  dirs?: string[];
  /** Sub-workflow texts by absolute path: used instead of the disk, and filled with what is read (see `CompileContext`). */
  sources?: Map<string, string>;
}

/** A custom node type, and the module it came from (as written in `imports`, or its path in a `--nodes` folder). */
export interface CustomType {
  /** The node type. */
  def: AnyNodeDefinition;
  /** The module. */
  source: string;
}

const MODULE_EXTENSIONS = new Set([".ts", ".js", ".mts", ".mjs"]);

/** Errors reported on their own, without the validation's (the node types they leave unknown would only add noise). */
const alone = new WeakSet<WorkflowValidationError>();

/**
 * Loads the modules listed in a workflow's `imports` (and in `dirs`) and
 * registers their nodes on a copy of `registry`. Throws a
 * {@linkcode WorkflowValidationError} naming each module that fails to load,
 * exports no node, or registers a type that already exists.
 *
 * @example
 * ```ts
 * import { loadNodeModules } from "./imports.ts";
 * import { Registry } from "../node/registry.ts";
 * const mods = await loadNodeModules({ imports: [] }, new Registry(), {});
 * mods.close();
 * ```
 */
export async function loadNodeModules(
  raw: unknown,
  registry: Registry,
  options: LoadModulesOptions = {},
): Promise<LoadedModules> {
  const specs: { spec: ModuleSpec; path: string }[] = [];
  const issues: ValidationIssue[] = [];
  const base = options.file && !options.file.startsWith("<") ? dirname(options.file) : ".";
  const imports = typeName(raw) === "object" ? (raw as { imports?: unknown }).imports : undefined;
  if (Array.isArray(imports)) {
    imports.forEach((entry, i) => {
      const path = typeof entry === "string" ? entry : (entry as { path?: unknown })?.path;
      if (typeof path !== "string" || path === "") return; // the schema reports it
      const given = typeof entry === "string" ? {} : (entry as { permissions?: ImportPermissions }).permissions ?? {};
      // Paths in read/write grants are relative to the workflow file, like the module path.
      const paths = (grant: ImportPermissions["read"]) =>
        Array.isArray(grant) ? grant.map((p) => typeof p === "string" ? resolve(base, p) : p) : grant;
      const permissions = { ...given, read: paths(given.read), write: paths(given.write) };
      specs.push({
        spec: { path: resolve(base, path), label: path, permissions },
        path: `imports[${i}]`,
      });
    });
  }
  for (const dir of options.dirs ?? []) {
    let names: string[];
    try {
      names = [...Deno.readDirSync(dir)]
        .filter((e) => e.isFile && MODULE_EXTENSIONS.has(extname(e.name)) && !/_test\.|\.d\.ts$/.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      issues.push({ path: "--nodes", message: `${dir}: ${fileErrorReason(err)}` });
      continue;
    }
    for (const name of names) {
      const label = join(dir, name);
      specs.push({ spec: { path: resolve(label), label, permissions: {} }, path: "--nodes" });
    }
  }
  const result = registry.clone();
  const sources = new Map<string, string>();
  const hosts: NodeModuleHost[] = [];
  // The sandbox (Workers, and the zod that checks custom configs) is loaded only for custom nodes.
  const sandbox = specs.length ? await import("./host.ts") : undefined;
  const missing = sandbox?.workerOptionsHint();
  if (missing) {
    // One line for the whole file (not one per module, nor its node types as unknown).
    const err = new WorkflowValidationError(
      [{ path: specs[0].path.replace(/\[\d+\]$/, ""), message: missing }],
      options.file,
    );
    alone.add(err);
    throw err;
  }
  const host = sandbox?.NodeModuleHost;
  const loaded = await Promise.allSettled(specs.map(({ spec }) => host!.load(spec)));
  loaded.forEach((outcome, k) => {
    const { spec, path } = specs[k];
    if (outcome.status === "rejected") {
      issues.push({ path, message: `${spec.label}: ${(outcome.reason as Error).message ?? outcome.reason}` });
      return;
    }
    hosts.push(outcome.value);
    for (const def of outcome.value.definitions) {
      if (result.has(def.type)) {
        const other = sources.get(def.type);
        issues.push({
          path,
          message: `${spec.label}: node type "${def.type}" is already registered${
            other ? ` by ${other}` : " (built-in)"
          }`,
        });
        continue;
      }
      result.register(def);
      sources.set(def.type, spec.label);
    }
  });
  const close = () => hosts.forEach((h) => h.close());
  if (issues.length) {
    close();
    throw new WorkflowValidationError(issues, options.file);
  }
  return { registry: result, sources, close };
}

/**
 * Loads a parsed workflow's node modules and validates it, reporting every
 * problem of both steps in one {@linkcode WorkflowValidationError}. Call
 * `close` when done running. `custom` lists the custom node types it
 * loaded, each with the module it came from.
 *
 * @example
 * ```ts
 * import { compileWithModules } from "./imports.ts";
 * import { Registry } from "../node/registry.ts";
 * const { compiled, close } = await compileWithModules({ nodes: [], connections: [] }, new Registry());
 * close();
 * ```
 */
export function compileWithModules(
  raw: unknown,
  registry: Registry,
  options: LoadModulesOptions = {},
): Promise<{ compiled: CompiledWorkflow; close: () => void; custom: CustomType[] }> {
  return withModules(raw, registry, options, validateWorkflow).then(({ result, close, custom }) => ({
    compiled: result,
    close,
    custom,
  }));
}

/**
 * Like {@linkcode compileWithModules}, but only checks the workflow
 * (`checkWorkflow`: no executor form is built) and stops the modules'
 * Workers before returning. Resolves to the parsed workflow.
 *
 * @example
 * ```ts
 * import { checkWithModules } from "./imports.ts";
 * import { Registry } from "../node/registry.ts";
 * const wf = await checkWithModules({ nodes: [], connections: [] }, new Registry());
 * ```
 */
export async function checkWithModules(
  raw: unknown,
  registry: Registry,
  options: LoadModulesOptions = {},
): Promise<Workflow> {
  const { result, close } = await withModules(raw, registry, options, checkWorkflow);
  close();
  return result;
}

/** Loads the modules, then runs `step` (loading JSONata first if needed); one error for every problem of both. */
async function withModules<T>(
  raw: unknown,
  registry: Registry,
  options: LoadModulesOptions,
  step: (raw: unknown, registry: Registry, options: ValidateOptions) => T,
): Promise<{ result: T; close: () => void; custom: CustomType[] }> {
  const issues: ValidationIssue[] = [];
  let close = () => {};
  let custom: CustomType[] = [];
  try {
    const modules = await loadNodeModules(raw, registry, options);
    registry = modules.registry;
    close = modules.close;
    custom = [...modules.sources].map(([type, source]) => ({ def: modules.registry.get(type)!, source }));
  } catch (err) {
    if (!(err instanceof WorkflowValidationError) || alone.has(err)) throw err;
    issues.push(...err.issues);
  }
  try {
    const result = await withExpressions(() => step(raw, registry, { file: options.file, sources: options.sources }));
    if (issues.length === 0) return { result, close, custom };
  } catch (err) {
    if (!(err instanceof WorkflowValidationError)) throw err;
    issues.push(...err.issues);
  }
  close();
  throw new WorkflowValidationError(issues, options.file);
}

/**
 * {@linkcode validateWorkflow}, loading the JSONata expression engine first
 * when the workflow (or a sub-workflow) turns out to hold an expression: a
 * workflow without one never loads it.
 *
 * @example
 * ```ts
 * import { validateWithExpressions } from "./imports.ts";
 * import { builtinRegistry } from "../../nodes/mod.ts";
 * const wf = { nodes: [{ id: "s", type: "transform.set", config: { value: "{{ 1 + 1 }}" } }], connections: [] };
 * await validateWithExpressions(wf, builtinRegistry());
 * ```
 */
export function validateWithExpressions(
  raw: unknown,
  registry: Registry,
  options: ValidateOptions = {},
): Promise<CompiledWorkflow> {
  return withExpressions(() => validateWorkflow(raw, registry, options));
}

/**
 * Runs a validation step; when it needs JSONata (or a node type's hook needs
 * a module: `LoadBeforeValidation`), loads it and runs the step again.
 */
async function withExpressions<T>(step: () => T): Promise<T> {
  for (let tries = 0;; tries++) {
    try {
      return step();
    } catch (err) {
      if (err instanceof ExpressionEngineNotLoaded && tries < 8) await loadExpressionEngine();
      else if (err instanceof LoadBeforeValidation && tries < 8) await err.load();
      else throw err;
    }
  }
}
