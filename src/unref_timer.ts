/**
 * A timer that does not keep the process alive and costs nothing to start:
 * for background work that must happen while the process runs, but is never
 * a reason to keep it running (the history recorder's flush and heartbeat).
 *
 * Why not `setTimeout` and `Deno.unrefTimer`: Deno 2.9 loads its timer
 * implementation on the first `setTimeout` or `setInterval` of a process,
 * about 10 ms, and a short `flow run` with history would pay that for its
 * recorder alone (a run without history starts no timer). `Atomics.waitAsync`
 * with a timeout is a timer of V8's own: its promise settles on time while the
 * process is alive, also while it waits for I/O, it does not keep the process
 * alive, and `Atomics.notify` cancels it.
 *
 * @module
 */

/**
 * Calls `fn` after `ms` milliseconds, unless the process has ended or the
 * returned function was called first (which cancels it).
 *
 * @example
 * ```ts
 * import { unrefTimeout } from "./unref_timer.ts";
 * const cancel = unrefTimeout(50, () => console.log("50 ms later"));
 * cancel(); // never mind
 * ```
 */
export function unrefTimeout(ms: number, fn: () => void): () => void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let cancelled = false;
  const wait = Atomics.waitAsync(cell, 0, 0, Math.max(0, ms));
  const settled = wait.async ? wait.value : Promise.resolve(wait.value);
  settled.then((outcome) => {
    if (!cancelled && outcome === "timed-out") fn();
  });
  return () => {
    if (cancelled) return;
    cancelled = true;
    Atomics.notify(cell, 0);
  };
}
