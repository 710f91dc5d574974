/**
 * The node API: how a node type declares its ports and config and what its
 * `run` function receives. Built-in nodes use exactly this API.
 *
 * @module
 */
import type { Expression } from "../expressions/expressions.ts";
import type { NodeStore } from "../engine/state.ts";
import type { PortType } from "../workflow/format.ts";
import type { SchemaOutput, ZodSchema } from "../workflow/zod.ts";

/** Declaration of one input or output port. */
export interface PortSpec {
  /** Value type carried by the port. */
  type: PortType;
  /** Shown by `flow nodes`. */
  description?: string;
  /** Input ports only: whether the node can run without it. Default `true`. */
  required?: boolean;
}

/** Port declarations by port name. */
export type Ports = Record<string, PortSpec>;

/** The TypeScript type of a port type name. */
export type PortValue<T extends PortType> = T extends "string" ? string
  : T extends "number" ? number
  : T extends "boolean" ? boolean
  : T extends "object" ? Record<string, unknown>
  : T extends "array" ? unknown[]
  : unknown;

/** The names of the required ports of `P`. */
export type RequiredKeys<P extends Ports> = {
  [K in keyof P]: P[K]["required"] extends false ? never : K;
}[keyof P];
/** The names of the optional ports of `P` (`required: false`). */
export type OptionalKeys<P extends Ports> = Exclude<keyof P, RequiredKeys<P>>;

/** Input values as `run` receives them: required ports present, optional ones maybe. */
export type InputValues<P extends Ports> =
  & { [K in RequiredKeys<P>]: PortValue<P[K]["type"]> }
  & { [K in OptionalKeys<P>]?: PortValue<P[K]["type"]> };

/** Output values as `run` returns them. A port left out emits nothing on that port. */
export type OutputValues<P extends Ports> = { [K in keyof P]?: PortValue<P[K]["type"]> };

/** Log levels of `node.log` events. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Emits `node.log` events for the running node. */
export interface NodeLogger {
  /** Debug detail. */
  debug(message: string): void;
  /** Normal progress. */
  info(message: string): void;
  /** Something odd but not fatal. */
  warn(message: string): void;
  /** Something failed. */
  error(message: string): void;
}

/**
 * What `settings.permissions` can grant (docs/workflow.md#permissions), with
 * Deno's meanings: programs to run, paths to read and write, hosts to reach,
 * environment variables to read.
 */
export type PermissionName = "run" | "read" | "write" | "net" | "env";

/**
 * One thing a node needs granted, found in its config (see
 * {@linkcode NodeDefinition.needs}): `value` is a path (relative to the
 * workflow file's folder, or absolute), a program, a `host` or `host:port`,
 * a variable name, or `true` for "anything" (which only a grant of `true`
 * covers).
 */
export interface PermissionNeed {
  /** The permission that must grant it. */
  permission: PermissionName;
  /** What must be granted, as written in the config. */
  value: string | true;
  /** Where it is inside the node's config, e.g. `["path"]` or `["env", "PGPASSWORD"]`. */
  field: (string | number)[];
}

/**
 * The grants of the workflow a node runs in (`ctx.permissions`, and the
 * `permissions` of `setup`'s info). Built-in nodes that touch the system
 * check every value they use with it, at run time too: a value that came
 * from an expression was not seen at validation.
 */
export interface NodePermissions {
  /** The folder relative paths are resolved against: the workflow file's (the current one without a file). */
  readonly base: string;
  /** A path made absolute against {@linkcode base}. */
  resolve(path: string): string;
  /** Whether `value` (as in {@linkcode PermissionNeed}) is granted. */
  allows(permission: PermissionName, value: string | true): boolean;
  /**
   * Throws a `NodeError` with code `PERMISSION_DENIED` (not retried) unless
   * `value` is granted; `field` (a config key) is named in the message.
   */
  check(permission: PermissionName, value: string | true, field?: string): void;
  /**
   * {@linkcode check} for a file path, then the same for where it really
   * leads: a symbolic link inside a granted folder that points outside it is
   * refused. Resolves to the absolute path.
   */
  checkPath(permission: "read" | "write", path: string, field?: string): Promise<string>;
}

/** What a node's `run` function receives. */
export interface NodeContext<I, C> {
  /** Input values by port: connections first, then constants from `config`. */
  inputs: I;
  /** The node's config, parsed by its config schema (defaults applied). */
  config: C;
  /** Aborted on timeout, cancellation or when the run stops; pass it to `fetch`. */
  signal: AbortSignal;
  /** Emits `node.log` events. */
  log: NodeLogger;
  /** Per-run state of this node, kept across retry attempts. */
  state: Map<string, unknown>;
  /**
   * Persistent state that outlives the run (docs/state.md): JSON values by
   * key, scoped to this workflow and node; `store.workflow` is the scope all
   * nodes of the workflow share. `update` is atomic across processes.
   */
  store: NodeStore;
  /** What the type's `setup` returned for this node (undefined without `setup`): kept across runs. */
  instance: unknown;
  /** The trigger that started this run, when it was started by one (webhook, schedule). */
  trigger: FiredTrigger | undefined;
  /** The node's id in the workflow. */
  nodeId: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  /** Id of the execution. */
  executionId: string;
  /**
   * Evaluates a compiled expression (from an {@linkcode expression} config
   * field) with `$inputs`, `$node`, `$env` and `$execution` in scope, plus
   * `bindings` (e.g. `{ value: 1 }` is `$value`). The input `$` is `$node`.
   */
  evaluate(expression: Expression, bindings?: Record<string, unknown>): Promise<unknown>;
  /**
   * {@linkcode NodeContext.evaluate} without waiting when it need not: the
   * value itself when the plain or the fast path of expressions gives it
   * (docs/expressions.md), else a Promise of JSONata's. A value is plain
   * JSON, never a Promise, so `instanceof Promise` tells them apart.
   */
  evaluateNow(expression: Expression, bindings?: Record<string, unknown>): unknown;
  /** Whatever the type's `prepare` hook returned at validation time. */
  prepared: unknown;
  /** What the workflow's `settings.permissions` grant; check values from expressions and inputs with it. */
  permissions: NodePermissions;
  /**
   * Runs a sub-workflow prepared by `tools.workflow(...)`; its events join
   * this execution's stream with `parentNodeId` and `iteration`.
   */
  runWorkflow(
    ref: WorkflowRef,
    inputs: Record<string, unknown>,
    options?: { iteration?: number },
  ): Promise<SubworkflowResult>;
}

/** What a trigger node type listens for (`flow serve` starts runs when it fires). */
export type TriggerKind = "webhook" | "cron" | "interval";

/** An HTTP response a run gives to the request that started it (`http.respond`). */
export interface TriggerResponse {
  /** Status code. */
  status: number;
  /** Response headers. */
  headers: Record<string, string>;
  /** The body: a string is sent as is, anything else as JSON. */
  body: unknown;
}

/** The trigger that fired and started a run. */
export interface FiredTrigger {
  /** The trigger node that fired. */
  nodeId: string;
  /** What it fired with: the request for a webhook, the times for a schedule. */
  payload: Record<string, unknown>;
  /**
   * Answers the HTTP request that started the run (webhooks with
   * `respond: "node"`); false when there is no request to answer or it was
   * already answered.
   */
  respond?: (response: TriggerResponse) => boolean;
}

/** How a node waits for its connected inputs. */
export type InputMode =
  /** Run when every connected input has a value; skip if any cannot arrive (default). */
  | "all"
  /** Run when every connected input has settled, with those that arrived; skip if none did. */
  | "available"
  /** Run as soon as the first connected input arrives; ignore the rest. */
  | "first";

/** A sub-workflow compiled at validation time; see {@linkcode PrepareTools.workflow}. */
export interface WorkflowRef {
  /** File path or `inline`, for messages. */
  readonly label: string;
  /** Filled once compiled (refs to a workflow still being compiled fill in later). */
  readonly compiled?: unknown;
}

/** The result of {@linkcode NodeContext.runWorkflow}. */
export interface SubworkflowResult {
  /** success, failed or cancelled. */
  status: "success" | "failed" | "cancelled";
  /** The sub-workflow's declared outputs. */
  outputs: Record<string, unknown>;
  /** Why it failed. */
  error?: { message: string; code: string; nodeId?: string };
}

/** Tools for a node type's validation-time `prepare` hook. */
export interface PrepareTools {
  /**
   * Compiles a sub-workflow given inline (`workflow`) or as a file path
   * relative to the parent workflow (`workflowFile`). Problems become
   * validation errors under `nodes[i].config.<key>`. Returns undefined when invalid.
   */
  workflow(
    spec: { workflow?: unknown; workflowFile?: string },
    options?: { implicitInputs?: Record<string, { type?: PortType; required?: boolean }> },
  ): WorkflowRef | undefined;
  /** Reports a validation error at `nodes[i].config.<path>`. */
  issue(path: string, message: string): void;
}

/** What a type's `setup` learns about the node it sets up. */
export interface SetupInfo {
  /** The workflow's id. */
  workflowId: string;
  /** The node's id. */
  nodeId: string;
  /** The workflow's grants (relative paths resolve against its folder). */
  permissions: NodePermissions;
}

/**
 * Thrown by a validation-time hook (`prepare`) that needs a module loaded
 * first (a parser too large to load on every start): the asynchronous
 * validators (`loadWorkflow`, the CLI, the server) call `load` and validate
 * again. The synchronous `validateWorkflow` lets it through.
 */
export class LoadBeforeValidation extends Error {
  /** Creates the error; `what` names what must be loaded. */
  constructor(what: string, readonly load: () => Promise<void>) {
    super(`${what} is not loaded: validate with loadWorkflow(), or load it first`);
    this.name = "LoadBeforeValidation";
  }
}

/** A node type: metadata, ports, config schema and the run function. */
export interface NodeDefinition<
  I extends Ports = Ports,
  O extends Ports = Ports,
  C extends ZodSchema = ZodSchema,
> {
  /** Type name used in workflow files, e.g. `http.request`. */
  type: string;
  /** One line shown by `flow nodes`. */
  description: string;
  /** Input ports. */
  inputs: I;
  /** Output ports. */
  outputs: O;
  /** zod 4 schema of `config` (classic zod or zod/mini). Keys named like an input port may also hold that port's constant. */
  config?: C;
  /** When set, the node accepts any further input port name, with this spec (e.g. `flow.merge`). */
  dynamicInputs?: PortSpec;
  /**
   * Output ports that depend on config (e.g. `control.switch`), added to
   * `outputs`. Returning undefined accepts any output port name.
   */
  dynamicOutputs?: (config: SchemaOutput<C>, prepared: unknown) => Ports | undefined;
  /** How the node waits for connected inputs; default `"all"`. May depend on config. */
  inputMode?: InputMode | ((config: SchemaOutput<C>) => InputMode);
  /**
   * Validation-time check of the input ports a node gets (connected or set in
   * config) against what `prepare` returned; returns one message per problem.
   */
  checkInputs?: (ports: string[], prepared: unknown) => string[];
  /** Validation-time hook: checks or compiles things in config; the result is `ctx.prepared`. */
  prepare?: (config: SchemaOutput<C>, tools: PrepareTools) => unknown;
  /**
   * What the node needs from `settings.permissions`, read from its parsed
   * config. Validation checks each need whose field holds no `{{ }}`
   * template, and reports a missing grant naming the node and the field
   * (exit 2). Values that come from templates or inputs are not seen here:
   * `run` checks them with `ctx.permissions`.
   */
  needs?: (config: SchemaOutput<C>) => PermissionNeed[];
  /**
   * Makes this a trigger node type: it has no inputs and, when its workflow
   * is served, starts runs (docs/serve.md). In a run started by another
   * trigger, it is skipped with `trigger "ID" did not fire`.
   */
  trigger?: TriggerKind;
  /**
   * Creates what a node keeps between runs (a connection pool, a cache):
   * called once per node of a loaded workflow version, with its config; the
   * result is `ctx.instance`. Throwing marks the workflow invalid.
   */
  setup?: (config: SchemaOutput<C>, info: SetupInfo) => unknown;
  /** Releases what `setup` created, when its workflow version is unloaded. */
  dispose?: (instance: unknown) => void | Promise<void>;
  /** Does the work. May return synchronously. Throw (ideally a `NodeError`) to fail. */
  run(
    ctx: NodeContext<InputValues<I> & Record<string, unknown>, SchemaOutput<C>>,
  ): OutputValues<O> | Promise<OutputValues<O>>;
}

/** A node definition with its generic parameters erased, as the registry stores it. */
// deno-lint-ignore no-explicit-any
export type AnyNodeDefinition = NodeDefinition<any, any, any>;

/**
 * Declares a node type. Built-in nodes and user nodes are written the same way.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineNode } from "./node.ts";
 *
 * export default defineNode({
 *   type: "text.upper",
 *   description: "Upper-cases a string",
 *   inputs: { text: { type: "string" } },
 *   outputs: { text: { type: "string" } },
 *   config: z.object({ trim: z.boolean().default(false) }),
 *   run({ inputs, config }) {
 *     const t = inputs.text.toUpperCase();
 *     return { text: config.trim ? t.trim() : t };
 *   },
 * });
 * ```
 */
export function defineNode<I extends Ports, O extends Ports, C extends ZodSchema = ZodSchema>(
  definition: NodeDefinition<I, O, C>,
): NodeDefinition<I, O, C> {
  return definition;
}
