/// <reference lib="dom" />
/**
 * The console's client of the editor's test-loop routes
 * (docs/api.md#testing-from-the-editor): editor runs, pins, recorded node
 * data, expression context and previews, test requests. Loaded with the
 * editor only.
 *
 * @module
 */
import type {
  EditorRunAcceptedT,
  EditorRunRequestT,
  ExpressionContextT,
  NodeDataListT,
  PinT,
  PreviewResultT,
  TestRequestViewT,
} from "../../server/editor_schemas.ts";
import { request } from "./api.ts";

export type {
  EditorRunAcceptedT,
  EditorRunRequestT,
  ExpressionContextT,
  NodeDataListT,
  NodeDataT,
  PinT,
  PortContextT,
  PreviewResultT,
  TestRequestViewT,
} from "../../server/editor_schemas.ts";

const wf = (id: string) => `/workflows/${encodeURIComponent(id)}`;
const nodePath = (id: string, node: string) => `${wf(id)}/nodes/${encodeURIComponent(node)}`;
const post = (body: unknown) => ({ method: "POST", body: JSON.stringify(body) });

/** Starts an editor run (Run, Run to here, Run this node, Fire now). */
export function startEditorRun(id: string, body: EditorRunRequestT): Promise<EditorRunAcceptedT> {
  return request(`${wf(id)}/editor-runs`, post(body));
}

/** The workflow's pins. */
export async function listPins(id: string): Promise<PinT[]> {
  return (await request<{ pins: PinT[] }>(`${wf(id)}/pins`)).pins;
}

/** Pins a node's outputs: typed in (`outputs`) or those it gave in an execution (`execution`). */
export function putPin(
  id: string,
  node: string,
  body: { outputs: Record<string, unknown> } | { execution: string },
): Promise<PinT> {
  return request(`${wf(id)}/pins/${encodeURIComponent(node)}`, { method: "PUT", body: JSON.stringify(body) });
}

/** Unpins a node. */
export async function deletePin(id: string, node: string): Promise<void> {
  await request(`${wf(id)}/pins/${encodeURIComponent(node)}`, { method: "DELETE" });
}

/** Each node's recorded inputs and outputs (newest run of each). */
export function getNodeData(id: string): Promise<NodeDataListT> {
  return request(`${wf(id)}/node-data`);
}

/** What a node's expressions can use. */
export function getExpressionContext(id: string, node: string): Promise<ExpressionContextT> {
  return request(`${nodePath(id, node)}/context`);
}

/** What {@linkcode previewExpression} evaluates. */
export interface PreviewQuery {
  /** A whole expression. */
  expression?: string;
  /** A string with `{{ }}` templates. */
  template?: string;
  /** The node whose data `$node`, `$inputs` hold. */
  node?: string;
  /** Values instead of the recorded ones (`value` for control.if, `item` for transform.map). */
  bindings?: Record<string, unknown>;
}

/** Evaluates an expression or template on a node's recorded or pinned data. */
export function previewExpression(id: string, query: PreviewQuery, signal?: AbortSignal): Promise<PreviewResultT> {
  return request(`${wf(id)}/preview`, { ...post(query), ...(signal ? { signal } : {}) });
}

/** Listens for a test request for a webhook node: a one-time URL. */
export function listenTestRequest(id: string, node: string, run: boolean): Promise<TestRequestViewT> {
  return request(`${nodePath(id, node)}/test-request`, post({ run }));
}

/** The state of a node's test request listener. */
export function getTestRequest(id: string, node: string): Promise<TestRequestViewT> {
  return request(`${nodePath(id, node)}/test-request`);
}

/** Stops listening. */
export async function cancelTestRequest(id: string, node: string): Promise<void> {
  await request(`${nodePath(id, node)}/test-request`, { method: "DELETE" });
}
