/**
 * Partial runs: which nodes of a workflow run, and which outputs are reused
 * for the others, for the editor's "Run", "Run to here" and "Run this node"
 * and for `flow run --use-pins`. The plan is handed to the engine as
 * `runWorkflow`'s `only` and `reuse` options, the mechanism `flow resume`
 * uses too: a node not run is reported as reused, exactly as resume reports
 * it (plus `pinned: true` for pinned data).
 *
 * - `all`: every node, except that a pinned node is not called (its pinned
 *   outputs are used) and a node whose outputs only reach pinned nodes is
 *   not run either. Without pins: an ordinary run.
 * - `to` a node: that node and its ancestors, stopping at pinned nodes;
 *   nothing downstream or beside it runs.
 * - `node`: only that node; each node it takes inputs from gives its pinned
 *   outputs, else its recorded ones (the newest run that recorded it).
 *
 * The selected node itself always runs, even when it is pinned.
 *
 * @module
 */
import type { ReusableResults } from "../engine/run_context.ts";
import type { CompiledNode, CompiledWorkflow } from "../validate/validate.ts";

/** What runs: the whole workflow, a node and its ancestors, or one node. */
export type PartialMode = "all" | "to" | "node";

/** Every partial-run mode. */
export const PARTIAL_MODES: readonly PartialMode[] = ["all", "to", "node"];

/** Outputs a node produced in an earlier execution. */
export interface RecordedOutputs {
  /** The node's outputs, by port. */
  outputs: Record<string, unknown>;
  /** The execution that recorded them. */
  executionId: string;
}

/** What to plan. */
export interface PartialRequest {
  /** What runs. */
  mode: PartialMode;
  /** The selected node (`to`, `node`). */
  node?: string;
  /** Pinned outputs by node id. */
  pins: ReadonlyMap<string, Record<string, unknown>>;
  /** Recorded outputs by node id (`node` mode reads the inputs of the selected node from them). */
  recorded?: ReadonlyMap<string, RecordedOutputs>;
}

/** Where a reused node's outputs come from: `"pin"` or the id of the execution that recorded them. */
export type ReuseSource = "pin" | string;

/** A planned partial run: `runWorkflow`'s `only`, `reuse` and `pinned` options, and what it shows. */
export interface PartialPlan {
  /** The nodes that run (undefined: every node, an ordinary run). */
  only?: Set<string>;
  /** Outputs reused for nodes that do not run. */
  reuse: ReusableResults;
  /** The reused nodes whose outputs are pinned. */
  pinned: Set<string>;
  /** Each reused node and where its outputs come from. */
  reused: Map<string, ReuseSource>;
}

/** A partial run that cannot be planned: an unknown node, or inputs the selected node needs and nothing holds. */
export class PartialRunError extends Error {
  /** `UNKNOWN_NODE`, `NODE_REQUIRED`, `NO_DATA`, or `BAD_SOURCE` (recorded data asked of another workflow's run). */
  readonly code: "UNKNOWN_NODE" | "NODE_REQUIRED" | "NO_DATA" | "BAD_SOURCE";
  /** Creates the error with its one-line message. */
  constructor(message: string, code: PartialRunError["code"]) {
    super(message);
    this.name = "PartialRunError";
    this.code = code;
  }
}

/**
 * Plans a partial run of `compiled`. Throws a {@linkcode PartialRunError}.
 *
 * @example
 * ```ts
 * import { planPartialRun } from "./partial.ts";
 * import { validateWorkflow } from "../validate/validate.ts";
 * import { Registry } from "../node/registry.ts";
 * const compiled = validateWorkflow({ nodes: [], connections: [] }, new Registry());
 * planPartialRun(compiled, { mode: "all", pins: new Map() }).only; // undefined: an ordinary run
 * ```
 */
export function planPartialRun(compiled: CompiledWorkflow, request: PartialRequest): PartialPlan {
  const plan: PartialPlan = { reuse: new Map([["", new Map()]]), pinned: new Set(), reused: new Map() };
  if (request.mode === "all") return planAll(compiled, request.pins, plan);
  const target = selectedNode(compiled, request);
  return request.mode === "to"
    ? planTo(compiled, target, request.pins, plan)
    : planNode(compiled, target, request, plan);
}

/** The node `request.node` names. */
function selectedNode(compiled: CompiledWorkflow, request: PartialRequest): CompiledNode {
  if (request.node === undefined) {
    throw new PartialRunError(`mode "${request.mode}" needs the node to run`, "NODE_REQUIRED");
  }
  const node = compiled.nodes.find((n) => n.id === request.node);
  if (!node) throw new PartialRunError(`workflow "${compiled.id}" has no node "${request.node}"`, "UNKNOWN_NODE");
  return node;
}

/** Reuses the pinned outputs of node `id`. */
function usePin(plan: PartialPlan, id: string, outputs: Record<string, unknown>) {
  plan.reuse.get("")!.set(id, outputs);
  plan.pinned.add(id);
  plan.reused.set(id, "pin");
}

/** Every node but pinned ones and those whose outputs only reach pinned nodes. */
function planAll(
  compiled: CompiledWorkflow,
  pins: ReadonlyMap<string, Record<string, unknown>>,
  plan: PartialPlan,
): PartialPlan {
  const { nodes } = compiled;
  if (!nodes.some((n) => pins.has(n.id))) return plan;
  const feedsOutput = new Set(compiled.outputs.flatMap((o) => o.source.kind === "node" ? [o.source.node] : []));
  const wanted = new Uint8Array(nodes.length);
  const only = new Set<string>();
  // Downstream first: a node is wanted when it is not pinned and its outputs go nowhere (its effect is the
  // point), to the workflow's outputs, or to a wanted node.
  for (let k = compiled.order.length - 1; k >= 0; k--) {
    const i = compiled.order[k];
    const node = nodes[i];
    const pin = pins.get(node.id);
    if (pin) {
      usePin(plan, node.id, pin);
      continue;
    }
    if (node.outgoing.length === 0 || feedsOutput.has(i) || node.outgoing.some((e) => wanted[e.to])) {
      wanted[i] = 1;
      only.add(node.id);
    }
  }
  plan.only = only;
  return plan;
}

/** The node and its ancestors, stopping at pinned nodes (reused, not run). */
function planTo(
  compiled: CompiledWorkflow,
  target: CompiledNode,
  pins: ReadonlyMap<string, Record<string, unknown>>,
  plan: PartialPlan,
): PartialPlan {
  const only = new Set<string>([target.id]);
  const stack = [target];
  while (stack.length) {
    for (const up of upstreamNodes(compiled, stack.pop()!)) {
      if (only.has(up.id) || plan.reused.has(up.id)) continue;
      const pin = pins.get(up.id);
      if (pin) usePin(plan, up.id, pin);
      else {
        only.add(up.id);
        stack.push(up);
      }
    }
  }
  plan.only = only;
  return plan;
}

/** Only the node: its inputs from its upstream nodes' pins, else their recorded outputs. */
function planNode(
  compiled: CompiledWorkflow,
  target: CompiledNode,
  request: PartialRequest,
  plan: PartialPlan,
): PartialPlan {
  const missing: string[] = [];
  for (const up of upstreamNodes(compiled, target)) {
    const pin = request.pins.get(up.id);
    const recorded = request.recorded?.get(up.id);
    if (pin) usePin(plan, up.id, pin);
    else if (recorded) {
      plan.reuse.get("")!.set(up.id, recorded.outputs);
      plan.reused.set(up.id, recorded.executionId);
    } else if (needs(target, up)) missing.push(up.id);
  }
  if (missing.length) {
    const list = missing.map((id) => `"${id}"`).join(", ");
    throw new PartialRunError(
      `"${target.id}" takes inputs from ${list}, which ${missing.length > 1 ? "have" : "has"} ` +
        `no recorded outputs and no pin; run to here on "${target.id}" first, or pin ${list}`,
      "NO_DATA",
    );
  }
  plan.only = new Set([target.id]);
  return plan;
}

/** Whether `node` cannot run without a value from `up` (it waits for all inputs, or one fed by `up` is required). */
function needs(node: CompiledNode, up: CompiledNode): boolean {
  if (node.inputMode === "all") return true;
  return node.slots.some((s) => s.required && s.source.kind === "node" && s.source.node === up.index);
}

/**
 * The nodes `node` takes inputs from (each once, in the order of its input
 * slots).
 *
 * @example
 * ```ts
 * import { upstreamNodes } from "./partial.ts";
 * // upstreamNodes(compiled, compiled.nodes[2]).map((n) => n.id); // ["fetch"]
 * ```
 */
export function upstreamNodes(compiled: CompiledWorkflow, node: CompiledNode): CompiledNode[] {
  const seen = new Set<number>();
  const out: CompiledNode[] = [];
  for (const slot of node.slots) {
    if (slot.source.kind !== "node" || seen.has(slot.source.node)) continue;
    seen.add(slot.source.node);
    out.push(compiled.nodes[slot.source.node]);
  }
  return out;
}
