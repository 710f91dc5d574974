/**
 * Validation: a parsed workflow checked completely (every problem found, not
 * the first) against the node registry, and compiled into the form the engine
 * runs; and the inputs of a run checked against its declarations.
 *
 * The public entry point of `src/validate/`: the CLI, the server and the
 * queue import the folder through this module only (tests/seams_test.ts).
 *
 * @module
 */
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
} from "./validate.ts";
