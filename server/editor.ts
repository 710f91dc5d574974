/**
 * The editor's test-loop routes (docs/api.md#testing-from-the-editor):
 * editor runs ("Run", "Run to here", "Run this node", "Fire now"), pins,
 * each node's recorded inputs and outputs, what a node's expressions can use
 * (for completion) and live previews, and test requests for webhook nodes.
 * The work is the runtime's (`src/runtime/editor_runs.ts`, `pins.ts`,
 * `node_data.ts`, `expression_preview.ts`) and `test_requests.ts`'; these
 * routes speak HTTP.
 *
 * Editor runs, pins and test requests change something: they need the full
 * token, and a `--read-only` server refuses them (403 `READ_ONLY`). Reading
 * data, context and previews do not.
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { secretRedactor } from "../src/engine/mod.ts";
import { findExecution } from "../src/runtime/history.ts";
import { isStalePin, PartialRunError, PinError, type WorkflowVersion } from "../src/runtime/mod.ts";
import {
  evaluatePreview,
  type ExpressionContext,
  expressionContext,
  type FlowRuntime,
  NotFoundError,
  previewBindings,
  type RecordedData,
  recordedNodeData,
} from "../src/runtime/service.ts";
import type { CompiledWorkflow } from "../src/validate/mod.ts";
import * as E from "./editor_schemas.ts";
import { HttpError } from "./errors.ts";
import * as S from "./schemas.ts";
import { TEST_REQUEST_TTL, type TestRequests } from "./test_requests.ts";

/** What the editor routes need besides the runtime. */
export interface EditorRouteOptions {
  /** `flow serve --read-only`: editor runs, pins and test requests are refused. */
  readOnly?: boolean;
  /** The server's base URL, for test request URLs and Location headers. */
  baseUrl: () => string;
  /** The test request listeners. */
  testRequests: TestRequests;
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const error = (description: string) => json(S.ErrorBody, description);
const common = {
  401: error("Missing or wrong API token"),
  404: error("NOT_FOUND: no such workflow served, or node"),
};
const writes = {
  403: error("FORBIDDEN: a read-only token; READ_ONLY: a --read-only server"),
  400: error("BAD_REQUEST, BAD_JSON: a body the route does not take"),
  415: error("UNSUPPORTED_MEDIA_TYPE: not application/json"),
};
const Param = (name: string) => z.string().min(1).openapi({ param: { name, in: "path" } });
const IdParam = z.object({ id: Param("id") });
const NodeParam = z.object({ id: Param("id"), node: Param("node") });
const getEnv = (name: string) => Deno.env.get(name);

/** The `/api/v1` routes of the editor's test loop. */
export function editorRoutes(api: OpenAPIHono, runtime: FlowRuntime, options: EditorRouteOptions): void {
  const refuseWrites = () => {
    if (options.readOnly) {
      throw new HttpError(
        403,
        "READ_ONLY",
        "this server is read-only (flow serve --read-only): editor runs, pins and test requests are off",
      );
    }
  };
  editorRunRoute(api, runtime, refuseWrites);
  pinRoutes(api, runtime, refuseWrites);
  dataRoutes(api, runtime);
  testRequestRoutes(api, options, refuseWrites);
}

/** The serving version of workflow `id` (404 otherwise). */
function served(runtime: FlowRuntime, id: string): WorkflowVersion {
  const version = runtime.workflow(id)?.version;
  if (!version) throw new NotFoundError(`no workflow "${id}" is being served`);
  return version;
}

/** Redacts the workflow's secrets (as events do). */
function redactor(compiled: CompiledWorkflow): <T>(value: T) => T {
  return secretRedactor(compiled, getEnv) ?? (<T>(v: T) => v);
}

/** A partial-run error as its HTTP answer: 404 for an unknown node, else 409 (400 for a missing node). */
function partialError(err: unknown): never {
  if (err instanceof PartialRunError) {
    const status = err.code === "UNKNOWN_NODE" ? 404 : err.code === "NODE_REQUIRED" ? 400 : 409;
    throw new HttpError(status, err.code, err.message);
  }
  throw err;
}

function editorRunRoute(api: OpenAPIHono, runtime: FlowRuntime, refuseWrites: () => void) {
  api.openapi(
    createRoute({
      method: "post",
      path: "/workflows/{id}/editor-runs",
      summary: "Start an editor run (trigger editor): the whole workflow, run to a node, or run one node; with pins",
      request: {
        params: IdParam,
        query: z.object({ wait: S.enumParam(["true", "false"]).optional() }),
        body: { content: { "application/json": { schema: E.EditorRunRequest } }, required: false },
      },
      responses: {
        200: json(E.EditorRunResult, "The finished run (wait=true)"),
        202: json(E.EditorRunAccepted, "Accepted; Location points at the run"),
        ...common,
        ...writes,
        409: error("NO_DATA: the node's inputs have no recorded outputs and no pin; BAD_SOURCE"),
        413: error("TOO_LARGE: over --max-api-body"),
        503: error("Busy (Retry-After) or shutting down"),
      },
    }),
    async (c) => {
      refuseWrites();
      const { id } = c.req.valid("param");
      const body = c.req.valid("json") ?? {};
      const accepted = await runtime.startEditorRun(id, body).catch(partialError);
      const location = `/api/v1/runs/${accepted.executionId}`;
      if (c.req.valid("query").wait === "true") {
        return c.json({ ...(await accepted.done), plan: accepted.plan }, 200, { location });
      }
      await runtime.durable();
      return c.json({ executionId: accepted.executionId, queued: accepted.queued, plan: accepted.plan }, 202, {
        location,
      });
    },
  );
}

function pinRoutes(api: OpenAPIHono, runtime: FlowRuntime, refuseWrites: () => void) {
  api.openapi(
    createRoute({
      method: "get",
      path: "/workflows/{id}/pins",
      summary: "The workflow's pinned node outputs (secrets as ***), stale ones marked",
      request: { params: IdParam },
      responses: { 200: json(z.object({ pins: z.array(E.Pin) }), "The pins"), ...common },
    }),
    async (c) => {
      const { compiled } = served(runtime, c.req.valid("param").id);
      const redact = redactor(compiled);
      const pins = (await runtime.pins.list(compiled.id)).map((p) => ({
        ...p,
        outputs: redact(p.outputs),
        ...(isStalePin(p, compiled) ? { stale: true } : {}),
      }));
      return c.json({ pins }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "put",
      path: "/workflows/{id}/pins/{node}",
      summary: "Pin a node's outputs: typed in ({outputs}) or from a recorded run ({execution})",
      request: {
        params: NodeParam,
        body: { content: { "application/json": { schema: E.PinRequest } }, required: true },
      },
      responses: {
        200: json(E.Pin, "The pin as stored (secrets as ***)"),
        ...common,
        ...writes,
        409: error("NO_OUTPUTS: the node did not complete in that execution"),
        413: error("TOO_LARGE: a pin holds at most 4 MiB of JSON; or over --max-api-body"),
      },
    }),
    async (c) => {
      refuseWrites();
      const { id, node } = c.req.valid("param");
      const body = c.req.valid("json");
      const { compiled } = served(runtime, id);
      let pin;
      try {
        if (body.outputs !== undefined) {
          pin = await runtime.pin(id, { nodeId: node, outputs: body.outputs, source: "json" });
        } else {
          const outputs = await runOutputs(runtime, compiled, node, body.execution!);
          pin = await runtime.pin(id, {
            nodeId: node,
            outputs: outputs.outputs,
            source: "run",
            executionId: outputs.id,
          });
        }
      } catch (err) {
        if (err instanceof PinError) throw new HttpError(err.code === "TOO_LARGE" ? 413 : 400, err.code, err.message);
        throw err;
      }
      return c.json(pin, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/workflows/{id}/pins/{node}",
      summary: "Unpin a node",
      request: { params: NodeParam },
      responses: { 204: { description: "Unpinned" }, ...common, 403: writes[403] },
    }),
    async (c) => {
      refuseWrites();
      const { id, node } = c.req.valid("param");
      if (!await runtime.unpin(id, node)) throw new NotFoundError(`node "${node}" of workflow "${id}" is not pinned`);
      return c.body(null, 204);
    },
  );
}

/** The outputs node `nodeId` gave in an execution (by id or prefix), for a pin. */
async function runOutputs(
  runtime: FlowRuntime,
  compiled: CompiledWorkflow,
  nodeId: string,
  execution: string,
): Promise<{ id: string; outputs: Record<string, unknown> }> {
  if (!runtime.store) throw new HttpError(404, "NO_HISTORY", "history is off: runs are not recorded");
  const record = await findExecution(runtime.store, execution);
  if (record.workflowId !== compiled.id) {
    throw new HttpError(409, "BAD_SOURCE", `execution ${record.executionId} ran workflow "${record.workflowId}"`);
  }
  const data = await recordedNodeData(runtime.store, compiled, { from: record });
  const outputs = data.nodes.get(nodeId)?.outputs;
  if (!outputs) {
    throw new HttpError(409, "NO_OUTPUTS", `node "${nodeId}" did not complete in execution ${record.executionId}`);
  }
  return { id: record.executionId, outputs };
}

/**
 * Recorded data read lately, by workflow version (its compiled workflow) and
 * source execution: previews come as the user types, and the data changes
 * only when an execution of the workflow is recorded (checked by its newest).
 */
const recentData = new WeakMap<CompiledWorkflow, Map<string, { newest: string; data: Promise<RecordedData> }>>();

/** Recorded node data of a workflow (empty without history). */
async function recorded(runtime: FlowRuntime, compiled: CompiledWorkflow, execution?: string): Promise<RecordedData> {
  const store = runtime.store;
  if (!store) return { nodes: new Map(), sources: [] };
  await runtime.flush();
  const from = execution === undefined ? undefined : await findExecution(store, execution);
  if (from && from.workflowId !== compiled.id) {
    throw new HttpError(409, "BAD_SOURCE", `execution ${from.executionId} ran workflow "${from.workflowId}"`);
  }
  const [latest] = await store.listExecutions({ workflowId: compiled.id, limit: 1 });
  // A running execution's data grows as it goes: not cached.
  const newest = latest && !["running", "queued"].includes(latest.status) ? latest.executionId : undefined;
  const key = from?.executionId ?? "";
  let byKey = recentData.get(compiled);
  if (!byKey) recentData.set(compiled, byKey = new Map());
  const cached = byKey.get(key);
  if (cached && cached.newest === newest) return await cached.data;
  const data = recordedNodeData(store, compiled, { from });
  if (newest !== undefined) {
    if (byKey.size >= 16) byKey.delete(byKey.keys().next().value!);
    byKey.set(key, { newest, data });
    data.catch(() => byKey.delete(key));
  }
  return await data;
}

/** The expression context of a node (or of the workflow, without a node). */
async function contextOf(
  runtime: FlowRuntime,
  compiled: CompiledWorkflow,
  nodeId: string | undefined,
  execution?: string,
): Promise<ExpressionContext> {
  const node = nodeId === undefined ? undefined : compiled.nodes.find((n) => n.id === nodeId);
  if (nodeId !== undefined && !node) throw new NotFoundError(`workflow "${compiled.id}" has no node "${nodeId}"`);
  const data = await recorded(runtime, compiled, execution);
  return expressionContext(compiled, node, { recorded: data, pins: await runtime.pins.outputs(compiled) }, getEnv);
}

function dataRoutes(api: OpenAPIHono, runtime: FlowRuntime) {
  const execution = z.object({
    execution: S.queryString().optional().openapi({ description: "Only this execution (id or unique prefix)" }),
  });
  api.openapi(
    createRoute({
      method: "get",
      path: "/workflows/{id}/node-data",
      summary: "Each node's input and output values in the newest run that ran it, and which run that was",
      request: { params: IdParam, query: execution },
      responses: { 200: json(E.NodeDataList, "The data, secrets as ***"), ...common, 409: error("BAD_SOURCE") },
    }),
    async (c) => {
      const { compiled } = served(runtime, c.req.valid("param").id);
      const data = await recorded(runtime, compiled, c.req.valid("query").execution);
      const redact = redactor(compiled);
      return c.json(
        redact({ nodes: Object.fromEntries(data.nodes), sources: data.sources, history: runtime.store !== undefined }),
        200,
      );
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/workflows/{id}/nodes/{node}/context",
      summary: "What the node's expressions can use ($node, $inputs, $env, $execution), with values and shapes",
      request: { params: NodeParam, query: execution },
      responses: { 200: json(E.ExpressionContext, "The context, secrets as ***"), ...common, 409: error("BAD_SOURCE") },
    }),
    async (c) => {
      const { id, node } = c.req.valid("param");
      const { compiled } = served(runtime, id);
      const context = await contextOf(runtime, compiled, node, c.req.valid("query").execution);
      return c.json(redactor(compiled)(context), 200);
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/workflows/{id}/preview",
      summary: "Evaluate an expression or template on a node's recorded or pinned data, as a run would",
      request: {
        params: IdParam,
        body: { content: { "application/json": { schema: E.PreviewRequest } }, required: true },
      },
      responses: {
        200: json(E.PreviewResult, "The value, or the error (with its position for a syntax error)"),
        ...common,
        400: writes[400],
        409: error("BAD_SOURCE"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const { compiled } = served(runtime, id);
      const context = await contextOf(runtime, compiled, body.node, body.execution);
      const bindings = previewBindings(context, getEnv, body.bindings);
      return c.json(await evaluatePreview(body, bindings, redactor(compiled)), 200);
    },
  );
}

function testRequestRoutes(api: OpenAPIHono, options: EditorRouteOptions, refuseWrites: () => void) {
  const path = "/workflows/{id}/nodes/{node}/test-request";
  api.openapi(
    createRoute({
      method: "post",
      path,
      summary: "Listen for a test request: a one-time URL whose next request is pinned as the webhook node's output",
      request: {
        params: NodeParam,
        body: { content: { "application/json": { schema: E.TestRequestBody } }, required: false },
      },
      responses: {
        201: json(E.TestRequestView, "Listening; url is the one-time URL"),
        ...common,
        ...writes,
        400: error("NOT_A_WEBHOOK: the node is not an http.webhook trigger; BAD_REQUEST"),
      },
    }),
    (c) => {
      refuseWrites();
      const { id, node } = c.req.valid("param");
      const body = c.req.valid("json") ?? {};
      const view = options.testRequests.listen(id, node, {
        run: body.run ?? false,
        ttlSeconds: body.ttlSeconds ?? TEST_REQUEST_TTL.default,
        baseUrl: options.baseUrl(),
      });
      return c.json(view, 201);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path,
      summary: "The node's test request: listening, captured (with its execution), expired or cancelled",
      request: { params: NodeParam },
      responses: { 200: json(E.TestRequestView, "Its state"), ...common },
    }),
    (c) => {
      const { id, node } = c.req.valid("param");
      const view = options.testRequests.status(id, node);
      if (!view) throw new NotFoundError(`node "${node}" of workflow "${id}" has no test request`);
      return c.json(view, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "delete",
      path,
      summary: "Stop listening",
      request: { params: NodeParam },
      responses: { 204: { description: "Stopped" }, ...common, 403: writes[403] },
    }),
    (c) => {
      refuseWrites();
      const { id, node } = c.req.valid("param");
      if (!options.testRequests.cancel(id, node)) {
        throw new NotFoundError(`node "${node}" of workflow "${id}" is not listening for a test request`);
      }
      return c.body(null, 204);
    },
  );
}
