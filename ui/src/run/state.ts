/**
 * A run's state, folded from its events: each (sub-)run by `runPath`, each
 * node's status, attempts, outputs, error and timeline spans, and the event
 * log. The same fold serves a live stream and a replayed journal, so a
 * finished run looks the same as one watched live. No DOM, no React.
 *
 * For speed under fast streams, {@linkcode applyEvents} changes the state in
 * place and bumps `version`; views key their memos on it.
 *
 * @module
 */
import type { FlowEvent } from "../../../src/engine/events.ts";

/** A node's live status. */
export type NodeStatus = "pending" | "running" | "completed" | "failed" | "skipped" | "retrying";

/** One attempt of a node on the timeline. */
export interface Span {
  /** Attempt number, from 1. */
  attempt: number;
  /** Start, ms since the epoch. */
  start: number;
  /** End, ms since the epoch (absent while it runs). */
  end?: number;
  /** How it ended. */
  outcome?: "completed" | "failed" | "retrying";
}

/** An error as events carry it. */
export interface RunErrorInfo {
  /** One line. */
  message: string;
  /** Machine-readable code. */
  code: string;
  /** The node it came from, when known. */
  nodeId?: string;
}

/** A node in one (sub-)run. */
export interface NodeRun {
  /** Node id. */
  id: string;
  /** Node type, once started. */
  type?: string;
  /** Current status. */
  status: NodeStatus;
  /** Attempts started. */
  attempts: number;
  /** Outputs, once completed. */
  outputs?: Record<string, unknown>;
  /** Error of the last failed attempt. */
  error?: RunErrorInfo;
  /** Why it was skipped. */
  reason?: string;
  /** Duration of the last attempt, ms. */
  durationMs?: number;
  /** Set when a resumed run reused its recorded outputs. */
  reused?: boolean;
  /** Delay before the next attempt, while retrying, ms. */
  delayMs?: number;
  /** Every attempt, oldest first. */
  spans: Span[];
  /** Sequence numbers of its `node.log` events. */
  logs: number;
}

/** One run: the top level (`path` ""), or a sub-workflow or loop iteration. */
export interface SubRun {
  /** `""` for the top level, else the runPath (`each[3]/detail`). */
  path: string;
  /** The workflow it runs. */
  workflowId: string;
  /** The node one level up that runs it. */
  parentNodeId?: string;
  /** The loop iteration. */
  iteration?: number;
  /** `running` until its workflow.completed. */
  status: "running" | "success" | "failed" | "cancelled";
  /** Its workflow pass (onError: retry), from 1. */
  pass: number;
  /** Start, ms since the epoch. */
  start: number;
  /** End, ms since the epoch. */
  end?: number;
  /** Why it did not succeed. */
  error?: RunErrorInfo;
  /** Its declared outputs, once completed. */
  outputs?: Record<string, unknown>;
  /** Nodes by id, in the order they first appeared. */
  nodes: Map<string, NodeRun>;
}

/** Everything known about a run from its events. */
export interface RunState {
  /** Runs by path; the top level is `""`. */
  runs: Map<string, SubRun>;
  /** Every event, in seq order. */
  events: FlowEvent[];
  /** The last seq applied (-1 before any). */
  lastSeq: number;
  /** Bumped by every {@linkcode applyEvents} that changed something. */
  version: number;
  /** Whether the top-level run has completed. */
  done: boolean;
}

/** An empty state. */
export function createRunState(): RunState {
  return { runs: new Map(), events: [], lastSeq: -1, version: 0, done: false };
}

/** The runPath of an event (`""` for the top level). */
export function pathOf(e: FlowEvent): string {
  return e.runPath ?? "";
}

/** The path of the runs a node starts: `each` at the top, `each[3]/detail` deeper. */
export function childPrefix(path: string, nodeId: string): string {
  return path ? `${path}/${nodeId}` : nodeId;
}

/** The runs started by node `nodeId` of run `path` (loop iterations in order). */
export function childRuns(state: RunState, path: string, nodeId: string): SubRun[] {
  const prefix = childPrefix(path, nodeId);
  const out: SubRun[] = [];
  for (const run of state.runs.values()) {
    if (run.path === prefix || (run.path.startsWith(`${prefix}[`) && !run.path.slice(prefix.length).includes("/"))) {
      out.push(run);
    }
  }
  return out.sort((a, b) => (a.iteration ?? 0) - (b.iteration ?? 0));
}

/** Folds events into the state, in place; events already applied (by seq) are ignored. */
export function applyEvents(state: RunState, events: readonly FlowEvent[]): RunState {
  let changed = false;
  for (const e of events) {
    if (e.seq <= state.lastSeq) continue;
    state.lastSeq = e.seq;
    state.events.push(e);
    applyOne(state, e);
    changed = true;
  }
  if (changed) state.version++;
  return state;
}

function runOf(state: RunState, e: FlowEvent): SubRun {
  const path = pathOf(e);
  let run = state.runs.get(path);
  if (!run) {
    run = {
      path,
      workflowId: e.workflowId,
      ...(e.parentNodeId ? { parentNodeId: e.parentNodeId } : {}),
      ...(e.iteration !== undefined ? { iteration: e.iteration } : {}),
      status: "running",
      pass: 1,
      start: Date.parse(e.ts),
      nodes: new Map(),
    };
    state.runs.set(path, run);
  }
  return run;
}

function nodeOf(run: SubRun, id: string): NodeRun {
  let node = run.nodes.get(id);
  if (!node) {
    node = { id, status: "pending", attempts: 0, spans: [], logs: 0 };
    run.nodes.set(id, node);
  }
  return node;
}

function closeSpan(node: NodeRun, at: number, outcome: Span["outcome"]) {
  const span = node.spans[node.spans.length - 1];
  if (span && span.end === undefined) {
    span.end = at;
    span.outcome = outcome;
  }
}

function applyOne(state: RunState, e: FlowEvent) {
  const run = runOf(state, e);
  const at = Date.parse(e.ts);
  switch (e.type) {
    case "workflow.started":
      run.start = at;
      break;
    case "workflow.retrying":
      run.pass = e.attempt;
      for (const node of run.nodes.values()) {
        node.status = "pending";
        node.attempts = 0;
        delete node.error;
        delete node.outputs;
      }
      break;
    case "node.started": {
      const node = nodeOf(run, e.nodeId);
      node.type = e.nodeType;
      node.status = "running";
      node.attempts = e.attempt;
      delete node.delayMs;
      node.spans.push({ attempt: e.attempt, start: at });
      break;
    }
    case "node.log":
      nodeOf(run, e.nodeId).logs++;
      break;
    case "node.completed": {
      const node = nodeOf(run, e.nodeId);
      node.status = "completed";
      node.outputs = e.outputs;
      node.durationMs = e.durationMs;
      delete node.error;
      if (e.reused) node.reused = true;
      closeSpan(node, at, "completed");
      break;
    }
    case "node.retrying": {
      const node = nodeOf(run, e.nodeId);
      node.status = "retrying";
      node.error = e.error;
      node.delayMs = e.delayMs;
      closeSpan(node, at, "retrying");
      break;
    }
    case "node.failed": {
      const node = nodeOf(run, e.nodeId);
      node.status = "failed";
      node.error = e.error;
      node.durationMs = e.durationMs;
      delete node.delayMs;
      closeSpan(node, at, "failed");
      break;
    }
    case "node.skipped": {
      const node = nodeOf(run, e.nodeId);
      node.status = "skipped";
      node.reason = e.reason;
      break;
    }
    case "workflow.completed":
      run.status = e.status;
      run.end = at;
      run.outputs = e.outputs;
      if (e.error) run.error = e.error;
      for (const node of run.nodes.values()) {
        if (node.status === "running" || node.status === "retrying") closeSpan(node, at, "failed");
      }
      if (run.path === "") state.done = true;
      break;
  }
}
