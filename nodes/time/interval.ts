/**
 * `time.interval`: a trigger that fires every so often under `flow serve`.
 *
 * @module
 */
import { z } from "zod";
import { DURATION_HINT, parseDuration } from "../../src/duration.ts";
import { defineNode } from "../../src/node.ts";
import { OverlapSchema, SCHEDULE_OUTPUTS, scheduleOutputs } from "./schedule.ts";

/** The shortest interval, ms. */
export const MIN_INTERVAL_MS = 100;

/** The config of `time.interval`. */
export const IntervalConfigSchema = z.object({
  every: z.union([z.string(), z.number()]).describe(`How often: ${DURATION_HINT}, or milliseconds`),
  startImmediately: z.boolean().default(false).describe("Also fire once when the workflow starts serving"),
  overlap: OverlapSchema,
});

/** The parsed config of `time.interval`. */
export type IntervalConfig = z.output<typeof IntervalConfigSchema>;

/** The `time.interval` node type. */
export default defineNode({
  type: "time.interval",
  description: "Trigger: fires every config.every (flow serve); outputs scheduledAt and firedAt",
  trigger: "interval",
  inputs: {},
  outputs: SCHEDULE_OUTPUTS,
  config: IntervalConfigSchema,
  prepare(config, tools) {
    const ms = parseDuration(config.every);
    if (ms === undefined) tools.issue("every", `expected ${DURATION_HINT}; got ${JSON.stringify(config.every)}`);
    else if (ms < MIN_INTERVAL_MS) {
      tools.issue("every", `expected at least ${MIN_INTERVAL_MS}ms; got ${JSON.stringify(config.every)}`);
    }
    return ms;
  },
  run: ({ trigger, nodeId }) => scheduleOutputs(trigger, nodeId),
});
