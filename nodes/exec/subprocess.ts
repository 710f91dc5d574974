/**
 * One subprocess of `exec.command`, in a process group of its own: its
 * output read up to a limit (the rest drained and counted), and the whole
 * group killed when it is cancelled or times out, and whatever the command
 * left running when it exits. No process it started outlives the node.
 *
 * @module
 */

/** What to start. */
export interface SpawnSpec {
  /** The program. */
  program: string;
  /** Its arguments. */
  args: string[];
  /** Working directory (absolute). */
  cwd: string;
  /** Its whole environment. */
  env: Record<string, string>;
  /** Written to its stdin, then closed; undefined: no stdin. */
  stdin?: string;
  /** Bytes kept of stdout, and of stderr; the rest is read and dropped. */
  maxOutputBytes: number;
  /** Aborting it kills the process group. */
  signal: AbortSignal;
}

/** What a finished subprocess left. */
export interface Finished {
  /** Exit code (128 + the signal number when a signal ended it). */
  code: number;
  /** The signal that ended it, if any. */
  signal: Deno.Signal | null;
  /** stdout as written (up to the limit), decoded as UTF-8. */
  stdout: string;
  /** stderr as written (up to the limit). */
  stderr: string;
  /** Bytes of stdout past the limit, dropped. */
  stdoutDropped: number;
  /** Bytes of stderr past the limit, dropped. */
  stderrDropped: number;
}

const WINDOWS = Deno.build.os === "windows";

/**
 * Runs a program to its end (or until `signal` aborts: then the process group
 * is killed and the promise rejects with the signal's reason). Spawn errors
 * (no such program, no permission) reject as Deno throws them.
 *
 * @example
 * ```ts
 * import { runSubprocess } from "./subprocess.ts";
 * const done = await runSubprocess({
 *   program: "echo", args: ["hi"], cwd: "/tmp", env: {}, maxOutputBytes: 1024, signal: new AbortController().signal,
 * });
 * done.stdout; // "hi\n"
 * ```
 */
export async function runSubprocess(spec: SpawnSpec): Promise<Finished> {
  spec.signal.throwIfAborted();
  const child = new Deno.Command(spec.program, {
    args: spec.args,
    cwd: spec.cwd,
    clearEnv: true,
    env: spec.env,
    stdin: spec.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    // Its own process group (a new session), so that the group can be killed as one.
    detached: !WINDOWS,
  }).spawn();
  const kill = () => killGroup(child);
  spec.signal.addEventListener("abort", kill, { once: true });
  if (spec.signal.aborted) kill();
  try {
    const stdout = collect(child.stdout, spec.maxOutputBytes);
    const stderr = collect(child.stderr, spec.maxOutputBytes);
    if (spec.stdin !== undefined) void feed(child.stdin, spec.stdin);
    const status = await child.status;
    // Whatever it left running (holding the pipes open) goes with it.
    kill();
    const [out, err] = await Promise.all([stdout, stderr]);
    spec.signal.throwIfAborted();
    return {
      code: status.code,
      signal: status.signal,
      stdout: out.text,
      stderr: err.text,
      stdoutDropped: out.dropped,
      stderrDropped: err.dropped,
    };
  } finally {
    spec.signal.removeEventListener("abort", kill);
  }
}

/** Kills the child's whole process group (just the child on Windows); a group already gone is fine. */
function killGroup(child: Deno.ChildProcess): void {
  try {
    if (WINDOWS) child.kill("SIGKILL");
    else Deno.kill(-child.pid, "SIGKILL");
  } catch { /* already gone */ }
}

/** Writes `text` to the child's stdin and closes it; a child that stops reading is not an error. */
async function feed(stdin: WritableStream<Uint8Array>, text: string): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
  } catch {
    await writer.abort().catch(() => {});
  }
}

/** Reads a stream to its end, keeping `max` bytes (cut at a character boundary) and counting the rest. */
async function collect(stream: ReadableStream<Uint8Array>, max: number): Promise<{ text: string; dropped: number }> {
  const kept: Uint8Array[] = [];
  let size = 0, dropped = 0;
  for await (const chunk of stream) {
    const room = max - size;
    if (room >= chunk.byteLength) {
      kept.push(chunk);
      size += chunk.byteLength;
    } else {
      if (room > 0) {
        kept.push(chunk.subarray(0, room));
        size += room;
      }
      dropped += chunk.byteLength - Math.max(room, 0);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of kept) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  let end = size;
  if (dropped > 0) {
    // Do not split a UTF-8 sequence at the cut: drop its first bytes too.
    let start = end;
    while (start > 0 && start > end - 4 && (bytes[start - 1] & 0xc0) === 0x80) start--;
    if (start > 0) {
      const lead = bytes[start - 1];
      const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      if (length > 1 && end - (start - 1) < length) {
        dropped += end - (start - 1);
        end = start - 1;
      }
    }
  }
  return { text: new TextDecoder().decode(bytes.subarray(0, end)), dropped };
}
