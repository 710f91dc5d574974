/**
 * `time.interval`: a trigger that fires every so often under `flow serve`.
 *
 * @module
 */
import * as z from "zod/mini";
import { DURATION_HINT, parseDuration } from "../../src/duration.ts";
import { defineNode } from "../../src/node/node.ts";
import { described, once } from "../../src/workflow/zod.ts";
import { overlapSchema, SCHEDULE_OUTPUTS, scheduleOutputs } from "./schedule.ts";

/** The shortest interval, ms. */
export const MIN_INTERVAL_MS = 100;

/** The config schema of `time.interval`, built on first use. */
const intervalConfigSchema = once(() =>
  z.object({
    every: described(z.union([z.string(), z.number()]), `How often: ${DURATION_HINT}, or milliseconds`),
    startImmediately: described(z._default(z.boolean(), false), "Also fire once when the workflow starts serving"),
    overlap: overlapSchema(),
  })
);

/** The `time.interval` node type. */
export default defineNode({
  type: "time.interval",
  description: "Trigger: fires every config.every (flow serve); outputs scheduledAt and firedAt",
  trigger: "interval",
  inputs: {},
  outputs: SCHEDULE_OUTPUTS,
  get config() {
    return intervalConfigSchema();
  },
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
