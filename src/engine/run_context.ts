/**
 * What every (sub-)run of one execution shares, where a sub-run sits, and the
 * context object a node's `run` function receives.
 *
 * @module
 */
import type { ErrorInfo } from "../errors.ts";
import type { EventBus, EventPayloads, EventType } from "./events.ts";
import type { Expression } from "../expressions/expressions.ts";
import type { NodeInstances } from "./instances.ts";
import type {
  FiredTrigger,
  LogLevel,
  NodeContext,
  NodeLogger,
  NodePermissions,
  SubworkflowResult,
  WorkflowRef,
} from "../node/node.ts";
import type { Redactor } from "./redact.ts";
import { type NodeStore, nodeStore } from "./state.ts";
import type { StateStore } from "../store/types.ts";
import type { CompiledNode, CompiledWorkflow } from "../validate/validate.ts";

/**
 * Outputs reused instead of running the node again: recorded by an earlier
 * execution (`flow resume`, editor runs) or pinned: by run path (`""` for the
 * top level, e.g. `each[3]` inside a loop), then by node id.
 */
export type ReusableResults = Map<string, Map<string, Record<string, unknown>>>;

/** What every (sub-)run of one execution shares. */
export interface ExecutionEnv {
  /** The execution id. */
  executionId: string;
  /** Where events go. */
  bus: EventBus;
  /** The next event's `seq`. */
  seq: number;
  /** When the execution started, ISO 8601 (`$execution.startedAt`). */
  startedAt: string;
  /** Reads an environment variable. */
  getEnv: (name: string) => string | undefined;
  /** `$env` of each workflow, read on its first run. */
  envValues: Map<CompiledWorkflow, Record<string, string>>;
  /** Sub-workflow nesting limit. */
  maxDepth: number;
  /** Secret redaction, when the workflow has secrets. */
  redact: Redactor | undefined;
  /** Results to reuse instead of running nodes (resume, partial runs, pinned data). */
  reuse: ReusableResults | undefined;
  /** A partial run: the top-level nodes to run (see `RunOptions.only`). */
  only: ReadonlySet<string> | undefined;
  /** Top-level nodes whose `reuse` entry is pinned data (see `RunOptions.pinned`). */
  pinned: ReadonlySet<string> | undefined;
  /** Backend of `ctx.store`. */
  state: StateStore;
  /** The execution this one resumes (top-level `workflow.started`). */
  resumedFrom: string | undefined;
  /** The trigger that started the run. */
  trigger: FiredTrigger | undefined;
  /** Node instances (`ctx.instance`). */
  instances: NodeInstances | undefined;
}

/** Where a (sub-)run sits: its events carry parentNodeId, iteration and runPath. */
export interface RunScope {
  /** The node (in the parent workflow) running this sub-run. */
  parentNodeId?: string;
  /** The loop iteration. */
  iteration?: number;
  /** The chain of parent nodes from the top-level run, e.g. `each[3]/detail`. */
  runPath?: string;
  /** Nesting depth: 0 at the top. */
  depth: number;
  /** Workflow labels from the top, for the nesting-limit message. */
  trail: string[];
}

/** Publishes one event of the current (sub-)run. */
export type Emit = <T extends EventType>(type: T, payload: EventPayloads[T]) => void;

/** The final error of a run, with the node that caused it. */
export type RunError = ErrorInfo & { nodeId?: string };

/** Emits node.log for one attempt; silent once that attempt has settled. */
export class Logger implements NodeLogger {
  /** Whether the attempt is still running. */
  open = true;
  /** Creates the logger of one attempt of `nodeId`. */
  constructor(readonly nodeId: string, readonly emit: Emit) {}
  #log(level: LogLevel, message: string) {
    if (this.open) this.emit("node.log", { nodeId: this.nodeId, level, message: String(message) });
  }
  /** Debug detail. */
  debug(message: string) {
    this.#log("debug", message);
  }
  /** Normal progress. */
  info(message: string) {
    this.#log("info", message);
  }
  /** Something odd but not fatal. */
  warn(message: string) {
    this.#log("warn", message);
  }
  /** Something failed. */
  error(message: string) {
    this.#log("error", message);
  }
}

/** What the pass that runs a node offers its context. */
export interface ContextHost {
  /** The execution. */
  readonly env: ExecutionEnv;
  /** The workflow of this (sub-)run. */
  readonly compiled: CompiledWorkflow;
  /** `$inputs`, `$env` and `$execution` of this (sub-)run. */
  readonly expressionScope: Record<string, unknown>;
  /** Per-run state maps by node index (`ctx.state`). */
  readonly nodeState: Map<number, Map<string, unknown>>;
  /** The connected input values of node `index`, by port (`$node`). */
  connectedInputs(index: number): Record<string, unknown>;
  /** Runs a sub-workflow for a node of this run. */
  runChild(
    nodeId: string,
    ref: WorkflowRef,
    inputs: Record<string, unknown>,
    iteration: number | undefined,
    signal: AbortSignal,
  ): Promise<SubworkflowResult>;
}

/**
 * What a node's run function gets. Methods live on the prototype and the
 * rarely used parts are getters, so an attempt allocates little.
 */
export class NodeRunContext implements NodeContext<Record<string, unknown>, unknown> {
  config: unknown;
  readonly nodeId: string;
  readonly executionId: string;
  readonly prepared: unknown;
  #node: CompiledNode;
  #host: ContextHost;
  #store?: NodeStore;

  /** Creates the context of one attempt of `node`. */
  constructor(
    host: ContextHost,
    node: CompiledNode,
    readonly inputs: Record<string, unknown>,
    readonly signal: AbortSignal,
    readonly log: Logger,
    readonly attempt: number,
  ) {
    this.#host = host;
    this.#node = node;
    this.config = node.config;
    this.nodeId = node.id;
    this.executionId = host.env.executionId;
    this.prepared = node.prepared;
  }

  /** Per-run state of this node, kept across attempts. */
  get state(): Map<string, unknown> {
    let s = this.#host.nodeState.get(this.#node.index);
    if (!s) this.#host.nodeState.set(this.#node.index, s = new Map());
    return s;
  }

  /** Persistent state of this node and workflow. */
  get store(): NodeStore {
    this.#store ??= nodeStore(this.#host.env.state, this.#host.compiled.id, this.nodeId);
    return this.#store;
  }

  /** What the workflow's `settings.permissions` grant. */
  get permissions(): NodePermissions {
    return this.#host.compiled.permissions;
  }

  /** What the node type's `setup` made for this node. */
  get instance(): unknown {
    return this.#host.env.instances?.get(this.#node);
  }

  /** The trigger that started the run. */
  get trigger(): FiredTrigger | undefined {
    return this.#host.env.trigger;
  }

  /** The bindings of expressions: `$inputs`, `$env`, `$execution` and `$node`. */
  bindings(): Record<string, unknown> {
    return { ...this.#host.expressionScope, node: this.#host.connectedInputs(this.#node.index) };
  }

  // Getters returning bound functions: nodes may destructure them, and only those that do pay for them.
  /** Evaluates an expression with this node's bindings. */
  get evaluate(): (expression: Expression, extra?: Record<string, unknown>) => Promise<unknown> {
    return (expression, extra) => {
      const bindings = this.bindings();
      return expression.evaluate(bindings.node, extra ? { ...bindings, ...extra } : bindings);
    };
  }

  /** Evaluates an expression with this node's bindings, synchronously when it can. */
  get evaluateNow(): (expression: Expression, extra?: Record<string, unknown>) => unknown {
    return (expression, extra) => {
      const bindings = this.bindings();
      return expression.evaluateNow(bindings.node, extra ? { ...bindings, ...extra } : bindings);
    };
  }

  /** Runs a sub-workflow within this execution. */
  get runWorkflow(): NodeContext<unknown, unknown>["runWorkflow"] {
    return (ref: WorkflowRef, subInputs: Record<string, unknown>, opts?: { iteration?: number }) =>
      this.#host.runChild(this.nodeId, ref, subInputs, opts?.iteration, this.signal);
  }
}
