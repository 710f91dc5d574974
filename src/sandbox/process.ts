/**
 * The host side of sandbox processes (`child.ts`), shared: Workers whose
 * process would be started with the same command (`launch.ts`: the same
 * Deno permission flags and heap limit) run in one process, found in a pool
 * of this flow process. In practice most `code.function` nodes have no
 * grants and share one. {@linkcode SandboxWorker} is one Worker in such a
 * process, and looks to `host.ts` like a Worker, posting and receiving its
 * messages; each Worker has exactly its own permissions (equal to or fewer
 * than its process's). Terminating a Worker ends that Worker; its process
 * ends with its last Worker (none is kept idle). When a process ends on its
 * own (out of memory, or killed) it leaves the pool at once, and every
 * Worker in it says so once, through {@linkcode SandboxWorker.onexit}.
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

/** The running sandbox processes, by their launch command: one per permission set and heap limit. */
const pool = new Map<string, SandboxProcess>();

/** The number of sandbox processes running or starting (for tests and measurements). */
export function sandboxProcessCount(): number {
  return pool.size;
}

/**
 * One Worker in a shared sandbox process.
 *
 * @example
 * ```ts
 * import { SandboxWorker } from "./process.ts";
 * const none = { net: false, read: false, write: false, env: false, run: false } as const;
 * const w = await SandboxWorker.start("demo", { ...none, ffi: false, sys: false, import: false }, 64 * 1024 ** 2);
 * w.onmessage = (e) => console.log(e.data);
 * w.postMessage({ op: "load", code: "return {}", dir: "/tmp" });
 * ```
 */
export class SandboxWorker {
  /** Called with each message of the Worker. */
  onmessage: ((e: MessageEvent) => void) | null = null;
  /** Called when the Worker has an uncaught error (a `message` and `preventDefault`, as a Worker's error event). */
  onerror: ((e: { message: string; preventDefault(): void }) => void) | null = null;
  #onexit: ((exit: SandboxExit) => void) | null = null;
  /** How its process ended, while nothing listened. */
  #exit?: SandboxExit;
  #process: SandboxProcess;
  #key: number;
  #listeners = new Set<(e: MessageEvent) => void>();
  #ended = false;

  private constructor(process: SandboxProcess, key: number) {
    this.#process = process;
    this.#key = key;
  }

  /**
   * Starts a Worker that gets `permissions`, in the sandbox process for those
   * permissions and the heap limit `memory` (bytes): the running one, or one
   * started now. Rejects with one line when the process cannot be started.
   */
  static async start(name: string, permissions: WorkerPermissions, memory: number): Promise<SandboxWorker> {
    const process = SandboxProcess.for(permissions, memory);
    const worker = new SandboxWorker(process, process.add());
    process.attach(worker.#key, worker);
    try {
      await process.started;
    } catch (err) {
      worker.#ended = true;
      process.detach(worker.#key);
      throw err;
    }
    process.send({ w: worker.#key, op: "start", name, permissions });
    return worker;
  }

  /** Called once when its process ends without {@linkcode terminate} (also when it ended before this was set). */
  get onexit(): ((exit: SandboxExit) => void) | null {
    return this.#onexit;
  }

  set onexit(listener: ((exit: SandboxExit) => void) | null) {
    this.#onexit = listener;
    const exit = this.#exit;
    if (listener && exit) {
      this.#exit = undefined;
      queueMicrotask(() => listener(exit));
    }
  }

  /** Adds a listener of the Worker's messages, besides {@linkcode onmessage}. */
  addEventListener(_type: "message", listener: (e: MessageEvent) => void): void {
    this.#listeners.add(listener);
  }

  /** Removes a listener added with {@linkcode addEventListener}. */
  removeEventListener(_type: "message", listener: (e: MessageEvent) => void): void {
    this.#listeners.delete(listener);
  }

  /** Sends a message to the Worker (dropped once it has ended). */
  postMessage(msg: unknown): void {
    if (!this.#ended) this.#process.send({ w: this.#key, data: msg });
  }

  /**
   * Ends the Worker at once (and its process, when it was the last one there).
   * With `stuck` (why, in words), it ends the whole process: Deno's
   * `Worker.terminate()` does not stop a Worker that runs synchronous code
   * (it goes on using a core until its process ends), so a Worker that did not
   * stop when aborted takes its process, and the other Workers in it, along
   * (each is told through its `onexit`, with `stuck` as the reason).
   */
  terminate(stuck?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#process.detach(this.#key, stuck);
    this.#process.send({ w: this.#key, op: "terminate" });
  }

  /** A message of the Worker, from its process. */
  receive(msg: { op?: string; data?: unknown; message?: string }): void {
    if (this.#ended) return;
    if (msg.op === "crashed") {
      this.onerror?.({ message: String(msg.message), preventDefault() {} });
      return;
    }
    const event = new MessageEvent("message", { data: msg.data });
    this.onmessage?.(event);
    for (const listener of [...this.#listeners]) listener(event);
  }

  /** Its process ended on its own. */
  exited(exit: SandboxExit): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#onexit) this.#onexit(exit);
    else this.#exit = exit;
  }
}

/** One sandbox process, shared by the Workers of one permission set; in the pool while it runs. */
class SandboxProcess {
  /** Resolves once the process is spawned; rejects with one line when it cannot be. */
  readonly started: Promise<void>;
  #id: string;
  #child?: ChildProcess;
  #workers = new Map<number, SandboxWorker>();
  #nextKey = 1;
  #ended = false;
  #oom = false;
  /** Why flow ended it while other Workers ran in it. */
  #killed?: string;

  private constructor(id: string, launch: ReturnType<typeof sandboxLaunch>) {
    this.#id = id;
    this.started = this.#spawn(launch);
    this.started.catch(() => this.#end());
  }

  /** The pool's process for these permissions and this heap limit, started now when there is none. */
  static for(permissions: ProcessGrants, memory: number): SandboxProcess {
    const launch = sandboxLaunch(permissions, memory);
    const id = JSON.stringify(launch);
    let process = pool.get(id);
    if (!process) {
      process = new SandboxProcess(id, launch);
      pool.set(id, process);
    }
    return process;
  }

  /** A key for one more Worker here. */
  add(): number {
    return this.#nextKey++;
  }

  /** Routes the messages of Worker `key` to `worker`. */
  attach(key: number, worker: SandboxWorker): void {
    this.#workers.set(key, worker);
  }

  /** Forgets Worker `key`; ends the process when it was the last, or when `stuck` says why it must end. */
  detach(key: number, stuck?: string): void {
    this.#workers.delete(key);
    if (this.#workers.size === 0 || stuck) {
      this.#end();
      this.#killed = stuck;
      this.#child?.kill("SIGKILL");
    }
  }

  /** Sends a message to the process (dropped once it has ended). */
  send(msg: unknown): void {
    if (this.#ended || !this.#child?.connected) return;
    this.#child.send(msg as never);
  }

  /** Leaves the pool: later Workers get another process. */
  #end(): void {
    this.#ended = true;
    if (pool.get(this.#id) === this) pool.delete(this.#id);
  }

  async #spawn({ command, args, env }: ReturnType<typeof sandboxLaunch>): Promise<void> {
    const { spawn } = await import("node:child_process");
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
    this.#child = child;
    // Every Worker may have gone while it was starting.
    if (this.#ended) child.kill("SIGKILL");
    else this.#watch(child);
  }

  #watch(child: ChildProcess) {
    child.on("message", (data: unknown) => {
      const msg = data as { w: number; op?: string; data?: unknown; message?: string };
      this.#workers.get(msg?.w)?.receive(msg);
    });
    const stderr = child.stderr!;
    let tail = "";
    const decoder = new TextDecoder();
    stderr.on("data", (chunk: Uint8Array) => {
      if (this.#oom) return;
      const text = tail + decoder.decode(chunk, { stream: true });
      const at = text.search(OOM_REPORT);
      if (at >= 0) {
        this.#oom = true;
        this.#end(); // dying: new Workers go to a fresh process
      }
      const [pass, rest] = at >= 0 ? [text.slice(0, at).replace(/\s+$/, ""), ""] : wholeLines(text);
      tail = rest;
      passOn(pass && !pass.endsWith("\n") ? `${pass}\n` : pass);
    });
    let exit: SandboxExit | undefined;
    let closed = false;
    const ended = () => {
      if (!exit || !closed) return;
      for (const worker of [...this.#workers.values()]) worker.exited({ ...exit, outOfMemory: this.#oom });
      this.#workers.clear();
    };
    // The report may still be in the pipe when the process has exited: both are awaited before saying why.
    stderr.on("close", () => {
      if (!this.#oom) passOn(tail);
      closed = true;
      ended();
    });
    child.on("exit", (code: number | null, signal: string | null) => {
      this.#end();
      exit = { outOfMemory: false, code, signal, ...(this.#killed ? { error: this.#killed } : {}) };
      ended();
    });
    child.on("error", (err: Error) => {
      this.#end();
      exit = { outOfMemory: false, code: null, signal: null, error: err.message };
      closed = true;
      ended();
    });
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
