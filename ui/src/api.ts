/// <reference lib="dom" />
/**
 * The console's client of the public HTTP API (`/api/v1`), typed by the
 * server's own zod schemas (types only: no zod reaches the browser).
 *
 * @module
 */
import type {
  AcceptedT,
  ErrorBodyT,
  RunDetailT,
  RunListT,
  WorkflowDetailT,
  WorkflowSummaryT,
} from "../../server/schemas.ts";

import type { JsonSchema, NodeType, Problem, Session, Validation } from "./api_types.ts";
export type { JsonSchema, NodeType, PortSpec, Problem, Session, Validation } from "./api_types.ts";

/** Where the API is, on the console's own origin. */
export const API_BASE = "/api/v1";

/** An API call that did not succeed: the server's message and code. */
export class ApiError extends Error {
  /** HTTP status (0 when no response arrived). */
  readonly status: number;
  /** The server's error code, e.g. `NOT_FOUND`. */
  readonly code: string;

  /** Creates the error. */
  constructor(message: string, status: number, code: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** Called when the API answers 401: the console shows its sign-in page. */
let onUnauthorized: (() => void) | undefined;

/** Sets what happens when the API answers 401 (the console goes to its sign-in page). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function send(path: string, init?: RequestInit): Promise<Response> {
  try {
    const res = await fetch(`${API_BASE}${path}`, {
      ...init,
      headers: {
        accept: "application/json",
        ...(init?.body ? { "content-type": "application/json" } : {}),
        ...init?.headers as Record<string, string> | undefined,
      },
    });
    if (res.status === 401 && !path.startsWith("/session")) onUnauthorized?.();
    return res;
  } catch (err) {
    throw new ApiError(`cannot reach the server: ${(err as Error).message}`, 0, "NETWORK");
  }
}

function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function failure(res: Response, body: unknown): ApiError {
  const error = (body as ErrorBodyT | undefined)?.error;
  return new ApiError(error?.message ?? `HTTP ${res.status}`, res.status, error?.code ?? `HTTP_${res.status}`);
}

/** Calls the API at `path` (under {@linkcode API_BASE}); the parsed body, or an {@linkcode ApiError}. */
export async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await send(path, init);
  const body = parseBody(await res.text());
  if (!res.ok) throw failure(res, body);
  return body as T;
}

/** Query of {@linkcode listRuns}. */
export interface RunQuery {
  /** Only this workflow id. */
  workflow?: string;
  /** Only this status. */
  status?: string;
  /** The page after this execution id. */
  before?: string;
  /** Page size. */
  limit?: number;
}

/** Every served workflow file. */
export async function listWorkflows(): Promise<WorkflowSummaryT[]> {
  return (await request<{ workflows: WorkflowSummaryT[] }>("/workflows")).workflows;
}

/** One workflow with its graph. */
export function getWorkflow(id: string): Promise<WorkflowDetailT> {
  return request<WorkflowDetailT>(`/workflows/${encodeURIComponent(id)}`);
}

/** Starts a run; resolves to its execution id. */
export function startRun(id: string, inputs: Record<string, unknown>): Promise<AcceptedT> {
  return request<AcceptedT>(`/workflows/${encodeURIComponent(id)}/runs`, {
    method: "POST",
    body: JSON.stringify({ inputs }),
  });
}

/** A page of executions, newest first. */
export function listRuns(query: RunQuery): Promise<RunListT> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, String(v));
  return request<RunListT>(`/runs?${params}`);
}

/** One execution. */
export function getRun(id: string): Promise<RunDetailT> {
  return request<RunDetailT>(`/runs/${encodeURIComponent(id)}`);
}

/** Asks a running execution to stop. */
export function cancelRun(id: string): Promise<{ executionId: string; cancelling: boolean }> {
  return request(`/runs/${encodeURIComponent(id)}/cancel`, { method: "POST" });
}

/** Resumes a failed, cancelled or crashed execution as a new one. */
export function resumeRun(id: string): Promise<AcceptedT> {
  return request<AcceptedT>(`/runs/${encodeURIComponent(id)}/resume`, { method: "POST" });
}

/** Every node type usable here. */
export async function listNodeTypes(): Promise<NodeType[]> {
  return (await request<{ nodes: NodeType[] }>("/nodes")).nodes;
}

/** The workflow JSON Schema (`flow schema`). */
export function getWorkflowSchema(): Promise<JsonSchema> {
  return request<JsonSchema>("/schema");
}

/** Validates unsaved text with the server's validator. */
export function validateText(text: string, signal?: AbortSignal): Promise<Validation> {
  return request<Validation>("/validate", { method: "POST", body: JSON.stringify({ text }), signal });
}

/** A file's text and the ETag of its bytes. */
export interface Source {
  /** The text, byte for byte. */
  text: string;
  /** The ETag (quoted). */
  etag: string;
}

/** The API path of a file's source, by its path relative to its served directory. */
export function sourcePath(file: string): string {
  return `/files/${file.split("/").map(encodeURIComponent).join("/")}/source`;
}

/** An ETag without its quotes (`"abc"` -> `abc`), as bodies and file events give it. */
export function bareTag(etag: string): string {
  return etag.replace(/^W\//, "").replace(/"/g, "");
}

/** Reads a served file's text. */
export async function getSource(file: string): Promise<Source> {
  const res = await send(sourcePath(file), { headers: { accept: "application/json" } });
  const text = await res.text();
  if (!res.ok) throw failure(res, parseBody(text));
  return { text, etag: bareTag(res.headers.get("etag") ?? "") };
}

/** What a save answered. */
export type SaveResult =
  | { ok: true; etag: string; valid: boolean; errors: Problem[]; id?: string }
  | { ok: false; stale: true; etag: string; text: string };

/** Writes a file's whole text if it is still at `etag`; a 412 gives the current text instead. */
export async function putSource(file: string, text: string, etag: string): Promise<SaveResult> {
  const res = await send(sourcePath(file), {
    method: "PUT",
    body: text,
    headers: { "if-match": `"${bareTag(etag)}"`, "content-type": "application/json" },
  });
  const body = parseBody(await res.text()) as Record<string, unknown> | undefined;
  if (res.status === 412 && body) {
    return {
      ok: false,
      stale: true,
      etag: bareTag(String(body.etag ?? res.headers.get("etag"))),
      text: String(body.text),
    };
  }
  if (!res.ok) throw failure(res, body);
  return {
    ok: true,
    etag: bareTag(String(body?.etag ?? res.headers.get("etag"))),
    valid: body?.valid === true,
    errors: (body?.errors ?? []) as Problem[],
    ...(typeof body?.id === "string" ? { id: body.id } : {}),
  };
}

/** Creates a workflow file in a served directory (`flow init`'s starter without text). */
export function createWorkflow(file: string, text?: string): Promise<{ file: string; etag: string; id?: string }> {
  return request("/workflows", {
    method: "POST",
    body: JSON.stringify(text === undefined ? { file } : { file, text }),
  });
}

/** The current session. */
export function getSession(): Promise<Session> {
  return request<Session>("/session");
}

/** Signs in with an API token: the server sets a session cookie. */
export async function signIn(token: string): Promise<void> {
  const res = await send("/session", { method: "POST", body: JSON.stringify({ token }) });
  if (!res.ok) throw failure(res, parseBody(await res.text()));
}

/** Ends the session. */
export async function signOut(): Promise<void> {
  const res = await send("/session", { method: "DELETE" });
  if (!res.ok && res.status !== 401) throw failure(res, parseBody(await res.text()));
}
