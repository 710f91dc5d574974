/**
 * Who runs what: the identity of this process (host, PID, start time) and
 * whether a process recorded elsewhere is still alive. Lock files and the
 * history store use it to tell a live holder from one that died.
 *
 * @module
 */

/** Identifies a process across PID reuse. */
export interface ProcessIdentity {
  /** Host name. */
  hostname: string;
  /** Process id. */
  pid: number;
  /** Process start time (Linux /proc clock ticks), to tell a reused PID apart. */
  procStart?: string;
}

let self: ProcessIdentity | undefined;

/** This process's identity (computed once). */
export function currentProcess(): ProcessIdentity {
  self ??= { hostname: hostname(), pid: Deno.pid, procStart: processStartTime(Deno.pid) };
  return self;
}

/**
 * The host name. On Linux, from the kernel's file (what `gethostname` returns;
 * no `--allow-sys` needed, and a tenth of the first `Deno.hostname()` call's
 * 0.3 ms); elsewhere, or when that file cannot be read, `Deno.hostname()`.
 */
function hostname(): string {
  if (Deno.build.os === "linux") {
    try {
      return Deno.readTextFileSync("/proc/sys/kernel/hostname").trim();
    } catch { /* no /proc: ask Deno */ }
  }
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/**
 * Whether the process `who` still runs: `"alive"`, `"dead"`, or `"unknown"`
 * when it runs on another host or its PID cannot be checked from here.
 *
 * @example
 * ```ts
 * import { currentProcess, processState } from "./process.ts";
 * processState(currentProcess()); // "alive"
 * ```
 */
export function processState(who: ProcessIdentity): "alive" | "dead" | "unknown" {
  const me = currentProcess();
  if (who.hostname !== me.hostname) return "unknown";
  if (who.pid === me.pid) return who.procStart === undefined || who.procStart === me.procStart ? "alive" : "dead";
  if (Deno.build.os === "linux") {
    const start = processStartTime(who.pid);
    if (start === undefined) return "dead";
    return who.procStart === undefined || who.procStart === start ? "alive" : "dead";
  }
  return "unknown";
}

/** The start time of a process from /proc (Linux), or undefined if it does not exist or cannot be read. */
export function processStartTime(pid: number): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name (which may contain spaces) start after ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
