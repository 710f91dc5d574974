/**
 * Validation of each node on its own: its id and type, then its config,
 * split into what the type's schema checks and the constants of its input
 * ports, with `{{ }}` templates compiled (and evaluated at run time) and the
 * type's `prepare` hook run.
 *
 * @module
 */
import { safeParse } from "zod/v4/core";
import { childSchema, parseTemplate, skipsTemplates } from "../expressions/expressions.ts";
import type { AnyNodeDefinition, PortSpec, PrepareTools } from "../node/node.ts";
import type { TemplateSite } from "./types.ts";
import { checkTitle, isObject, isReservedName, reservedNameMessage, type Validation } from "./context.ts";
import { fitsPortType, formatPath, preview } from "../workflow/values.ts";
import { zodIssues } from "../workflow/zod_issues.ts";

/** Finds duplicate and reserved node ids, names with control characters and unknown node types; fills `byId` and `defs`. */
export function checkNodeTypes(v: Validation): void {
  const { nodes, issues, byId, defs, registry } = v;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (!isObject(node)) {
      defs.push(undefined);
      continue;
    }
    if (typeof node.id === "string") {
      const first = byId.get(node.id);
      if (first !== undefined) {
        issues.push({
          path: `nodes[${i}].id`,
          message: `duplicate node id "${node.id}" (first used at nodes[${first}])`,
        });
      } else byId.set(node.id, i);
      // Here, where the id was just hashed: a second pass over 100,000 nodes costs milliseconds.
      if (isReservedName(node.id)) issues.push({ path: `nodes[${i}].id`, message: reservedNameMessage(node.id) });
      if (node.name !== undefined) checkTitle(node.name, `nodes[${i}].name`, issues);
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
  }
}

/** Compiles every node's config (see {@linkcode compileConfig}), given the tools for `prepare` hooks. */
export function compileConfigs(v: Validation, tools: (i: number, nodeId: string) => PrepareTools): void {
  for (let i = 0; i < v.nodes.length; i++) {
    const def = v.defs[i];
    v.configs.push(undefined);
    v.constants.push(undefined);
    v.sites.push(NO_TEMPLATES);
    v.prepared.push(undefined);
    v.outputPorts.push(def?.outputs);
    const node = v.nodes[i];
    if (def && isObject(node)) compileConfig(v, i, def, isObject(node.config) ? node.config : {}, tools);
  }
}

const NO_TEMPLATES: TemplateSite[] = [];

/**
 * One node's config: templates, unknown keys, input-port constants (typed),
 * the schema's keys (parsed), then `prepare` and the outputs that depend on
 * the config.
 */
function compileConfig(
  v: Validation,
  i: number,
  def: AnyNodeDefinition,
  config: Record<string, unknown>,
  tools: (i: number, nodeId: string) => PrepareTools,
): void {
  const { issues } = v;
  const found = v.sites[i] = mayHoldTemplate(config)
    ? findTemplates(config, def.config, [], (path, message) => {
      issues.push({ path: formatPath(["nodes", i, "config", ...path]), message });
    })
    : NO_TEMPLATES;
  const split = schemaKeysOnly(def, config) ?? splitConfig(def, config);
  if (split.unknown.length) {
    const known = [...new Set([...Object.keys(split.shape ?? {}), ...Object.keys(def.inputs)])];
    for (const key of split.unknown) {
      issues.push({
        path: `nodes[${i}].config.${key}`,
        message: `unknown config key for ${def.type}` + (known.length ? `; expected one of ${known.join(", ")}` : ""),
      });
    }
  }
  for (const [key, value] of split.constants) {
    if (!Object.hasOwn(def.inputs, key) && isReservedName(key)) {
      issues.push({ path: formatPath(["nodes", i, "config", key]), message: reservedNameMessage(key) });
      continue;
    }
    const port = inputSpec(def, key)!;
    const inSchema = split.shape && Object.hasOwn(split.shape, key);
    if (!inSchema && !found.some((site) => site.path[0] === key) && !fitsPortType(port.type, value)) {
      issues.push({ path: `nodes[${i}].config.${key}`, message: `expected ${port.type}; got ${preview(value)}` });
    }
  }
  if (split.constants.size) v.constants[i] = split.constants;
  v.configs[i] = def.config ? parseConfig(v, i, def, split, found) : {};
  const parsed = v.configs[i];
  if (parsed === undefined) {
    // Config problems are reported; ports that depend on the config are not checked.
    if (def.dynamicOutputs) v.outputPorts[i] = undefined;
    return;
  }
  const node = v.nodes[i];
  if (def.prepare) v.prepared[i] = def.prepare(parsed, tools(i, node.id));
  if (def.dynamicOutputs) {
    const extra = def.dynamicOutputs(parsed, v.prepared[i]);
    v.outputPorts[i] = extra === undefined ? undefined : { ...def.outputs, ...extra };
  }
}

/**
 * Parses the schema's part of a config; templated values are checked after
 * evaluation, at run time. Schema defaults of keys that are also input ports
 * act as constants. Returns undefined when the config is invalid.
 */
function parseConfig(
  v: Validation,
  i: number,
  def: AnyNodeDefinition,
  split: ConfigSplit,
  found: TemplateSite[],
): unknown {
  let parsed: unknown;
  const key = found.length ? undefined : flatKey(split.forSchema);
  const cached = key === undefined ? undefined : v.parsedConfigs.get(def)?.get(key);
  const r = cached
    ? { success: true as const, data: { ...cached } }
    : safeParse(def.config, split.forSchema, REPORT_INPUT);
  if (r.success) {
    parsed = r.data;
    if (key !== undefined && !cached && isFlat(parsed)) {
      let byKey = v.parsedConfigs.get(def);
      if (!byKey) v.parsedConfigs.set(def, byKey = new Map());
      byKey.set(key, { ...parsed });
    }
  } else {
    const real = r.error.issues.filter((iss) => !found.some((site) => startsWith(iss.path, site.path)));
    if (real.length) v.issues.push(...zodIssues(real, ["nodes", i, "config"]));
    else {
      const templated = new Set(found.map((site) => String(site.path[0])));
      const rest = Object.fromEntries(Object.entries(split.forSchema).filter(([k]) => !templated.has(k)));
      const r2 = safeParse(def.config, rest);
      if (r2.success) parsed = r2.data;
    }
  }
  if (isObject(parsed)) {
    for (const key in parsed) {
      const value = parsed[key];
      if (value === undefined || !Object.hasOwn(def.inputs, key)) continue;
      const consts = v.constants[i] ??= new Map();
      if (!consts.has(key)) consts.set(key, value);
    }
  }
  return parsed;
}

const REPORT_INPUT = { reportInput: true };

/**
 * A key for a config whose values are all strings, booleans, finite numbers
 * or null (the same key means the same config), else undefined. Large
 * workflows repeat a few configs many times: each is parsed once.
 */
function flatKey(config: Record<string, unknown>): string | undefined {
  return isFlat(config) ? JSON.stringify(config) : undefined;
}

/** Whether an object's values are all strings, booleans, finite numbers or null (a shallow copy is a full copy). */
function isFlat(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  for (const k in value) {
    const item = value[k];
    const t = typeof item;
    if (!(t === "string" || t === "boolean" || item === null || (t === "number" && Number.isFinite(item)))) {
      return false;
    }
  }
  return true;
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

/**
 * Splits a node's config into what its schema validates and what feeds its
 * input ports. Works with any zod 4 schema (classic or mini).
 *
 * @example
 * ```ts
 * import { splitConfig } from "./nodes.ts";
 * import timeDelay from "../../nodes/time/delay.ts";
 * splitConfig(timeDelay, { ms: 5, value: "x" }); // forSchema { ms: 5 }, constants value -> "x"
 * ```
 */
export function splitConfig(def: AnyNodeDefinition, config: Record<string, unknown>): ConfigSplit {
  const schemaDef = (def.config as { _zod?: { def?: { type?: string; shape?: Record<string, unknown> } } })?._zod
    ?.def;
  const shape = schemaDef?.type === "object" ? schemaDef.shape : undefined;
  const forSchema: Record<string, unknown> = {};
  const constants = new Map<string, unknown>();
  const unknown: string[] = [];
  for (const key in config) {
    const value = config[key];
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

const NO_CONSTANTS: ConfigSplit["constants"] = new Map();
const NO_KEYS: string[] = [];

/**
 * The split of the usual config, without copying it: when every key is a
 * schema key that is not also an input port, the config is what the schema
 * checks. Undefined otherwise (use {@linkcode splitConfig}). The result is
 * only read.
 */
function schemaKeysOnly(def: AnyNodeDefinition, config: Record<string, unknown>): ConfigSplit | undefined {
  const schemaDef = (def.config as { _zod?: { def?: { type?: string; shape?: Record<string, unknown> } } })?._zod
    ?.def;
  const shape = schemaDef?.type === "object" ? schemaDef.shape : undefined;
  if (!shape) return undefined;
  for (const key in config) if (!Object.hasOwn(shape, key) || Object.hasOwn(def.inputs, key)) return undefined;
  return { forSchema: config, constants: NO_CONSTANTS, unknown: NO_KEYS, shape };
}

/** The spec of input port `port` of a type (a declared port, else its dynamic inputs). */
export function inputSpec(def: AnyNodeDefinition, port: string): PortSpec | undefined {
  return Object.hasOwn(def.inputs, port) ? def.inputs[port] : def.dynamicInputs;
}

/** Whether any string inside a config value holds `{{` (only then are templates looked for). */
function mayHoldTemplate(value: unknown): boolean {
  if (typeof value === "string") return value.includes("{{");
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.some(mayHoldTemplate);
  for (const key in value) if (mayHoldTemplate((value as Record<string, unknown>)[key])) return true;
  return false;
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
      if ((err as Error).name === "ExpressionEngineNotLoaded") throw err;
      report(path, (err as Error).message);
      return [];
    }
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => findTemplates(item, childSchema(schema, i), [...path, i], report));
  }
  if (isObject(value)) {
    return Object.entries(value).flatMap(([k, item]) =>
      findTemplates(item, childSchema(schema, k), [...path, k], report)
    );
  }
  return [];
}

function startsWith(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}
