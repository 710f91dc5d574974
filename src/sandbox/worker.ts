/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The Worker that hosts custom node modules. It imports one module with the
 * read access needed to load it, drops that access, and then runs the
 * module's nodes with only the permissions the workflow granted.
 *
 * Protocol (structured-clone messages):
 * - in `{ op: "load", url, revoke }` -> out `{ op: "loaded", nodes }` or `{ op: "load-error", message }`;
 *   in `{ op: "load", code, dir }` (a `code.function` body, its workflow's folder) -> the one node type `code.function`
 * - in `{ op: "run", id, type, inputs, config, nodeId, attempt, executionId }`
 *   -> out `{ op: "log", id, level, message }`*, then `{ op: "result", id, outputs }` or `{ op: "error", id, error }`
 * - in `{ op: "abort", id }` -> the call's signal is aborted; out `{ op: "aborted", id }`
 * - node instances (`setup`/`dispose`) live here, keyed by a number the host picks:
 *   in `{ op: "setup", id, type, config, key, workflowId, nodeId }` -> out `{ op: "result", id, outputs: {} }`
 *   or `{ op: "error", id, error }`; `run` messages carry `instance: key` (`ctx.instance`);
 *   in `{ op: "dispose", id, key }` -> the type's `dispose(instance)`, then `result` or `error`.
 * - `ctx.store` (persistent state) goes through the host, which owns the store:
 *   out `{ op: "store", id, req, scope: "node" | "workflow", method: "getEntry" | "set" | "delete" | "compareAndSet", key, value?, version? }`
 *   -> in `{ op: "store-result", req, value }` or `{ op: "store-error", req, error }`.
 *   `update` is a compare-and-set loop here (`../engine/state_update.ts`), so it stays atomic across processes.
 *
 * @module
 */
import type { ZodType } from "zod";
import { toJSONSchema } from "zod/mini";
import { casUpdate } from "../engine/state_update.ts";

interface Def {
  type: string;
  description?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  dynamicInputs?: unknown;
  inputMode?: unknown;
  config?: ZodType;
  run: (ctx: unknown) => unknown;
  setup?: (config: unknown, info: { workflowId: string; nodeId: string }) => unknown;
  dispose?: (instance: unknown) => unknown;
}

// Workers of one sandbox process (the same grants) share it: no channel between them but through flow.
delete (globalThis as Record<string, unknown>).BroadcastChannel;

const defs = new Map<string, Def>();
const calls = new Map<number, AbortController>();
const states = new Map<string, Map<string, unknown>>();
/** Node instances made by `setup`, by the key the host gave, with the type that made them. */
const instances = new Map<number, { type: string; value: unknown }>();
/** Store requests waiting for the host's answer. */
const storeCalls = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let nextStoreReq = 1;

const isDef = (v: unknown): v is Def =>
  v !== null && typeof v === "object" && typeof (v as Def).type === "string" && typeof (v as Def).run === "function";

/** Where a denied operation is granted, for its message. */
let grantHint = "the workflow's imports[].permissions";
/** Whether this Worker runs a code.function, whose denials do not mention Deno's flags (its grants are not flags). */
let codeMode = false;

/** Deno's message for a denied operation, without its flag advice in a code.function. */
function denial(message: string | undefined): string {
  return codeMode ? String(message).replace(/, run again with the --allow-\w+ flag/, "") : String(message);
}

self.onmessage = async (event: MessageEvent) => {
  const msg = event.data;
  if (msg.op === "load" && typeof msg.code === "string") loadCode(msg.code, msg.dir);
  else if (msg.op === "load") await load(msg.url, msg.revoke);
  else if (msg.op === "run") await run(msg);
  else if (msg.op === "setup" || msg.op === "dispose") await lifecycle(msg);
  else if (msg.op === "store-result" || msg.op === "store-error") settleStoreCall(msg);
  else if (msg.op === "abort") {
    calls.get(msg.id)?.abort(new DOMException("the node was aborted", "AbortError"));
    self.postMessage({ op: "aborted", id: msg.id });
  }
};

async function load(url: string, revoke: string[]) {
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (err) {
    self.postMessage({ op: "load-error", message: `failed to load: ${oneLine(err)}` });
    return;
  } finally {
    for (const path of revoke) Deno.permissions.revokeSync({ name: "read", path });
  }
  const found = [...new Set(Object.values(mod).filter(isDef))];
  if (found.length === 0) {
    self.postMessage({
      op: "load-error",
      message: "exports no node (export default defineNode({ type, description, inputs, outputs, run }))",
    });
    return;
  }
  const nodes = [];
  for (const def of found) {
    defs.set(def.type, def);
    let config: unknown = null;
    if (def.config) {
      try {
        config = toJSONSchema(def.config, { io: "input", unrepresentable: "any" });
      } catch {
        config = {}; // not expressible as JSON Schema: checked in here at run time only
      }
    }
    nodes.push({
      type: def.type,
      description: typeof def.description === "string" ? def.description : "",
      inputs: def.inputs ?? {},
      outputs: def.outputs ?? {},
      dynamicInputs: def.dynamicInputs,
      inputMode: typeof def.inputMode === "string" ? def.inputMode : undefined,
      config,
      setup: typeof def.setup === "function",
    });
  }
  self.postMessage({ op: "loaded", nodes });
}

/**
 * A `code.function` (host.ts `ModuleSpec.code`): the body of an async
 * function `(inputs, ctx, console)`, run as node type `code.function`.
 * `console` is the call's own, writing `node.log` events; `console` used
 * elsewhere (a callback the body left behind) logs to the call started last.
 */
function loadCode(body: string, dir: string) {
  grantHint = "the node's config.permissions";
  codeMode = true;
  let fn: (inputs: unknown, ctx: unknown, console: unknown) => Promise<unknown>;
  try {
    const AsyncFunction = (async () => {}).constructor as FunctionConstructor;
    fn = new AsyncFunction("inputs", "ctx", "console", body) as typeof fn;
  } catch (err) {
    self.postMessage({ op: "load-error", message: `failed to load: ${oneLine(err)}` });
    return;
  }
  const latest: Console[] = [];
  const global = globalThis.console;
  for (const method of ["log", "info", "debug", "warn", "error", "trace", "dir", "table"] as const) {
    global[method] = (...args: unknown[]) => (latest.at(-1)?.[method] as (...a: unknown[]) => void)?.(...args);
  }
  defs.set("code.function", {
    type: "code.function",
    async run(raw: unknown) {
      const ctx = raw as {
        inputs: unknown;
        log: Record<"debug" | "info" | "warn" | "error", (message: string) => void>;
        signal: AbortSignal;
        store: unknown;
        nodeId: string;
        attempt: number;
        executionId: string;
      };
      const console = consoleOf(ctx.log);
      latest.push(console);
      try {
        const { log, signal, store, nodeId, attempt, executionId } = ctx;
        const outputs = await fn(ctx.inputs, { log, signal, store, nodeId, attempt, executionId, dir }, console);
        if (outputs !== undefined && (outputs === null || typeof outputs !== "object" || Array.isArray(outputs))) {
          throw Object.assign(
            new Error(`returned ${oneLine(JSON.stringify(outputs) ?? typeof outputs)}; return an object of outputs`),
            { code: "BAD_OUTPUT", retryable: false },
          );
        }
        return outputs;
      } catch (err) {
        throw located(err);
      } finally {
        latest.splice(latest.indexOf(console), 1);
      }
    },
  });
  self.postMessage({
    op: "loaded",
    nodes: [{ type: "code.function", description: "", inputs: {}, outputs: {}, config: null, setup: false }],
  });
}

/** A `console` whose methods write `node.log` events through `log` (objects shown as `Deno.inspect` does). */
function consoleOf(log: Record<"debug" | "info" | "warn" | "error", (message: string) => void>): Console {
  const text = (args: unknown[]) =>
    args.map((a) => typeof a === "string" ? a : Deno.inspect(a, { colors: false, depth: 6 })).join(" ");
  const to = (level: "debug" | "info" | "warn" | "error") => (...args: unknown[]) => log[level](text(args));
  return {
    ...globalThis.console,
    log: to("info"),
    info: to("info"),
    debug: to("debug"),
    trace: to("debug"),
    dir: to("info"),
    table: to("info"),
    warn: to("warn"),
    error: to("error"),
  };
}

/**
 * An error thrown by a code.function, with the line of the source it was
 * thrown at (`(line 3)`): lines are kept where they were, columns are not
 * (types were removed before them).
 */
function located(err: unknown): unknown {
  const e = err as Error;
  if (typeof e?.stack !== "string" || typeof e.message !== "string") return err;
  // The body is compiled by AsyncFunction: its frames are "<anonymous>:LINE:COL", two lines below the source's.
  const at = /<anonymous>:(\d+):\d+\)?\s*$/m.exec(e.stack.split("\n").find((l) => l.includes("<anonymous>:")) ?? "");
  if (at && Number(at[1]) > 2) {
    try {
      e.message = `${e.message} (line ${Number(at[1]) - 2})`;
    } catch { /* a frozen error keeps its message */ }
  }
  return err;
}

async function run(msg: {
  id: number;
  type: string;
  inputs: Record<string, unknown>;
  config: unknown;
  nodeId: string;
  attempt: number;
  executionId: string;
  instance?: number;
}) {
  const { id } = msg;
  const def = defs.get(msg.type)!;
  const controller = new AbortController();
  calls.set(id, controller);
  const log = (level: string) => (message: unknown) => {
    if (calls.has(id)) self.postMessage({ op: "log", id, level, message: String(message) });
  };
  const stateKey = `${msg.executionId}:${msg.nodeId}`;
  const unsupported = (what: string) => () => {
    throw new Error(`${what} is not available to sandboxed custom nodes`);
  };
  try {
    const config = parseConfig(def, msg.config);
    const outputs = await def.run({
      inputs: msg.inputs,
      config,
      signal: controller.signal,
      log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
      get state() {
        let s = states.get(stateKey);
        if (!s) states.set(stateKey, s = new Map());
        return s;
      },
      nodeId: msg.nodeId,
      attempt: msg.attempt,
      executionId: msg.executionId,
      evaluate: unsupported("ctx.evaluate"),
      evaluateNow: unsupported("ctx.evaluateNow"),
      prepared: undefined,
      runWorkflow: unsupported("ctx.runWorkflow"),
      store: nodeStore(id),
      instance: msg.instance === undefined ? undefined : instances.get(msg.instance)?.value,
    });
    const problem = nonJson(outputs, "outputs");
    if (problem) {
      self.postMessage({
        op: "error",
        id,
        error: { message: `returned a non-JSON value: ${problem}`, code: "BAD_OUTPUT", retryable: false },
      });
    } else self.postMessage({ op: "result", id, outputs: outputs ?? {} });
  } catch (err) {
    postError(id, err);
  } finally {
    calls.delete(id);
  }
}

/** The config as the type's schema parses it (defaults applied); throws a CONFIG error. */
function parseConfig(def: Def, raw: unknown): unknown {
  if (!def.config) return raw;
  const r = def.config.safeParse(raw ?? {});
  if (!r.success) throw Object.assign(new Error(`invalid config: ${r.error.message}`), { code: "CONFIG" });
  return r.data;
}

/** `setup` (the instance is kept under `key`) or `dispose` (it is released). */
async function lifecycle(msg: {
  op: "setup" | "dispose";
  id: number;
  key: number;
  type?: string;
  config?: unknown;
  workflowId?: string;
  nodeId?: string;
}) {
  try {
    if (msg.op === "setup") {
      const def = defs.get(msg.type!)!;
      const value = await def.setup!(parseConfig(def, msg.config), {
        workflowId: msg.workflowId!,
        nodeId: msg.nodeId!,
      });
      instances.set(msg.key, { type: msg.type!, value });
    } else {
      const made = instances.get(msg.key);
      instances.delete(msg.key);
      if (made) await defs.get(made.type)?.dispose?.(made.value);
    }
    self.postMessage({ op: "result", id: msg.id, outputs: {} });
  } catch (err) {
    postError(msg.id, err);
  }
}

/** Reports a failed call to the host. */
function postError(id: number, err: unknown) {
  const e = err as { name?: string; message?: string; code?: unknown; retryable?: unknown };
  self.postMessage({
    op: "error",
    id,
    error: {
      name: e?.name ?? "Error",
      message: e?.name === "NotCapable" ? `${denial(e.message)} (grant it in ${grantHint})` : e?.message ?? String(err),
      code: typeof e?.code === "string" ? e.code : e?.name === "NotCapable" ? "PERMISSION_DENIED" : "NODE_ERROR",
      retryable: e?.retryable !== false && e?.name !== "NotCapable",
    },
  });
}

/** The `ctx.store` of call `id`: requests to the host, which owns the store. */
function nodeStore(id: number) {
  const scope = (name: "node" | "workflow") => {
    const call = (method: string, key: string, extra: Record<string, unknown> = {}) =>
      new Promise<unknown>((resolve, reject) => {
        const req = nextStoreReq++;
        storeCalls.set(req, { resolve, reject });
        self.postMessage({ op: "store", id, req, scope: name, method, key, ...extra });
      });
    const getEntry = (key: string) => call("getEntry", key) as Promise<{ value: unknown; version: number } | undefined>;
    const compareAndSet = (key: string, value: unknown, version: number) =>
      call("compareAndSet", key, { value, version }) as Promise<number | false>;
    return {
      get: async (key: string) => (await getEntry(key))?.value,
      set: async (key: string, value: unknown) => {
        await call("set", key, { value });
      },
      delete: (key: string) => call("delete", key) as Promise<boolean>,
      getEntry,
      compareAndSet,
      // The same loop, and the same code when it gives up, as in-process nodes (src/engine/state.ts).
      update: (key: string, fn: (current: unknown) => unknown) =>
        casUpdate(
          { getEntry, compareAndSet },
          key,
          fn,
          (message) => Object.assign(new Error(message), { code: "STATE_BUSY" }),
        ),
    };
  };
  return Object.assign(scope("node"), { workflow: scope("workflow") });
}

function settleStoreCall(msg: { op: string; req: number; value?: unknown; error?: { message: string; code: string } }) {
  const call = storeCalls.get(msg.req);
  if (!call) return;
  storeCalls.delete(msg.req);
  if (msg.op === "store-result") call.resolve(msg.value);
  else call.reject(Object.assign(new Error(msg.error?.message ?? "state store error"), { code: msg.error?.code }));
}

/** ANSI colour codes, which Deno puts around locations in some error messages. */
const ANSI = new RegExp("\u001b\\[[0-9;]*m", "g");

/**
 * An error message on one line (validation reports one problem per line): the
 * first line, plus the source location of a syntax error's code frame.
 */
function oneLine(err: unknown): string {
  const lines = String((err as Error)?.message ?? err).replace(ANSI, "").split("\n");
  const at = lines.slice(1).map((l) => l.trim()).find((l) => l.startsWith("at "));
  return at ? `${lines[0]} (${at})` : lines[0];
}

/** Describes the first value that is not plain JSON, or returns undefined. */
function nonJson(value: unknown, path: string, depth = 0): string | undefined {
  if (depth > 200) return `${path} is nested too deeply (cycle?)`;
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${path} is ${value}`;
  if (value === undefined) return depth === 0 ? undefined : `${path} is undefined`;
  if (typeof value !== "object") return `${path} is a ${typeof value}`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = nonJson(value[i], `${path}[${i}]`, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `${path} is a ${proto?.constructor?.name ?? "object"}`;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined && depth === 0) continue;
    const p = nonJson(v, `${path}.${k}`, depth + 1);
    if (p) return p;
  }
  return undefined;
}
