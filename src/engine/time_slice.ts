/**
 * Time slices for long synchronous stretches of a run. The scheduler runs a
 * synchronous node without a microtask, so a workflow of many such nodes (or
 * a loop over many items) would otherwise hold the thread from its first node
 * to its last: no signal handler, timer or I/O callback runs meanwhile, so
 * Ctrl-C waits for the end, the history recorder cannot write what happened
 * (its events pile up in memory, and a `kill -9` loses them all), and
 * `flow serve` answers no request.
 *
 * The scheduler counts the nodes it starts down {@linkcode countdown} and
 * reads the clock ({@linkcode sliceSpent}) every 256; after
 * {@linkcode SLICE_MS} of work it stops starting nodes and continues in the
 * next turn of the event loop ({@linkcode nextTask}). A run shorter than a
 * slice never yields. Under `flow serve` a request still waits for a turn
 * between slices at each step (reading it, the history write, the answer), so
 * it is answered in tens to hundreds of milliseconds rather than at once.
 *
 * @module
 */

/** The longest stretch of work between two turns of the event loop, ms. */
export const SLICE_MS = 10;

/** How often the clock is read: once per this many units of work. */
const CHECK_EVERY = 256;

/**
 * The units of work left before the clock is read again: a caller
 * decrements it and calls {@linkcode sliceSpent} when it reaches 0, so the
 * fast path is one decrement and no call. One for the process, as the
 * thread is: concurrent runs share the slice (docs/architecture.md, "State
 * kept by modules").
 */
export const countdown = { left: CHECK_EVERY };

/** When the current slice started (`performance.now()`), or -1 before its first check. */
let sliceStart = -1;

/** Whether the current slice is spent; call it when {@linkcode countdown} reaches 0 (it starts a new count). */
export function sliceSpent(): boolean {
  countdown.left = CHECK_EVERY;
  const now = performance.now();
  if (sliceStart < 0) {
    sliceStart = now;
    return false;
  }
  return now - sliceStart >= SLICE_MS;
}

/**
 * Calls `fn` in the next turn of the event loop, after the I/O, timers and
 * signals that are due, and starts a new slice. `setImmediate` (a global in
 * Deno 2, as in Node) costs about 12 µs. A zero `setTimeout`, which Deno runs
 * on a millisecond timer, costs 2 ms; a message to a `MessageChannel` costs
 * 50 µs, but under `flow serve` it came back before Deno had polled anything
 * else, so a Worker's reply (the history writer's) waited for the run's end.
 */
export function nextTask(fn: () => void): void {
  setImmediate(() => {
    sliceStart = performance.now();
    fn();
  });
}
