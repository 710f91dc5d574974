/**
 * Durations as people write them: `500ms`, `30s`, `5m`, `2h`, `30d`, or a
 * plain number of milliseconds.
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds in a duration like `30s` or `1.5h`; undefined when the text is
 * not a duration.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("30s"); // 30000
 * parseDuration("2x"); // undefined
 * ```
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2] ?? "ms"]);
}

/** The units {@linkcode parseDuration} accepts, for messages. */
export const DURATION_HINT = "a duration such as 500ms, 30s, 5m, 2h or 30d";
