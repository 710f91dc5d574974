/**
 * The types of validation, at the bottom of `src/validate/`: what a
 * workflow compiles into (the form the engine runs) and the options and
 * shared state of a compilation. Every module of the folder imports them from
 * here, so the folder's imports point one way (tests/seams_test.ts checks
 * that `src/` has no import cycle).
 *
 * @module
 */
import type { Template } from "../expressions/expressions.ts";
import type { AnyNodeDefinition, InputMode, PortSpec, WorkflowRef } from "../node/node.ts";
import type { WorkflowPermissions } from "../permissions/permissions.ts";
import type { RetryPolicy, Workflow } from "../workflow/format.ts";

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
  /** What `settings.permissions` grant its nodes, resolved (relative paths against its folder). */
  permissions: WorkflowPermissions;
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
  /** Sub-workflow texts by absolute path, used and filled at the top level (see `CompileContext.sources`). */
  sources?: Map<string, string>;
  /** Read no file: each sub-workflow file reference is listed here instead (see `CompileContext.unread`). */
  unread?: UnreadFile[];
  /** The grants of a workflow without `settings.permissions` (an inline sub-workflow gets its parent's). */
  permissions?: WorkflowPermissions;
}

/** A sub-workflow file that a validation without file access did not read (so did not check). */
export interface UnreadFile {
  /** Where it is referenced: `nodes[1].config.workflowFile`. */
  path: string;
  /** The file as written. */
  file: string;
}

/** Shared state while compiling a workflow and its sub-workflows. */
export interface CompileContext {
  /** Sub-workflow files compiled so far, by absolute path (and implicit inputs). */
  files: Map<string, CompiledRef>;
  /**
   * The text of each sub-workflow file, by absolute path: filled as files are
   * read, and used instead of the disk for a path it already holds (a worker
   * compiles exactly the version that was accepted).
   */
  sources?: Map<string, string>;
  /**
   * When set, no file is read (the API's `POST /validate` must not touch the
   * server's disk): each `workflowFile` reference is listed here, and the
   * node's sub-workflow is left unchecked, as one still being compiled.
   */
  unread?: UnreadFile[];
}
