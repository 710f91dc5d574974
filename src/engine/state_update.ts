/**
 * The compare-and-set loop of `ctx.store.update`, shared by in-process nodes
 * (`state.ts`) and custom nodes in the sandbox (`../sandbox/worker.ts`,
 * whose store calls go to the host): read the value with its version, write
 * `fn(value)` only if the version is unchanged, else back off and try again.
 * It imports nothing, so the Worker's bundle carries only this.
 *
 * @module
 */

/** How many times `update` tries before giving up under contention. */
export const MAX_UPDATE_TRIES = 1000;

/** The two low-level operations of one scope of `ctx.store` that `update` is made of. */
export interface CasScope {
  /** The value at `key` with its version (absent: undefined, version 0). */
  getEntry(key: string): Promise<{ value: unknown; version: number } | undefined>;
  /** Writes only if the version is still `version`; the new version, or false. */
  compareAndSet(key: string, value: unknown, version: number): Promise<number | false>;
}

/**
 * Replaces the value at `key` with `fn(current)` atomically; resolves to the
 * new value. After {@linkcode MAX_UPDATE_TRIES} lost races it throws
 * `busy(message)` (the caller's error type, code `STATE_BUSY`).
 */
export async function casUpdate<T>(
  scope: CasScope,
  key: string,
  fn: (current: T | undefined) => T,
  busy: (message: string) => Error,
): Promise<T> {
  for (let tries = 1;; tries++) {
    const entry = await scope.getEntry(key);
    const next = fn(entry?.value as T | undefined);
    if (await scope.compareAndSet(key, next, entry?.version ?? 0) !== false) return next;
    if (tries >= MAX_UPDATE_TRIES) throw busy(`state key "${key}": gave up after ${tries} conflicting updates`);
    // Another writer won: back off a little, more after repeated conflicts.
    await new Promise((r) => setTimeout(r, 1 + Math.random() * Math.min(tries, 20)));
  }
}
