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
export {
  type EditorEvent,
  type FileEvent,
  FlowRuntime,
  NotFoundError,
  type RuntimeOptions,
  type WorkflowInfo,
} from "./runtime.ts";
export { type EditorRunRequest, type EditorRunView, type PreparedEditorRun, prepareEditorRun } from "./editor_runs.ts";
export {
  type DataSource,
  NODE_DATA_SCAN,
  type NodeData,
  type RecordedData,
  recordedNodeData,
  recordedOutputs,
} from "./node_data.ts";
export {
  type BindingSource,
  evaluatePreview,
  type ExpressionContext,
  expressionContext,
  MAX_PREVIEW_BYTES,
  type PortContext,
  previewBindings,
  type PreviewRequest,
  type PreviewResult,
  REDACTED,
  type Shape,
  shapeOf,
} from "./expression_preview.ts";
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
