/**
 * The runtime: what the adapters (the CLI, the HTTP server, the queue's
 * workers) share to run workflows as a user sees them. One recorded-run path
 * ({@linkcode runRecorded}) for the CLI, the dispatcher and the worker; the
 * {@linkcode ExecutionBackend} / {@linkcode RuntimeConnector} seam where the
 * queue plugs in; the versions of a workflow file; the choice of a trigger;
 * and resuming a recorded execution.
 *
 * The main entry point of `src/runtime/`; the CLI, the server and the queue
 * import the folder through it and two more, each kept apart so that a
 * command loads only what it uses (tests/seams_test.ts): `history.ts`
 * (reading recorded executions, without the engine: `flow runs` and the
 * API's run views) and `service.ts` (flow as a long-running service, for
 * `flow serve`).
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
export { chooseTrigger, TriggerChoiceError, triggerNodes } from "./triggers.ts";
export {
  PARTIAL_MODES,
  type PartialMode,
  type PartialPlan,
  type PartialRequest,
  PartialRunError,
  planPartialRun,
  type RecordedOutputs,
  type ReuseSource,
  upstreamNodes,
} from "./partial.ts";
export { isStalePin, MAX_PIN_BYTES, type Pin, PIN_SCOPE, PinError, Pins, type PinSource } from "./pins.ts";
export { assertResumable, planResume, ResumeError, type ResumePlan, type ResumeRefusal } from "./resume.ts";
export { buildVersion, loadVersion, type TriggerSpec, type WorkflowVersion } from "./version.ts";
