/// <reference lib="dom" />
/**
 * The Workflow page: the graph from the file (or, with `?path=each`, of a
 * sub-workflow), a side panel for the selected node, and the Run button.
 *
 * @module
 */
import { useMemo, useState } from "react";
import type { WorkflowDetailT } from "../../../server/schemas.ts";
import { getWorkflow } from "../api.ts";
import { baseName } from "../format.ts";
import { NodePanel } from "../graph/panel.tsx";
import { buildGraph, type GraphSource } from "../graph/model.ts";
import { GraphView } from "../graph/view.tsx";
import { useAsync } from "../hooks.ts";
import { editHref, Link, navigate, useLocation } from "../router.tsx";
import { canEdit, canRun, useSession } from "../session.ts";
import { RunDialog } from "./run_form.tsx";
import { PermissionsLine } from "./workflow_permissions.tsx";

/** The graph source at `path` (`""` for the workflow itself), or undefined. */
export function graphAt(detail: WorkflowDetailT, path: string): GraphSource | undefined {
  return path ? detail.children[path] : detail;
}

/** Links to each level of a node path: the workflow, then `each`, then `each/detail`. */
export function Breadcrumb(props: { root: string; rootHref: string; path: string; href: (path: string) => string }) {
  const parts = props.path ? props.path.split("/") : [];
  return (
    <nav aria-label="Level" className="breadcrumb">
      <Link href={props.rootHref}>{props.root}</Link>
      {parts.map((part, i) => {
        const path = parts.slice(0, i + 1).join("/");
        return (
          <span key={path}>
            {" / "}
            {i === parts.length - 1
              ? <span aria-current="page">{part}</span>
              : <Link href={props.href(path)}>{part}</Link>}
          </span>
        );
      })}
    </nav>
  );
}

/** The page for workflow `id`. */
export default function WorkflowPage({ id }: { id: string }) {
  const { query } = useLocation();
  const session = useSession();
  const path = query.get("path") ?? "";
  const detail = useAsync(() => getWorkflow(id), [id]);
  const [selected, setSelected] = useState<string>();
  const [running, setRunning] = useState(query.get("run") === "1");
  const source = detail.data ? graphAt(detail.data, path) : undefined;
  const model = useMemo(() => (source ? buildGraph(source) : undefined), [source]);
  if (detail.error) {
    return (
      <section>
        <h1>{id}</h1>
        <p role="alert" className="error">{detail.error}</p>
      </section>
    );
  }
  if (!detail.data) return <p className="muted" role="status">Loading…</p>;
  const w = detail.data;
  const href = (p: string) => `/workflows/${encodeURIComponent(id)}${p ? `?path=${encodeURIComponent(p)}` : ""}`;
  const node = model?.nodes.find((n) => n.id === selected);
  const childPath = node && (path ? `${path}/${node.id}` : node.id);
  return (
    <section className="page-graph">
      <div className="page-head">
        <div>
          <h1>{w.name ?? w.id}</h1>
          <p className="muted">
            <code>{w.id}</code> · <span title={w.file}>{baseName(w.file)}</span> ·{" "}
            <Link href={`/runs?workflow=${encodeURIComponent(w.id ?? id)}`}>runs</Link>
          </p>
          {w.permissions && <PermissionsLine permissions={w.permissions} />}
          {path && <Breadcrumb root={w.id ?? id} rootHref={href("")} path={path} href={href} />}
        </div>
        <div className="actions">
          {canEdit(session) && (
            <Link className="button" href={editHref(w.file, path)}>
              Edit
            </Link>
          )}
          {!path && w.valid && canRun(session) && (
            <button
              type="button"
              className="primary"
              onClick={() => setRunning(true)}
            >
              Run…
            </button>
          )}
        </div>
      </div>
      {!w.valid && (
        <div role="alert" className="error">
          <p>This workflow file is invalid:</p>
          <ul>{w.errors.map((e, i) => <li key={i}>{e}</li>)}</ul>
        </div>
      )}
      {!source && <p role="alert" className="error">No sub-workflow at {path}.</p>}
      {model && (
        <div className="graph-layout">
          <GraphView model={model} selected={selected} onSelect={setSelected} label={`Graph of ${w.id ?? id}`} />
          {node && (
            <NodePanel
              node={node}
              childHref={childPath && w.children[childPath] ? href(childPath) : undefined}
              onClose={() => setSelected(undefined)}
            />
          )}
        </div>
      )}
      {running && (
        <RunDialog
          workflowId={w.id ?? id}
          inputs={w.inputs}
          open={running}
          onClose={() => {
            setRunning(false);
            if (query.get("run")) navigate(href(path), true);
          }}
        />
      )}
    </section>
  );
}
