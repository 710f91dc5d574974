/**
 * Schedules: the `time.cron` and `time.interval` triggers of every serving
 * workflow version, each a timer that fires runs. A version's timers start
 * when it starts serving and stop when it is replaced or removed. Fires
 * missed while the server was down are not replayed.
 *
 * Overlap, per trigger: `skip` (default) records a fire that comes while the
 * previous run is still going as skipped; `queue` runs it after that run;
 * `allow` runs it at once.
 *
 * @module
 */
import { Cron } from "croner";
import type { TriggerSpec, WorkflowVersion } from "./version.ts";

/** What a schedule fires with. */
export interface ScheduleFire {
  /** The workflow version. */
  version: WorkflowVersion;
  /** The trigger node. */
  trigger: TriggerSpec;
  /** When the fire was due, ISO 8601. */
  scheduledAt: string;
  /** When it fired, ISO 8601. */
  firedAt: string;
}

/** How fires become runs. */
export interface ScheduleHandler {
  /** Starts a run; resolves when it has ended (or could not start). */
  run(fire: ScheduleFire): Promise<void>;
  /** Records a fire that did not run because the previous run was still going. */
  skipped(fire: ScheduleFire, runningExecution: string | undefined): void;
  /** The execution a trigger's previous fire started, while it runs. */
  current?(fire: ScheduleFire): string | undefined;
  /** Takes a line for a schedule that could not be set (see {@linkcode scheduleNotSet}). */
  log?(line: string): void;
}

/**
 * The log line of a schedule trigger that could not be set, in one process or
 * in the distributed mode: it names the workflow, its file and the node, and
 * says that it does not fire; the other schedules are set all the same.
 */
export function scheduleNotSet(version: WorkflowVersion, nodeId: string, err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  return `flow serve: schedule "${nodeId}" of workflow "${version.id}" (${version.file}) is not set, so it does not fire: ${reason}`;
}

/** The timer of one schedule trigger. */
interface Timer {
  version: WorkflowVersion;
  trigger: TriggerSpec;
  next?: Date;
  stop(): void;
}

/** Overlap state of one trigger (by workflow id and node id, across versions). */
interface Lane {
  running: number;
  tail: Promise<void>;
}

/** The schedule timers of the serving versions. */
export class Schedules {
  readonly #handler: ScheduleHandler;
  readonly #timers = new Map<string, Timer>();
  readonly #lanes = new Map<string, Lane>();
  #stopped = false;

  /** Creates the schedules; nothing fires until {@linkcode Schedules.sync}. */
  constructor(handler: ScheduleHandler) {
    this.#handler = handler;
  }

  /** Makes the timers match the serving versions: starts new ones, stops those of versions gone. */
  sync(versions: WorkflowVersion[]): void {
    if (this.#stopped) return;
    const wanted = new Map<string, { version: WorkflowVersion; trigger: TriggerSpec }>();
    for (const version of versions) {
      for (const trigger of version.triggers) {
        if (trigger.kind === "cron" || trigger.kind === "interval") {
          wanted.set(timerKey(version, trigger), { version, trigger });
        }
      }
    }
    for (const [key, timer] of this.#timers) {
      if (!wanted.has(key)) {
        timer.stop();
        this.#timers.delete(key);
      }
    }
    for (const [key, { version, trigger }] of wanted) {
      if (this.#timers.has(key)) continue;
      try {
        this.#timers.set(key, this.#start(version, trigger));
      } catch (err) {
        this.#handler.log?.(scheduleNotSet(version, trigger.nodeId, err));
      }
    }
  }

  /** When a trigger of a version fires next, ISO 8601. */
  nextFire(version: WorkflowVersion, nodeId: string): string | undefined {
    for (const timer of this.#timers.values()) {
      if (timer.version === version && timer.trigger.nodeId === nodeId) return timer.next?.toISOString();
    }
    return undefined;
  }

  /** Stops every timer; nothing fires after this. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) timer.stop();
    this.#timers.clear();
  }

  #start(version: WorkflowVersion, trigger: TriggerSpec): Timer {
    const timer: Timer = { version, trigger, stop: () => {} };
    const fire = (scheduledAt: Date) => {
      if (this.#stopped) return;
      this.#fire({ version, trigger, scheduledAt: scheduledAt.toISOString(), firedAt: new Date().toISOString() });
    };
    if (trigger.kind === "cron") {
      const config = trigger.config as { schedule: string; timezone?: string };
      const cron = new Cron(config.schedule, { timezone: config.timezone, protect: false }, () => {
        const due = timer.next ?? new Date();
        timer.next = cron.nextRun() ?? undefined;
        fire(due);
      });
      timer.next = cron.nextRun() ?? undefined;
      timer.stop = () => cron.stop();
    } else {
      const every = trigger.prepared as number;
      const config = trigger.config as { startImmediately?: boolean };
      let due = Date.now() + every;
      timer.next = new Date(due);
      const handle = setInterval(() => {
        const scheduled = new Date(due);
        due += every;
        timer.next = new Date(due);
        fire(scheduled);
      }, every);
      timer.stop = () => clearInterval(handle);
      if (config.startImmediately) queueMicrotask(() => fire(new Date()));
    }
    return timer;
  }

  #fire(fire: ScheduleFire) {
    const key = `${fire.version.id}\u0000${fire.trigger.nodeId}`;
    let lane = this.#lanes.get(key);
    if (!lane) this.#lanes.set(key, lane = { running: 0, tail: Promise.resolve() });
    const overlap = (fire.trigger.config.overlap ?? "skip") as "skip" | "queue" | "allow";
    const run = () => {
      lane!.running++;
      return this.#handler.run(fire).finally(() => lane!.running--);
    };
    if (overlap === "allow") {
      run();
    } else if (overlap === "queue") {
      lane.tail = lane.tail.then(run);
    } else if (lane.running > 0) {
      this.#handler.skipped(fire, this.#handler.current?.(fire));
    } else {
      lane.tail = run();
    }
  }
}

function timerKey(version: WorkflowVersion, trigger: TriggerSpec): string {
  return `${version.serial}\u0000${trigger.nodeId}`;
}
