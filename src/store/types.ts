/**
 * The store: what flow remembers across runs. One asynchronous interface,
 * implemented by SQLite (`sqlite.ts`, the default) and PostgreSQL
 * (`postgres.ts`, the distributed mode). The SQL of both is kept portable.
 *
 * Three layers of state live here:
 * - executions: one row per run, with its status, inputs, outputs and error;
 * - the journal: every event of a run exactly as `--format ndjson` streamed
 *   it, written in chunks. Node results (per node and per nested run) are
 *   folded from it (`fold.ts`), so they can never disagree with it;
 * - persistent node state: JSON values by workflow, scope and key, with a
 *   version for compare-and-set.
 *
 * @module
 */
import { asFlowError, type ErrorInfo, ExitCode, FlowError, STORE_UNAVAILABLE } from "../errors.ts";
import type { ProcessIdentity } from "../process.ts";

/**
 * What started an execution: `flow run` (`cli`), a webhook, a schedule, the
 * API, or the editor (a test run from the console: `editor`).
 */
export type Trigger = "cli" | "webhook" | "cron" | "interval" | "api" | "editor";

/** Every trigger name. */
export const TRIGGERS: readonly Trigger[] = ["cli", "webhook", "cron", "interval", "api", "editor"];

/**
 * The status of an execution. `queued` waits for a slot or a worker;
 * `crashed` is a `running` (or `queued`) execution whose process is gone
 * (detected on read); `skipped` is a schedule's fire that did not run
 * because the previous run was still going (overlap `skip`).
 */
export type ExecutionStatus = "queued" | "running" | "success" | "failed" | "cancelled" | "crashed" | "skipped";

/** Every execution status. */
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  "queued",
  "running",
  "success",
  "failed",
  "cancelled",
  "crashed",
  "skipped",
];

/** One execution as the store keeps it. */
export interface ExecutionRecord {
  /** The execution id (a UUID). */
  executionId: string;
  /** The workflow's id. */
  workflowId: string;
  /** The workflow's name, if it has one. */
  workflowName?: string;
  /** Absolute path of the workflow file (absent for stdin or API-posted workflows). */
  file?: string;
  /** `sha256:` hex digest of the workflow file's text. */
  hash?: string;
  /** The resolved inputs (secrets redacted). */
  inputs: Record<string, unknown>;
  /** What started it. */
  trigger: Trigger;
  /** The trigger node that fired, for workflows with trigger nodes. */
  triggerNode?: string;
  /** What the trigger fired with (a webhook's request, a schedule's times), secrets redacted. */
  payload?: Record<string, unknown>;
  /** Current status. */
  status: ExecutionStatus;
  /** When it was accepted, ISO 8601. Orders the history. */
  createdAt: string;
  /** When it began running. */
  startedAt?: string;
  /** When it ended. */
  endedAt?: string;
  /** Wall time of the run, ms. */
  durationMs?: number;
  /** Why it failed, was cancelled or crashed. */
  error?: ErrorInfo & { nodeId?: string };
  /** The workflow's declared outputs, once ended. */
  outputs?: Record<string, unknown>;
  /** The execution this one resumes. */
  resumedFrom?: string;
  /** The process running it (to tell that it died). */
  owner?: ProcessIdentity;
  /** Last sign of life of the owner, ISO 8601 (for owners on other hosts). */
  heartbeatAt?: string;
  /** The highest `seq` in the journal; -1 when it is empty. */
  lastSeq: number;
}

/** A new execution: the record without what the store fills in. */
export type NewExecution = Omit<ExecutionRecord, "lastSeq" | "endedAt" | "durationMs" | "outputs" | "error">;

/** The end of an execution. */
export interface ExecutionEnd {
  /** Which execution. */
  executionId: string;
  /** Final status. */
  status: "success" | "failed" | "cancelled" | "crashed" | "skipped";
  /** When it ended, ISO 8601. */
  endedAt: string;
  /** Wall time, ms. */
  durationMs?: number;
  /** Declared outputs. */
  outputs?: Record<string, unknown>;
  /** Why it failed. */
  error?: ErrorInfo & { nodeId?: string };
}

/** The start of an execution (it becomes `running`). */
export interface ExecutionStart {
  /** Which execution. */
  executionId: string;
  /** When it began running, ISO 8601. */
  startedAt: string;
  /** The process running it. */
  owner?: ProcessIdentity;
}

/** Consecutive journal lines of one execution. */
export interface JournalChunk {
  /** Which execution. */
  executionId: string;
  /** `seq` of the first line. */
  firstSeq: number;
  /** `seq` of the last line. */
  lastSeq: number;
  /** The NDJSON lines, each ending in `\n`, exactly as streamed. */
  lines: string[];
}

/**
 * Everything one flush writes, in one transaction: new executions first
 * (an execution that already exists is left as it is), then journal chunks,
 * then the ends of executions.
 */
export interface WriteBatch {
  /** Executions to insert. */
  created?: NewExecution[];
  /** Executions to mark `running` (with their owner and start time). */
  started?: ExecutionStart[];
  /** Journal lines to append. */
  journal?: JournalChunk[];
  /** Executions that ended. */
  ended?: ExecutionEnd[];
  /** Executions whose owner is alive (updates `heartbeatAt`). */
  heartbeat?: string[];
}

/** Which executions {@linkcode ExecutionStore.listExecutions} returns. */
export interface ExecutionFilter {
  /** Only this workflow. */
  workflowId?: string;
  /** Only this status (`crashed` and `running` are told apart on read). */
  status?: ExecutionStatus;
  /** Only executions started by one of these triggers. */
  triggers?: readonly Trigger[];
  /** No execution started by one of these triggers (e.g. `["editor"]`: hide the editor's test runs). */
  notTriggers?: readonly Trigger[];
  /** Only executions created before this one (by `createdAt`, then id): a cursor for paging. */
  before?: string;
  /** Oldest first instead of newest first. */
  oldestFirst?: boolean;
  /** At most this many; newest first. */
  limit: number;
}

/** Which executions {@linkcode ExecutionStore.prune} deletes. */
export interface PruneOptions {
  /** Keep the newest N executions of each workflow. */
  keep?: number;
  /**
   * With `keep`: touch a workflow only once it has more than `keep + slack`
   * executions, then delete down to `keep`. The prune after each run uses it
   * to delete in groups, not one execution per run. Default 0.
   */
  slack?: number;
  /** Delete executions created before this time (ISO 8601). */
  olderThan?: string;
  /** Only this workflow. */
  workflowId?: string;
}

/** A workflow file's text as accepted, by content hash: what a worker runs. */
export interface StoredVersion {
  /** `sha256:` digest of the text. */
  hash: string;
  /** The workflow id. */
  workflowId: string;
  /** Absolute path of the file it came from (sub-workflows and imports resolve next to it). */
  file?: string;
  /** The file's text. */
  text: string;
  /** The text of each sub-workflow file it uses, by absolute path. */
  sources?: Record<string, string>;
}

/** Executions and their journals. */
export interface ExecutionStore {
  /** Applies a batch of writes atomically. */
  write(batch: WriteBatch): Promise<void>;
  /**
   * Claims an execution for `start.owner` (a worker about to run it), in one
   * atomic step: when it is `queued`, `crashed`, or `running` by that same
   * owner (a claim whose run never began, or whose answer was lost), it is
   * marked `running` by that owner, as a `started` write marks it. Resolves to
   * the execution as it was before the claim, or undefined when it was not
   * claimed: absent, ended, or `running` by another owner. A dead owner's
   * `running` execution is claimable once a read has recorded it `crashed`.
   * At most one of several claims at once succeeds; the owner must not claim
   * an execution it is running.
   */
  claim(start: ExecutionStart & { owner: ProcessIdentity }): Promise<ExecutionRecord | undefined>;
  /** One execution, or undefined. A dead owner's `running` execution reads as `crashed`. */
  getExecution(executionId: string): Promise<ExecutionRecord | undefined>;
  /** Ids starting with `prefix`, at most `limit` of them, newest first. */
  findExecutionIds(prefix: string, limit: number): Promise<string[]>;
  /** Executions, newest first. A dead owner's `running` execution reads as `crashed`. */
  listExecutions(filter: ExecutionFilter): Promise<ExecutionRecord[]>;
  /** Journal lines with `seq > afterSeq`, in order, each ending in `\n`. */
  readJournal(executionId: string, afterSeq?: number): Promise<string[]>;
  /** Deletes executions (and their journals); resolves to how many. Running ones are kept. */
  prune(options: PruneOptions): Promise<number>;
  /** Keeps a workflow version's text (once per hash). */
  saveVersion(version: StoredVersion): Promise<void>;
  /** A workflow version's text by hash. */
  getVersion(hash: string): Promise<StoredVersion | undefined>;
}

/** Where a persistent value lives. */
export interface StateRef {
  /** The workflow's id. */
  workflowId: string;
  /** The node id, or `""` for the workflow-wide scope. */
  scope: string;
  /** The key. */
  key: string;
}

/** A stored value with its version (1 on first write, +1 on every write). */
export interface StateEntry {
  /** The JSON value. */
  value: unknown;
  /** Compare-and-set version. */
  version: number;
}

/** One row of persistent state, for listing. */
export interface StateRow extends StateRef, StateEntry {
  /** When it was last written, ISO 8601. */
  updatedAt: string;
}

/** Persistent node state: JSON values by workflow, scope and key. */
export interface StateStore {
  /** The value and version at `ref`, or undefined. */
  getState(ref: StateRef): Promise<StateEntry | undefined>;
  /**
   * Writes `value` (JSON text) at `ref`. With `expectedVersion`, only if the
   * current version is exactly that (0: only if absent). Resolves to the new
   * version, or `false` when the expected version did not match.
   */
  putState(ref: StateRef, json: string, expectedVersion?: number): Promise<number | false>;
  /** Deletes the value at `ref`; resolves to whether there was one. */
  deleteState(ref: StateRef): Promise<boolean>;
  /** Values of a workflow (or every workflow), optionally of one scope, ordered by workflow, scope, key. */
  listState(filter: { workflowId?: string; scope?: string; keyPrefix?: string }): Promise<StateRow[]>;
  /** Deletes values of a workflow (optionally one scope); resolves to how many. */
  clearState(filter: { workflowId: string; scope?: string }): Promise<number>;
}

/** The whole store. */
export interface Store extends ExecutionStore, StateStore {
  /** Where it is, for messages (a file path or a redacted URL). */
  readonly location: string;
  /** Closes it; pending writes are flushed first. */
  close(): Promise<void>;
}

/**
 * A store problem a user can cause or fix (unreadable, corrupt, full, newer
 * schema, unreachable): {@linkcode STORE_UNAVAILABLE}, HTTP 503, exit 2. Recognise one
 * with {@linkcode isStoreError}: the PostgreSQL store is a lazy part of the
 * bundle, with its own copy of this class.
 */
export class StoreError extends FlowError {
  /** Creates the error; `message` is one line. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: STORE_UNAVAILABLE, status: 503, exitCode: ExitCode.Usage, cause: options?.cause });
    this.name = "StoreError";
  }
}

/** Whether `err` is a {@linkcode StoreError}, from whichever copy of this module it was made. */
export function isStoreError(err: unknown): err is StoreError {
  return asFlowError(err)?.code === STORE_UNAVAILABLE;
}
