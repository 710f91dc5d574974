/**
 * Editor runs: the console's "Run", "Run to here", "Run this node", "Fire
 * now" and test requests. Each is an execution like any other, recorded with
 * the trigger `editor`; what runs and what is reused is planned by
 * `partial.ts` over the workflow's pins and its recorded node data, and
 * handed to the engine as `flow resume` hands its reusable results.
 *
 * @module
 */
import type { FiredTrigger } from "../node/node.ts";
import type { ExecutionStore } from "../store/types.ts";
import { type CompiledWorkflow, resolveInputs } from "../validate/validate.ts";
import { findExecution } from "./lookup.ts";
import { recordedNodeData, recordedOutputs } from "./node_data.ts";
import { type PartialMode, type PartialPlan, PartialRunError, planPartialRun } from "./partial.ts";
import type { Pins } from "./pins.ts";
import { chooseTrigger, TriggerChoiceError } from "./triggers.ts";
import type { WorkflowVersion } from "./version.ts";

/** What the editor asks to run. */
export interface EditorRunRequest {
  /** `all` (default), `to` (the node and its ancestors) or `node` (only the node). */
  mode?: PartialMode;
  /** The selected node (`to`, `node`). */
  node?: string;
  /** Workflow inputs (default for `node`: those of the newest recorded run). */
  inputs?: Record<string, unknown>;
  /** The trigger node that fires (e.g. "Fire now" on a schedule). */
  trigger?: string;
  /** Its payload (a webhook's `{ method, headers, query, body }`). */
  payload?: Record<string, unknown>;
  /** Use the workflow's pins (default true). */
  pins?: boolean;
  /** Nodes whose pins this run does not use (they run). */
  ignorePins?: string[];
  /** `node` mode: read the recorded outputs from this execution only (an id or unique prefix). */
  from?: string;
}

/** How an editor run was planned, as the API reports it. */
export interface EditorRunView {
  /** The mode. */
  mode: PartialMode;
  /** The selected node. */
  node?: string;
  /** The nodes that run (every node, for an ordinary run). */
  run: string[];
  /** The nodes that do not run and whose outputs are reused, with where from: `pin` or an execution id. */
  reused: { nodeId: string; from: string }[];
  /** The trigger node that fires. */
  trigger?: string;
}

/** An editor run, ready to submit. */
export interface PreparedEditorRun {
  /** Resolved workflow inputs. */
  inputs: Record<string, unknown>;
  /** The trigger that fires. */
  fire?: FiredTrigger;
  /** The plan (`runWorkflow`'s `only`, `reuse`, `pinned`). */
  plan: PartialPlan;
  /** The newest execution whose recorded outputs are reused (recorded as `resumedFrom`). */
  resumedFrom?: string;
  /** What the API reports. */
  view: EditorRunView;
}

/**
 * Plans an editor run of `version`. Throws a `PartialRunError`, a
 * `TriggerChoiceError`, a `WorkflowValidationError` (inputs) or an
 * `ExecutionLookupError` (`from`).
 */
export async function prepareEditorRun(
  version: WorkflowVersion,
  request: EditorRunRequest,
  deps: { store?: ExecutionStore; pins: Pins },
): Promise<PreparedEditorRun> {
  const { compiled } = version;
  const mode = request.mode ?? "all";
  const pins = request.pins === false ? new Map() : await deps.pins.outputs(compiled);
  for (const id of request.ignorePins ?? []) pins.delete(id);
  let recordedInputs: Record<string, unknown> | undefined;
  let recorded;
  if (mode === "node" && deps.store) {
    const from = request.from === undefined ? undefined : await findExecution(deps.store, request.from);
    if (from && from.workflowId !== compiled.id) {
      throw new PartialRunError(
        `execution ${from.executionId} ran workflow "${from.workflowId}", not "${compiled.id}"`,
        "BAD_SOURCE",
      );
    }
    const data = await recordedNodeData(deps.store, compiled, { from });
    recorded = recordedOutputs(data);
    recordedInputs = data.inputs;
  }
  const plan = planPartialRun(compiled, { mode, node: request.node, pins, recorded });
  // A trigger fired on purpose runs, even when its outputs only reach pinned nodes (a test request's capture).
  if (mode === "all" && plan.only && request.trigger !== undefined && !plan.pinned.has(request.trigger)) {
    plan.only.add(request.trigger);
  }
  const inputs = resolveInputs(compiled, request.inputs ?? recordedInputs ?? {}, (name) => `; give inputs.${name}`);
  const fire = editorTrigger(compiled, plan, request);
  const sources = [...plan.reused.values()].filter((s) => s !== "pin");
  const resumedFrom = newest(sources, recorded);
  return {
    inputs,
    fire,
    plan,
    resumedFrom,
    view: {
      mode,
      ...(request.node !== undefined && mode !== "all" ? { node: request.node } : {}),
      run: compiled.nodes.filter((n) => !plan.only || plan.only.has(n.id)).map((n) => n.id),
      reused: [...plan.reused].map(([nodeId, from]) => ({ nodeId, from })),
      ...(fire ? { trigger: fire.nodeId } : {}),
    },
  };
}

/**
 * The trigger an editor run fires: the one asked for, else the only trigger
 * among the nodes that run or are reused; several: the caller must choose
 * (`TriggerChoiceError`).
 */
function editorTrigger(
  compiled: CompiledWorkflow,
  plan: PartialPlan,
  request: EditorRunRequest,
): FiredTrigger | undefined {
  if (request.trigger !== undefined) return chooseTrigger(compiled, request.trigger, request.payload);
  const involved = compiled.nodes.filter((n) =>
    n.def.trigger && (!plan.only || plan.only.has(n.id) || plan.reused.has(n.id))
  );
  if (involved.length === 0) {
    if (request.payload !== undefined) return chooseTrigger(compiled, undefined, request.payload);
    return undefined;
  }
  if (involved.length > 1) {
    const list = involved.map((n) => `${n.id} (${n.type})`).join(", ");
    throw new TriggerChoiceError(
      `workflow "${compiled.id}" has ${involved.length} triggers in this run; choose one: ${list}`,
    );
  }
  return { nodeId: involved[0].id, payload: request.payload ?? {} };
}

/** Of the executions that recorded reused outputs, the newest (they are listed newest first). */
function newest(ids: string[], recorded: Map<string, { executionId: string }> | undefined): string | undefined {
  if (!ids.length || !recorded) return undefined;
  const order = [...new Set([...recorded.values()].map((r) => r.executionId))];
  return order.find((id) => ids.includes(id));
}
