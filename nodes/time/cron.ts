/**
 * `time.cron`: a trigger that fires on a cron schedule under `flow serve`.
 *
 * @module
 */
import { Cron } from "croner";
import * as z from "zod/mini";
import { defineNode } from "../../src/node/node.ts";
import { described, once } from "../../src/workflow/zod.ts";
import { overlapSchema, SCHEDULE_OUTPUTS, scheduleOutputs } from "./schedule.ts";

/** The config schema of `time.cron`, built on first use. */
const cronConfigSchema = once(() =>
  z.object({
    schedule: described(
      z.string().check(z.minLength(1)),
      '5 fields (minute first) or 6 (seconds first), e.g. "*/5 * * * *"',
    ),
    timezone: described(z.optional(z.string()), 'IANA time zone, e.g. "Europe/Berlin"; default the server\'s'),
    overlap: overlapSchema(),
  })
);

/** Checks a schedule and time zone; returns a message per problem. */
export function cronProblems(config: { schedule: string; timezone?: string }): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const fields = config.schedule.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    problems.push({
      key: "schedule",
      message: `expected 5 or 6 fields; got ${fields} in ${JSON.stringify(config.schedule)}`,
    });
  } else {
    try {
      if (!nextCronRun({ schedule: config.schedule })) {
        problems.push({ key: "schedule", message: `never fires (no such date): ${JSON.stringify(config.schedule)}` });
      }
    } catch (err) {
      problems.push({ key: "schedule", message: `${(err as Error).message}: ${JSON.stringify(config.schedule)}` });
    }
  }
  if (config.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: config.timezone });
    } catch {
      problems.push({ key: "timezone", message: `unknown time zone ${JSON.stringify(config.timezone)}` });
    }
  }
  return problems;
}

/**
 * When a schedule fires next after `after` (default now), in its time zone
 * (default the server's); undefined when it never fires again. The one place
 * a fire time is computed, for `flow serve` in one process and for the job
 * schedulers of the distributed mode alike. Throws croner's error for a
 * pattern it does not accept.
 *
 * @example
 * ```ts
 * import { nextCronRun } from "./cron.ts";
 * nextCronRun({ schedule: "0 0 15W * *", timezone: "UTC" }, new Date("2026-11-01T00:00:00Z"));
 * // 2026-11-16T00:00:00.000Z: the 15th is a Sunday, the nearest weekday a Monday
 * ```
 */
export function nextCronRun(config: { schedule: string; timezone?: string }, after?: Date): Date | undefined {
  return new Cron(config.schedule, { paused: true, timezone: config.timezone }).nextRun(after) ?? undefined;
}

/** The `time.cron` node type. */
export default defineNode({
  type: "time.cron",
  description: "Trigger: fires on a cron schedule (flow serve); outputs scheduledAt and firedAt",
  trigger: "cron",
  inputs: {},
  outputs: SCHEDULE_OUTPUTS,
  get config() {
    return cronConfigSchema();
  },
  prepare(config, tools) {
    for (const p of cronProblems(config)) tools.issue(p.key, p.message);
  },
  run: ({ trigger, nodeId }) => scheduleOutputs(trigger, nodeId),
});
