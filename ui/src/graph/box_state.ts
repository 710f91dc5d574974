/**
 * A node's state as its box shows it (in a run, and in the editor's test
 * loop), apart from the box component so that logic without a DOM can make
 * one. No DOM.
 *
 * @module
 */

/** A node's state in a run, as the box shows it. */
export interface BoxState {
  /** pending, running, completed, failed, skipped or retrying. */
  status: string;
  /** Attempts started. */
  attempts: number;
  /** The retry policy's maxAttempts, when it has one. */
  maxAttempts?: number;
  /** Sub-runs started (loop iterations, sub-workflow runs). */
  children?: number;
  /** In the editor's test loop: a line of facts under the box (duration, items, pinned, the run it is from). */
  facts?: string;
  /** In the editor's test loop: a preview of each port's value, by `in:PORT` and `out:PORT`. */
  ports?: Record<string, string>;
}
