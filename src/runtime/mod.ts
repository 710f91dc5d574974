/**
 * The runtime: what the adapters (the CLI, the HTTP server, the queue's
 * workers) share to run workflows as a user sees them. One recorded-run path
 * ({@linkcode runRecorded}) for the CLI, the dispatcher and the worker; the
 * {@linkcode ExecutionBackend} / {@linkcode RuntimeConnector} seam where the
 * queue plugs in; the versions of a workflow file; and finding, viewing and
 * resuming recorded executions.
 *
 * The public entry point of `src/runtime/`: the CLI, the server and the queue
 * import the folder through this module only (tests/seams_test.ts), or,
 * for flow as a long-running service ({@linkcode FlowRuntime}: the catalog
 * with hot reload, schedules, dispatch within limits, live streams, metrics),
 * through `service.ts`, kept apart so that a command that does not serve
 * never loads it.
 *
 * @module
 */
export { newExecution, type RecordedRunOptions, runRecorded } from "./recorded.ts";
export {
  type Accepted,
  type BackendContext,
  BusyError,
  type ExecutionBackend,
  type Job,
  type ReadyCheck,
  type RuntimeConnector,
  type ScheduleDriver,
  UnavailableError,
} from "./backend.ts";
export { ExecutionLookupError, findExecution } from "./lookup.ts";
export { type NodeView, runDetail, type RunDetailView, runSummary, type RunSummaryView } from "./run_view.ts";
export { chooseTrigger, TriggerChoiceError, triggerNodes } from "./triggers.ts";
export { assertResumable, planResume, ResumeError, type ResumePlan, type ResumeRefusal } from "./resume.ts";
export { buildVersion, loadVersion, type TriggerSpec, type WorkflowVersion } from "./version.ts";
