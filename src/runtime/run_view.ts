/**
 * How executions are shown, by the CLI (`flow runs show`) and the API alike:
 * the history record with its node states folded from the journal.
 *
 * @module
 */
import type { ErrorInfo } from "../errors.ts";
import { foldJournal, type NodeRecord, parseJournal } from "../store/fold.ts";
import type { ExecutionRecord, ExecutionStore } from "../store/types.ts";
import type { WorkflowVersion } from "./version.ts";

/** An execution as listed. */
export interface RunSummaryView {
  executionId: string;
  workflowId: string;
  workflowName?: string;
  status: ExecutionRecord["status"];
  trigger: string;
  triggerNode?: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  error?: ErrorInfo & { nodeId?: string };
  resumedFrom?: string;
  file?: string;
  hash?: string;
}

/** A node's state in an execution. */
export interface NodeView {
  id: string;
  type?: string;
  status: string;
  attempts: number;
  durationMs?: number;
  error?: ErrorInfo;
  reason?: string;
  reused?: boolean;
  pinned?: boolean;
  outputs?: Record<string, unknown>;
  startedAt?: string;
  endedAt?: string;
  runPath?: string;
}

/** An execution with its inputs, outputs and node states. */
export interface RunDetailView extends RunSummaryView {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  nodes: NodeView[];
  lastSeq: number;
}

/** An execution as listed. */
export function runSummary(r: ExecutionRecord): RunSummaryView {
  return {
    executionId: r.executionId,
    workflowId: r.workflowId,
    ...(r.workflowName ? { workflowName: r.workflowName } : {}),
    status: r.status,
    trigger: r.trigger,
    ...(r.triggerNode ? { triggerNode: r.triggerNode } : {}),
    createdAt: r.createdAt,
    ...(r.startedAt ? { startedAt: r.startedAt } : {}),
    ...(r.endedAt ? { endedAt: r.endedAt } : {}),
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.resumedFrom ? { resumedFrom: r.resumedFrom } : {}),
    ...(r.file ? { file: r.file } : {}),
    ...(r.hash ? { hash: r.hash } : {}),
  };
}

/**
 * An execution with its outputs and node states. Top-level nodes come in file
 * order, each with its type, when `version` is the one that ran (never-started
 * ones as `pending`), as `flow run` printed them; else in the journal's order.
 * Nodes of sub-runs follow, each with its `runPath`.
 */
export async function runDetail(
  store: ExecutionStore,
  record: ExecutionRecord,
  version?: { hash: string; compiled: WorkflowVersion["compiled"] },
): Promise<RunDetailView> {
  const { nodes } = foldJournal(parseJournal(await store.readJournal(record.executionId)));
  const top = new Map(nodes.filter((n) => n.runPath === undefined).map((n) => [n.nodeId, n]));
  const states: NodeView[] = [];
  if (version && version.hash === record.hash) {
    for (const node of version.compiled.nodes) {
      const n = top.get(node.id);
      // A skipped node's journal has no type: the version that ran has every node's.
      states.push(
        n ? { ...nodeState(n), type: node.type } : { id: node.id, type: node.type, status: "pending", attempts: 0 },
      );
    }
  } else for (const n of top.values()) states.push(nodeState(n));
  for (const n of nodes) if (n.runPath !== undefined) states.push(nodeState(n));
  return {
    ...runSummary(record),
    inputs: record.inputs,
    outputs: record.outputs ?? {},
    nodes: states,
    lastSeq: record.lastSeq,
  };
}

function nodeState(n: NodeRecord): NodeView {
  return {
    id: n.nodeId,
    ...(n.nodeType ? { type: n.nodeType } : {}),
    status: n.status,
    attempts: n.attempts,
    ...(n.durationMs !== undefined ? { durationMs: n.durationMs } : {}),
    ...(n.error ? { error: n.error } : {}),
    ...(n.reason ? { reason: n.reason } : {}),
    ...(n.reused ? { reused: true } : {}),
    ...(n.pinned ? { pinned: true } : {}),
    ...(n.outputs ? { outputs: n.outputs } : {}),
    ...(n.startedAt ? { startedAt: n.startedAt } : {}),
    ...(n.endedAt ? { endedAt: n.endedAt } : {}),
    ...(n.runPath !== undefined ? { runPath: n.runPath } : {}),
  };
}
