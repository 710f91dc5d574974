/**
 * One duration format for people: the CLI (`flow runs`, `runs show`, the
 * live status block) and the console (`ui/src/format.ts` re-exports it)
 * use `formatDuration` of `src/duration.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { formatDuration } from "../src/duration.ts";
import { formatDuration as consoleDuration } from "../ui/src/format.ts";

Deno.test("the CLI and the console show a duration alike, the same function", () => {
  assert.equal(consoleDuration, formatDuration);
  const samples = [undefined, NaN, Infinity, 0, 0.4, 999.4, 999.6, 1000, 2400, 9_994, 9_996, 12_345, 59_949, 59_951];
  for (let ms = 60_000; ms < 30 * 3_600_000; ms = Math.round(ms * 1.37 + 1)) samples.push(ms);
  for (const ms of samples) assert.equal(formatDuration(ms), consoleDuration(ms), `${ms} ms`);
  assert.equal(formatDuration(185_000), "3 min 5 s");
  assert.equal(formatDuration(7_800_000), "2 h 10 min");
});
