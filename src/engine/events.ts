/**
 * The event stream: every step of an execution as a typed event, delivered to
 * any number of subscribers. This is the NDJSON contract (docs/events.md).
 *
 * @module
 */
import type { ErrorInfo } from "../errors.ts";
import type { LogLevel } from "../node/node.ts";

/** Fields every event carries. */
export interface EventBase {
  /** Id of the execution (a UUID), the same for every event of one run. */
  executionId: string;
  /** The workflow's id. */
  workflowId: string;
  /** 0, 1, 2, ... per execution, without gaps. */
  seq: number;
  /** When the event happened, ISO 8601. */
  ts: string;
  /** Set on events of a sub-workflow run: the node (in the parent workflow) that runs it. */
  parentNodeId?: string;
  /** Set on events of a `control.loop` iteration: the item's index. */
  iteration?: number;
  /** Set on events of a sub-workflow run: every parent node from the top, e.g. `each[3]/detail`. */
  runPath?: string;
}

/** Final state of a run. */
export type RunStatus = "success" | "failed" | "cancelled";

/** Event payloads by type (without the base fields). */
export interface EventPayloads {
  /** A run (or a sub-workflow run) began. */
  "workflow.started": {
    name?: string;
    nodeCount: number;
    /** Top-level run of `flow resume`: the execution it resumes. */
    resumedFrom?: string;
    /**
     * Distributed mode: this execution's worker died and another worker took
     * it over; its journal continues, and nodes recorded complete are reused.
     */
    takeover?: true;
  };
  /** `onError: "retry"`: the whole workflow runs again. */
  "workflow.retrying": { attempt: number; error: ErrorInfo & { nodeId?: string } };
  /** An attempt of a node began. */
  "node.started": { nodeId: string; nodeType: string; attempt: number };
  /** A node logged a line. */
  "node.log": { nodeId: string; level: LogLevel; message: string };
  /** A node finished; its outputs by port. */
  "node.completed": {
    nodeId: string;
    outputs: Record<string, unknown>;
    durationMs: number;
    /**
     * The node did not run: its outputs were recorded by an earlier execution
     * (`flow resume`, an editor run on recorded data) or pinned.
     */
    reused?: true;
    /** With `reused`: the outputs are pinned data (editor runs, `flow run --use-pins`). */
    pinned?: true;
  };
  /** An attempt failed; the next one starts after `delayMs`. */
  "node.retrying": { nodeId: string; attempt: number; delayMs: number; error: ErrorInfo };
  /** A node failed for good. */
  "node.failed": { nodeId: string; error: ErrorInfo; durationMs: number };
  /** A node will not run: an input it needs cannot arrive. */
  "node.skipped": { nodeId: string; reason: string };
  /** The run ended; always the last event of a run. */
  "workflow.completed": {
    status: RunStatus;
    durationMs: number;
    outputs: Record<string, unknown>;
    error?: ErrorInfo & { nodeId?: string };
  };
}

/** The event type names. */
export type EventType = keyof EventPayloads;

/** One event of a given type. */
export type EventOf<T extends EventType> = { type: T } & EventBase & EventPayloads[T];

/** Any event. */
export type FlowEvent = { [T in EventType]: EventOf<T> }[EventType];

/** A subscriber. */
export type EventListener = (event: FlowEvent) => void;

/**
 * Delivers events to any number of subscribers, synchronously and in order:
 * a run's events (the default), and every other fan-out of flow (FlowRuntime's
 * streams of all events, of one execution, of file changes and of the
 * editor's changes).
 *
 * @example
 * ```ts
 * import { EventBus } from "./events.ts";
 * const bus = new EventBus();
 * const off = bus.subscribe((e) => console.log(e.type));
 * off();
 * ```
 */
export class EventBus<E = FlowEvent> {
  #listeners: ((event: E) => void)[] = [];

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: (event: E) => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Delivers an event to every listener (those subscribed when it starts). */
  publish(event: E): void {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](event);
  }

  /** How many listeners it has. */
  get size(): number {
    return this.#listeners.length;
  }
}

// The last event serialised, keyed by the object itself: safe across runs (docs/architecture.md, "State kept by modules").
let lastEvent: FlowEvent | undefined;
let lastLine = "";

/**
 * The NDJSON line of an event (ending in a newline). Every sink gets the same
 * event object in turn, so remembering the last one serialises each event
 * once however many sinks write it (stdout, `--events FILE`, the store).
 *
 * @example
 * ```ts
 * import { eventLine } from "./events.ts";
 * eventLine({ type: "node.log", executionId: "x", workflowId: "w", seq: 0, ts: "", nodeId: "n", level: "info", message: "hi" });
 * ```
 */
export function eventLine(event: FlowEvent): string {
  if (event !== lastEvent) {
    lastEvent = event;
    lastLine = JSON.stringify(event) + "\n";
  }
  return lastLine;
}
