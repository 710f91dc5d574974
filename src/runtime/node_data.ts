/**
 * Recorded node data: for each top-level node of a workflow, the values its
 * connected input ports received and its output ports produced in the newest
 * execution that ran it (or reused its outputs), and which execution that
 * was. The editor's inspector shows them, "Run this node" reuses the outputs,
 * and expression completion and previews read them. They come from the
 * journal (`fold.ts`), as `flow resume`'s reusable results do: node inputs
 * are not journaled, they are the outputs of the upstream nodes of the same
 * execution and its workflow inputs, as the run delivered them.
 *
 * @module
 */
import type { ErrorInfo } from "../errors.ts";
import { foldJournal, type NodeRecord, parseJournal } from "../store/fold.ts";
import type { ExecutionRecord, ExecutionStore } from "../store/types.ts";
import type { CompiledNode, CompiledWorkflow } from "../validate/validate.ts";
import type { RecordedOutputs } from "./partial.ts";

/** How many of a workflow's newest executions are searched for each node's data (default). */
export const NODE_DATA_SCAN = 20;

/** One node's recorded data. */
export interface NodeData {
  /** The node. */
  nodeId: string;
  /** The execution it comes from. */
  executionId: string;
  /** `completed` or `failed`. */
  status: "completed" | "failed";
  /** What each connected input port received (`$node` in its expressions). */
  inputs: Record<string, unknown>;
  /** What each output port produced (completed nodes). */
  outputs?: Record<string, unknown>;
  /** Why it failed. */
  error?: ErrorInfo;
  /** Its outputs were reused in that execution (it did not run). */
  reused?: true;
  /** With `reused`: pinned data. */
  pinned?: true;
  /** Attempts made. */
  attempts: number;
  /** Duration of the last attempt, ms. */
  durationMs?: number;
  /** When it ended. */
  endedAt?: string;
}

/** The executions node data came from, newest first. */
export interface DataSource {
  /** Execution id. */
  executionId: string;
  /** What started it. */
  trigger: ExecutionRecord["trigger"];
  /** Its status. */
  status: ExecutionRecord["status"];
  /** When it was created. */
  createdAt: string;
}

/** The recorded data of a workflow's nodes. */
export interface RecordedData {
  /** Each node that has data, by id. */
  nodes: Map<string, NodeData>;
  /** The executions searched that gave data, newest first. */
  sources: DataSource[];
  /** The workflow inputs of the newest execution searched (what "Run this node" uses by default). */
  inputs?: Record<string, unknown>;
}

/**
 * Reads the newest recorded data of each top-level node of `compiled`: from
 * execution `from` only when given, else from the newest `scan` executions
 * of the workflow, newest first, until every node has data.
 *
 * @example
 * ```ts
 * import { recordedNodeData } from "./node_data.ts";
 * // const { nodes } = await recordedNodeData(store, compiled);
 * // nodes.get("fetch")?.outputs;
 * ```
 */
export async function recordedNodeData(
  store: ExecutionStore,
  compiled: CompiledWorkflow,
  options: { from?: ExecutionRecord; scan?: number } = {},
): Promise<RecordedData> {
  const executions = options.from
    ? [options.from]
    : await store.listExecutions({ workflowId: compiled.id, limit: options.scan ?? NODE_DATA_SCAN });
  const data: RecordedData = { nodes: new Map(), sources: [] };
  const byId = new Map(compiled.nodes.map((n) => [n.id, n]));
  for (const record of executions) {
    if (data.nodes.size === byId.size) break;
    if (record.status === "queued" || record.status === "skipped") continue;
    data.inputs ??= record.inputs;
    const { nodes } = foldJournal(parseJournal(await store.readJournal(record.executionId)));
    const top = new Map(nodes.filter((n) => n.runPath === undefined).map((n) => [n.nodeId, n]));
    let gave = false;
    for (const [id, r] of top) {
      const node = byId.get(id);
      if (!node || data.nodes.has(id) || (r.status !== "completed" && r.status !== "failed")) continue;
      data.nodes.set(id, nodeData(compiled, node, r, top, record));
      gave = true;
    }
    if (gave) {
      data.sources.push({
        executionId: record.executionId,
        trigger: record.trigger,
        status: record.status,
        createdAt: record.createdAt,
      });
    }
  }
  return data;
}

/** The recorded outputs of each node that completed: what "Run this node" reuses. */
export function recordedOutputs(data: RecordedData): Map<string, RecordedOutputs> {
  const out = new Map<string, RecordedOutputs>();
  for (const [id, n] of data.nodes) {
    if (n.outputs) out.set(id, { outputs: n.outputs, executionId: n.executionId });
  }
  return out;
}

/** One node's data in one execution: its inputs from its upstream nodes' outputs there. */
function nodeData(
  compiled: CompiledWorkflow,
  node: CompiledNode,
  r: NodeRecord,
  top: Map<string, NodeRecord>,
  record: ExecutionRecord,
): NodeData {
  const inputs: Record<string, unknown> = {};
  for (const slot of node.slots) {
    const src = slot.source;
    const value = src.kind === "node"
      ? top.get(compiled.nodes[src.node].id)?.outputs?.[src.port]
      : src.kind === "input"
      ? record.inputs[src.name]
      : undefined;
    if (value !== undefined) inputs[slot.port] = value;
  }
  return {
    nodeId: node.id,
    executionId: record.executionId,
    status: r.status as NodeData["status"],
    inputs,
    ...(r.outputs ? { outputs: r.outputs } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.reused ? { reused: true as const } : {}),
    ...(r.pinned ? { pinned: true as const } : {}),
    attempts: r.attempts,
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    ...(r.endedAt ? { endedAt: r.endedAt } : {}),
  };
}
