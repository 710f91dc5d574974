/**
 * Request and response schemas of the editor's test-loop routes (editor
 * runs, pins, recorded node data, expression context and previews, test
 * requests): they validate requests and generate the OpenAPI document.
 *
 * @module
 */
import { z } from "@hono/zod-openapi";
import { PARTIAL_MODES, type PartialMode } from "../src/runtime/mod.ts";
import { TEST_REQUEST_TTL } from "./test_requests.ts";
import { Accepted, bodyString, JsonObject, RunError, RunResult, strictObject } from "./schemas.ts";

const modes = PARTIAL_MODES as [PartialMode, ...PartialMode[]];
const bool = () => z.boolean({ error: (iss) => `expected true or false; got ${JSON.stringify(iss.input)}` });

/** The body of `POST /workflows/{id}/editor-runs`. */
export const EditorRunRequest = strictObject({
  mode: z.enum(modes).optional().openapi({
    description: "all (default): the whole workflow; to: the node and its ancestors; node: only the node",
  }),
  node: bodyString().optional().openapi({ description: "The selected node (to, node)" }),
  inputs: JsonObject.optional().openapi({
    description: "Workflow inputs (default for mode node: those of the newest recorded run)",
  }),
  trigger: bodyString().optional().openapi({
    description: "The trigger node that fires (Fire now on a schedule; a webhook with payload)",
  }),
  payload: JsonObject.optional().openapi({ description: "The trigger's payload ({ method, headers, query, body })" }),
  pins: bool().optional().openapi({ description: "Use the workflow's pins (default true)" }),
  from: bodyString().optional().openapi({
    description: "Mode node: take the recorded outputs from this execution only (id or unique prefix)",
  }),
}).openapi("EditorRunRequest");

/** How an editor run was planned. */
export const EditorRunPlan = z.object({
  mode: z.enum(modes),
  node: z.string().optional(),
  run: z.array(z.string()).openapi({ description: "The nodes that run" }),
  reused: z.array(z.object({
    nodeId: z.string(),
    from: z.string().openapi({ description: '"pin", or the execution id whose recorded outputs are reused' }),
  })),
  trigger: z.string().optional().openapi({ description: "The trigger node that fires" }),
}).openapi("EditorRunPlan");

/** An accepted editor run. */
export const EditorRunAccepted = Accepted.extend({ plan: EditorRunPlan }).openapi("EditorRunAccepted");

/** A finished editor run (`?wait=true`). */
export const EditorRunResult = RunResult.extend({ plan: EditorRunPlan }).openapi("EditorRunResult");

/** A pinned node output. */
export const Pin = z.object({
  nodeId: z.string(),
  outputs: z.record(z.string(), z.unknown()).openapi({ description: "The pinned outputs by port, secrets as ***" }),
  source: z.enum(["json", "run", "test-request"]),
  executionId: z.string().optional(),
  nodeType: z.string().optional().openapi({ description: "The node's type when it was pinned" }),
  pinnedAt: z.string(),
  stale: z.boolean().optional().openapi({
    description: "The workflow no longer has this node, or it has another type now: editor runs ignore it",
  }),
}).openapi("Pin");

/** The body of `PUT /workflows/{id}/pins/{node}`: outputs typed in, or those a recorded run gave. */
export const PinRequest = strictObject({
  outputs: JsonObject.optional().openapi({ description: "The outputs to pin, by port" }),
  execution: bodyString().optional().openapi({
    description: "Pin the outputs the node gave in this execution (id or unique prefix)",
  }),
}).refine((b) => (b.outputs === undefined) !== (b.execution === undefined), {
  error: 'give either "outputs" or "execution"',
}).openapi("PinRequest");

/** One node's recorded data. */
export const NodeData = z.object({
  nodeId: z.string(),
  executionId: z.string().openapi({ description: "The execution the data comes from" }),
  status: z.enum(["completed", "failed"]),
  inputs: z.record(z.string(), z.unknown()).openapi({ description: "What each connected input port received ($node)" }),
  outputs: z.record(z.string(), z.unknown()).optional(),
  error: RunError.optional(),
  reused: z.boolean().optional(),
  pinned: z.boolean().optional(),
  attempts: z.number(),
  durationMs: z.number().optional(),
  endedAt: z.string().optional(),
}).openapi("NodeData");

/** The answer of `GET /workflows/{id}/node-data`. */
export const NodeDataList = z.object({
  nodes: z.record(z.string(), NodeData),
  sources: z.array(z.object({
    executionId: z.string(),
    trigger: z.string(),
    status: z.string(),
    createdAt: z.string(),
  })).openapi({ description: "The executions the data comes from, newest first" }),
  history: z.boolean().openapi({ description: "false: the server records no history, so there is no data" }),
}).openapi("NodeDataList");

const ShapeSchema = z.record(z.string(), z.unknown()).openapi({
  description: "{ type, fields?: { name: Shape }, items?: Shape, length? }",
});

/** One port or input as completion sees it. */
export const PortContext = z.object({
  value: z.unknown().optional(),
  shape: ShapeSchema,
  source: z.enum(["given", "pin", "recorded", "declared", "none"]),
  executionId: z.string().optional(),
  from: z.string().optional(),
  declared: z.string().optional(),
  description: z.string().optional(),
}).openapi("PortContext");

/** The answer of `GET /workflows/{id}/nodes/{node}/context`. */
export const ExpressionContext = z.object({
  nodeId: z.string().optional(),
  node: z.record(z.string(), PortContext).openapi({ description: "$node: each connected input port" }),
  inputs: z.record(z.string(), PortContext).openapi({ description: "$inputs: each declared workflow input" }),
  env: z.array(z.object({ name: z.string(), secret: z.boolean(), set: z.boolean() })).openapi({
    description: "$env: each declared name (secrets are *** in previews)",
  }),
  execution: z.object({ id: z.string(), workflowId: z.string(), startedAt: z.string() }),
}).openapi("ExpressionContext");

/** The body of `POST /workflows/{id}/preview`. */
export const PreviewRequest = strictObject({
  expression: z.string().optional().openapi({ description: "A whole expression (optionally in one {{ }})" }),
  template: z.string().optional().openapi({ description: "A string with {{ }} templates" }),
  node: bodyString().optional().openapi({ description: "The node whose data $node, $inputs... hold" }),
  bindings: JsonObject.optional().openapi({
    description: "Values instead of the recorded ones: node ($node and $), inputs, or any variable (item, value...)",
  }),
  execution: bodyString().optional().openapi({ description: "Read the recorded data from this execution only" }),
}).refine((b) => (b.expression === undefined) !== (b.template === undefined), {
  error: 'give either "expression" or "template"',
}).openapi("PreviewRequest");

/** The answer of `POST /workflows/{id}/preview`. */
export const PreviewResult = z.object({
  value: z.unknown().optional(),
  error: z.object({
    code: z.enum(["SYNTAX", "EVALUATION", "TOO_LARGE"]),
    message: z.string(),
    position: z.number().optional().openapi({ description: "1-based character position in the text sent" }),
  }).optional(),
}).openapi("PreviewResult");

/** The body of `POST /workflows/{id}/nodes/{node}/test-request`. */
export const TestRequestBody = strictObject({
  run: bool().optional().openapi({ description: "Also run the whole workflow with the captured request" }),
  ttlSeconds: z.number().int().min(1).max(TEST_REQUEST_TTL.max).optional().openapi({
    description: `How long the URL waits (default ${TEST_REQUEST_TTL.default})`,
  }),
}).openapi("TestRequestBody");

/** A test request listener. */
export const TestRequestView = z.object({
  workflowId: z.string(),
  nodeId: z.string(),
  status: z.enum(["listening", "captured", "expired", "cancelled"]),
  url: z.string().optional().openapi({ description: "The one-time URL (while listening)" }),
  method: z.string(),
  run: z.boolean(),
  expiresAt: z.string(),
  capturedAt: z.string().optional(),
  executionId: z.string().optional(),
}).openapi("TestRequest");
