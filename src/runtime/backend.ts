/**
 * Where executions run: the seam between the runtime and dispatch. In one
 * process, the {@linkcode Dispatcher} runs them here; in the distributed mode
 * (`queue/`), a connector enqueues them for workers and brings their events,
 * results and schedules back. The runtime, the HTTP layer and the CLI see
 * only these interfaces.
 *
 * @module
 */
import { ExitCode, FlowError } from "../errors.ts";
import type { FlowEvent } from "../engine/events.ts";
import type { RunResult } from "../engine/executor.ts";
import type { FiredTrigger } from "../node/node.ts";
import type { ReusableResults } from "../engine/run_context.ts";
import type { Recorder } from "../store/recorder.ts";
import type { StateStore, Store, Trigger } from "../store/types.ts";
import type { Metrics } from "./metrics.ts";
import type { WorkflowVersion } from "./version.ts";

/** One execution to start. */
export interface Job {
  /** Its id. */
  executionId: string;
  /** The workflow version to run. */
  version: WorkflowVersion;
  /** Resolved inputs. */
  inputs: Record<string, unknown>;
  /** What started it. */
  trigger: Trigger;
  /** The trigger node that fired, with its payload. */
  fire?: FiredTrigger;
  /** Resume: the execution it resumes. */
  resumedFrom?: string;
  /** Results to reuse. */
  reuse?: ReusableResults;
  /** A partial run (editor runs): the top-level nodes to run (see `RunOptions.only`). */
  only?: ReadonlySet<string>;
  /** The reused nodes whose outputs are pinned data (see `RunOptions.pinned`). */
  pinned?: ReadonlySet<string>;
  /** Whether to record it. */
  history: boolean;
}

/** An accepted execution. */
export interface Accepted {
  /** Its id. */
  executionId: string;
  /** Whether it waits for a slot or a worker. */
  queued: boolean;
  /** Resolves when it ends (never rejects). */
  done: Promise<RunResult>;
}

/**
 * Both the run slots and the queue are full: `BUSY`, HTTP 503 with
 * `Retry-After`; exit 75 (EX_TEMPFAIL, try again later), should a command
 * ever meet it.
 */
export class BusyError extends FlowError {
  /** Seconds a client should wait before trying again. */
  readonly retryAfter: number;
  /** Creates the error. */
  constructor(message: string, retryAfter = 1) {
    super(message, {
      code: "BUSY",
      status: 503,
      exitCode: ExitCode.Locked,
      headers: { "retry-after": String(retryAfter) },
    });
    this.name = "BusyError";
    this.retryAfter = retryAfter;
  }
}

/**
 * The runtime cannot accept work: shutting down (`SHUTTING_DOWN`), or the
 * queue is unreachable (`QUEUE_UNAVAILABLE`); HTTP 503 with `Retry-After: 5`,
 * exit 75 (EX_TEMPFAIL).
 */
export class UnavailableError extends FlowError {
  /** Creates the error. */
  constructor(message = "the server is shutting down", code = "SHUTTING_DOWN") {
    super(message, { code, status: 503, exitCode: ExitCode.Locked, headers: { "retry-after": "5" } });
    this.name = "UnavailableError";
  }
}

/** Runs (or enqueues) executions. */
export interface ExecutionBackend {
  /** Accepts a job, or throws a {@linkcode BusyError} / {@linkcode UnavailableError}. */
  submit(job: Job): Promise<Accepted>;
  /** Cancels a running or waiting execution; false when it is neither. */
  cancel(executionId: string): Promise<boolean>;
  /** Whether an execution is running or waiting (here or on a worker). */
  active(executionId: string): Promise<boolean>;
  /** Executions running and waiting, for metrics and shutdown messages. */
  counts(): Promise<{ running: number; queued: number }>;
  /** Stops accepting work; lets what runs finish for up to `graceMs`, then cancels the rest. */
  drain(graceMs: number): Promise<void>;
}

/** Fires the schedule triggers of the serving versions. */
export interface ScheduleDriver {
  /** Makes the schedules match the serving versions. */
  sync(versions: WorkflowVersion[]): void;
  /** When a trigger fires next, ISO 8601. */
  nextFire(version: WorkflowVersion, nodeId: string): string | undefined;
  /** Stops firing. */
  stop(): void;
}

/** What the runtime offers a backend. */
export interface BackendContext {
  /** The store (absent when history is off). */
  store?: Store;
  /** The recorder writing to it. */
  recorder?: Recorder;
  /** Backend of `ctx.store`. */
  state: StateStore;
  /** Hands an event to the runtime's subscribers (SSE, metrics). */
  publish(event: FlowEvent): void;
  /** Reports the end of an execution (metrics). */
  ended(result: RunResult, job: Job): void;
  /** Runs a schedule fire in this process (in-process schedules). */
  log(line: string): void;
}

/** A readiness check's outcome. */
export interface ReadyCheck {
  /** Whether it passed. */
  ok: boolean;
  /** Why not. */
  error?: string;
  /** Anything else worth showing (e.g. live workers). */
  [detail: string]: unknown;
}

/** Plugs another dispatch into the runtime (the distributed mode). */
export interface RuntimeConnector {
  /** The execution backend. */
  backend(ctx: BackendContext): ExecutionBackend;
  /** The schedule driver. */
  schedules(ctx: BackendContext): ScheduleDriver;
  /** Extra readiness checks, by name (e.g. `queue`, `workers`). */
  ready(): Promise<Record<string, ReadyCheck>>;
  /** Registers extra metrics. */
  metrics?(metrics: Metrics): void;
  /** Closes connections. */
  close(): Promise<void>;
}
