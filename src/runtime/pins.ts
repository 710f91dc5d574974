/**
 * Pinned data: a node's outputs kept for development, which editor runs
 * (and `flow run --use-pins`) use instead of calling the node. Pins live in
 * the store, beside persistent node state, keyed by workflow id and node id
 * in a scope of their own (`@pins`, which no node id can be, so no node's
 * `ctx.store` reaches it). They are never in the workflow file: its logic
 * lines and its hash stay the same, and a trigger, a schedule, `flow run` and
 * `flow serve`'s own runs never see them (docs/editor-runs.md).
 *
 * @module
 */
import type { StateStore } from "../store/types.ts";
import type { CompiledWorkflow } from "../validate/validate.ts";

/** The state scope of pins. */
export const PIN_SCOPE = "@pins";

/** The largest pin: 4 MiB of JSON text. */
export const MAX_PIN_BYTES = 4 * 1024 * 1024;

/** Where a pin's outputs came from. */
export type PinSource = "json" | "run" | "test-request";

/** A pinned node output. */
export interface Pin {
  /** The node. */
  nodeId: string;
  /** Its outputs, by port (secrets redacted). */
  outputs: Record<string, unknown>;
  /** `json` (typed in), `run` (a recorded run's outputs) or `test-request` (a captured webhook request). */
  source: PinSource;
  /** The execution the outputs came from (`run`, and `test-request` when it ran). */
  executionId?: string;
  /** The node's type when it was pinned. */
  nodeType?: string;
  /** When it was pinned, ISO 8601. */
  pinnedAt: string;
}

/** A pin that does not fit: too large, or not an object of outputs. */
export class PinError extends Error {
  /** `TOO_LARGE` or `BAD_PIN`. */
  readonly code: "TOO_LARGE" | "BAD_PIN";
  /** Creates the error with its one-line message. */
  constructor(message: string, code: PinError["code"]) {
    super(message);
    this.name = "PinError";
    this.code = code;
  }
}

/**
 * The pins of every workflow, over a state store.
 *
 * @example
 * ```ts
 * import { Pins } from "./pins.ts";
 * import { MemoryStateStore } from "../store/memory.ts";
 * const pins = new Pins(new MemoryStateStore());
 * await pins.set("orders", { nodeId: "fetch", outputs: { body: [] }, source: "json", pinnedAt: new Date().toISOString() });
 * (await pins.get("orders", "fetch"))?.outputs; // { body: [] }
 * ```
 */
export class Pins {
  readonly #state: StateStore;

  /** Pins kept in `state`. */
  constructor(state: StateStore) {
    this.#state = state;
  }

  /** The pins of a workflow, by node id. */
  async list(workflowId: string): Promise<Pin[]> {
    const rows = await this.#state.listState({ workflowId, scope: PIN_SCOPE });
    return rows.map((r) => ({ ...(r.value as Omit<Pin, "nodeId">), nodeId: r.key }));
  }

  /**
   * The pinned outputs of a workflow's nodes, by node id: what a partial run
   * reuses. Stale pins (see {@linkcode isStalePin}) are left out.
   */
  async outputs(compiled: CompiledWorkflow): Promise<Map<string, Record<string, unknown>>> {
    const pins = (await this.list(compiled.id)).filter((p) => !isStalePin(p, compiled));
    return new Map(pins.map((p) => [p.nodeId, p.outputs]));
  }

  /** One pin, or undefined. */
  async get(workflowId: string, nodeId: string): Promise<Pin | undefined> {
    const entry = await this.#state.getState({ workflowId, scope: PIN_SCOPE, key: nodeId });
    return entry ? { ...(entry.value as Omit<Pin, "nodeId">), nodeId } : undefined;
  }

  /** Pins (or re-pins) a node's outputs. Throws a {@linkcode PinError} for a pin over {@linkcode MAX_PIN_BYTES}. */
  async set(workflowId: string, pin: Pin): Promise<void> {
    const { nodeId, ...value } = pin;
    if (value.outputs === null || typeof value.outputs !== "object" || Array.isArray(value.outputs)) {
      throw new PinError(`pin of "${nodeId}": outputs must be an object of port values`, "BAD_PIN");
    }
    const json = JSON.stringify(value);
    const bytes = new TextEncoder().encode(json).length;
    if (bytes > MAX_PIN_BYTES) {
      throw new PinError(
        `pin of "${nodeId}": ${bytes} bytes of JSON; a pin holds at most ${MAX_PIN_BYTES} bytes`,
        "TOO_LARGE",
      );
    }
    await this.#state.putState({ workflowId, scope: PIN_SCOPE, key: nodeId }, json);
  }

  /** Unpins a node; resolves to whether it was pinned. */
  delete(workflowId: string, nodeId: string): Promise<boolean> {
    return this.#state.deleteState({ workflowId, scope: PIN_SCOPE, key: nodeId });
  }
}

/**
 * Whether a pin no longer fits its workflow: the node is gone, or it has
 * another type than when it was pinned. Runs ignore such pins; the API lists
 * them with `stale: true`.
 */
export function isStalePin(pin: Pin, compiled: CompiledWorkflow): boolean {
  const node = compiled.nodes.find((n) => n.id === pin.nodeId);
  return !node || (pin.nodeType !== undefined && pin.nodeType !== node.type);
}
