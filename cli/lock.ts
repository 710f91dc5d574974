/**
 * Overlap protection for cron: one exclusive lock file per workflow id in the
 * state directory. A lock whose process is gone is taken over.
 *
 * @module
 */
import { join } from "../src/path.ts";
import { CliError, ExitCode } from "./exit_codes.ts";
import { fileErrorReason } from "../src/errors.ts";
import { currentProcess, processState } from "../src/process.ts";

/** What a lock file holds. */
export interface LockInfo {
  /** Process id of the holder. */
  pid: number;
  /** Host name of the holder. */
  hostname: string;
  /** Process start time (Linux /proc clock ticks), to tell a reused PID apart. */
  procStart?: string;
  /** When the lock was taken, ISO 8601. */
  startedAt: string;
  /** The execution holding it. */
  executionId?: string;
}

/** A held lock; release it when the run ends. */
export interface Lock {
  /** The lock file. */
  path: string;
  /** Removes the lock file (only if it is still ours). */
  release(): void;
}

/**
 * Takes the lock for `workflowId` under `dir`. Throws a {@linkcode CliError}
 * with exit code 75 when a live process holds it.
 */
export function acquireLock(dir: string, workflowId: string, executionId?: string): Lock {
  const locks = join(dir, "locks");
  try {
    Deno.mkdirSync(locks, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot create lock directory ${locks}: ${fileErrorReason(err)}`);
  }
  const path = join(locks, `${workflowId}.lock`);
  const mine: LockInfo = {
    ...currentProcess(),
    startedAt: new Date().toISOString(),
    executionId,
  };
  const text = JSON.stringify(mine) + "\n";
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      Deno.writeTextFileSync(path, text, { createNew: true });
      // A heartbeat keeps the file's mtime fresh, for systems where the PID cannot be checked.
      const heartbeat = setInterval(() => {
        try {
          const now = new Date();
          Deno.utimeSync(path, now, now);
        } catch { /* removed under us: nothing to refresh */ }
      }, HEARTBEAT_MS);
      Deno.unrefTimer(heartbeat);
      return {
        path,
        release() {
          clearInterval(heartbeat);
          try {
            if (Deno.readTextFileSync(path) === text) Deno.removeSync(path);
          } catch { /* already gone */ }
        },
      };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) {
        throw new CliError(`cannot create lock ${path}: ${fileErrorReason(err)}`);
      }
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(Deno.readTextFileSync(path));
    } catch {
      held = undefined; // unreadable or half-written: treat as stale only if old
    }
    let state = held ? holderState(held) : staleByAge(path);
    if (state === "unknown" && held?.hostname === currentProcess().hostname) state = staleByAge(path, STALE_AFTER_MS);
    if (state === "alive") {
      throw new CliError(
        `workflow "${workflowId}" is already running (pid ${held?.pid} on ${held?.hostname}, since ${held?.startedAt}); lock: ${path}`,
        ExitCode.Locked,
      );
    }
    if (state === "unknown") {
      throw new CliError(
        `workflow "${workflowId}" is locked by pid ${held?.pid} on ${held?.hostname}, which cannot be checked from here; remove ${path} if no run is active`,
        ExitCode.Locked,
      );
    }
    try {
      Deno.removeSync(path); // stale: the holder is gone
    } catch { /* someone else took it over first */ }
  }
  throw new CliError(`workflow "${workflowId}" lock is contended: ${path}`, ExitCode.Locked);
}

function holderState(info: LockInfo): "alive" | "dead" | "unknown" {
  if (info.hostname !== currentProcess().hostname) return "unknown";
  if (info.pid === Deno.pid) return "dead"; // a previous run of this very process cannot be running
  const state = processState(info);
  if (state !== "unknown") return state;
  // Elsewhere, signal 0 tells, where the run permission allows it. (Node's `process`, looked up only
  // here: touching it loads Deno's Node compatibility layer, which every start would pay for.)
  try {
    (globalThis as unknown as { process: { kill(pid: number, signal: number): void } }).process.kill(info.pid, 0);
    return "alive";
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === "ESRCH" ? "dead" : code === "EPERM" ? "alive" : "unknown";
  }
}

/** How often a held lock's mtime is refreshed. */
const HEARTBEAT_MS = 5_000;
/** A lock whose holder cannot be checked is stale when its heartbeat stopped this long ago. */
const STALE_AFTER_MS = 30_000;

function staleByAge(path: string, after = 10_000): "dead" | "alive" {
  try {
    const age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? Date.now());
    return age > after ? "dead" : "alive";
  } catch {
    return "dead";
  }
}
