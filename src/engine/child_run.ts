/**
 * A sub-workflow run by a node (`ctx.runWorkflow`): its reference checked
 * (compiled, within the nesting limit), its inputs resolved against its
 * declarations, and its place in the execution (run path, depth, trail) set.
 *
 * @module
 */
import { NodeError, WorkflowValidationError } from "../errors.ts";
import type { SubworkflowResult, WorkflowRef } from "../node/node.ts";
import type { ExecutionEnv, RunScope } from "./run_context.ts";
import { type CompiledRef, type CompiledWorkflow, resolveInputs } from "../validate/validate.ts";

/** How a pass calls back into the executor for sub-workflows. */
export type RunSubworkflow = (
  child: CompiledWorkflow,
  inputs: Record<string, unknown>,
  scope: RunScope,
  signal: AbortSignal,
) => Promise<SubworkflowResult>;

/** Runs the sub-workflow `ref` for node `nodeId` of a (sub-)run at `scope`. */
export async function runChild(
  parent: { env: ExecutionEnv; scope: RunScope; runSubworkflow: RunSubworkflow },
  nodeId: string,
  ref: WorkflowRef,
  subInputs: Record<string, unknown>,
  iteration: number | undefined,
  nodeSignal: AbortSignal,
): Promise<SubworkflowResult> {
  const { scope, env } = parent;
  const child = (ref as CompiledRef).compiled;
  if (!child) throw new NodeError(`sub-workflow ${ref.label} is not compiled`, { code: "BAD_SUBWORKFLOW" });
  const trail = [...scope.trail, ref.label];
  if (scope.depth + 1 > env.maxDepth) {
    throw new NodeError(
      `sub-workflow nesting deeper than ${env.maxDepth} levels: ${trail.slice(0, 4).join(" > ")} > ... > ${
        trail.slice(-2).join(" > ")
      }`,
      { code: "RECURSION_LIMIT", retryable: false },
    );
  }
  let resolved: Record<string, unknown>;
  try {
    resolved = resolveInputs(child, subInputs, (name) => `; connect or set input "${name}" of "${nodeId}"`);
  } catch (err) {
    if (!(err instanceof WorkflowValidationError)) throw err;
    const first = err.issues[0];
    throw new NodeError(`sub-workflow ${ref.label}: ${first.path}: ${first.message}`, {
      code: "BAD_INPUT",
      retryable: false,
    });
  }
  const step = iteration === undefined ? nodeId : `${nodeId}[${iteration}]`;
  return await parent.runSubworkflow(child, resolved, {
    parentNodeId: nodeId,
    iteration,
    runPath: scope.runPath === undefined ? step : `${scope.runPath}/${step}`,
    depth: scope.depth + 1,
    trail,
  }, nodeSignal);
}
