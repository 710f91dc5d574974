/**
 * Default retention: the newest {@linkcode KEEP_PER_WORKFLOW} executions of
 * each workflow are kept (`FLOW_HISTORY_KEEP` sets another number, or 0 for
 * every execution), and a workflow is pruned once it has 1% more, after one
 * of its runs ends. `flow run` prunes once as it exits ({@linkcode afterRun});
 * a long-running process (`flow serve`, `flow worker`) prunes through a
 * {@linkcode RetentionPruner}.
 *
 * @module
 */
import { unrefTimeout } from "../unref_timer.ts";
import type { ExecutionStore, PruneOptions } from "./types.ts";

/** Executions of each workflow that history keeps by default (`flow runs prune --keep` for more control). */
export const KEEP_PER_WORKFLOW = 1000;

/**
 * The executions of each workflow to keep: `FLOW_HISTORY_KEEP` (a whole
 * number; 0 keeps every execution), else {@linkcode KEEP_PER_WORKFLOW}.
 * Throws a `RangeError` with one line for any other value.
 *
 * @example
 * ```ts
 * import { historyKeep } from "./retention.ts";
 * historyKeep("50"); // 50
 * historyKeep(undefined); // 1000
 * ```
 */
export function historyKeep(value: string | undefined = Deno.env.get("FLOW_HISTORY_KEEP")): number {
  if (value === undefined || value.trim() === "") return KEEP_PER_WORKFLOW;
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n) || n < 0 || !/^\d+$/.test(value.trim())) {
    throw new RangeError(`FLOW_HISTORY_KEEP: expected a whole number (0 keeps every execution); got "${value}"`);
  }
  return n;
}

/**
 * How far past `keep` a workflow goes before it is pruned down to it: 1%
 * (10 for 1,000), at least 1. One delete for that many runs, not one per run.
 */
export function pruneSlack(keep: number): number {
  return Math.max(1, Math.floor(keep / 100));
}

/**
 * The prune after a run of `workflowId` ends: that workflow only, once past
 * the slack; undefined when `keep` is 0 (every execution is kept).
 */
export function afterRun(workflowId: string, keep: number = KEEP_PER_WORKFLOW): PruneOptions | undefined {
  return keep > 0 ? { workflowId, keep, slack: pruneSlack(keep) } : undefined;
}

/** Options of {@linkcode RetentionPruner}. */
export interface RetentionOptions {
  /** Executions of each workflow to keep (default {@linkcode KEEP_PER_WORKFLOW}; 0: prune nothing). */
  keep?: number;
  /** Least time between two prunes, ms (default 1000). */
  intervalMs?: number;
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
  readonly #keep: number;
  readonly #intervalMs: number;
  readonly #pending = new Set<string>();
  #timer?: () => void;
  #running?: Promise<void>;
  #closed = false;

  /** Prunes `store`; `onError` is told of a prune that failed (the next one tries again). */
  constructor(store: ExecutionStore, onError: (err: unknown) => void, options: RetentionOptions = {}) {
    this.#store = store;
    this.#onError = onError;
    this.#keep = options.keep ?? KEEP_PER_WORKFLOW;
    this.#intervalMs = options.intervalMs ?? 1000;
  }

  /** A run of `workflowId` ended. */
  ended(workflowId: string): void {
    if (this.#closed || this.#keep <= 0) return;
    this.#pending.add(workflowId);
    if (!this.#running && this.#timer === undefined) this.#running = this.#prune();
  }

  /** Prunes what is pending, then waits an interval before the next. */
  async #prune() {
    const ids = [...this.#pending];
    this.#pending.clear();
    for (const id of ids) {
      if (this.#closed) break;
      await this.#store.prune(afterRun(id, this.#keep)!).catch(this.#onError);
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
