/// <reference lib="dom" />
/**
 * The Run page: the workflow's graph with each node coloured by its live
 * state, a timeline, the event log, and a node inspector; Cancel and Resume.
 * `?path=each[3]` shows a loop iteration or sub-workflow run; `?node=fetch`
 * selects a node. A finished run replays from its journal through the same
 * fold, so it looks the same as one watched live.
 *
 * @module
 */
import { useMemo, useState } from "react";
import type { NodeInfoT } from "../../../server/schemas.ts";
import { cancelRun, resumeRun } from "../api.ts";
import { StatusBadge } from "../components/status.tsx";
import { TriggerText } from "../components/trigger.tsx";
import { formatDuration, formatTime, shortId } from "../format.ts";
import type { BoxState } from "../graph/box.tsx";
import { buildGraph, type GraphModel, type GraphSource } from "../graph/model.ts";
import { GraphView } from "../graph/view.tsx";
import { Link, navigate, useLocation } from "../router.tsx";
import { EventLog } from "../run/event_log.tsx";
import { deriveInputs } from "../run/inputs.ts";
import { Inspector } from "../run/inspector.tsx";
import { childRuns, type RunState } from "../run/state.ts";
import { Timeline } from "../run/timeline.tsx";
import { useRun } from "../run/use_run.ts";

/** `each[3]/detail` without its iterations: `each/detail`, the key of the graph it runs. */
export function graphKey(path: string): string {
  return path.replace(/\[\d+\]/g, "");
}

/** A graph from the events alone, for a run whose workflow is no longer served. */
function graphFromEvents(state: RunState, path: string): GraphSource {
  const nodes: NodeInfoT[] = [...(state.runs.get(path)?.nodes.values() ?? [])].map((n) => ({
    id: n.id,
    type: n.type ?? "unknown",
    family: (n.type ?? "unknown").split(".")[0],
    description: "",
    inputs: {},
    outputs: {},
    config: {},
    onError: "stop",
  }));
  return { nodes, connections: [], inputs: {}, outputs: {} };
}

/** The page of execution `id`. */
export default function RunPage({ id }: { id: string }) {
  const { query } = useLocation();
  const path = query.get("path") ?? "";
  const selected = query.get("node") ?? undefined;
  const view = useRun(id);
  const { detail, workflow, state, version } = view;
  const [tab, setTab] = useState<"timeline" | "events">("timeline");
  const [actionError, setActionError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const source = workflow ? (path ? workflow.children[graphKey(path)] : workflow) : undefined;
  const fallback = !source && (view.workflowError || (workflow && path)) ? graphFromEvents(state, path) : undefined;
  const fallbackKey = fallback ? fallback.nodes.map((n) => n.id).join(",") : "";
  const model = useMemo<GraphModel | undefined>(
    () => source ? buildGraph(source) : fallback ? buildGraph(fallback) : undefined,
    [source, fallbackKey],
  );
  const run = state.runs.get(path);
  const states = useMemo(() => boxStates(model, state, path), [model, version, path]);

  const go = (params: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    const next = { path, node: selected, ...params };
    for (const [k, v] of Object.entries(next)) if (v) q.set(k, v);
    navigate(`/runs/${id}${q.size ? `?${q}` : ""}`, true);
  };

  if (view.notFound) {
    return (
      <section>
        <h1>Run not found</h1>
        <p role="alert" className="error">
          No execution has the id <code>{id}</code>: it never existed, or history retention removed it.
        </p>
        <p>
          <Link href="/runs">All runs</Link>
        </p>
      </section>
    );
  }
  if (view.error) {
    return (
      <section>
        <h1>
          Run <code>{id}</code>
        </h1>
        <p role="alert" className="error">{view.error}</p>
      </section>
    );
  }
  if (!detail) return <p className="muted" role="status">Loading…</p>;
  const top = state.runs.get("");
  const status = top && top.status !== "running"
    ? top.status
    : view.ended
    ? detail.status
    : top
    ? "running"
    : detail.status;
  const act = async (what: "cancel" | "resume") => {
    setBusy(true);
    setActionError(undefined);
    try {
      if (what === "cancel") await cancelRun(detail.executionId);
      else navigate(`/runs/${(await resumeRun(detail.executionId)).executionId}`);
    } catch (err) {
      setActionError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const node = model?.nodes.find((n) => n.id === selected);
  const order = model?.nodes.filter((n) => n.kind === "node").map((n) => n.id) ?? [];
  const levels = path ? path.split("/") : [];
  return (
    <section className="page-graph">
      <div className="page-head">
        <div>
          <h1>
            Run <code title={detail.executionId}>{shortId(detail.executionId)}</code> <StatusBadge status={status} />
          </h1>
          <p className="muted">
            <Link href={`/workflows/${encodeURIComponent(detail.workflowId)}`}>
              {detail.workflowName ?? detail.workflowId}
            </Link>{" "}
            · <TriggerText trigger={detail.trigger} node={detail.triggerNode} /> · started{" "}
            {formatTime(detail.startedAt ?? detail.createdAt)}
            {top?.end !== undefined && ` · ${formatDuration(top.end - top.start)}`}
            {detail.resumedFrom && (
              <>
                {" "}· resumes <Link href={`/runs/${detail.resumedFrom}`}>{shortId(detail.resumedFrom)}</Link>
              </>
            )}
          </p>
          <nav aria-label="Level" className="breadcrumb">
            <button type="button" className="link-button" onClick={() => go({ path: undefined, node: undefined })}>
              {detail.workflowId}
            </button>
            {levels.map((part, i) => (
              <span key={i}>
                {" / "}
                {i === levels.length - 1 ? <span aria-current="page">{part}</span> : (
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => go({ path: levels.slice(0, i + 1).join("/"), node: undefined })}
                  >
                    {part}
                  </button>
                )}
              </span>
            ))}
            {run && path && (
              <>
                <StatusBadge status={run.status} />
              </>
            )}
          </nav>
        </div>
        <div className="actions">
          <button
            type="button"
            disabled={busy || !(status === "running" || status === "queued")}
            onClick={() => act("cancel")}
          >
            Cancel
          </button>
          <button
            type="button"
            disabled={busy || !["failed", "cancelled", "crashed"].includes(status)}
            onClick={() => act("resume")}
          >
            Resume
          </button>
        </div>
      </div>
      {actionError && <p role="alert" className="error">{actionError}</p>}
      {(top?.error ?? detail.error) && status !== "running" && (
        <p className="error" role="status">
          <code>{(top?.error ?? detail.error)!.code}</code> {(top?.error ?? detail.error)!.message}
        </p>
      )}
      {view.workflowError && <p className="muted">Graph from the events only: {view.workflowError}</p>}
      {model && (
        <div className="graph-layout">
          <GraphView
            model={model}
            states={states}
            selected={selected}
            onSelect={(n) => go({ node: n })}
            label={`Run graph${path ? ` at ${path}` : ""}`}
          />
          {node && node.kind === "node" && (
            <Inspector
              node={node}
              state={run?.nodes.get(node.id)}
              inputs={model ? deriveInputs(model, run, node.id, path ? undefined : detail.inputs) : []}
              logs={state.events.filter((e) =>
                e.type === "node.log" && e.nodeId === node.id && (e.runPath ?? "") === path
              )}
              subRuns={childRuns(state, path, node.id)}
              onOpen={(p) => go({ path: p, node: undefined })}
              onClose={() => go({ node: undefined })}
            />
          )}
        </div>
      )}
      <div className="tabs" role="tablist" aria-label="Run details">
        <button
          type="button"
          role="tab"
          id="tab-timeline"
          aria-selected={tab === "timeline"}
          aria-controls="panel-timeline"
          onClick={() => setTab("timeline")}
        >
          Timeline
        </button>
        <button
          type="button"
          role="tab"
          id="tab-events"
          aria-selected={tab === "events"}
          aria-controls="panel-events"
          onClick={() => setTab("events")}
        >
          Events ({state.events.length})
        </button>
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
        {tab === "timeline"
          ? <Timeline run={run} order={order} selected={selected} onSelect={(n) => go({ node: n })} />
          : <EventLog events={state.events} version={version} path={path} />}
      </div>
    </section>
  );
}

/** Each box's state in run `path`: nodes not seen yet are pending once the run exists. */
function boxStates(model: GraphModel | undefined, state: RunState, path: string): Map<string, BoxState> {
  const out = new Map<string, BoxState>();
  const run = state.runs.get(path);
  if (!model || !run) return out;
  for (const n of model.nodes) {
    if (n.kind !== "node") continue;
    const r = run.nodes.get(n.id);
    const max = n.info?.retry?.maxAttempts;
    const children = n.info?.subworkflow ? childRuns(state, path, n.id).length : 0;
    out.set(n.id, {
      status: r?.status ?? "pending",
      attempts: r?.attempts ?? 0,
      ...(typeof max === "number" ? { maxAttempts: max } : {}),
      ...(children ? { children } : {}),
    });
  }
  return out;
}
