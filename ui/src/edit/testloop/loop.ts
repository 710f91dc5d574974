/**
 * What the editor's test loop gives (`use_testloop.ts` makes it): its data,
 * pins, listeners, the run shown, and its actions. A type only, without the
 * DOM, so that the test loop's commands are checked in Deno.
 *
 * @module
 */
import type {
  EditorRunAcceptedT,
  EditorRunRequestT,
  ExpressionContextT,
  NodeDataListT,
  PinT,
  TestRequestViewT,
} from "../../../../server/editor_schemas.ts";

/** What `useTestLoop` gives. */
export interface TestLoop {
  /** The served workflow's id. */
  workflowId: string;
  /** Each node's recorded data (undefined until loaded). */
  data?: NodeDataListT;
  /** Pins by node. */
  pins: ReadonlyMap<string, PinT>;
  /** The editor run shown (the last one started or captured). */
  runId?: string;
  /** How it was planned. */
  plan?: EditorRunAcceptedT["plan"];
  /** Test request listeners by node. */
  listening: ReadonlyMap<string, TestRequestViewT>;
  /** The selected node's expression context. */
  context?: ExpressionContextT;
  /** An action is under way. */
  busy: boolean;
  /** The last action's outcome. */
  message?: { kind: "info" | "error"; text: string };
  /** Why the loop is off (the workflow is not served), or undefined. */
  unavailable?: string;
  /** The nodes of the served version (a node added since the last save is not among them). */
  served: ReadonlySet<string>;
  /** Starts an editor run. */
  run: (body: EditorRunRequestT, what: string) => Promise<void>;
  /** Pins a node (from a run, or typed-in outputs). */
  pin: (node: string, body: { outputs: Record<string, unknown> } | { execution: string }) => Promise<void>;
  /** Unpins a node. */
  unpin: (node: string) => Promise<void>;
  /** Listens for a test request for a webhook node. */
  listen: (node: string, run: boolean) => Promise<void>;
  /** Stops listening. */
  stopListening: (node: string) => Promise<void>;
  /** Reloads the data and pins (a run ended). */
  refresh: () => void;
}
