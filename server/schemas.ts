/**
 * The HTTP API's request and response schemas (zod): they validate requests,
 * generate the OpenAPI document, and give the console its types.
 *
 * @module
 */
import { z } from "@hono/zod-openapi";
import { typeName } from "../src/workflow/mod.ts";

/**
 * A JSON object, taken as it was sent: no key is dropped or added (zod's
 * record and object schemas drop a `__proto__` key, and a key that is
 * dropped is a value accepted and then lost).
 */
export const JsonObject = z.custom<Record<string, unknown>>((v) => typeName(v) === "object", {
  error: (iss) => `expected a JSON object; got ${typeName(iss.input)}`,
}).openapi({ type: "object", additionalProperties: {} });

/** A JSON object with only the keys of `shape`: a key it does not know is refused, naming it and the keys it takes. */
export function strictObject<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? `unknown key${iss.keys.length > 1 ? "s" : ""} ${iss.keys.map((k) => JSON.stringify(k)).join(", ")}; ` +
          `expected ${known}`
        : iss.code === "invalid_type"
        ? `expected a JSON object; got ${typeName(iss.input)}`
        : undefined,
  });
}

/** A string value of a body: `expected a string; got number`. */
export function bodyString() {
  return z.string({ error: (iss) => `expected a string; got ${typeName(iss.input)}` });
}

/**
 * A query parameter or header given once (a repeated one arrives as an
 * array): `given 2 times; give it once`.
 */
export function queryString() {
  return z.string({
    error: (iss) =>
      Array.isArray(iss.input)
        ? `given ${iss.input.length} times; give it once`
        : `expected a string; got ${typeName(iss.input)}`,
  });
}

/**
 * An integer query parameter from `min` to `max` (decimal digits only: not
 * empty, not `1e3`): `expected an integer from 1 to 500; got ""`.
 */
export function intParam(min: number, max: number, expected = `an integer from ${min} to ${max}`) {
  return queryString().refine((v) => /^(0|-?[1-9][0-9]{0,15})$/.test(v) && Number(v) >= min && Number(v) <= max, {
    error: (iss) => `expected ${expected}; got ${JSON.stringify(iss.input)}`,
  }).transform(Number).openapi({ type: "integer", minimum: min, maximum: max });
}

/** A query parameter that is one of `values`: `expected one of true, false; got "yes"`. */
export function enumParam<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) =>
      Array.isArray(iss.input)
        ? `given ${iss.input.length} times; give it once`
        : `expected one of ${values.join(", ")}; got ${JSON.stringify(iss.input)}`,
  });
}

/** The largest event `seq` a cursor may name (`Number.MAX_SAFE_INTEGER`). */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * Where an event stream resumes: `?after=SEQ` and the `Last-Event-ID`
 * header, parsed by this one schema. Events with a larger `seq` follow; `-1`
 * is from the first event, as when it is absent.
 */
export const SeqCursor = intParam(-1, MAX_SEQ, "an event seq: a whole number (or -1, from the first event)").openapi({
  description: "An event seq: only events with a larger seq follow (-1: from the first)",
});

/** `{ "error": { "message", "code" } }`: every error response. */
export const ErrorBody = z.object({
  error: z.object({
    message: z.string().openapi({ example: 'no workflow "orders" is being served' }),
    code: z.string().openapi({ example: "NOT_FOUND" }),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    candidates: z.array(z.string()).optional(),
  }),
  executionId: z.string().optional(),
}).openapi("Error");

/** A failure inside a run: message, code and the node that failed. */
export const RunError = z.object({ message: z.string(), code: z.string(), nodeId: z.string().optional() }).openapi(
  "RunError",
);

/** One trigger of a workflow. */
export const TriggerInfo = z.object({
  nodeId: z.string(),
  kind: z.enum(["webhook", "cron", "interval"]),
  method: z.string().optional(),
  path: z.string().optional().openapi({ description: "Served path, e.g. /hooks/orders" }),
  url: z.string().optional().openapi({ description: "Full webhook URL" }),
  nextFireAt: z.string().optional().openapi({ description: "Next fire time of a schedule, ISO 8601" }),
}).openapi("Trigger");

/** A workflow as listed. */
export const WorkflowSummary = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  file: z.string().openapi({
    description: "The file's path relative to its served directory (docs/api.md#file-names)",
    example: "orders.json",
  }),
  valid: z.boolean(),
  errors: z.array(z.string()),
  hash: z.string().optional(),
  triggers: z.array(TriggerInfo),
  lastRun: z.object({ executionId: z.string(), status: z.string(), createdAt: z.string() }).optional(),
}).openapi("WorkflowSummary");

/** A port of a node, resolved from its type. */
export const PortInfo = z.object({
  type: z.string(),
  description: z.string().optional(),
  required: z.boolean().optional(),
}).openapi("Port");

/** A node of a workflow with its resolved ports. */
export const NodeInfo = z.object({
  id: z.string(),
  type: z.string(),
  family: z.string(),
  description: z.string(),
  name: z.string().optional(),
  inputs: z.record(z.string(), PortInfo),
  outputs: z.record(z.string(), PortInfo),
  config: z.record(z.string(), z.unknown()),
  retry: z.record(z.string(), z.unknown()).optional(),
  timeoutMs: z.number().optional(),
  onError: z.string(),
  trigger: z.string().optional(),
  subworkflow: z.object({ label: z.string(), workflowId: z.string().optional(), file: z.string().optional() })
    .optional(),
}).openapi("Node");

/** A connection: `nodeId.port` or `$inputs.name` to `nodeId.port`. */
export const ConnectionInfo = z.object({ from: z.string(), to: z.string() }).openapi("Connection");

/** The graph of a sub-workflow (a `flow.subworkflow` file or a `control.loop` body) under a node path. */
export const ChildGraph = z.object({
  label: z.string(),
  workflowId: z.string().optional(),
  file: z.string().optional(),
  nodes: z.array(NodeInfo),
  connections: z.array(ConnectionInfo),
  inputs: z.record(z.string(), z.record(z.string(), z.unknown())),
  outputs: z.record(z.string(), z.string()),
}).openapi("ChildGraph");

/** One permission of {@linkcode PermissionsInfo}: `true` (anything) or the list granted. */
const grantInfo = () =>
  z.union([z.literal(true), z.array(z.string())]).openapi({
    description: "true (anything), or the list granted (paths absolute); [] grants nothing",
  });

/** What a workflow's `settings.permissions` grant, resolved (docs/workflow.md#permissions). */
export const PermissionsInfo = z.object({
  run: grantInfo(),
  read: grantInfo(),
  write: grantInfo(),
  net: grantInfo(),
  env: grantInfo(),
}).openapi("Permissions");

/** A workflow with its definition and resolved nodes. */
export const WorkflowDetail = WorkflowSummary.extend({
  permissions: PermissionsInfo.optional().openapi({
    description: "What its nodes may reach (its settings.permissions, resolved); absent while it is invalid",
  }),
  definition: z.record(z.string(), z.unknown()).optional(),
  nodes: z.array(NodeInfo),
  connections: z.array(ConnectionInfo),
  inputs: z.record(z.string(), z.record(z.string(), z.unknown())),
  outputs: z.record(z.string(), z.string()),
  children: z.record(z.string(), ChildGraph).openapi({
    description: "Sub-workflow graphs by node path (`each`, `each/detail`), as a run's runPath without iterations",
  }),
}).openapi("WorkflowDetail");

/** The body of `POST /workflows/{id}/runs`: unknown keys (a typo such as `input`) are refused. */
export const RunRequest = strictObject({
  inputs: JsonObject.optional().openapi({ description: "Input values by name" }),
  trigger: bodyString().optional().openapi({ description: "Trigger node to fire, for workflows with several" }),
}).openapi("RunRequest");

/** An accepted run. */
export const Accepted = z.object({
  executionId: z.string(),
  queued: z.boolean().optional(),
}).openapi("Accepted");

/** A node's final (or current) state. */
export const NodeState = z.object({
  id: z.string(),
  type: z.string().optional(),
  status: z.string(),
  attempts: z.number(),
  durationMs: z.number().optional(),
  error: RunError.optional(),
  reason: z.string().optional(),
  reused: z.boolean().optional().openapi({
    description: "It did not run: its outputs were reused (flow resume, an editor run on recorded data, a pin)",
  }),
  pinned: z.boolean().optional().openapi({ description: "With reused: the outputs were pinned data" }),
  outputs: z.record(z.string(), z.unknown()).optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  runPath: z.string().optional(),
}).openapi("NodeState");

/** An execution in the history. */
export const RunSummary = z.object({
  executionId: z.string(),
  workflowId: z.string(),
  workflowName: z.string().optional(),
  status: z.enum(["queued", "running", "success", "failed", "cancelled", "crashed", "skipped"]),
  trigger: z.string(),
  triggerNode: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  durationMs: z.number().optional(),
  error: RunError.optional(),
  resumedFrom: z.string().optional(),
  file: z.string().optional(),
  hash: z.string().optional(),
}).openapi("RunSummary");

/** An execution with its outputs and node states: what `flow run --format json` prints, plus history fields. */
export const RunDetail = RunSummary.extend({
  inputs: z.record(z.string(), z.unknown()),
  outputs: z.record(z.string(), z.unknown()),
  nodes: z.array(NodeState),
  lastSeq: z.number(),
}).openapi("RunDetail");

/** A page of executions. */
export const RunList = z.object({
  runs: z.array(RunSummary),
  next: z.string().optional().openapi({ description: "Pass as before= for the next page" }),
}).openapi("RunList");

/** The result of a run, as `flow run --format json` prints it. */
export const RunResult = z.object({
  executionId: z.string(),
  workflowId: z.string(),
  status: z.string(),
  durationMs: z.number(),
  outputs: z.record(z.string(), z.unknown()),
  error: RunError.optional(),
  nodes: z.array(NodeState),
}).openapi("RunResult");

/** A validation problem, with its place in the text when there is one (`line`, `column` 1-based; `offset`, `length` in UTF-16 code units). */
export const LocatedIssue = z.object({
  path: z.string().openapi({ example: "nodes[2].config.url" }),
  message: z.string(),
  line: z.number().optional(),
  column: z.number().optional(),
  offset: z.number().optional(),
  length: z.number().optional(),
}).openapi("LocatedIssue");

/** The answer of `POST /validate`. */
export const ValidateResult = z.object({
  valid: z.boolean(),
  errors: z.array(LocatedIssue).openapi({ description: 'Every problem; with {"text"}, each with its place in it' }),
  unchecked: z.array(z.object({ path: z.string(), message: z.string() })).openapi({
    description: "File references (workflowFile, imports) this route does not read, so not checked",
  }),
}).openapi("ValidateResult");

/** What a write of a workflow file did: its new ETag, and what it serves now. */
export const SourceWriteResult = z.object({
  file: z.string().openapi({ description: "The file's path relative to its served directory", example: "orders.json" }),
  etag: z.string().openapi({ description: "SHA-256 of the bytes written, hex (the ETag header, quoted)" }),
  valid: z.boolean().openapi({ description: "Whether the file serves the new text (as GET /workflows says)" }),
  errors: z.array(LocatedIssue),
  id: z.string().optional().openapi({ description: "The workflow id (of the version still serving, when invalid)" }),
}).openapi("SourceWriteResult");

/** The answer to a stale write (412): the file's current tag and text. */
export const StaleBody = ErrorBody.extend({
  etag: z.string().openapi({ description: "The file's current ETag (hex)" }),
  text: z.string().openapi({ description: "The file's current text" }),
}).openapi("Stale");

/** The body of `POST /workflows`. */
export const CreateWorkflowRequest = strictObject({
  file: bodyString().openapi({
    description: "Path of the new file, relative to a served directory (docs/api.md#new-files)",
    example: "billing/invoice.json",
  }),
  text: bodyString().optional().openapi({ description: "Its text; default: the starter workflow of flow init" }),
}).openapi("CreateWorkflowRequest");

/** One operation of a JSON Patch (RFC 6902). */
export const PatchOperation = strictObject({
  op: z.enum(["add", "remove", "replace", "move", "copy", "test"], {
    error: (iss) => `expected one of add, remove, replace, move, copy, test; got ${JSON.stringify(iss.input)}`,
  }),
  path: bodyString().openapi({ description: "JSON Pointer (RFC 6901)", example: "/nodes/2/config/url" }),
  from: bodyString().optional().openapi({ description: "JSON Pointer the value comes from (move, copy)" }),
  value: z.unknown().optional().openapi({ description: "The value (add, replace, test)" }),
}).superRefine((op, ctx) => {
  if ((op.op === "add" || op.op === "replace" || op.op === "test") && op.value === undefined) {
    ctx.addIssue({ code: "custom", path: ["value"], message: `required by "${op.op}"` });
  }
  if ((op.op === "move" || op.op === "copy") && op.from === undefined) {
    ctx.addIssue({ code: "custom", path: ["from"], message: `required by "${op.op}"` });
  }
}).openapi("PatchOperation");

/** A JSON Patch: the body of `PATCH .../source`. */
export const JsonPatch = z.array(PatchOperation, {
  error: (iss) => `expected a JSON Patch: an array of operations; got ${typeName(iss.input)}`,
}).openapi("JsonPatch");

/** `GET /session`: who the request is, and what the console may show. */
export const SessionInfo = z.object({
  authenticated: z.boolean().openapi({ description: "Whether the request carries a valid token or session" }),
  role: z.enum(["admin", "read"]).nullable().openapi({
    description: "What it may do: admin (everything), read (only what changes nothing), null (nothing yet)",
  }),
  tokenRequired: z.boolean().openapi({ description: "Whether the API needs a token (flow serve --token)" }),
  readOnly: z.boolean().openapi({ description: "Whether files cannot be written (flow serve --read-only)" }),
}).openapi("Session");

/** The body of `POST /session`. */
export const SessionRequest = strictObject({
  token: bodyString().openapi({ description: "The API token (--token, or --read-token for a read-only session)" }),
}).openapi("SessionRequest");

/** A node type that workflows here can use. */
export const NodeType = z.object({
  type: z.string(),
  family: z.string(),
  description: z.string(),
  inputs: z.record(z.string(), PortInfo),
  outputs: z.record(z.string(), PortInfo),
  dynamicInputs: PortInfo.optional().openapi({
    description: "Inputs of any name it takes beside its own, and their type",
  }),
  configSchema: z.record(z.string(), z.unknown()).nullable().openapi({
    description: "JSON Schema of its config (null: it takes none)",
  }),
  dynamicOutputs: z.boolean().optional().openapi({ description: "Whether its outputs depend on its config" }),
  trigger: z.enum(["webhook", "cron", "interval"]).optional(),
  custom: z.boolean(),
  source: z.string().optional().openapi({ description: "The module a custom type comes from" }),
}).openapi("NodeType");

/** `GET /ready`. */
export const Readiness = z.object({
  ready: z.boolean(),
  workflows: z.object({ serving: z.number(), invalid: z.number() }),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() }).catchall(z.unknown())),
}).openapi("Readiness");

/** Types the console shares with the server. */
export type WorkflowSummaryT = z.infer<typeof WorkflowSummary>;
/** A workflow with its nodes. */
export type WorkflowDetailT = z.infer<typeof WorkflowDetail>;
/** What a workflow may reach. */
export type PermissionsInfoT = z.infer<typeof PermissionsInfo>;
/** A node with its ports. */
export type NodeInfoT = z.infer<typeof NodeInfo>;
/** An execution in a list. */
export type RunSummaryT = z.infer<typeof RunSummary>;
/** An execution in detail. */
export type RunDetailT = z.infer<typeof RunDetail>;
/** A page of executions. */
export type RunListT = z.infer<typeof RunList>;
/** A node's state in a run. */
export type NodeStateT = z.infer<typeof NodeState>;
/** A sub-workflow's graph. */
export type ChildGraphT = z.infer<typeof ChildGraph>;
/** A connection of a graph. */
export type ConnectionInfoT = z.infer<typeof ConnectionInfo>;
/** A trigger of a workflow. */
export type TriggerInfoT = z.infer<typeof TriggerInfo>;
/** An accepted run. */
export type AcceptedT = z.infer<typeof Accepted>;
/** An error response body. */
export type ErrorBodyT = z.infer<typeof ErrorBody>;
