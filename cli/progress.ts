/**
 * How far a run is, folded from its events as they come: its top-level
 * nodes done, running, failed, retrying and skipped, and each running
 * `control.loop` with its items done (of how many, when that can be known).
 * No output: the live view (`live.ts`) draws it. A few counters per event,
 * so a loop of 100,000 items costs nothing noticeable.
 *
 * @module
 */
import type { FlowEvent } from "../mod.ts";
import type { CompiledNode, CompiledRef, CompiledWorkflow } from "../src/validate/mod.ts";

/** The node type whose iterations are shown as a bar. */
const LOOP_TYPE = "control.loop";
/** Its input port holding the items. */
const ITEMS_PORT = "items";

/** One running `control.loop`. */
export interface LoopProgress {
  /** Where it is: its id, under its sub-run when it runs in one (`outer[2] › each`). */
  label: string;
  /** How many sub-runs deep it is (0 at the top level). */
  depth: number;
  /** Items in all, when known. */
  total?: number;
  /** Items started. */
  started: number;
  /** Items finished (succeeded or failed). */
  done: number;
  /** Items failed. */
  failed: number;
  /** When the loop started, ms since the epoch (from its event). */
  startedAt: number;
}

/**
 * The number of items each loop gets, read from the values that reach it:
 * its `items` input's source is a constant, a workflow input (of the
 * top-level run) or another node's output, remembered when that node
 * completes. A loop inside a sub-run fed by that sub-run's inputs has no
 * known total (sub-runs' inputs are not in the events).
 */
export class LoopTotals {
  readonly #compiled: CompiledWorkflow;
  readonly #inputs: Record<string, unknown>;
  /** Item counts of the outputs that feed a loop, by `runPath \0 node \0 port`. */
  readonly #lengths = new Map<string, number>();
  /** The (sub-)workflow of each run path, by the path without its iteration numbers. */
  readonly #workflows = new Map<string, CompiledWorkflow | undefined>();
  /** For each workflow: the node ids feeding a loop's items, with the ports. */
  readonly #feeders = new WeakMap<CompiledWorkflow, Map<string, string[]>>();

  /** The workflow that runs and its resolved inputs. */
  constructor(compiled: CompiledWorkflow, inputs: Record<string, unknown>) {
    this.#compiled = compiled;
    this.#inputs = inputs;
  }

  /** Remembers the item count of a completed node's output that feeds a loop. */
  completed(e: FlowEvent & { type: "node.completed" }): void {
    const wf = this.#workflowAt(e.runPath);
    const ports = wf && this.#feedersOf(wf).get(e.nodeId);
    if (!ports) return;
    for (const port of ports) {
      const value = e.outputs[port];
      if (Array.isArray(value)) this.#lengths.set(`${e.runPath ?? ""}\0${e.nodeId}\0${port}`, value.length);
    }
  }

  /** How many items loop `nodeId` of the (sub-)run at `runPath` gets, when it can be known. */
  total(runPath: string | undefined, nodeId: string): number | undefined {
    const wf = this.#workflowAt(runPath);
    const source = wf?.nodes.find((n) => n.id === nodeId)?.slots.find((s) => s.port === ITEMS_PORT)?.source;
    if (!wf || !source) return undefined;
    let value: unknown;
    if (source.kind === "const") value = source.value;
    else if (source.kind === "input") value = runPath === undefined ? this.#inputs[source.name] : undefined;
    else return this.#lengths.get(`${runPath ?? ""}\0${wf.nodes[source.node].id}\0${source.port}`);
    return Array.isArray(value) ? value.length : undefined;
  }

  /** The workflow run at `runPath` (`each[3]/detail`): the top level's, or a node's sub-workflow. */
  #workflowAt(runPath: string | undefined): CompiledWorkflow | undefined {
    if (runPath === undefined) return this.#compiled;
    const shape = runPath.replace(/\[\d+\]/g, "");
    if (this.#workflows.has(shape)) return this.#workflows.get(shape);
    let wf: CompiledWorkflow | undefined = this.#compiled;
    for (const id of shape.split("/")) {
      const node: CompiledNode | undefined = wf?.nodes.find((n) => n.id === id);
      const ref = node?.prepared as CompiledRef | undefined;
      wf = ref && typeof ref === "object" && "compiled" in ref ? ref.compiled : undefined;
    }
    this.#workflows.set(shape, wf);
    return wf;
  }

  #feedersOf(wf: CompiledWorkflow): Map<string, string[]> {
    let feeders = this.#feeders.get(wf);
    if (!feeders) {
      feeders = new Map();
      for (const node of wf.nodes) {
        if (node.type !== LOOP_TYPE) continue;
        for (const slot of node.slots) {
          if (slot.port !== ITEMS_PORT || slot.source.kind !== "node") continue;
          const id = wf.nodes[slot.source.node].id;
          feeders.set(id, [...feeders.get(id) ?? [], slot.source.port]);
        }
      }
      this.#feeders.set(wf, feeders);
    }
    return feeders;
  }
}

/** The key of a node in a (sub-)run. */
function nodeKey(runPath: string | undefined, nodeId: string): string {
  return `${runPath ?? ""}\0${nodeId}`;
}

/** The key of the loop node that runs the iteration at `runPath` (`outer[1]/each[7]`). */
function loopKeyOf(runPath: string, parentNodeId: string): string {
  const slash = runPath.lastIndexOf("/");
  return nodeKey(slash < 0 ? undefined : runPath.slice(0, slash), parentNodeId);
}

/** A run's progress; see the module doc. */
export class RunProgress {
  /** The workflow's name (or id). */
  name = "";
  /** When the run started, ms since the epoch; NaN before its first event. */
  startedAt = NaN;
  /** Top-level nodes in all. */
  nodeCount = 0;
  /** Top-level nodes completed. */
  done = 0;
  /** Top-level nodes failed. */
  failed = 0;
  /** Top-level nodes skipped. */
  skipped = 0;
  /** Top-level nodes running, in the order they started. */
  readonly running: Set<string> = new Set();
  /** Top-level nodes waiting to retry. */
  readonly retrying: Set<string> = new Set();
  /** Running loops, in the order they started. */
  readonly loops: Map<string, LoopProgress> = new Map();
  readonly #totals: LoopTotals | undefined;

  /** `totals` reads the loops' item counts; without it they are unknown. */
  constructor(totals?: LoopTotals) {
    this.#totals = totals;
  }

  /** Folds one event in. */
  onEvent(e: FlowEvent): void {
    const top = e.runPath === undefined;
    switch (e.type) {
      case "workflow.started":
        if (e.iteration !== undefined && e.parentNodeId !== undefined) {
          const loop = this.loops.get(loopKeyOf(e.runPath!, e.parentNodeId));
          if (loop) loop.started++;
        } else if (top && e.parentNodeId === undefined) {
          this.name = e.name ?? e.workflowId;
          this.startedAt = Date.parse(e.ts);
          this.nodeCount = e.nodeCount;
        }
        break;
      case "workflow.completed":
        if (e.iteration !== undefined && e.parentNodeId !== undefined) {
          const loop = this.loops.get(loopKeyOf(e.runPath!, e.parentNodeId));
          if (loop) {
            loop.done++;
            if (e.status !== "success") loop.failed++;
          }
        }
        break;
      case "workflow.retrying":
        // The whole workflow runs again: a new pass over every node.
        this.done = this.failed = this.skipped = 0;
        this.running.clear();
        this.retrying.clear();
        this.loops.clear();
        break;
      case "node.started":
        if (top) {
          this.running.add(e.nodeId);
          this.retrying.delete(e.nodeId);
        }
        if (e.nodeType === LOOP_TYPE) this.#loopStarted(e);
        break;
      case "node.completed":
        if (top) {
          this.running.delete(e.nodeId);
          this.done++;
        }
        this.#totals?.completed(e);
        this.loops.delete(nodeKey(e.runPath, e.nodeId));
        break;
      case "node.failed":
        if (top) {
          this.running.delete(e.nodeId);
          this.retrying.delete(e.nodeId);
          this.failed++;
        }
        this.loops.delete(nodeKey(e.runPath, e.nodeId));
        break;
      case "node.retrying":
        if (top) {
          this.running.delete(e.nodeId);
          this.retrying.add(e.nodeId);
        }
        this.loops.delete(nodeKey(e.runPath, e.nodeId));
        break;
      case "node.skipped":
        if (top) this.skipped++;
        break;
    }
  }

  #loopStarted(e: FlowEvent & { type: "node.started" }): void {
    const where = e.runPath === undefined ? "" : `${e.runPath.replaceAll("/", " › ")} › `;
    const total = this.#totals?.total(e.runPath, e.nodeId);
    this.loops.set(nodeKey(e.runPath, e.nodeId), {
      label: where + e.nodeId,
      depth: e.runPath === undefined ? 0 : e.runPath.split("/").length,
      ...(total === undefined ? {} : { total }),
      started: 0,
      done: 0,
      failed: 0,
      startedAt: Date.parse(e.ts),
    });
  }
}
