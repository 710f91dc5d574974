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
import { compileWithModules } from "./src/sandbox/mod.ts";
import { readWorkflowFile } from "./src/workflow/mod.ts";
import type { Registry } from "./src/node/mod.ts";
import type { CompiledWorkflow } from "./src/validate/mod.ts";

export {
  type AnyNodeDefinition,
  defineNode,
  type FiredTrigger,
  type InputMode,
  type InputValues,
  LoadBeforeValidation,
  type LogLevel,
  type NodeContext,
  type NodeDefinition,
  type NodeLogger,
  type NodePermissions,
  type OptionalKeys,
  type OutputValues,
  type PermissionName,
  type PermissionNeed,
  type Ports,
  type PortSpec,
  type PortValue,
  type PrepareTools,
  Registry,
  type RequiredKeys,
  type SetupInfo,
  type SubworkflowResult,
  type TriggerKind,
  type TriggerResponse,
  type WorkflowRef,
} from "./src/node/mod.ts";
export type { SchemaOutput, ZodSchema } from "./src/workflow/mod.ts";
export {
  asFlowError,
  type ErrorContract,
  type ErrorInfo,
  ExitCode,
  FlowError,
  type FlowErrorOptions,
  NodeError,
  type NodeErrorOptions,
  type ValidationIssue,
  WorkflowValidationError,
} from "./src/errors.ts";
export {
  type EventBase,
  EventBus,
  eventLine,
  type EventListener,
  type EventOf,
  type EventPayloads,
  type EventType,
  type FlowEvent,
  type KeyValueStore,
  type NodeInstances,
  type NodeStore,
  type NodeSummary,
  type ReusableResults,
  type RunOptions,
  type RunResult,
  type RunStatus,
  runWorkflow,
} from "./src/engine/mod.ts";
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
  type UnreadFile,
  type ValidateOptions,
  validateWorkflow,
  workflowTree,
} from "./src/validate/mod.ts";
export {
  parseWorkflowText,
  PORT_TYPES,
  type PortType,
  type RetryPolicy,
  type SchemaNodeType,
  type Workflow,
  workflowJsonSchema,
} from "./src/workflow/mod.ts";
export {
  type ClassicZodType,
  compileExpression,
  type Expression,
  expression,
  type ExpressionSchema,
  type Template,
  untemplated,
} from "./src/expressions/expressions.ts";
export { type CustomType, type LoadedModules, type LoadModulesOptions, loadNodeModules } from "./src/sandbox/mod.ts";
export {
  type Accepted,
  type BackendContext,
  BusyError,
  type ExecutionBackend,
  isStalePin,
  type Job,
  type PartialMode,
  type PartialPlan,
  type PartialRequest,
  PartialRunError,
  type Pin,
  PinError,
  Pins,
  type PinSource,
  planPartialRun,
  type ReadyCheck,
  type RecordedOutputs,
  type ReuseSource,
  type RuntimeConnector,
  type ScheduleDriver,
  type TriggerSpec,
  UnavailableError,
  type WorkflowVersion,
} from "./src/runtime/mod.ts";
export {
  Catalog,
  type CatalogEntry,
  type CatalogEvents,
  type ChangeOrigin,
  type EditorEvent,
  type EditorRunRequest,
  type EditorRunView,
  type FileChange,
  type FileEvent,
  FlowRuntime,
  type IfMatch,
  type Labels,
  Metrics,
  type NewFileTarget,
  NotFoundError,
  type PatchOperation,
  type ReloadOptions,
  type RuntimeOptions,
  type ServedRoot,
  ServedRoots,
  type SourceRef,
  type SourceText,
  type StreamedEvent,
  type WebhookRoute,
  type WorkflowInfo,
  WorkflowSources,
  type WriteResult,
} from "./src/runtime/service.ts";
export type { LocatedIssue } from "./src/workflow/locate.ts";
export { type Grant, type Grants, WorkflowPermissions } from "./src/permissions/mod.ts";
export {
  type ExecutionEnd,
  type ExecutionFilter,
  type ExecutionRecord,
  type ExecutionStart,
  type ExecutionStatus,
  type ExecutionStore,
  type JournalChunk,
  type NewExecution,
  openSqliteStore,
  type PruneOptions,
  Recorder,
  type RecorderOptions,
  SqliteStore,
  type SqliteStoreOptions,
  type StateEntry,
  type StateRef,
  type StateRow,
  type StateStore,
  type Store,
  type StoredVersion,
  StoreError,
  type Trigger,
  type WriteBatch,
} from "./src/store/mod.ts";
export type { ProcessIdentity } from "./src/process.ts";
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
