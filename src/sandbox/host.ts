/**
 * Loads custom node modules into permission-restricted Deno Workers and
 * exposes their nodes as ordinary node definitions. Each Worker runs in a
 * sandbox process with a heap limit, shared with the Workers of the same
 * grants (`process.ts`): code that allocates past it ends that process, and
 * the calls of every Worker there fail with `OUT_OF_MEMORY`. A denied
 * operation fails the node with Deno's message; a hung node is cut off by its
 * timeout and its Worker restarted, with its whole process (Deno cannot stop
 * a Worker in synchronous code alone), as after an out-of-memory. A type's `setup`/`dispose` run inside the Worker too:
 * the instances live there (the host holds handles), and a restarted Worker
 * sets them up again.
 *
 * @module
 */
import { fromJSONSchema, unknown, type ZodType } from "zod";
import { basename, dirname, fromFileUrl as fileURLToPath, join, resolve, toFileUrl as pathToFileURL } from "../path.ts";
import { NodeError } from "../errors.ts";
import type { AnyNodeDefinition, InputMode, NodeContext, PortSpec } from "../node/node.ts";
import { formatBytes } from "../workflow/limits.ts";
import { MEMORY_VAR, sandboxMemoryLimit } from "./launch.ts";
import type { SandboxExit, SandboxWorker } from "./process.ts";

/** Permissions granted to one custom node module (Deno's permission model). */
export interface ImportPermissions {
  /** Hosts (`host` or `host:port`) it may connect to, or true for any. */
  net?: string[] | boolean;
  /** Paths it may read, or true for any. */
  read?: string[] | boolean;
  /** Paths it may write, or true for any. */
  write?: string[] | boolean;
  /** Environment variables it may read, or true for any. */
  env?: string[] | boolean;
  /** Programs it may run, or true for any (a `code.function`'s grant; imports cannot have it). */
  run?: string[] | boolean;
}

/** A module to load. */
export interface ModuleSpec {
  /** Absolute path of the module file. */
  path: string;
  /** The path as written, for messages. */
  label: string;
  /** What it may do. */
  permissions: ImportPermissions;
  /**
   * Instead of a module: the body of one async function `(inputs, ctx,
   * console)` (plain JavaScript), run as the node type `code.function`
   * (`nodes/code/function.ts`). Its Worker has exactly `permissions`: it
   * imports nothing, so it needs no load-time read access. `path` is then
   * the workflow's folder (`ctx.dir` of the function).
   */
  code?: string;
}

interface NodeMeta {
  type: string;
  description: string;
  inputs: Record<string, PortSpec>;
  outputs: Record<string, PortSpec>;
  dynamicInputs?: PortSpec;
  inputMode?: InputMode;
  config: Record<string, unknown> | null;
  /** Whether the type has `setup` (and so node instances in the Worker). */
  setup?: boolean;
}

/**
 * `ctx.instance` of a sandboxed node on the host side: a handle to the
 * instance its type's `setup` made inside the Worker.
 */
class SandboxInstance {
  constructor(readonly key: number) {}
}

/** What a node instance was set up with, to set it up again in a restarted Worker. */
interface InstanceSpec {
  type: string;
  config: unknown;
  info: { workflowId: string; nodeId: string };
}

/** A message from the Worker (see worker.ts for the protocol). */
interface WorkerMessage {
  op: string;
  id: number;
  level?: string;
  message?: string;
  outputs?: unknown;
  error?: unknown;
  req?: number;
  scope?: "node" | "workflow";
  method?: "getEntry" | "set" | "delete" | "compareAndSet";
  key?: string;
  value?: unknown;
  version?: number;
}

interface Pending {
  resolve: (outputs: Record<string, unknown>) => void;
  reject: (err: unknown) => void;
  /** The node call's context; undefined for setup and dispose. */
  ctx?: NodeContext<Record<string, unknown>, unknown>;
}

const LOAD_TIMEOUT_MS = 30_000;
const ABORT_GRACE_MS = 1_000;

/**
 * One custom node module running in its own Worker.
 *
 * @example
 * ```ts
 * import { NodeModuleHost } from "./host.ts";
 * const host = await NodeModuleHost.load({ path: "/abs/nodes/greet.ts", label: "./nodes/greet.ts", permissions: {} });
 * console.log(host.definitions.map((d) => d.type));
 * host.close();
 * ```
 */
export class NodeModuleHost {
  readonly spec: ModuleSpec;
  /** The module's nodes, runnable in the main thread's executor. */
  definitions: AnyNodeDefinition[] = [];
  #worker?: SandboxWorker;
  /** The heap limit of its sandbox process, in bytes. */
  #memory: number;
  #ready?: Promise<NodeMeta[]>;
  /** The load-time read grants the Worker drops once the module is imported. */
  #revoke: string[] = [];
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  /** Node instances living in the Worker, by key. */
  #instances = new Map<number, InstanceSpec>();
  #nextKey = 1;
  /**
   * Aborted calls the Worker has not confirmed yet, each with the function that
   * ends the wait. New calls wait for them: a node stuck in synchronous code
   * holds the Worker until it is restarted.
   */
  #stopping = new Map<Promise<void>, () => void>();

  private constructor(spec: ModuleSpec, memory: number) {
    this.spec = spec;
    this.#memory = memory;
  }

  /** Starts a Worker for the module and reads its node definitions. Rejects with a one-line message. */
  static async load(spec: ModuleSpec): Promise<NodeModuleHost> {
    // Without the flag, Deno would print its own message and end the process (exit 70) at `new Worker`.
    const missing = workerOptionsHint();
    if (missing) throw new Error(missing);
    const host = new NodeModuleHost(spec, sandboxMemoryLimit());
    try {
      const metas = await host.#start();
      host.definitions = metas.map((m) => host.#proxy(m));
      return host;
    } catch (err) {
      host.close();
      throw err;
    }
  }

  /** Stops the Worker. */
  close(): void {
    this.#closed = true;
    // A call may still hold the Worker in synchronous code, which only ending its process stops.
    const busy = this.#pending.size > 0 || this.#stopping.size > 0;
    this.#endStopping();
    this.#worker?.terminate(busy ? `${this.spec.label} was closed while running` : undefined);
    this.#worker = undefined;
    for (const p of this.#pending.values()) {
      p.reject(new NodeError("the node module was closed", { code: "CANCELLED" }));
    }
    this.#pending.clear();
  }

  /** Starts the sandbox process and its Worker, which loads the module (at once, as `#ready`). */
  #start(): Promise<NodeMeta[]> {
    this.#ready = this.#spawn().then((worker) => this.#load(worker));
    return this.#ready;
  }

  /** Starts the sandbox process, whose Worker gets the module's grants (and read access to load it). */
  async #spawn(): Promise<SandboxWorker> {
    const { read: userRead, net, write, env, run } = this.spec.permissions;
    const code = this.spec.code;
    // Loading needs read access to the module, the flow sources it may import
    // and the npm cache; that access is revoked right after the import. A
    // code.function imports nothing: its Worker has its grants and no more.
    // From a source checkout, flow's own files; a bundle (or a part of it loaded from a blob: URL) has none to read.
    const root = import.meta.url.startsWith("file:") ? fileURLToPath(new URL("../..", import.meta.url)) : undefined;
    const loadPaths = code === undefined
      ? [dirname(this.spec.path), root, root && join(root, "node_modules"), denoDir()]
        .filter((p): p is string => !!p && existsSync(p))
      : [];
    const granted = Array.isArray(userRead) ? userRead : [];
    const read = userRead === true ? true : [...new Set([...granted, ...loadPaths])];
    this.#revoke = userRead === true ? [] : loadPaths.filter((p) => !granted.includes(p));
    const { SandboxWorker } = await import("./process.ts");
    const permissions = {
      net: grant(net),
      read: grant(read),
      write: grant(write),
      env: grant(env),
      run: grant(run),
      ffi: false,
      sys: false,
      import: false,
    } as const;
    const worker = await SandboxWorker.start(`flow node module ${this.spec.label}`, permissions, this.#memory);
    if (this.#closed) {
      worker.terminate();
      throw new NodeError("the node module was closed", { code: "CANCELLED" });
    }
    this.#worker = worker;
    return worker;
  }

  /** Loads the module (or the code.function) in the Worker of a started process; resolves to its node types. */
  async #load(worker: SandboxWorker): Promise<NodeMeta[]> {
    const code = this.spec.code;
    const revoke = this.#revoke;
    const ready = new Promise<NodeMeta[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`loading timed out after ${LOAD_TIMEOUT_MS} ms`)),
        LOAD_TIMEOUT_MS,
      );
      worker.onmessage = (e: MessageEvent) => {
        const msg = e.data;
        if (msg.op === "loaded") {
          clearTimeout(timer);
          worker.onmessage = (ev: MessageEvent) => this.#onMessage(ev.data);
          // A restarted Worker gets the node instances of the one before.
          this.#resetup().then(() => resolve(msg.nodes), reject);
        } else if (msg.op === "load-error") {
          clearTimeout(timer);
          reject(new Error(msg.message));
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        clearTimeout(timer);
        reject(new Error(`failed to load: ${e.message}`));
        this.#crashed(`the node module crashed: ${e.message}`);
      };
      worker.onexit = (exit) => {
        clearTimeout(timer);
        const err = this.#exitError(exit);
        reject(err);
        if (this.#worker === worker) this.#crashed(err.message, err.code, err.retryable);
      };
    });
    worker.postMessage(
      code === undefined
        ? { op: "load", url: pathToFileURL(this.spec.path).href, revoke }
        : { op: "load", code, dir: this.spec.path },
    );
    return await ready;
  }

  /** The error of calls in a sandbox process that ended on its own. */
  #exitError(exit: SandboxExit): NodeError {
    if (exit.outOfMemory) {
      return new NodeError(
        `${this.spec.label} ran out of memory (limit ${formatBytes(this.#memory)}, set with ${MEMORY_VAR})`,
        { code: "OUT_OF_MEMORY", retryable: false },
      );
    }
    const why = exit.error ?? (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`);
    return new NodeError(`the sandbox process of ${this.spec.label} ended (${why})`, { code: "NODE_CRASHED" });
  }

  #onMessage(msg: WorkerMessage) {
    const p = this.#pending.get(msg.id);
    if (!p) return; // a late message from an aborted call
    if (msg.op === "store") {
      if (p.ctx) this.#storeCall(p.ctx, msg);
    } else if (msg.op === "log") {
      const level = msg.level as "debug" | "info" | "warn" | "error";
      p.ctx?.log[level]?.(msg.message ?? "");
    } else if (msg.op === "result") {
      this.#pending.delete(msg.id);
      p.resolve(msg.outputs as Record<string, unknown>);
    } else if (msg.op === "error") {
      this.#pending.delete(msg.id);
      const e = msg.error as { message: string; code: string; retryable: boolean };
      p.reject(new NodeError(e.message, { code: e.code, retryable: e.retryable }));
    }
  }

  /** Runs a `ctx.store` request of the Worker against the call's store and answers it. */
  async #storeCall(ctx: NodeContext<Record<string, unknown>, unknown>, msg: WorkerMessage) {
    const worker = this.#worker;
    const kv = msg.scope === "workflow" ? ctx.store.workflow : ctx.store;
    const key = msg.key ?? "";
    try {
      const value = msg.method === "getEntry"
        ? await kv.getEntry(key)
        : msg.method === "set"
        ? await kv.set(key, msg.value)
        : msg.method === "delete"
        ? await kv.delete(key)
        : await kv.compareAndSet(key, msg.value, msg.version ?? 0);
      worker?.postMessage({ op: "store-result", req: msg.req, value });
    } catch (err) {
      const e = err as { message?: string; code?: unknown };
      worker?.postMessage({
        op: "store-error",
        req: msg.req,
        error: { message: e?.message ?? String(err), code: typeof e?.code === "string" ? e.code : "STATE_ERROR" },
      });
    }
  }

  /**
   * The Worker died: fail what was running and start afresh on the next call.
   * `stuck`: it did not stop when aborted, and its sandbox process (shared
   * with the Workers of the same grants) is ended with it.
   */
  #crashed(message: string, code = "NODE_CRASHED", retryable = true, stuck = false) {
    this.#endStopping();
    this.#worker?.terminate(stuck ? `${this.spec.label} did not stop when aborted` : undefined);
    this.#worker = undefined;
    this.#ready = undefined;
    for (const p of this.#pending.values()) p.reject(new NodeError(message, { code, retryable }));
    this.#pending.clear();
  }

  /** Ends every wait for an aborted call (the Worker answered, was restarted or closed). */
  #endStopping() {
    for (const end of [...this.#stopping.values()]) end();
  }

  async #call(type: string, ctx: NodeContext<Record<string, unknown>, unknown>): Promise<Record<string, unknown>> {
    while (this.#stopping.size && !this.#closed) await Promise.all(this.#stopping.keys());
    if (this.#closed) throw new NodeError("the node module was closed", { code: "CANCELLED" });
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (!this.#ready) this.#start().catch(() => {});
    await this.#ready;
    const worker = this.#worker!;
    const id = this.#nextId++;
    return await new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, ctx });
      const onAbort = () => {
        if (!this.#pending.has(id)) return;
        this.#pending.delete(id);
        reject(ctx.signal.reason);
        worker.postMessage({ op: "abort", id });
        // A node stuck in synchronous code never answers: restart its Worker.
        let resolve!: () => void;
        const stopped = new Promise<void>((r) => resolve = r);
        const end = () => {
          clearTimeout(watchdog);
          worker.removeEventListener("message", onAck);
          this.#stopping.delete(stopped);
          resolve();
        };
        const watchdog = setTimeout(() => {
          if (this.#worker === worker) {
            this.#crashed(`a node in ${this.spec.label} did not stop when aborted`, "NODE_CRASHED", true, true);
          }
          end();
        }, ABORT_GRACE_MS);
        const onAck = (e: MessageEvent) => {
          if (e.data?.op === "aborted" && e.data.id === id) end();
        };
        worker.addEventListener("message", onAck);
        this.#stopping.set(stopped, end);
      };
      if (ctx.signal.aborted) return onAbort();
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      worker.postMessage({
        op: "run",
        id,
        type,
        inputs: ctx.inputs,
        config: ctx.config,
        nodeId: ctx.nodeId,
        attempt: ctx.attempt,
        executionId: ctx.executionId,
        instance: ctx.instance instanceof SandboxInstance ? ctx.instance.key : undefined,
      });
    });
  }

  /** Posts a setup or dispose message to the current Worker and waits for its answer. */
  #post(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    const worker = this.#worker;
    if (!worker) return Promise.reject(new NodeError("the node module is not running", { code: "NODE_CRASHED" }));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id });
    });
  }

  /** Sets up every live node instance again (in a Worker that replaced one that crashed). */
  async #resetup(): Promise<void> {
    for (const [key, spec] of this.#instances) {
      await this.#post({ op: "setup", key, type: spec.type, config: spec.config, ...spec.info });
    }
  }

  /** `setup` of a sandboxed type: the instance lives in the Worker; the host keeps a handle. */
  async #setup(type: string, config: unknown, info: InstanceSpec["info"]): Promise<SandboxInstance> {
    if (this.#closed) throw new NodeError("the node module was closed", { code: "CANCELLED" });
    if (!this.#ready) this.#start().catch(() => {});
    await this.#ready;
    const key = this.#nextKey++;
    await this.#post({ op: "setup", key, type, config, ...info });
    this.#instances.set(key, { type, config, info });
    return new SandboxInstance(key);
  }

  /** `dispose` of a sandboxed type: releases the instance in the Worker (nothing to do once it is gone). */
  async #dispose(instance: unknown): Promise<void> {
    if (!(instance instanceof SandboxInstance) || !this.#instances.delete(instance.key)) return;
    if (this.#closed || !this.#ready) return;
    await this.#ready.catch(() => {});
    if (this.#worker) await this.#post({ op: "dispose", key: instance.key });
  }

  #proxy(meta: NodeMeta): AnyNodeDefinition {
    let config: ZodType | undefined;
    if (meta.config) {
      try {
        config = fromJSONSchema(meta.config as Parameters<typeof fromJSONSchema>[0]);
      } catch {
        config = unknown();
      }
    }
    return {
      type: meta.type,
      description: meta.description,
      inputs: meta.inputs,
      outputs: meta.outputs,
      dynamicInputs: meta.dynamicInputs,
      inputMode: meta.inputMode,
      config,
      run: (ctx) => this.#call(meta.type, ctx as NodeContext<Record<string, unknown>, unknown>),
      ...(meta.setup
        ? {
          setup: (config: unknown, info: InstanceSpec["info"]) =>
            this.#setup(meta.type, config, { workflowId: info.workflowId, nodeId: info.nodeId }),
          dispose: (instance: unknown) => this.#dispose(instance),
        }
        : {}),
    };
  }
}

/** A grant as Deno's Worker options take it: an empty list is no access. */
function grant(value: string[] | boolean | undefined): string[] | boolean {
  return value === undefined || (Array.isArray(value) && value.length === 0) ? false : value;
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function denoDir(): string | undefined {
  const env = (n: string) => Deno.env.get(n) || undefined;
  const explicit = env("DENO_DIR");
  if (explicit) return explicit;
  const home = env("HOME") ?? env("USERPROFILE");
  if (Deno.build.os === "darwin" && home) return join(home, "Library", "Caches", "deno");
  if (Deno.build.os === "windows") return env("LOCALAPPDATA") && join(env("LOCALAPPDATA")!, "deno");
  const xdg = env("XDG_CACHE_HOME");
  return xdg ? join(xdg, "deno") : home && join(home, ".cache", "deno");
}

let hint: string | undefined | null = null;

/**
 * When this process is certainly a `deno run` without Deno's
 * `--unstable-worker-options` (which `Worker`'s `deno.permissions` needs),
 * a one-line message saying what to add; else undefined. Deno offers no way
 * to ask, and a `new Worker` with permissions ends the process: this reads
 * the command line (`/proc/self/cmdline`, Linux) and the config files Deno
 * may have used. Where it cannot be sure (another system, `deno test`, a
 * compiled binary), it says nothing. Computed once.
 */
export function workerOptionsHint(): string | undefined {
  if (hint === null) {
    hint = undefined;
    try {
      const argv = readIfAllowed("/proc/self/cmdline")?.split("\0");
      if (argv) {
        if (argv.at(-1) === "") argv.pop();
        hint = missingWorkerOptions(argv, fileURLToPath(Deno.mainModule), Deno.cwd(), readIfAllowed);
      }
    } catch { /* cannot tell */ }
  }
  return hint;
}

/**
 * The hint of {@linkcode workerOptionsHint} for a command line: `argv` is
 * `deno run [flags] SCRIPT [args]`, SCRIPT being `mainPath`, and neither the
 * flags nor a config file Deno may have found (`read` gives a file's text,
 * undefined when absent) enables `worker-options`.
 *
 * @example
 * ```ts
 * import { missingWorkerOptions } from "./host.ts";
 * missingWorkerOptions(["deno", "run", "-A", "flow.js", "run", "wf.json"], "/tmp/flow.js", "/tmp", () => undefined);
 * // "custom node modules run in Workers ... (deno run --unstable-worker-options -A flow.js ...)"
 * ```
 */
export function missingWorkerOptions(
  argv: string[],
  mainPath: string,
  cwd: string,
  read: (path: string) => string | undefined,
): string | undefined {
  if (!/^deno(\.exe)?$/i.test(basename(argv[0] ?? "")) || argv[1] !== "run") return undefined;
  const at = argv.findIndex((arg, k) => k > 1 && !arg.startsWith("-") && resolve(cwd, arg) === mainPath);
  if (at < 0) return undefined;
  const flags = argv.slice(2, at);
  if (flags.some((f) => f === "--unstable" || f.startsWith("--unstable-worker-options"))) return undefined;
  const enables = (path: string) => {
    const text = read(path);
    return text === undefined ? undefined : /["']worker-options["']/.test(text);
  };
  const configAt = flags.findIndex((f) => f === "--config" || f === "-c" || /^(--config=|-c.)/.test(f));
  if (configAt >= 0) {
    const f = flags[configAt];
    const path = f === "--config" || f === "-c" ? flags[configAt + 1] : f.replace(/^(--config=|-c=?)/, "");
    if (path === undefined || enables(resolve(cwd, path)) !== false) return undefined;
  } else if (!flags.includes("--no-config")) {
    for (const start of [dirname(mainPath), cwd]) {
      for (let dir = start;; dir = dirname(dir)) {
        if (enables(join(dir, "deno.json")) || enables(join(dir, "deno.jsonc"))) return undefined;
        if (dirname(dir) === dir) break;
      }
    }
  }
  return "custom node modules run in Workers with their own permissions, which need Deno's " +
    `--unstable-worker-options flag: add it to the command (deno run --unstable-worker-options ${
      [...flags, argv[at]].join(" ")
    } ...)`;
}

/** A file's text; undefined when it is absent or not readable (without a permission prompt). */
function readIfAllowed(path: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}
