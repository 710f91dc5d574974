/**
 * Node results from the journal: the state of every node of every
 * (sub-)run of an execution, folded from its events. The journal is the only
 * record, so node results can never disagree with it; resume reads the same
 * fold to find the nodes that completed. The console folds the same events
 * in `ui/src/run/state.ts`, adding a timeline and the event log; the two
 * agree on every node's state (tests/fold_agreement_test.ts).
 *
 * @module
 */
import type { ErrorInfo } from "../errors.ts";
import type { FlowEvent } from "../engine/events.ts";
import type { ReusableResults } from "../engine/run_context.ts";

/** The recorded state of one node in one (sub-)run. */
export interface NodeRecord {
  /** The (sub-)run it belongs to: undefined at the top level, e.g. `each[3]` in a loop. */
  runPath?: string;
  /** The node id. */
  nodeId: string;
  /** The node type (absent for a node that never started). */
  nodeType?: string;
  /** Last known state. `running` in a crashed execution means it was cut off. */
  status: "running" | "retrying" | "completed" | "failed" | "skipped";
  /** Attempts started. */
  attempts: number;
  /** When its first attempt started. */
  startedAt?: string;
  /** When it completed, failed or was skipped. */
  endedAt?: string;
  /** Duration of the last attempt, ms. */
  durationMs?: number;
  /** Its outputs, once completed. */
  outputs?: Record<string, unknown>;
  /** Why it failed (or why the last attempt failed, while retrying). */
  error?: ErrorInfo;
  /** Why it was skipped. */
  reason?: string;
  /** Its outputs were reused (from the resumed execution, an earlier run, or pinned data): it did not run. */
  reused?: true;
  /** With `reused`: the outputs were pinned data. */
  pinned?: true;
}

/** One (sub-)run of an execution, as its journal shows it. */
export interface RunRecord {
  /** undefined for the top-level run. */
  runPath?: string;
  /** The workflow id of this (sub-)run. */
  workflowId: string;
  /** The node of the parent run that ran it. */
  parentNodeId?: string;
  /** The loop iteration. */
  iteration?: number;
  /** `running` until its `workflow.completed`. */
  status: "running" | "success" | "failed" | "cancelled";
  /** When it started. */
  startedAt: string;
  /** When it ended. */
  endedAt?: string;
  /** Wall time, ms. */
  durationMs?: number;
}

/** What a journal says about an execution. */
export interface JournalFold {
  /** Every node that has an event, in order of first appearance. */
  nodes: NodeRecord[];
  /** Every (sub-)run, in order of start. */
  runs: RunRecord[];
}

/**
 * Folds events (in `seq` order) into node and run records.
 *
 * @example
 * ```ts
 * import { foldJournal } from "./fold.ts";
 * const { nodes } = foldJournal([]);
 * nodes.length; // 0
 * ```
 */
export function foldJournal(events: Iterable<FlowEvent>): JournalFold {
  const nodes = new Map<string, NodeRecord>();
  const runs = new Map<string, RunRecord>();
  const node = (e: FlowEvent & { nodeId: string }): NodeRecord => {
    const key = `${e.runPath ?? ""}\u0000${e.nodeId}`;
    let record = nodes.get(key);
    if (!record) {
      record = { nodeId: e.nodeId, status: "running", attempts: 0 };
      if (e.runPath !== undefined) record.runPath = e.runPath;
      nodes.set(key, record);
    }
    return record;
  };
  for (const e of events) {
    switch (e.type) {
      case "workflow.started":
        runs.set(e.runPath ?? "", {
          ...(e.runPath === undefined ? {} : { runPath: e.runPath }),
          workflowId: e.workflowId,
          ...(e.parentNodeId === undefined ? {} : { parentNodeId: e.parentNodeId }),
          ...(e.iteration === undefined ? {} : { iteration: e.iteration }),
          status: "running",
          startedAt: e.ts,
        });
        break;
      case "workflow.retrying": {
        // A new pass (onError: "retry") runs every node of this run again: only what it does is the record.
        const path = e.runPath ?? "";
        for (const [key, record] of nodes) if ((record.runPath ?? "") === path) nodes.delete(key);
        break;
      }
      case "workflow.completed": {
        const run = runs.get(e.runPath ?? "");
        if (run) Object.assign(run, { status: e.status, endedAt: e.ts, durationMs: e.durationMs });
        break;
      }
      case "node.started": {
        const r = node(e);
        Object.assign(r, { nodeType: e.nodeType, status: "running", attempts: e.attempt });
        r.startedAt ??= e.ts;
        delete r.outputs;
        delete r.endedAt;
        delete r.reused;
        delete r.pinned;
        break;
      }
      case "node.retrying":
        Object.assign(node(e), { status: "retrying", error: e.error });
        break;
      case "node.completed": {
        const r = node(e);
        Object.assign(r, { status: "completed", endedAt: e.ts, durationMs: e.durationMs, outputs: e.outputs });
        delete r.error;
        if (e.reused) r.reused = true;
        if (e.pinned) r.pinned = true;
        break;
      }
      case "node.failed":
        Object.assign(node(e), { status: "failed", endedAt: e.ts, durationMs: e.durationMs, error: e.error });
        break;
      case "node.skipped":
        Object.assign(node(e), { status: "skipped", endedAt: e.ts, reason: e.reason });
        break;
    }
  }
  return { nodes: [...nodes.values()], runs: [...runs.values()] };
}

/**
 * Parses journal lines (NDJSON, as the store returns them) into events.
 *
 * @example
 * ```ts
 * import { parseJournal } from "./fold.ts";
 * parseJournal(['{"type":"node.log"}\n']).length; // 1
 * ```
 */
export function parseJournal(lines: readonly string[]): FlowEvent[] {
  return lines.map((line) => JSON.parse(line) as FlowEvent);
}

/**
 * The outputs a resumed run may reuse: every node recorded `completed`, by
 * run path and node id.
 *
 * @example
 * ```ts
 * import { foldJournal, reusableResults } from "./fold.ts";
 * reusableResults(foldJournal([]).nodes).size; // 0
 * ```
 */
export function reusableResults(nodes: readonly NodeRecord[]): ReusableResults {
  const reuse: ReusableResults = new Map();
  for (const n of nodes) {
    if (n.status !== "completed" || n.outputs === undefined) continue;
    const path = n.runPath ?? "";
    let byNode = reuse.get(path);
    if (!byNode) reuse.set(path, byNode = new Map());
    byNode.set(n.nodeId, n.outputs);
  }
  return reuse;
}
