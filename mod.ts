/**
 * `flow`: a workflow engine. Load a workflow file, validate it completely,
 * run it with independent branches in parallel, and watch every step as an
 * event.
 *
 * @example
 * ```ts
 * import { builtinRegistry, loadWorkflow, runWorkflow } from "./mod.ts";
 * const compiled = await loadWorkflow("examples/linear.json", builtinRegistry());
 * const result = await runWorkflow(compiled, {
 *   inputs: { url: "http://127.0.0.1:8080/zen.json" },
 *   onEvent: (e) => console.log(e.type),
 * });
 * console.log(result.status);
 * ```
 *
 * @module
 */
import { readWorkflowFile } from "./src/load.ts";
import type { Registry } from "./src/registry.ts";
import { type CompiledWorkflow, validateWorkflow } from "./src/validate.ts";

export { defineNode } from "./src/node.ts";
export type {
  AnyNodeDefinition,
  InputValues,
  LogLevel,
  NodeContext,
  NodeDefinition,
  NodeLogger,
  OutputValues,
  Ports,
  PortSpec,
} from "./src/node.ts";
export { type ErrorInfo, NodeError, type ValidationIssue, WorkflowValidationError } from "./src/errors.ts";
export { Registry } from "./src/registry.ts";
export { EventBus } from "./src/events.ts";
export type { EventOf, EventType, FlowEvent, RunStatus } from "./src/events.ts";
export { type NodeSummary, type RunOptions, type RunResult, runWorkflow } from "./src/executor.ts";
export { type CompiledWorkflow, resolveInputs, validateWorkflow } from "./src/validate.ts";
export { parseWorkflowText } from "./src/load.ts";
export { type Workflow, workflowJsonSchema } from "./src/workflow.ts";
export { builtinNodes, builtinRegistry } from "./nodes/mod.ts";

/**
 * Reads, parses and validates a workflow file. Throws a
 * {@linkcode WorkflowValidationError} listing every problem.
 *
 * @example
 * ```ts
 * import { builtinRegistry, loadWorkflow } from "./mod.ts";
 * const compiled = await loadWorkflow("examples/linear.json", builtinRegistry());
 * console.log(compiled.nodes.map((n) => n.id));
 * ```
 */
export async function loadWorkflow(path: string, registry: Registry): Promise<CompiledWorkflow> {
  return validateWorkflow(await readWorkflowFile(path), registry, { file: path });
}
