/// <reference lib="dom" />
/**
 * The Workflows page: every served file with its id, triggers (webhook URL
 * to copy, a schedule's next fire time), last run, and validity (an invalid
 * file lists its errors). The last runs update live.
 *
 * @module
 */
import { type FormEvent, useState } from "react";
import type { TriggerInfoT, WorkflowSummaryT } from "../../../server/schemas.ts";
import { createWorkflow, listWorkflows } from "../api.ts";
import { StatusBadge } from "../components/status.tsx";
import { baseName, formatAgo, formatTime, shortId } from "../format.ts";
import { useAllEvents, useAsync, useDebounced } from "../hooks.ts";
import { editHref, Link, navigate } from "../router.tsx";
import { canEdit, useSession } from "../session.ts";

/** The list of workflows. */
export function WorkflowsPage() {
  const workflows = useAsync(listWorkflows, []);
  const refresh = useDebounced(workflows.reload, 500);
  useAllEvents((events) => {
    if (events.some((e) => !e.runPath && (e.type === "workflow.started" || e.type === "workflow.completed"))) {
      refresh();
    }
  });
  const list = workflows.data ?? [];
  const session = useSession();
  const editable = canEdit(session);
  return (
    <section>
      <div className="page-head">
        <h1>Workflows</h1>
        {editable && <NewWorkflow />}
      </div>
      {workflows.error && <p role="alert" className="error">Cannot load the workflows: {workflows.error}</p>}
      {!workflows.data && workflows.loading && <p className="muted" role="status">Loading…</p>}
      {workflows.data && list.length === 0 && <p className="muted">No workflow files are being served.</p>}
      {list.length > 0 && (
        <table className="table" aria-label="Workflows">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">File</th>
              <th scope="col">Triggers</th>
              <th scope="col">Last run</th>
              <th scope="col">Valid</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => <WorkflowRow key={w.file} workflow={w} editable={editable} />)}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The New workflow form: a file name in a served directory; the server writes `flow init`'s starter. */
function NewWorkflow() {
  const [open, setOpen] = useState(false);
  const [file, setFile] = useState("");
  const [error, setError] = useState<string>();
  if (!open) return <button type="button" onClick={() => setOpen(true)}>New workflow…</button>;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const name = file.endsWith(".json") ? file : `${file}.json`;
    try {
      const created = await createWorkflow(name);
      navigate(editHref(created.file ?? name));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form className="new-workflow" onSubmit={submit} aria-label="New workflow">
      <label htmlFor="new-file">File</label>
      <input
        id="new-file"
        value={file}
        placeholder="folder/name.json"
        onChange={(e) => setFile(e.target.value)}
        required
        autoFocus
      />
      <button type="submit" className="primary" disabled={!file}>Create</button>
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
}

function WorkflowRow({ workflow: w, editable }: { workflow: WorkflowSummaryT; editable: boolean }) {
  const title = w.name ?? w.id ?? baseName(w.file);
  return (
    <tr data-workflow={w.id ?? baseName(w.file)} className={w.valid ? undefined : "invalid"}>
      <td>
        {w.valid && w.id ? <Link href={`/workflows/${encodeURIComponent(w.id)}`}>{title}</Link> : title}
        {editable && (
          <>
            {" "}
            <Link className="edit-link" href={editHref(w.file)} title={`Edit ${w.file}`}>edit</Link>
          </>
        )}
      </td>
      <td>
        <code>{w.id ?? "—"}</code>
      </td>
      <td title={w.file}>
        <code>{baseName(w.file)}</code>
      </td>
      <td>
        {w.triggers.length
          ? w.triggers.map((t) => <Trigger key={t.nodeId} trigger={t} />)
          : <span className="muted">manual</span>}
      </td>
      <td>
        {w.lastRun
          ? (
            <Link href={`/runs/${w.lastRun.executionId}`} title={`execution ${shortId(w.lastRun.executionId)}`}>
              <StatusBadge status={w.lastRun.status} />{" "}
              <time dateTime={w.lastRun.createdAt} title={formatTime(w.lastRun.createdAt)}>
                {formatAgo(w.lastRun.createdAt)}
              </time>
            </Link>
          )
          : <span className="muted">never</span>}
      </td>
      <td>
        {w.valid
          ? <span className="ok" aria-label="valid">✓ valid</span>
          : (
            <div className="invalid-errors" role="group" aria-label={`Errors in ${baseName(w.file)}`}>
              <span className="error">✗ invalid</span>
              <ul>
                {w.errors.map((e, i) => <li key={i}>{e}</li>)}
              </ul>
            </div>
          )}
      </td>
    </tr>
  );
}

function Trigger({ trigger: t }: { trigger: TriggerInfoT }) {
  const [copied, setCopied] = useState(false);
  if (t.kind === "webhook") {
    const url = t.url ?? t.path ?? "";
    const copy = async () => {
      try {
        await navigator.clipboard.writeText(url);
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      } catch {
        setCopied(false);
      }
    };
    return (
      <div className="trigger">
        <span className="tag">{t.method ?? "POST"}</span> <code className="url">{url}</code>{" "}
        <button type="button" className="small" onClick={copy} aria-label={`Copy webhook URL ${url}`}>
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
    );
  }
  return (
    <div className="trigger">
      <span className="tag">{t.kind}</span> {t.nextFireAt
        ? (
          <span>
            next <time dateTime={t.nextFireAt} title={formatTime(t.nextFireAt)}>{formatAgo(t.nextFireAt)}</time>
          </span>
        )
        : <span className="muted">{t.nodeId}</span>}
    </div>
  );
}
