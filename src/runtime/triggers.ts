/**
 * Choosing the trigger of a run that no trigger started by itself (`flow run`
 * and API runs of a workflow with trigger nodes): the one named, else the
 * only one; with several and none named, the caller must choose.
 *
 * @module
 */
import { ExitCode, FlowError } from "../errors.ts";
import type { FiredTrigger } from "../node/node.ts";
import type { CompiledWorkflow } from "../validate/validate.ts";

/** The trigger named is not a trigger node, or one must be named: `TRIGGER`, HTTP 400, exit 2. */
export class TriggerChoiceError extends FlowError {
  /** Creates the error with its one-line message. */
  constructor(message: string) {
    super(message, { code: "TRIGGER", status: 400, exitCode: ExitCode.Usage });
    this.name = "TriggerChoiceError";
  }
}

/** The trigger nodes of a workflow, in file order. */
export function triggerNodes(compiled: CompiledWorkflow): { id: string; type: string }[] {
  return compiled.nodes.filter((n) => n.def.trigger).map((n) => ({ id: n.id, type: n.type }));
}

/**
 * The trigger that fires for a run started by hand: `nodeId` when given
 * (it must be a trigger node), else the workflow's only trigger; undefined for
 * a workflow without triggers. Throws a {@linkcode TriggerChoiceError} naming
 * the triggers when the choice is wrong or missing.
 *
 * @example
 * ```ts
 * import { chooseTrigger } from "./triggers.ts";
 * import { validateWorkflow } from "../validate/validate.ts";
 * import { Registry } from "../node/registry.ts";
 * chooseTrigger(validateWorkflow({ nodes: [], connections: [] }, new Registry()), undefined, undefined); // undefined
 * ```
 */
export function chooseTrigger(
  compiled: CompiledWorkflow,
  nodeId: string | undefined,
  payload: Record<string, unknown> | undefined,
): FiredTrigger | undefined {
  const triggers = triggerNodes(compiled);
  const list = triggers.map((t) => `${t.id} (${t.type})`).join(", ");
  if (nodeId !== undefined) {
    if (!triggers.some((t) => t.id === nodeId)) {
      throw new TriggerChoiceError(
        triggers.length
          ? `"${nodeId}" is not a trigger node of "${compiled.id}"; its triggers: ${list}`
          : `workflow "${compiled.id}" has no trigger nodes; drop the trigger`,
      );
    }
    return { nodeId, payload: payload ?? {} };
  }
  if (triggers.length === 0) {
    if (payload !== undefined) {
      throw new TriggerChoiceError(`workflow "${compiled.id}" has no trigger nodes to give data to`);
    }
    return undefined;
  }
  if (triggers.length > 1) {
    throw new TriggerChoiceError(`workflow "${compiled.id}" has ${triggers.length} triggers; choose one: ${list}`);
  }
  return { nodeId: triggers[0].id, payload: payload ?? {} };
}
