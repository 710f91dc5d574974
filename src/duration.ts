/**
 * Durations as people write them (`500ms`, `30s`, `5m`, `2h`, `30d`, or a
 * plain number of milliseconds), and as flow shows them to people: the one
 * format of the CLI (`flow runs`, `runs show`, the live status block) and the
 * console (`ui/src/format.ts` shows the same; tests/formats_test.ts checks).
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

/**
 * A duration in ms for people: `850 ms`, `2.40 s`, `12.5 s`, `3 min 5 s` or
 * `2 h 10 min`; "" for undefined or a value that is not finite.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * formatDuration(185_000); // "3 min 5 s"
 * ```
 */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
