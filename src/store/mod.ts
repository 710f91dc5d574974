/**
 * The store: what flow remembers across runs (executions, their journals of
 * events, workflow versions, and the persistent state of nodes), behind one
 * asynchronous {@linkcode Store} interface; SQLite by default, written by a
 * {@linkcode Recorder} that subscribes to a run's events, and pruned by
 * retention.
 *
 * The public entry point of `src/store/`: the CLI, the server and the queue
 * import the folder through this module only (tests/seams_test.ts). The
 * PostgreSQL store is an entry point of its own, `postgres.ts`, imported with
 * a dynamic `import()` where a URL asks for it: its driver stays out of every
 * start that does not (a lazy part of the single-file bundle).
 *
 * @module
 */
export {
  EXECUTION_STATUSES,
  type ExecutionEnd,
  type ExecutionFilter,
  type ExecutionRecord,
  type ExecutionStart,
  type ExecutionStatus,
  type ExecutionStore,
  isStoreError,
  type JournalChunk,
  type NewExecution,
  type PruneOptions,
  type StateEntry,
  type StateRef,
  type StateRow,
  type StateStore,
  type Store,
  type StoredVersion,
  StoreError,
  type Trigger,
  TRIGGERS,
  type WriteBatch,
} from "./types.ts";
export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from "./sqlite.ts";
export { MemoryStateStore } from "./memory.ts";
export { Recorder, type RecorderOptions } from "./recorder.ts";
export { afterRun, historyKeep, KEEP_PER_WORKFLOW, type RetentionOptions, RetentionPruner } from "./retention.ts";
export {
  foldJournal,
  type JournalFold,
  type NodeRecord,
  parseJournal,
  reusableResults,
  type RunRecord,
} from "./fold.ts";
