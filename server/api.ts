/**
 * The HTTP API under `/api/v1`: workflows, runs, event streams and
 * operations. Requests are validated by the zod schemas that also generate
 * the OpenAPI document (`/api/v1/openapi.json`).
 *
 * @module
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eventLine } from "../src/engine/mod.ts";
import { type ValidationIssue, WorkflowValidationError } from "../src/errors.ts";
import { validateWithExpressions } from "../src/sandbox/mod.ts";
import type { UnreadFile } from "../src/validate/mod.ts";
import { findExecution, runDetail, runSummary } from "../src/runtime/history.ts";
import { type FlowRuntime, NotFoundError } from "../src/runtime/service.ts";
import { EXECUTION_STATUSES, type ExecutionStatus, type Trigger, TRIGGERS } from "../src/store/mod.ts";
import { parseWorkflowText, typeName } from "../src/workflow/mod.ts";
import { VERSION } from "../src/version.ts";
import { workflowDetail, workflowSummary } from "./describe.ts";
import { errorResponse, HttpError } from "./errors.ts";
import type { AuthOptions } from "./guard.ts";
import { nodeTypeRoutes } from "./node_types.ts";
import * as S from "./schemas.ts";
import { sessionRoutes } from "./session_api.ts";
import { sourceRoutes } from "./sources.ts";
import { editorRoutes } from "./editor.ts";
import type { TestRequests } from "./test_requests.ts";
import { type OutgoingEvent, streamResponse, wantsSse } from "./streams.ts";

/** What the API needs besides the runtime. */
export interface ApiOptions {
  /** The server's base URL, for webhook URLs and Location headers. */
  baseUrl: () => string;
  /** `flow serve --read-only`: workflow files cannot be written. */
  readOnly?: boolean;
  /** The credentials, when the API needs a token (for `/session`). */
  auth?: AuthOptions;
  /** The editor's test request listeners. */
  testRequests: TestRequests;
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const errors = {
  400: json(S.ErrorBody, "Bad request"),
  401: json(S.ErrorBody, "Missing or wrong API token"),
  404: json(S.ErrorBody, "Not found"),
};
/** The answers of a route that takes a JSON body to a body it cannot take. */
const bodyErrors = {
  400: json(S.ErrorBody, "BAD_JSON: malformed or empty JSON; BAD_REQUEST: a key or value the route does not take"),
  413: json(S.ErrorBody, "TOO_LARGE: over --max-api-body"),
  415: json(S.ErrorBody, "UNSUPPORTED_MEDIA_TYPE: not application/json"),
};
/** Default and largest page of `GET /runs`. */
const DEFAULT_PAGE = 50, MAX_PAGE = 500;
const IdParam = z.object({ id: z.string().min(1).openapi({ param: { name: "id", in: "path" } }) });

/** The `/api/v1` routes. */
export function apiRoutes(runtime: FlowRuntime, options: ApiOptions): OpenAPIHono {
  const api = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        return errorResponse(c, 400, "BAD_REQUEST", issues.map((i) => `${i.path || "body"}: ${i.message}`).join("; "), {
          issues,
        });
      }
    },
  });
  workflowRoutes(api, runtime, options);
  sourceRoutes(api, runtime, { readOnly: options.readOnly });
  editorRoutes(api, runtime, {
    readOnly: options.readOnly,
    baseUrl: options.baseUrl,
    testRequests: options.testRequests,
  });
  nodeTypeRoutes(api, runtime);
  sessionRoutes(api, { auth: options.auth, readOnly: options.readOnly });
  runRoutes(api, runtime);
  opsRoutes(api, runtime);
  return api;
}

function workflowRoutes(api: OpenAPIHono, runtime: FlowRuntime, options: ApiOptions) {
  api.openapi(
    createRoute({
      method: "get",
      path: "/workflows",
      summary: "Every workflow file served: valid or with its errors, with triggers and the last run",
      responses: { 200: json(z.object({ workflows: z.array(S.WorkflowSummary) }), "The workflows"), 401: errors[401] },
    }),
    async (c) => {
      const base = options.baseUrl();
      await runtime.flush();
      const workflows = await Promise.all(
        runtime.workflows().map(async (info) => {
          const summary = workflowSummary(info, base);
          if (runtime.store && info.id) {
            const [last] = await runtime.store.listExecutions({ workflowId: info.id, limit: 1 });
            if (last) {
              summary.lastRun = { executionId: last.executionId, status: last.status, createdAt: last.createdAt };
            }
          }
          return summary;
        }),
      );
      return c.json({ workflows }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/workflows/{id}",
      summary: "A workflow: its definition and each node's resolved ports",
      request: { params: IdParam },
      responses: { 200: json(S.WorkflowDetail, "The workflow"), 401: errors[401], 404: errors[404] },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const found = runtime.workflow(id);
      if (!found) throw new NotFoundError(`no workflow "${id}"`);
      return c.json(workflowDetail(found.info, found.version, options.baseUrl()), 200);
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/workflows/{id}/runs",
      summary: "Start a run: 202 with its id, or with ?wait=true 200 with the result",
      request: {
        params: IdParam,
        query: z.object({ wait: S.enumParam(["true", "false"]).optional() }),
        body: { content: { "application/json": { schema: S.RunRequest } }, required: false },
      },
      responses: {
        200: json(S.RunResult, "The finished run (wait=true)"),
        202: json(S.Accepted, "Accepted; Location points at the run"),
        ...errors,
        ...bodyErrors,
        503: json(S.ErrorBody, "Busy (Retry-After) or shutting down"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { wait } = c.req.valid("query");
      const body = c.req.valid("json");
      const accepted = await runtime.startRun(id, { inputs: body.inputs, triggerNode: body.trigger, trigger: "api" });
      const location = `/api/v1/runs/${accepted.executionId}`;
      if (wait === "true") return c.json(await accepted.done, 200, { location });
      await runtime.durable(); // accepted means recorded
      return c.json({ executionId: accepted.executionId, queued: accepted.queued }, 202, { location });
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/validate",
      summary: 'Validate a workflow given in the body, or its text ({"text": "..."}: errors with line and column)',
      request: {
        body: {
          content: { "application/json": { schema: S.JsonObject } },
          required: true,
          description: 'The workflow, or {"text": "<the file\'s text>"} (reads no file it references)',
        },
      },
      responses: {
        200: json(S.ValidateResult, "Whether it is valid, and every problem"),
        401: errors[401],
        ...bodyErrors,
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const text = isTextRequest(body) ? body.text : undefined;
      const unread: UnreadFile[] = [];
      let issues: ValidationIssue[] = [];
      let raw: Record<string, unknown> = body;
      try {
        if (text !== undefined) raw = parseWorkflowText(text) as Record<string, unknown>;
        await validateWithExpressions(raw, runtime.registry, { unread });
      } catch (err) {
        if (!(err instanceof WorkflowValidationError)) throw err;
        issues = err.issues;
      }
      const errors = text === undefined
        ? issues.map((i) => ({ path: i.path, message: i.message }))
        : (await import("../src/workflow/locate.ts")).locateIssues(text, issues);
      const unchecked = uncheckedReferences(typeName(raw) === "object" ? raw : {}, unread);
      return c.json({ valid: errors.length === 0, errors, unchecked }, 200);
    },
  );
}

/** Whether a `POST /validate` body is `{"text": "..."}` (a workflow has no `text` key). */
function isTextRequest(body: Record<string, unknown>): body is { text: string } {
  return typeof body.text === "string" && Object.keys(body).length === 1;
}

/**
 * What `POST /validate` did not check, as it reads no file on the server:
 * each sub-workflow file and each module of `imports` (whose node types are
 * then unknown to it).
 */
function uncheckedReferences(raw: Record<string, unknown>, unread: UnreadFile[]): { path: string; message: string }[] {
  const out = unread.map((u) => ({
    path: u.path,
    message: `${u.file}: not read (this route reads no file): the sub-workflow is not checked`,
  }));
  if (Array.isArray(raw.imports)) {
    raw.imports.forEach((entry, i) => {
      const path = typeof entry === "string" ? entry : (entry as { path?: unknown } | null)?.path;
      out.push({
        path: `imports[${i}]`,
        message: `${typeof path === "string" ? path : "the module"}: not loaded (this route reads no file): ` +
          "node types it registers are unknown here",
      });
    });
  }
  return out;
}

/** A comma-separated list of trigger names (`editor`, `cron,webhook`). */
function triggerList() {
  return S.queryString().transform((text, ctx) => {
    const names = text.split(",").map((t) => t.trim());
    const bad = names.filter((t) => !(TRIGGERS as readonly string[]).includes(t));
    if (bad.length) {
      ctx.addIssue({
        code: "custom",
        message: `expected triggers among ${TRIGGERS.join(", ")}; got ${JSON.stringify(bad[0])}`,
      });
      return z.NEVER;
    }
    return names as Trigger[];
  }).openapi({ type: "string", example: "editor" });
}

function runRoutes(api: OpenAPIHono, runtime: FlowRuntime) {
  const store = () => {
    if (!runtime.store) throw new HttpError(404, "NO_HISTORY", "history is off: runs are not recorded");
    return runtime.store;
  };
  // Reads see every run this server has answered for: what waits for its group write is written first.
  api.use("/runs/*", async (_c, next) => {
    await runtime.flush();
    await next();
  });
  api.use("/runs", async (_c, next) => {
    await runtime.flush();
    await next();
  });

  api.openapi(
    createRoute({
      method: "get",
      path: "/runs",
      summary: "Executions, newest first, from every trigger (flow run, cron, webhooks, the API)",
      request: {
        query: z.object({
          workflow: S.queryString().optional(),
          status: S.enumParam(EXECUTION_STATUSES as [ExecutionStatus, ...ExecutionStatus[]]).optional(),
          trigger: triggerList().optional().openapi({
            description: `Only runs started by these triggers, comma-separated (${TRIGGERS.join(", ")})`,
          }),
          notTrigger: triggerList().optional().openapi({
            description: "No run started by these triggers, e.g. editor (hide the editor's test runs)",
          }),
          limit: S.intParam(1, MAX_PAGE).optional().openapi({ description: `Page size (default ${DEFAULT_PAGE})` }),
          before: S.queryString().optional().openapi({
            description:
              "An execution id, the next of the previous page: the page after it (400 UNKNOWN_CURSOR if none)",
          }),
        }),
      },
      responses: { 200: json(S.RunList, "A page of executions"), 400: errors[400], 401: errors[401] },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const limit = q.limit ?? DEFAULT_PAGE;
      // A cursor that names no execution (a typo, or pruned since) is refused: ignoring it would start again at
      // the first page, and a client following next would never end.
      if (q.before !== undefined && !await store().getExecution(q.before)) {
        throw new HttpError(
          400,
          "UNKNOWN_CURSOR",
          `before: no execution ${JSON.stringify(q.before)} (pruned, or not an id from next); list from the first page`,
        );
      }
      const runs = await store().listExecutions({
        workflowId: q.workflow,
        status: q.status,
        triggers: q.trigger,
        notTriggers: q.notTrigger,
        limit: limit + 1,
        before: q.before,
      });
      const page = runs.slice(0, limit);
      return c.json({
        runs: page.map(runSummary),
        ...(runs.length > limit ? { next: page[page.length - 1].executionId } : {}),
      }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}",
      summary: "One execution (a unique id prefix works): what flow run --format json prints, plus history fields",
      request: { params: IdParam },
      responses: { 200: json(S.RunDetail, "The execution"), 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const record = await findExecution(store(), c.req.valid("param").id);
      return c.json(await runDetail(store(), record, runtime.workflow(record.workflowId)?.version), 200);
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/runs/{id}/cancel",
      summary: "Cancel a running or queued execution",
      request: { params: IdParam },
      responses: {
        202: json(z.object({ executionId: z.string(), cancelling: z.boolean() }), "Cancellation requested"),
        401: errors[401],
        404: errors[404],
        409: json(S.ErrorBody, "It is not running"),
      },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      const executionId = await runtime.executionId(id);
      if (!await runtime.cancel(executionId)) {
        throw new HttpError(409, "NOT_RUNNING", `execution ${executionId} is not running here`);
      }
      return c.json({ executionId, cancelling: true }, 202);
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/runs/{id}/resume",
      summary: "Resume a failed, cancelled or crashed execution as a new one that reuses what completed",
      request: { params: IdParam, query: z.object({ force: S.enumParam(["true", "false"]).optional() }) },
      responses: {
        202: json(S.Accepted, "The new execution; Location points at it"),
        401: errors[401],
        404: errors[404],
        409: json(S.ErrorBody, "Nothing to resume, still running, or the file changed"),
      },
    }),
    async (c) => {
      const accepted = await runtime.resume(c.req.valid("param").id, { force: c.req.valid("query").force === "true" });
      return c.json({ executionId: accepted.executionId, queued: accepted.queued }, 202, {
        location: `/api/v1/runs/${accepted.executionId}`,
      });
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}/events",
      summary: "An execution's events: SSE (Accept: text/event-stream) or NDJSON; replays, then follows live",
      request: {
        params: IdParam,
        query: z.object({ after: S.SeqCursor.optional() }),
        headers: z.object({ "last-event-id": S.SeqCursor.optional() }),
      },
      responses: {
        200: {
          content: { "text/event-stream": { schema: z.string() }, "application/x-ndjson": { schema: z.string() } },
          description: "The event stream; ends after the run's workflow.completed",
        },
        401: errors[401],
        404: errors[404],
      },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      const executionId = await runtime.executionId(id);
      // A reconnecting EventSource sends the last id it got (a seq): it wins over ?after=.
      const after = c.req.valid("header")["last-event-id"] ?? c.req.valid("query").after ?? -1;
      const stop = new AbortController();
      return streamResponse(
        runtime.watch(executionId, after, stop.signal),
        wantsSse(c.req.header("accept")) ? "sse" : "ndjson",
        stop,
      ) as never;
    },
  );
}

function opsRoutes(api: OpenAPIHono, runtime: FlowRuntime) {
  api.openapi(
    createRoute({
      method: "get",
      path: "/events",
      summary:
        "Every execution's events as they happen, every change of a served file and of pins and test requests (SSE)",
      responses: { 200: { content: { "text/event-stream": { schema: z.string() } }, description: "SSE" } },
    }),
    () => {
      const stop = new AbortController();
      // The stream never ends by itself: it ends when the client goes or the server shuts down.
      return streamResponse(allEvents(runtime, AbortSignal.any([stop.signal, runtime.closing])), "sse", stop) as never;
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/health",
      summary: "Liveness (needs no token)",
      responses: { 200: json(z.object({ ok: z.boolean(), version: z.string() }), "Alive") },
    }),
    (c) => c.json({ ok: true, version: VERSION }, 200),
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/ready",
      summary: "Readiness: workflows loaded, store open",
      responses: { 200: json(S.Readiness, "Ready"), 503: json(S.Readiness, "Not ready") },
    }),
    async (c) => {
      const entries = runtime.workflows();
      const { ready, checks } = await runtime.readiness();
      return c.json({
        ready,
        workflows: { serving: entries.filter((e) => e.valid).length, invalid: entries.filter((e) => !e.valid).length },
        checks,
      }, ready ? 200 : 503);
    },
  );

  api.get(
    "/metrics",
    async (c) => c.text(await runtime.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }),
  );
}

/**
 * Every event of every execution, as they happen, every change of a served
 * file (`event: file`, `data: {"type": "file.written", "file", "id", "etag",
 * "origin"}`) and every change the editor follows (`event: editor`, `data:
 * {"type": "pin.set", "workflowId", "nodeId", ...}`), the last two with no
 * `id:`: they are not an execution's.
 */
async function* allEvents(runtime: FlowRuntime, signal: AbortSignal): AsyncGenerator<OutgoingEvent> {
  const buffer: OutgoingEvent[] = [];
  let wake: (() => void) | undefined;
  const off = runtime.subscribe((e) => {
    buffer.push({ seq: e.seq, type: e.type, line: eventLine(e) });
    wake?.();
  });
  const offFiles = runtime.subscribeFiles((e) => {
    buffer.push({ type: "file", line: JSON.stringify(e) + "\n" });
    wake?.();
  });
  const offEditor = runtime.subscribeEditor((e) => {
    buffer.push({ type: "editor", line: JSON.stringify(e) + "\n" });
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    while (!signal.aborted) {
      while (buffer.length) yield buffer.shift()!;
      if (signal.aborted) break; // aborted while a yield waited: nothing will wake the await below
      await new Promise<void>((resolve) => wake = resolve);
      wake = undefined;
    }
  } finally {
    off();
    offFiles();
    offEditor();
    signal.removeEventListener("abort", onAbort);
  }
}
