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

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      ...init,
      headers: { accept: "application/json", ...(init?.body ? { "content-type": "application/json" } : {}) },
    });
  } catch (err) {
    throw new ApiError(`cannot reach the server: ${(err as Error).message}`, 0, "NETWORK");
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as ErrorBodyT | undefined)?.error;
    throw new ApiError(error?.message ?? `HTTP ${res.status}`, res.status, error?.code ?? `HTTP_${res.status}`);
  }
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
