/// <reference lib="dom" />
/**
 * The Runs page: executions from the store, whatever started them, newest
 * first, filterable by workflow and status, paged; statuses update live
 * from the event stream of every execution.
 *
 * @module
 */
import { useState } from "react";
import type { RunSummaryT } from "../../../server/schemas.ts";
import { listRuns, listWorkflows } from "../api.ts";
import { StatusBadge } from "../components/status.tsx";
import { TriggerText } from "../components/trigger.tsx";
import { formatAgo, formatDuration, formatTime, shortId } from "../format.ts";
import { useAllEvents, useAsync, useDebounced } from "../hooks.ts";
import { Link, navigate, useLocation } from "../router.tsx";

/** Executions shown per page. */
const PAGE_SIZE = 25;
/** The statuses one can filter by. */
const STATUSES = ["queued", "running", "success", "failed", "cancelled", "crashed", "skipped"];

/** The list of executions. */
export default function RunsPage() {
  const { query } = useLocation();
  const workflow = query.get("workflow") ?? "";
  const status = query.get("status") ?? "";
  const before = query.get("before") ?? "";
  const [history, setHistory] = useState<string[]>([]);
  const workflows = useAsync(listWorkflows, []);
  const runs = useAsync(
    () => listRuns({ workflow, status, before, limit: PAGE_SIZE }),
    [workflow, status, before],
  );
  const [live, setLive] = useState<Record<string, RunSummaryT["status"]>>({});
  const refresh = useDebounced(runs.reload, 400);
  useAllEvents((events) => {
    const next: Record<string, RunSummaryT["status"]> = {};
    let started = false;
    for (const e of events) {
      if (e.runPath) continue;
      if (e.type === "workflow.started") {
        next[e.executionId] = "running";
        started = true;
      } else if (e.type === "workflow.completed") next[e.executionId] = e.status;
    }
    if (Object.keys(next).length) setLive((l) => ({ ...l, ...next }));
    if (started || Object.keys(next).length) refresh();
  });
  const go = (params: Record<string, string>) => {
    const q = new URLSearchParams({ workflow, status, before, ...params });
    for (const [k, v] of [...q.entries()]) if (!v) q.delete(k);
    navigate(`/runs${q.size ? `?${q}` : ""}`, true);
  };
  const ids = [...new Set((workflows.data ?? []).flatMap((w) => (w.id ? [w.id] : [])))].sort();
  const page = runs.data?.runs ?? [];
  return (
    <section>
      <h1>Runs</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter runs">
        <label>
          Workflow{" "}
          <select
            value={workflow}
            onChange={(e) => {
              setHistory([]);
              go({ workflow: e.target.value, before: "" });
            }}
          >
            <option value="">all</option>
            {ids.map((id) => <option key={id} value={id}>{id}</option>)}
            {workflow && !ids.includes(workflow) && <option value={workflow}>{workflow}</option>}
          </select>
        </label>
        <label>
          Status{" "}
          <select
            value={status}
            onChange={(e) => {
              setHistory([]);
              go({ status: e.target.value, before: "" });
            }}
          >
            <option value="">all</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
      </form>
      {runs.error && <p role="alert" className="error">Cannot load the runs: {runs.error}</p>}
      {runs.data && page.length === 0 && <p className="muted">No executions match.</p>}
      {page.length > 0 && (
        <table className="table" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Execution</th>
              <th scope="col">Workflow</th>
              <th scope="col">Status</th>
              <th scope="col">Trigger</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {page.map((r) => <RunRow key={r.executionId} run={r} status={live[r.executionId] ?? r.status} />)}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          disabled={!before}
          onClick={() => {
            const prev = history.slice(0, -1);
            go({ before: history[history.length - 1] ?? "" });
            setHistory(prev);
          }}
        >
          ← Newer
        </button>
        <button
          type="button"
          disabled={!runs.data?.next}
          onClick={() => {
            setHistory([...history, before]);
            go({ before: runs.data!.next! });
          }}
        >
          Older →
        </button>
      </nav>
    </section>
  );
}

function RunRow({ run: r, status }: { run: RunSummaryT; status: string }) {
  return (
    <tr data-execution={r.executionId}>
      <td>
        <Link href={`/runs/${r.executionId}`} title={r.executionId}>
          <code>{shortId(r.executionId)}</code>
        </Link>
        {r.resumedFrom && <span className="muted">↻ {shortId(r.resumedFrom)}</span>}
      </td>
      <td>
        <Link href={`/workflows/${encodeURIComponent(r.workflowId)}`}>{r.workflowName ?? r.workflowId}</Link>
      </td>
      <td>
        <StatusBadge status={status} />
      </td>
      <td>
        <TriggerText trigger={r.trigger} node={r.triggerNode} />
      </td>
      <td>
        <time dateTime={r.createdAt} title={formatTime(r.createdAt)}>{formatAgo(r.createdAt)}</time>
      </td>
      <td>{formatDuration(r.durationMs)}</td>
    </tr>
  );
}
