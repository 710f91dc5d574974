/**
 * A workflow file: its format (one zod schema, the source of the TypeScript
 * types, the error messages and the published JSON Schema), reading it within
 * the size, depth and number limits, and the content hash that names a
 * version of it.
 *
 * The public entry point of `src/workflow/`: the CLI, the server and the
 * queue import the folder through this module only (tests/seams_test.ts).
 *
 * @example
 * ```ts
 * import { parseWorkflowText } from "./mod.ts";
 * const workflow = parseWorkflowText('{ "id": "hello", "nodes": [], "connections": [] }', "hello.json");
 * console.log(workflow.id); // "hello"
 * ```
 *
 * @module
 */
export {
  type Connection,
  type ImportEntry,
  type InputDecl,
  PORT_TYPES,
  type PortType,
  type RetryPolicy,
  type SchemaNodeType,
  type Settings,
  type Workflow,
  workflowJsonSchema,
  type WorkflowNode,
} from "./format.ts";
export type { SchemaOutput, ZodSchema } from "./zod.ts";
export {
  decodeWorkflowText,
  parseWorkflowText,
  readWorkflowBytes,
  readWorkflowFile,
  readWorkflowStream,
  readWorkflowText,
} from "./load.ts";
export { shortHash, versionHash } from "./hash.ts";
export { typeName } from "./values.ts";
export { jsonTooDeepAt, limitIssues, tooDeepMessage, workflowLimits } from "./limits.ts";
export { fileText, idFromName, starterWorkflow } from "./starter.ts";
