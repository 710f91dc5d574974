/**
 * The rows of queued executions, written together: while one write is under
 * way, the rows submitted meanwhile wait and go in the next write, as one
 * statement (PostgreSQL: one INSERT of every row). At low load a row is
 * written at once; under load an API server makes one round trip for many
 * requests instead of one each (each costs the API server, Deno's socket
 * layer and PostgreSQL more than the row itself).
 *
 * A write that fails rejects every row it held (each request answers 503, as
 * it would alone); the next write is tried for the rows that came after.
 *
 * @module
 */
import type { NewExecution, Store } from "../src/store/mod.ts";

/** One row waiting to be written, and who waits for it. */
interface Waiting {
  row: NewExecution;
  done: PromiseWithResolvers<void>;
}

/** Writes queued executions' rows to a store, batching those submitted while a write is under way. */
export class QueuedRows {
  readonly #store: Store;
  #waiting: Waiting[] = [];
  #writing = false;

  /** Rows go to `store`. */
  constructor(store: Store) {
    this.#store = store;
  }

  /** Resolves once `row` is written; rejects with the store's error when its write failed. */
  write(row: NewExecution): Promise<void> {
    const done = Promise.withResolvers<void>();
    this.#waiting.push({ row, done });
    if (!this.#writing) this.#drain();
    return done.promise;
  }

  async #drain() {
    this.#writing = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        await this.#store.write({ created: batch.map((w) => w.row) });
        for (const w of batch) w.done.resolve();
      } catch (err) {
        for (const w of batch) w.done.reject(err);
      }
    }
    this.#writing = false;
  }
}
