/**
 * Default retention: the newest {@linkcode KEEP_PER_WORKFLOW} executions of
 * each workflow are kept, and a workflow is pruned once it has
 * {@linkcode PRUNE_SLACK} more, after one of its runs ends. `flow run`
 * prunes once as it exits ({@linkcode afterRun}); a long-running process
 * (`flow serve`) prunes through a {@linkcode RetentionPruner}.
 *
 * @module
 */
import { unrefTimeout } from "../unref_timer.ts";
import type { ExecutionStore, PruneOptions } from "./types.ts";

/** Executions of each workflow that history keeps (`flow runs prune --keep` for more control). */
export const KEEP_PER_WORKFLOW = 1000;

/**
 * How far past {@linkcode KEEP_PER_WORKFLOW} a workflow goes before it is
 * pruned down to it (1%): one delete for ten runs, not one per run.
 */
export const PRUNE_SLACK = 10;

/** The prune after a run of `workflowId` ends: that workflow only, past the slack. */
export function afterRun(workflowId: string): PruneOptions {
  return { workflowId, keep: KEEP_PER_WORKFLOW, slack: PRUNE_SLACK };
}

/**
 * Prunes the workflows whose runs ended, in a process that runs many: at
 * once for the first, then at most once per interval, with every workflow
 * that ended a run meanwhile (so a burst of runs costs one check, not one
 * per run). Its timer never keeps the process alive.
 *
 * @example
 * ```ts
 * import { RetentionPruner } from "./retention.ts";
 * import { openSqliteStore } from "./sqlite.ts";
 * const store = await openSqliteStore(":memory:");
 * const pruner = new RetentionPruner(store, (err) => console.error(err));
 * pruner.ended("nightly"); // prunes "nightly" if it has more than 1,010 executions
 * await pruner.close();
 * ```
 */
export class RetentionPruner {
  readonly #store: ExecutionStore;
  readonly #onError: (err: unknown) => void;
  readonly #intervalMs: number;
  readonly #pending = new Set<string>();
  #timer?: () => void;
  #running?: Promise<void>;
  #closed = false;

  /** Prunes `store`; `onError` is told of a prune that failed (the next one tries again). */
  constructor(store: ExecutionStore, onError: (err: unknown) => void, intervalMs = 1000) {
    this.#store = store;
    this.#onError = onError;
    this.#intervalMs = intervalMs;
  }

  /** A run of `workflowId` ended. */
  ended(workflowId: string): void {
    if (this.#closed) return;
    this.#pending.add(workflowId);
    if (!this.#running && this.#timer === undefined) this.#running = this.#prune();
  }

  /** Prunes what is pending, then waits an interval before the next. */
  async #prune() {
    const ids = [...this.#pending];
    this.#pending.clear();
    for (const id of ids) {
      if (this.#closed) break;
      await this.#store.prune(afterRun(id)).catch(this.#onError);
    }
    this.#running = undefined;
    if (this.#closed) return;
    this.#timer = unrefTimeout(this.#intervalMs, () => {
      this.#timer = undefined;
      if (this.#pending.size > 0 && !this.#closed) this.#running = this.#prune();
    });
  }

  /** Stops pruning, once a prune under way has finished (what is pending is left for a later run's end). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#timer?.();
    this.#timer = undefined;
    await this.#running;
  }
}
