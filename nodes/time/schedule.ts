/**
 * What the schedule triggers (`time.cron`, `time.interval`) share: the
 * overlap policy and their outputs.
 *
 * @module
 */
import * as z from "zod/mini";
import { described } from "../../src/workflow/zod.ts";
import type { FiredTrigger, Ports } from "../../src/node/node.ts";

/** What a schedule does when it fires while its previous run is still going (a new schema each call). */
export function overlapSchema() {
  return described(
    z._default(z.enum(["skip", "queue", "allow"]), "skip"),
    "skip: record the fire as skipped; queue: run after the previous run; allow: run at once",
  );
}

/** The outputs of a schedule trigger. */
export const SCHEDULE_OUTPUTS: Ports = {
  scheduledAt: { type: "string", description: "When the fire was due, ISO 8601" },
  firedAt: { type: "string", description: "When it fired, ISO 8601" },
};

/** A schedule trigger's outputs: from its payload when it fired, else now. */
export function scheduleOutputs(
  trigger: FiredTrigger | undefined,
  nodeId: string,
): { scheduledAt: string; firedAt: string } {
  const p = trigger?.nodeId === nodeId ? trigger.payload : {};
  const now = new Date().toISOString();
  const firedAt = typeof p.firedAt === "string" ? p.firedAt : now;
  return { scheduledAt: typeof p.scheduledAt === "string" ? p.scheduledAt : firedAt, firedAt };
}
