/**
 * How the history commands show executions: short ids, local times,
 * durations and coloured statuses, as tables or JSON.
 *
 * @module
 */
import type { ExecutionRecord, ExecutionStatus } from "../src/store/mod.ts";
import type { Palette } from "./color.ts";
import { renderTable } from "./table.ts";
import { formatDuration } from "../src/duration.ts";

/** The first 8 characters of an id: enough to tell executions apart in a table, and accepted as a prefix. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** A local time `YYYY-MM-DD HH:MM:SS`. */
export function localTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${
    p(d.getSeconds())
  }`;
}

/** The duration column: how long it ran, is running, or has waited in the queue. */
export function durationText(r: ExecutionRecord, now = Date.now()): string {
  if (r.status === "queued") return `waiting ${formatDuration(now - Date.parse(r.createdAt))}`;
  if (r.status === "running" && r.startedAt) return `${formatDuration(now - Date.parse(r.startedAt))}…`;
  return formatDuration(r.durationMs);
}

/** A status in its colour. */
export function statusText(status: ExecutionStatus | string, c: Palette): string {
  switch (status) {
    case "success":
      return c.green(status);
    case "failed":
    case "crashed":
      return c.red(status);
    case "cancelled":
    case "skipped":
      return c.yellow(status);
    case "running":
    case "queued":
      return c.blue(status);
    default:
      return status;
  }
}

/** A table (header, then rows) printed through `renderTable`. */
export function newTable(head: string[]): { push(row: (string | number)[]): void; render(): Promise<string> } {
  const rows: string[][] = [head];
  return { push: (row) => void rows.push(row.map(String)), render: () => renderTable(rows) };
}
