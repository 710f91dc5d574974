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
import "./src/expressions/eager.ts";
import { compileWithModules } from "./src/sandbox/imports.ts";
import { readWorkflowFile } from "./src/workflow/load.ts";
import type { Registry } from "./src/node/registry.ts";
import type { CompiledWorkflow } from "./src/validate/validate.ts";

export { defineNode } from "./src/node/node.ts";
export type {
  AnyNodeDefinition,
  InputMode,
  InputValues,
  LogLevel,
  NodeContext,
  NodeDefinition,
  NodeLogger,
  OptionalKeys,
  OutputValues,
  Ports,
  PortSpec,
  PortValue,
  PrepareTools,
  RequiredKeys,
  SubworkflowResult,
  WorkflowRef,
} from "./src/node/node.ts";
export { type ErrorInfo, NodeError, type ValidationIssue, WorkflowValidationError } from "./src/errors.ts";
export { Registry } from "./src/node/registry.ts";
export { EventBus } from "./src/engine/events.ts";
export type {
  EventBase,
  EventListener,
  EventOf,
  EventPayloads,
  EventType,
  FlowEvent,
  RunStatus,
} from "./src/engine/events.ts";
export {
  type NodeSummary,
  type ReusableResults,
  type RunOptions,
  type RunResult,
  runWorkflow,
} from "./src/engine/executor.ts";
export {
  checkWorkflow,
  type CompileContext,
  type CompiledNode,
  type CompiledRef,
  type CompiledWorkflow,
  resolveInputs,
  type Slot,
  type SlotSource,
  type TemplateSite,
  type ValidateOptions,
  validateWorkflow,
  workflowTree,
} from "./src/validate/validate.ts";
export { parseWorkflowText } from "./src/workflow/load.ts";
export {
  compileExpression,
  type Expression,
  expression,
  type Template,
  untemplated,
} from "./src/expressions/expressions.ts";
export { type LoadedModules, type LoadModulesOptions, loadNodeModules } from "./src/sandbox/imports.ts";
export { type PortType, type RetryPolicy, type Workflow, workflowJsonSchema } from "./src/workflow/format.ts";
export { builtinNodes, builtinRegistry } from "./nodes/mod.ts";

/** A loaded workflow: compiled, with the Workers of its custom node modules running. */
export interface LoadedWorkflow extends CompiledWorkflow {
  /** Stops the custom node modules' Workers. Call it when done running. */
  close(): void;
}

/**
 * Reads, parses and validates a workflow file, loading its custom node
 * modules (`imports`) into sandboxed Workers. Throws a
 * {@linkcode WorkflowValidationError} listing every problem.
 *
 * @example
 * ```ts
 * import { builtinRegistry, loadWorkflow, runWorkflow } from "./mod.ts";
 * const workflow = await loadWorkflow("examples/linear.json", builtinRegistry());
 * try {
 *   console.log((await runWorkflow(workflow)).status);
 * } finally {
 *   workflow.close();
 * }
 * ```
 */
export async function loadWorkflow(path: string, registry: Registry): Promise<LoadedWorkflow> {
  const { compiled, close } = await compileWithModules(await readWorkflowFile(path), registry, { file: path });
  return { ...compiled, close };
}
