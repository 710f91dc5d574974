/**
 * flow as a long-running service: {@linkcode FlowRuntime}, with the catalog
 * of workflows (hot reload), the schedules, dispatch within limits, live
 * event streams and metrics. `flow serve`, the HTTP server and programs that
 * embed flow use it.
 *
 * The second entry point of `src/runtime/` (the first is `mod.ts`), kept
 * apart so that a command that does not serve never loads the service's
 * modules: `flow serve` imports it from a lazy part of the single-file
 * bundle (tests/seams_test.ts).
 *
 * @module
 */
export { type FileEvent, FlowRuntime, NotFoundError, type RuntimeOptions, type WorkflowInfo } from "./runtime.ts";
export {
  Catalog,
  type CatalogEntry,
  type CatalogEvents,
  type ChangeOrigin,
  type FileChange,
  type ReloadOptions,
  type WebhookRoute,
} from "./catalog.ts";
export { type IfMatch, type SourceRef, type SourceText, WorkflowSources, type WriteResult } from "./sources.ts";
export { type NewFileTarget, type ServedRoot, ServedRoots } from "../sources/roots.ts";
export type { PatchOperation } from "../sources/patch.ts";
export { type Labels, Metrics } from "./metrics.ts";
export { type ScheduleFire, type ScheduleHandler, scheduleNotSet, Schedules } from "./schedules.ts";
export type { LiveSource, StreamedEvent } from "./live.ts";
