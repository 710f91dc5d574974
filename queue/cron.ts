/**
 * The cron dialect of the distributed mode: croner's, the one `flow validate`
 * checks and `flow serve` fires in one process. BullMQ's job schedulers
 * compute the next fire with cron-parser unless given a repeat strategy,
 * and cron-parser refuses some patterns croner accepts (`0 0 15W * *`) and
 * reads others differently; so every queue and worker of flow computes fire
 * times with {@linkcode nextCronRun} instead.
 *
 * @module
 */
import type { AdvancedRepeatOptions, RepeatOptions } from "bullmq";
import { nextCronRun } from "../nodes/time/cron.ts";

/**
 * BullMQ's repeat strategy for cron job schedulers: the next fire after
 * `millis`, as croner computes it in the schedule's time zone; undefined when
 * the pattern never fires again (no job is added).
 */
export function cronRepeatStrategy(millis: number, opts: RepeatOptions): number | undefined {
  if (!opts.pattern) return undefined;
  return nextCronRun({ schedule: opts.pattern, timezone: opts.tz }, new Date(millis))?.getTime();
}

/** The `settings` of every BullMQ queue and worker of flow: croner's fire times. */
export const REPEAT_SETTINGS: AdvancedRepeatOptions = { repeatStrategy: cronRepeatStrategy };
