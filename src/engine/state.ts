/**
 * Persistent node state (`ctx.store`): JSON values that outlive a run, scoped
 * to the workflow id and the node id, plus a workflow-wide scope that every
 * node of the workflow shares. `update` is atomic across processes: it reads
 * the value with its version and writes only if nobody wrote in between
 * (compare-and-set), trying again otherwise (`state_update.ts`, the loop the
 * sandbox's Worker runs too).
 *
 * @module
 */
import { NodeError } from "../errors.ts";
import type { StateEntry, StateRef, StateStore } from "../store/types.ts";
import { casUpdate } from "./state_update.ts";
import { preview } from "../workflow/values.ts";

/** The largest value `set` and `update` accept: 1 MiB of JSON text. */
export const MAX_STATE_BYTES = 1024 * 1024;

/** Longest key, in characters. */
export const MAX_STATE_KEY = 256;

/** Values by key in one scope. */
export interface KeyValueStore {
  /** The value at `key`, or undefined. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores a JSON value (at most 1 MiB of JSON text). */
  set(key: string, value: unknown): Promise<void>;
  /** Removes `key`; resolves to whether it existed. */
  delete(key: string): Promise<boolean>;
  /**
   * Replaces the value at `key` with `fn(current)` atomically, even across
   * processes; resolves to the new value. `fn` may run more than once.
   */
  update<T = unknown>(key: string, fn: (current: T | undefined) => T): Promise<T>;
  /** Low level: the value with its compare-and-set version (0 when absent). */
  getEntry(key: string): Promise<StateEntry | undefined>;
  /** Low level: writes only if the version is still `version`; resolves to the new version, or false. */
  compareAndSet(key: string, value: unknown, version: number): Promise<number | false>;
}

/** `ctx.store`: the node's own scope, and the workflow-wide one under `workflow`. */
export interface NodeStore extends KeyValueStore {
  /** The scope every node of this workflow shares. */
  readonly workflow: KeyValueStore;
}

/** One scope of persistent state. */
class Scope implements KeyValueStore {
  readonly #backend: StateStore;
  readonly #workflowId: string;
  readonly #scope: string;
  constructor(backend: StateStore, workflowId: string, scope: string) {
    this.#backend = backend;
    this.#workflowId = workflowId;
    this.#scope = scope;
  }

  #ref(key: string): StateRef {
    if (typeof key !== "string" || key === "" || key.length > MAX_STATE_KEY) {
      throw new NodeError(`state key: expected a string of 1 to ${MAX_STATE_KEY} characters; got ${preview(key)}`, {
        code: "BAD_STATE",
        retryable: false,
      });
    }
    return { workflowId: this.#workflowId, scope: this.#scope, key };
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    return (await this.getEntry(key))?.value as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    const ref = this.#ref(key);
    await guard(() => this.#backend.putState(ref, encode(key, value)));
  }

  delete(key: string): Promise<boolean> {
    const ref = this.#ref(key);
    return guard(() => this.#backend.deleteState(ref));
  }

  update<T = unknown>(key: string, fn: (current: T | undefined) => T): Promise<T> {
    return casUpdate(this, key, fn, (message) => new NodeError(message, { code: "STATE_BUSY" }));
  }

  getEntry(key: string): Promise<StateEntry | undefined> {
    const ref = this.#ref(key);
    return guard(() => this.#backend.getState(ref));
  }

  compareAndSet(key: string, value: unknown, version: number): Promise<number | false> {
    const ref = this.#ref(key);
    const json = encode(key, value);
    return guard(() => this.#backend.putState(ref, json, version));
  }
}

/**
 * The `ctx.store` of node `nodeId` in workflow `workflowId`.
 *
 * @example
 * ```ts
 * import { nodeStore } from "./state.ts";
 * import { MemoryStateStore } from "../store/memory.ts";
 * const store = nodeStore(new MemoryStateStore(), "wf", "counter");
 * await store.update<number>("n", (n) => (n ?? 0) + 1); // 1
 * await store.workflow.set("cursor", 42);
 * ```
 */
export function nodeStore(backend: StateStore, workflowId: string, nodeId: string): NodeStore {
  const own = new Scope(backend, workflowId, nodeId) as Scope & { workflow: KeyValueStore };
  Object.defineProperty(own, "workflow", { value: new Scope(backend, workflowId, ""), enumerable: true });
  return own;
}

/** JSON text of a state value; a clear node error for non-JSON values and values over 1 MiB. */
function encode(key: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new NodeError(`state key "${key}": the value is not JSON: ${(err as Error).message}`, {
      code: "BAD_STATE",
      retryable: false,
    });
  }
  if (json === undefined) {
    throw new NodeError(`state key "${key}": expected a JSON value; got ${typeof value}`, {
      code: "BAD_STATE",
      retryable: false,
    });
  }
  // UTF-8 length without encoding: a quick upper bound first.
  if (json.length * 3 > MAX_STATE_BYTES) {
    const bytes = new TextEncoder().encode(json).length;
    if (bytes > MAX_STATE_BYTES) {
      throw new NodeError(
        `state key "${key}": the value is ${bytes} bytes of JSON; the limit is ${MAX_STATE_BYTES} (1 MiB)`,
        { code: "STATE_TOO_LARGE", retryable: false },
      );
    }
  }
  return json;
}

/** Turns store failures into node errors (the node fails; the run goes on by its error policy). */
async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof NodeError) throw err;
    throw new NodeError(`state store: ${(err as Error).message ?? String(err)}`, { code: "STATE_UNAVAILABLE" });
  }
}
