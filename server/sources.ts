/**
 * The editor's routes for workflow files (docs/api.md#editing-workflow-files):
 * a file's text and ETag, a new text or a JSON Patch over the version the
 * client read (`If-Match`), and new files. A file is named by the workflow
 * id it serves (`/workflows/{id}/source`) or by its path relative to its
 * served directory (`/files/{path}/source`), which also opens a file that
 * is invalid or never loaded. The work is `WorkflowSources`'
 * (`src/runtime/sources.ts`); these routes speak HTTP.
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { FlowRuntime, IfMatch, SourceRef } from "../src/runtime/service.ts";
import { HttpError } from "./errors.ts";
import * as S from "./schemas.ts";

/** What the source routes need besides the runtime. */
export interface SourceRouteOptions {
  /** `flow serve --read-only`: every write is 403 `READ_ONLY`. */
  readOnly?: boolean;
}

/** The paths of a file's text under `/api/v1`: `PUT` there takes any text (a draft need not be JSON). */
export const SOURCE_PATH: RegExp = /^\/api\/v1\/(?:workflows\/[^/]+|files\/.+)\/source$/;

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const error = (description: string) => json(S.ErrorBody, description);

/**
 * The tags of an `If-Match` header: `*`, or the list of its entity tags
 * (quoted or not; a weak tag never matches a write, RFC 9110); undefined
 * when there is no header.
 *
 * @example
 * ```ts
 * import { parseIfMatch } from "./sources.ts";
 * parseIfMatch('"ab12", W/"cd34"'); // ["ab12"]
 * parseIfMatch("*"); // "*"
 * ```
 */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === "*") return "*";
  return header.split(",").map((t) => t.trim()).filter((t) => t !== "" && !t.startsWith("W/"))
    .map((t) => t.replace(/^"(.*)"$/, "$1"));
}

/** The `/api/v1` routes of workflow files. */
export function sourceRoutes(api: OpenAPIHono, runtime: FlowRuntime, options: SourceRouteOptions): void {
  const refuseWrites = () => {
    if (options.readOnly) {
      throw new HttpError(
        403,
        "READ_ONLY",
        "this server is read-only (flow serve --read-only): files cannot be written",
      );
    }
  };
  const byId = (c: Context): SourceRef => ({ id: c.req.param("id")! });
  const byPath = (c: Context): SourceRef => ({ path: c.req.param("path")! });
  for (
    const [path, ref, param] of [
      ["/workflows/:id/source", byId, "id"],
      ["/files/:path{.+}/source", byPath, "path"],
    ] as const
  ) {
    describeSourceRoutes(api, path.replace(/:(\w+)(\{[^}]*\})?/, "{$1}"), param);
    api.get(path, async (c) => {
      const source = await runtime.sources.read(ref(c));
      return c.body(source.bytes as Uint8Array<ArrayBuffer>, 200, {
        "content-type": "application/json; charset=utf-8",
        etag: `"${source.etag}"`,
        "x-flow-file": encodeURI(source.file),
        "cache-control": "no-store",
      });
    });
    api.put(path, async (c) => {
      refuseWrites();
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const result = await runtime.sources.put(ref(c), bytes, parseIfMatch(c.req.header("if-match")));
      return c.json(result, 200, { etag: `"${result.etag}"` });
    });
    api.patch(path, async (c) => {
      refuseWrites();
      const parsed = S.JsonPatch.safeParse(await c.req.json());
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        throw new HttpError(400, "BAD_REQUEST", issues.map((i) => `${i.path || "body"}: ${i.message}`).join("; "));
      }
      const result = await runtime.sources.patch(ref(c), parsed.data, parseIfMatch(c.req.header("if-match")));
      return c.json(result, 200, { etag: `"${result.etag}"` });
    });
  }

  api.openapi(
    createRoute({
      method: "post",
      path: "/workflows",
      summary: "Create a workflow file in a served directory (the starter workflow of flow init, or the text given)",
      request: { body: { content: { "application/json": { schema: S.CreateWorkflowRequest } }, required: true } },
      responses: {
        201: json(S.SourceWriteResult, "Created; Location is its text (GET /files/{path}/source)"),
        400: error("BAD_PATH: absolute, .., backslash, NUL, not .json, a skipped folder, or out through a link"),
        401: error("Missing or wrong API token"),
        403: error("READ_ONLY: flow serve --read-only; FORBIDDEN: a read-only token"),
        409: error("EXISTS: a file of that name exists"),
        413: error("TOO_LARGE: over the workflow size limit (FLOW_MAX_WORKFLOW_BYTES)"),
      },
    }),
    async (c) => {
      refuseWrites();
      const body = c.req.valid("json");
      const result = await runtime.sources.create(body.file, body.text);
      return c.json(result, 201, {
        location: `/api/v1/files/${encodeURI(result.file)}/source`,
        etag: `"${result.etag}"`,
      });
    },
  );
}

/** The OpenAPI entries of a file's text routes (their handlers are plain Hono routes: the body is any text). */
function describeSourceRoutes(api: OpenAPIHono, path: string, param: "id" | "path") {
  const params = z.object({
    [param]: z.string().openapi({
      param: { name: param, in: "path" },
      description: param === "id" ? "Workflow id" : "The file's path relative to its served directory (/ kept)",
    }),
  });
  const ifMatch = z.object({
    "if-match": z.string().openapi({ description: 'The ETag of the version the change is made to ("<sha256 hex>")' }),
  });
  const written = {
    200: json(S.SourceWriteResult, "Written (ETag: the new one); valid false for a draft the server does not serve"),
    400: error("BAD_TEXT (PUT: not UTF-8), NOT_JSON or PATCH_FAILED (PATCH), BAD_REQUEST, BAD_PATH"),
    401: error("Missing or wrong API token"),
    403: error("READ_ONLY (flow serve --read-only) or FORBIDDEN (a read-only token)"),
    404: error("NOT_FOUND: no such file served"),
    412: json(S.StaleBody, "STALE: the file changed since; nothing written; its current ETag and text"),
    413: error("TOO_LARGE: over the workflow size limit (FLOW_MAX_WORKFLOW_BYTES)"),
    415: error("UNSUPPORTED_MEDIA_TYPE"),
    428: error("PRECONDITION_REQUIRED: no If-Match"),
  };
  api.openAPIRegistry.registerPath({
    method: "get",
    path,
    summary: "A workflow file's text, byte for byte, with its ETag (SHA-256 of the bytes)",
    request: { params },
    responses: {
      200: {
        content: { "application/json": { schema: z.string() } },
        description: "The file's bytes; X-Flow-File names it",
      },
      401: error("Missing or wrong API token"),
      404: error("NOT_FOUND"),
    },
  });
  api.openAPIRegistry.registerPath({
    method: "put",
    path,
    summary: "Replace a workflow file's text (any text: an invalid draft is written too); needs If-Match",
    request: {
      params,
      headers: ifMatch,
      body: { content: { "application/json": { schema: z.string() } }, description: "The whole new text" },
    },
    responses: written,
  });
  api.openAPIRegistry.registerPath({
    method: "patch",
    path,
    summary: "Apply a JSON Patch (RFC 6902) to a workflow file's text in place; needs If-Match",
    request: {
      params,
      headers: ifMatch,
      body: { content: { "application/json-patch+json": { schema: S.JsonPatch } } },
    },
    responses: written,
  });
}
