/**
 * Node types: what a node declares ({@linkcode defineNode}: ports, a zod
 * config schema, `run`), the context it runs with, and the registry of the
 * node types a workflow may use.
 *
 * The public entry point of `src/node/`: the CLI, the server and the queue
 * import the folder through this module only (tests/seams_test.ts).
 *
 * @module
 */
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
  type RequiredKeys,
  type SetupInfo,
  type SubworkflowResult,
  type TriggerKind,
  type TriggerResponse,
  type WorkflowRef,
} from "./node.ts";
export { Registry } from "./registry.ts";
export { configJsonSchema } from "./describe.ts";
