/**
 * The timeline's time axis: a round step (1, 2 or 5 ms and their tens below
 * a second; then round seconds, minutes and hours) and the axis end rounded
 * up to it, so every tick is a distinct, round time and the last one sits at
 * the end. No DOM.
 *
 * @module
 */
import { formatDuration } from "../format.ts";

/** One tick: where it is (0 to 1 along the axis) and its label. */
export interface Tick {
  /** Position along the axis, 0 (start) to 1 (end). */
  at: number;
  /** The time since the start, e.g. `2 ms`, `1.50 s`. */
  label: string;
}

/** A time axis: its length and its ticks. */
export interface TimeAxis {
  /** The axis length, ms: the run's length rounded up to a whole number of steps. */
  end: number;
  /** The ticks, from 0 to `end`, each label different. */
  ticks: Tick[];
}

/**
 * The axis of a run `total` ms long, with at most `maxIntervals` steps.
 *
 * @example
 * ```ts
 * import { timeAxis } from "./axis.ts";
 * timeAxis(3).ticks.map((t) => t.label); // ["0 ms", "1 ms", "2 ms", "3 ms"]
 * timeAxis(2345).ticks.map((t) => t.label); // ["0 ms", "1.00 s", "2.00 s", "3.00 s"]
 * ```
 */
export function timeAxis(total: number, maxIntervals = 4): TimeAxis {
  const length = Math.max(1, Number.isFinite(total) ? total : 1);
  const step = roundStep(length / maxIntervals);
  const intervals = Math.max(1, Math.ceil(length / step - 1e-9));
  const end = intervals * step;
  const ticks = Array.from(
    { length: intervals + 1 },
    (_, i) => ({ at: i / intervals, label: formatDuration(i * step) }),
  );
  return { end, ticks };
}

/** Round steps, ms: 1-2-5 below a second, then seconds, minutes and hours that clocks count in. */
const STEPS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  1_000,
  2_000,
  5_000,
  10_000,
  15_000,
  30_000,
  60_000,
  120_000,
  300_000,
  600_000,
  900_000,
  1_800_000,
  3_600_000,
  7_200_000,
  10_800_000,
  21_600_000,
  43_200_000,
  86_400_000,
];

/** The smallest round step at least `rough` ms (past a day: whole days). */
function roundStep(rough: number): number {
  return STEPS.find((s) => s >= rough) ?? Math.ceil(rough / 86_400_000) * 86_400_000;
}
