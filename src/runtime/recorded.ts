/**
 * A run that is recorded: the execution's row is written before the first
 * node runs, its events go to the journal through the recorder, and its end
 * is written before the run's promise resolves.
 *
 * @module
 */
import { isoNow } from "../engine/clock.ts";
import { EventBus } from "../engine/events.ts";
import { type RunOptions, type RunResult, runWorkflow } from "../engine/executor.ts";
import { currentProcess } from "../process.ts";
import { secretRedactor } from "../engine/redact.ts";
import type { Recorder } from "../store/recorder.ts";
import type { NewExecution, Trigger } from "../store/types.ts";
import type { FiredTrigger } from "../node/node.ts";
import type { CompiledWorkflow } from "../validate/validate.ts";

/** Options of {@linkcode runRecorded}: those of `runWorkflow`, plus what the history records. */
export interface RecordedRunOptions extends RunOptions {
  /** Where to record; undefined runs without history. */
  recorder?: Recorder;
  /** What started the run. */
  trigger: Trigger;
  /** The trigger node that fired. */
  triggerNode?: string;
  /** Absolute path of the workflow file. */
  file?: string;
  /** Content hash of the workflow file (see `contentHash`). */
  hash?: string;
  /** When the execution was accepted (queued), if before now. */
  createdAt?: string;
  /** The execution is already recorded as `queued`: mark it running instead of inserting it. */
  queued?: boolean;
  /** The execution was claimed by this process (`ExecutionStore.claim` marked it running): write no start. */
  claimed?: boolean;
  /**
   * Wait until the execution's row is written before the first node runs,
   * and its end before resolving (default true). `flow serve` passes false:
   * records are written in groups a few ms later (group commit), and an
   * answer that promises durability awaits `recorder.durable()` itself.
   */
  awaitRecord?: boolean;
}

/**
 * Runs `compiled` like {@linkcode runWorkflow}, recording it when a recorder
 * is given. Resolves after the execution's end is written (or the recorder
 * gave up, which it reports through its own `onError`).
 *
 * @example
 * ```ts
 * import { runRecorded } from "./recorded.ts";
 * import { Recorder } from "../store/recorder.ts";
 * import { openSqliteStore } from "../store/sqlite.ts";
 * import { validateWorkflow } from "../validate/validate.ts";
 * import { Registry } from "../node/registry.ts";
 * const store = await openSqliteStore(":memory:");
 * const compiled = validateWorkflow({ nodes: [], connections: [] }, new Registry());
 * const result = await runRecorded(compiled, { recorder: new Recorder(store), trigger: "cli" });
 * (await store.getExecution(result.executionId))?.status; // "success"
 * ```
 */
export async function runRecorded(compiled: CompiledWorkflow, options: RecordedRunOptions): Promise<RunResult> {
  const { recorder } = options;
  if (!recorder) return await runWorkflow(compiled, options);
  const executionId = options.executionId ?? crypto.randomUUID();
  const bus = options.bus ?? new EventBus();
  const now = isoNow();
  const wait = options.awaitRecord ?? true;
  let recorded: Promise<void>;
  if (options.claimed) {
    recorder.claimed(executionId);
    recorded = Promise.resolve();
  } else if (options.queued) recorded = recorder.started({ executionId, startedAt: now, owner: currentProcess() });
  else {
    recorded = recorder.begin(newExecution(compiled, {
      executionId,
      inputs: options.inputs ?? {},
      trigger: options.trigger,
      fired: options.fired,
      file: options.file,
      hash: options.hash,
      status: "running",
      createdAt: options.createdAt ?? now,
      startedAt: now,
      resumedFrom: options.resumedFrom,
      owner: currentProcess(),
    }, options.getEnv));
  }
  if (wait) await recorded;
  else recorded.catch(() => {}); // a failed write is reported by the recorder's onError
  const off = bus.subscribe(recorder.listener);
  try {
    return await runWorkflow(compiled, { ...options, executionId, bus });
  } finally {
    off();
    if (wait) await recorder.durable().catch(() => {}); // a failed write was reported by the recorder's onError
  }
}

/** What {@linkcode newExecution} needs besides the workflow. */
export interface ExecutionFields extends Omit<NewExecution, "workflowId" | "workflowName" | "triggerNode" | "payload"> {
  /** The trigger that fired (its node and payload are recorded). */
  fired?: FiredTrigger;
}

/**
 * The history record of a new execution of `compiled`, with its inputs and
 * trigger payload redacted: the one place such records are made, whether the
 * execution runs now, waits in this process, or waits for a worker.
 */
export function newExecution(
  compiled: CompiledWorkflow,
  fields: ExecutionFields,
  getEnv: (name: string) => string | undefined = (name) => Deno.env.get(name),
): NewExecution {
  const redact = secretRedactor(compiled, getEnv);
  const { fired, ...rest } = fields;
  return {
    ...rest,
    workflowId: compiled.id,
    workflowName: compiled.workflow.name,
    inputs: redact ? redact(fields.inputs) : fields.inputs,
    triggerNode: fired?.nodeId,
    payload: fired && redact ? redact(fired.payload) : fired?.payload,
  };
}
