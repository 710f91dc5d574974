/**
 * Formatting for the console: durations, times and ids. No DOM.
 *
 * @module
 */

/** A duration in ms as `850 ms`, `2.4 s`, `3 min 5 s` or `2 h 10 min`: the CLI's format, defined once. */
export { formatDuration } from "../../src/duration.ts";

/** An ISO time as a short local date and time, or "" when absent. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** How long ago an ISO time was, relative to `now` (ms): `12 s ago`, `3 min ago`, `in 2 h`. */
export function formatAgo(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const diff = now - t;
  const abs = Math.abs(diff);
  const text = abs < 60_000
    ? `${Math.round(abs / 1000)} s`
    : abs < 3_600_000
    ? `${Math.round(abs / 60_000)} min`
    : abs < 86_400_000
    ? `${Math.round(abs / 3_600_000)} h`
    : `${Math.round(abs / 86_400_000)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** The first 8 characters of an execution id. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** The last part of a file path. */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? path : path.slice(i + 1);
}

/** A value as compact JSON for one line, cut at `max` characters. */
export function preview(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
