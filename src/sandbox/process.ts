/**
 * The host side of a sandbox process (`child.ts`): starts it (`launch.ts`),
 * and looks to `host.ts` like the Worker it runs, posting and receiving the
 * Worker's messages. When the process ends on its own (out of memory, or
 * killed) it says so once, through {@linkcode SandboxProcess.onexit}.
 *
 * Its standard output is flow's (what a custom node prints goes where it
 * went when the Worker ran in flow's own process); its standard error is
 * passed on too, but for V8's report of an out-of-memory (a C stack trace),
 * which becomes the node's one-line error instead.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { type ProcessGrants, sandboxLaunch } from "./launch.ts";

/** What the Worker inside may do, as a Worker's `deno.permissions` take it. */
export type WorkerPermissions = ProcessGrants & { ffi: false; sys: false; import: false };

/** How a sandbox process ended on its own. */
export interface SandboxExit {
  /** Whether V8 reported that it reached its heap limit. */
  outOfMemory: boolean;
  /** Its exit code, or null when a signal ended it. */
  code: number | null;
  /** The signal that ended it, if one did. */
  signal: string | null;
  /** Why it could not be started or reached, if so. */
  error?: string;
}

/** V8's report of an out-of-memory begins with one of these lines. */
const OOM_REPORT = /^(<--- Last few GCs --->|#\s*Fatal JavaScript out of memory|Fatal JavaScript out of memory)/m;

/**
 * One running sandbox process with its Worker.
 *
 * @example
 * ```ts
 * import { SandboxProcess } from "./process.ts";
 * const none = { net: false, read: false, write: false, env: false, run: false } as const;
 * const p = await SandboxProcess.start("demo", { ...none, ffi: false, sys: false, import: false }, 64 * 1024 ** 2);
 * p.onmessage = (e) => console.log(e.data);
 * p.postMessage({ op: "load", code: "return {}", dir: "/tmp" });
 * ```
 */
export class SandboxProcess {
  /** Called with each message of the Worker. */
  onmessage: ((e: MessageEvent) => void) | null = null;
  /** Called when the Worker has an uncaught error (a `message` and `preventDefault`, as a Worker's error event). */
  onerror: ((e: { message: string; preventDefault(): void }) => void) | null = null;
  /** Called once when the process ends without {@linkcode terminate}. */
  onexit: ((exit: SandboxExit) => void) | null = null;
  #child: ChildProcess;
  #listeners = new Set<(e: MessageEvent) => void>();
  #ended = false;
  #oom = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Adds a listener of the Worker's messages, besides {@linkcode onmessage}. */
  addEventListener(_type: "message", listener: (e: MessageEvent) => void): void {
    this.#listeners.add(listener);
  }

  /** Removes a listener added with {@linkcode addEventListener}. */
  removeEventListener(_type: "message", listener: (e: MessageEvent) => void): void {
    this.#listeners.delete(listener);
  }

  /** Starts a sandbox process whose Worker gets `permissions`, with the heap limit `memory` (bytes). */
  static async start(name: string, permissions: WorkerPermissions, memory: number): Promise<SandboxProcess> {
    const { spawn } = await import("node:child_process");
    const { command, args, env } = sandboxLaunch(permissions, memory);
    const child = spawn(command, args, {
      stdio: ["ignore", "inherit", "pipe", "ipc"],
      serialization: "advanced",
      ...(Object.keys(env).length ? { env: { ...Deno.env.toObject(), ...env } } : {}),
    });
    if (typeof child.send !== "function") {
      // Not started (flow may not run Deno, or the program is gone): the reason comes as an error event.
      const err = await new Promise<Error>((resolve) => child.once("error", resolve));
      throw new Error(`cannot start its sandbox process: ${err.message}`);
    }
    const p = new SandboxProcess(child);
    p.#watch();
    child.send({ op: "start", name, permissions });
    return p;
  }

  #watch() {
    const child = this.#child;
    child.on("message", (data: unknown) => {
      const msg = data as { op?: string; message?: string };
      if (msg?.op === "crashed") {
        this.onerror?.({ message: String(msg.message), preventDefault() {} });
        return;
      }
      const event = new MessageEvent("message", { data });
      this.onmessage?.(event);
      for (const listener of [...this.#listeners]) listener(event);
    });
    const stderr = child.stderr!;
    let tail = "";
    const decoder = new TextDecoder();
    stderr.on("data", (chunk: Uint8Array) => {
      if (this.#oom) return;
      const text = tail + decoder.decode(chunk, { stream: true });
      const at = text.search(OOM_REPORT);
      if (at >= 0) this.#oom = true;
      const [pass, rest] = at >= 0 ? [text.slice(0, at).replace(/\s+$/, ""), ""] : wholeLines(text);
      tail = rest;
      passOn(pass && !pass.endsWith("\n") ? `${pass}\n` : pass);
    });
    let exit: SandboxExit | undefined;
    let closed = false;
    const ended = () => {
      if (exit && closed && !this.#ended) {
        this.#ended = true;
        this.onexit?.({ ...exit, outOfMemory: this.#oom });
      }
    };
    // The report may still be in the pipe when the process has exited: both are awaited before saying why.
    stderr.on("close", () => {
      if (!this.#oom) passOn(tail);
      closed = true;
      ended();
    });
    child.on("exit", (code: number | null, signal: string | null) => {
      exit = { outOfMemory: false, code, signal };
      ended();
    });
    child.on("error", (err: Error) => {
      exit = { outOfMemory: false, code: null, signal: null, error: err.message };
      closed = true;
      ended();
    });
  }

  /** Sends a message to the Worker (dropped once the process has ended). */
  postMessage(msg: unknown): void {
    if (this.#ended || !this.#child.connected) return;
    this.#child.send(msg as never);
  }

  /** Ends the process (and its Worker) at once. */
  terminate(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#child.kill("SIGKILL");
  }
}

/** Writes what a sandbox process wrote to its standard error to flow's. */
function passOn(text: string): void {
  if (!text) return;
  let bytes = new TextEncoder().encode(text);
  try {
    while (bytes.length) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
  } catch { /* flow's stderr is gone */ }
}

/**
 * Text split into the whole lines to pass on now and the rest to hold back:
 * the last, unfinished line, and blank lines at the end (V8's report of an
 * out-of-memory starts with some).
 */
function wholeLines(text: string): [string, string] {
  if (text.endsWith("\n")) {
    const trimmed = text.replace(/\n+$/, "");
    return trimmed ? [`${trimmed}\n`, text.slice(trimmed.length + 1)] : ["", text];
  }
  const end = text.lastIndexOf("\n") + 1;
  return [text.slice(0, end), text.slice(end)];
}
