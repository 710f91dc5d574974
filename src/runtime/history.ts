/**
 * The history as the CLI and the API show it: an execution found by its id
 * or a unique prefix of it, and the views of recorded executions (a summary
 * for lists, the detail of one with its node results folded from the
 * journal).
 *
 * An entry point of `src/runtime/` beside `mod.ts`, kept apart because it
 * needs neither the engine nor validation: `flow runs`, `flow runs show` and
 * `flow runs events` load no more than the store and this
 * (tests/seams_test.ts).
 *
 * @module
 */
export { ExecutionLookupError, findExecution } from "./lookup.ts";
export { type NodeView, runDetail, type RunDetailView, runSummary, type RunSummaryView } from "./run_view.ts";
