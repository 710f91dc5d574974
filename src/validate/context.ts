/**
 * The state one validation shares between its steps (`validate.ts` runs
 * them in order): the workflow as far as it is well-formed, the problems
 * found so far, and what each step learnt about every node.
 *
 * @module
 */
import type { ValidationIssue } from "../errors.ts";
import type { AnyNodeDefinition, PortSpec } from "../node/node.ts";
import type { Registry } from "../node/registry.ts";
import type { CompileContext, CompiledRef, SlotSource, TemplateSite, ValidateOptions } from "./types.ts";
import { preview, typeName } from "../workflow/values.ts";
import type { Workflow } from "../workflow/format.ts";
import type { WorkflowPermissions } from "../permissions/permissions.ts";

/** Where an input port of a node gets its value from (a bad source, already reported, is undefined). */
export interface PortSource {
  /** The input port. */
  port: string;
  /** The source, when it is valid. */
  source?: SlotSource;
  /** Index of the connection in `connections`. */
  at: number;
}

/** One validation in progress. Arrays hold one entry per node, by index. */
export interface Validation {
  /** Every problem found so far, in the order they are reported. */
  readonly issues: ValidationIssue[];
  /**
   * Whether the workflow has the schema's shape (the quick check or zod said
   * so): its endpoints then match their patterns, and need no second test.
   */
  readonly schemaValid: boolean;
  /** Node types. */
  readonly registry: Registry;
  /** The options validation was called with. */
  readonly options: ValidateOptions;
  /** The workflow: as parsed when it is well-formed, else its well-formed parts. */
  readonly wf: Workflow;
  /** `wf.nodes`, or none. */
  readonly nodes: Workflow["nodes"];
  /** The workflow id (from the file, the file name, or a default). */
  readonly id: string;
  /** What `settings.permissions` grant (an inline sub-workflow without its own: its parent's). */
  readonly permissions: WorkflowPermissions;
  /** Shared with the sub-workflows compiled along the way. */
  readonly context: CompileContext;
  /** Sub-workflows the nodes' `prepare` hooks compiled. */
  readonly subworkflows: CompiledRef[];
  /** Node index by id (the first node of an id). */
  readonly byId: Map<string, number>;
  /** Each node's type, when known. */
  readonly defs: (AnyNodeDefinition | undefined)[];
  /** Each node's parsed config (undefined when invalid). */
  readonly configs: unknown[];
  /** Each node's input-port constants from its config, by port (undefined: none). */
  readonly constants: (Map<string, unknown> | undefined)[];
  /** Each node's `{{ }}` templates. */
  readonly sites: TemplateSite[][];
  /** What each node's `prepare` hook returned. */
  readonly prepared: unknown[];
  /** Each node's output ports (undefined: any name, or not known because the config is invalid). */
  readonly outputPorts: (Record<string, PortSpec> | undefined)[];
  /** Parsed configs by type and config (flat configs only; see `validate_nodes.ts`), copied for each node. */
  readonly parsedConfigs: Map<AnyNodeDefinition, Map<string, Record<string, unknown>>>;
  /** Each node's connected input ports, in connection order (undefined: none). Few per node: a list, not a map. */
  readonly portSources: (PortSource[] | undefined)[];
}

/** Whether a value is a JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeName(v) === "object";
}

/** The entry of `port` in a node's connected ports, if any. */
export function portSource(sources: PortSource[] | undefined, port: string): PortSource | undefined {
  if (sources) { for (let k = 0; k < sources.length; k++) if (sources[k].port === port) return sources[k]; }
  return undefined;
}

/**
 * Whether a name is a property of every JavaScript object (`__proto__`,
 * `constructor`, `toString`, ...). Such names are refused for nodes, ports,
 * inputs, outputs and variables: they become keys of plain objects, where
 * one that was not set reads as a function of `Object.prototype` (an
 * optional input `constructor` with no value would feed its port that
 * function), and `__proto__` is the prototype wherever the runtime keeps
 * its setter.
 */
export function isReservedName(name: string): boolean {
  // A Set, not `name in Object.prototype`: that interns each string first, a cost 100,000 connections notice.
  return RESERVED.has(name);
}

const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The message for a name {@linkcode isReservedName} refuses. */
export function reservedNameMessage(name: string): string {
  return `${JSON.stringify(name)} cannot be used as a name: every JavaScript object has a property of that name`;
}

/** A title (`name`) or an output name must not hold control characters (a newline, a terminal escape sequence). */
export function checkTitle(text: unknown, path: string, issues: ValidationIssue[], what = "the name"): void {
  if (typeof text === "string" && CONTROL.test(text)) {
    issues.push({ path, message: `${what} contains a control character; got ${preview(text)}` });
  }
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
