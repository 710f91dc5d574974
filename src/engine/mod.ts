/**
 * The engine: runs a compiled workflow as one execution (independent
 * branches in parallel, retries, timeouts, sub-workflows) and tells every
 * step as an event on an {@linkcode EventBus}, serialised once by
 * {@linkcode eventLine} for every sink.
 *
 * The public entry point of `src/engine/`: the CLI, the server and the queue
 * import the folder through this module only (tests/seams_test.ts).
 *
 * @module
 */
export {
  type EventBase,
  EventBus,
  eventLine,
  type EventListener,
  type EventOf,
  type EventPayloads,
  type EventType,
  type FlowEvent,
  type RunStatus,
} from "./events.ts";
export { type NodeSummary, type RunOptions, type RunResult, runWorkflow } from "./executor.ts";
export type { ReusableResults } from "./run_context.ts";
export type { NodeInstances } from "./instances.ts";
export type { KeyValueStore, NodeStore } from "./state.ts";
export { type Redactor, secretRedactor } from "./redact.ts";
