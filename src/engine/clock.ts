/**
 * The time as ISO 8601 text, for events and records: one string per
 * millisecond, however many runs ask within it (a server answering
 * thousands of webhooks a second would otherwise format the same time
 * again for every event and record).
 *
 * Shared by every run of the process: the same clock for all
 * (docs/architecture.md, "State kept by modules").
 *
 * @module
 */

let lastMs = NaN;
let lastIso = "";

/** The time now as ISO 8601 (`2026-12-07T11:21:15.123Z`). */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
