/// <reference lib="dom" />
/**
 * The editor page (`/edit?file=PATH`, `&path=each` for a loop body): loads
 * the file's text, the node catalog and the workflow schema, and puts the
 * palette, canvas, inspector, code view, problems list and command palette
 * around one store. Loaded lazily: the viewer pages never load it.
 *
 * @module
 */
import { ReactFlowProvider } from "@xyflow/react";
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { StoreApi } from "zustand";
import { useStore } from "zustand";
import type { JsonSchema, NodeType } from "../api.ts";
import { baseName } from "../format.ts";
import { useAllEvents } from "../hooks.ts";
import { Link, navigate } from "../router.tsx";
import { canEdit, useSession } from "../session.ts";
import { Breadcrumb } from "../pages/workflow.tsx";
import { editorActions } from "./actions.ts";
import { type CanvasApi, EditCanvas } from "./canvas.tsx";
import { CommandPalette } from "./commands.tsx";
import { ConnectForm } from "./connect_form.tsx";
import { layoutOf, nodesOf, parseText, type Path, workflowAt } from "./doc.ts";
import type { GraphModel } from "../graph/model.ts";
import { connectionProblem, editorGraph, keepUnchanged } from "./graph.ts";
import { NodeInspector, WorkflowInspector } from "./inspector.tsx";
import { takeEditorData } from "./open.ts";
import { buildCommands, useShortcuts } from "./keys.ts";
import { Palette } from "./palette.tsx";
import { type Placed, placeProblems, problemRange, problemsByNode } from "./problems.ts";
import { createEditorStore, type EditorState, isDirty, validateAsYouType } from "./store.ts";
import { ExprEnvContext } from "./expr/env.ts";
import type { SubRun } from "../run/state.ts";
import { NodeTestPanel } from "./testloop/node_panel.tsx";
import { testLoopStates } from "./testloop/results.ts";
import { RunPanel } from "./testloop/run_panel.tsx";
import { useTestCommands, useTestLoop } from "./testloop/use_testloop.ts";

// CodeMirror (the code view and the merge view) loads when one of them is first shown.
const CodeView = lazy(() => import("./code_view.tsx").then((m) => ({ default: m.CodeView })));
const MergePanel = lazy(() => import("./code_view.tsx").then((m) => ({ default: m.MergePanel })));

/** What the page loaded. */
interface Loaded {
  store: StoreApi<EditorState>;
  types: NodeType[];
  schema?: JsonSchema;
}

/** The editor page for `file` at level `path` (`""`: the workflow itself). */
export default function EditorPage({ file, path }: { file: string; path: string }) {
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    performance.mark("flow:editor-requested");
    takeEditorData(file).then(
      ({ source, types, schema }) => {
        performance.mark("flow:editor-loaded");
        if (live) {
          setLoaded({ store: createEditorStore(file, source.text, source.etag), types, ...(schema ? { schema } : {}) });
        }
      },
      (err) => live && setError((err as Error).message),
    );
    return () => {
      live = false;
    };
  }, [file]);
  if (error) {
    return (
      <section>
        <h1>{baseName(file)}</h1>
        <p role="alert" className="error">Cannot open {file}: {error}</p>
      </section>
    );
  }
  if (!loaded) return <p className="muted" role="status">Loading the editor…</p>;
  return (
    <ReactFlowProvider>
      <Editor {...loaded} file={file} path={path} />
    </ReactFlowProvider>
  );
}

/** The `base` path of the loop body at `path` (`each/inner`), or undefined when there is none. */
export function basePath(doc: unknown, path: string): Path | undefined {
  let base: Path = [];
  for (const id of path ? path.split("/") : []) {
    const node = nodesOf(workflowAt(doc, base)).find((n) => n.id === id);
    const inner = (node?.raw.config as Record<string, unknown> | undefined)?.workflow;
    if (!node || !inner || typeof inner !== "object") return undefined;
    base = [...base, "nodes", node.index, "config", "workflow"];
  }
  return base;
}

/** The view modes. */
type Mode = "graph" | "code" | "split";

function Editor(props: Loaded & { file: string; path: string }) {
  const { store, types, schema, file, path } = props;
  const s = useStore(store);
  const session = useSession();
  const editable = canEdit(session);
  const catalog = useMemo(() => new Map(types.map((t) => [t.type, t])), [types]);
  const parsed = useMemo(() => parseText(s.text), [s.text]);
  const good = useRef<unknown>(undefined);
  if (!parsed.error) good.current = parsed.value;
  const doc = good.current;
  const base = useMemo(() => basePath(doc, path), [doc, path]);
  const w = useMemo(() => workflowAt(doc, base ?? []), [doc, base]);
  // The graph keeps the objects of boxes and edges an edit did not change, and is the same object when it changed
  // none (moving a box): the canvas redraws only what changed.
  const last = useRef<GraphModel>(undefined);
  const model = useMemo(
    () => last.current = keepUnchanged(last.current, editorGraph(w, catalog, undefined, editable)),
    [w, catalog, editable],
  );
  const stored = useMemo(() => layoutOf(w), [w]);
  const placed = useMemo(() => placeProblems(s.problems, doc, base ?? []), [s.problems, doc, base]);
  const byNode = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const [id, list] of problemsByNode(placed)) m.set(id, list.map((p) => p.problem.message));
    return m;
  }, [placed]);
  const canvas = useRef<CanvasApi>(null);
  const [mode, setMode] = useState<Mode>("graph");
  const [palette, setPalette] = useState(false);
  const [showDiff, setShowDiff] = useState(false);
  const [connecting, setConnecting] = useState(false);
  const reveal = useRef<(offset: number) => void>(undefined);
  const actions = useMemo(
    () => editorActions({ store, base: base ?? [], model, catalog, canvas: () => canvas.current }),
    [store, base, model, catalog],
  );
  const dirty = isDirty(s);
  // The palette (hundreds of buttons) is drawn again only when the catalog changes, not at every edit.
  const latest = useRef(actions);
  latest.current = actions;
  const addType = useCallback((type: string) => latest.current.addNode(type), []);

  useEffect(() => validateAsYouType(store), [store]);
  useAllEvents((events) => {
    for (const e of events as unknown as { type: string; file?: string; etag?: string }[]) {
      if (e.type === "file.written" && e.file === file && e.etag) {
        store.getState().fileChanged(e.etag);
        loop.refresh(); // the served version changed: its data, pins and context may too
      }
    }
  });
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (!isDirty(store.getState())) return;
      e.preventDefault();
      e.returnValue = "";
    };
    addEventListener("beforeunload", warn);
    return () => removeEventListener("beforeunload", warn);
  }, [store]);

  const href = (p: string) => `/edit?file=${encodeURIComponent(file)}${p ? `&path=${encodeURIComponent(p)}` : ""}`;
  const goToProblem = (p: Placed) => {
    if (p.node && model.nodes.some((n) => n.id === p.node)) {
      store.getState().select(p.node.startsWith("$") ? [] : [p.node]);
      canvas.current?.reveal(p.node);
      if (p.field?.length) {
        requestAnimationFrame(() => document.getElementById(`field-${p.field!.join(".")}`)?.focus());
      }
    } else {
      if (mode === "graph") setMode("split");
      const r = problemRange(s.text, p.problem);
      requestAnimationFrame(() => reveal.current?.(r.from));
    }
  };
  const selected = s.selection.length === 1 ? nodesOf(w).find((n) => n.id === s.selection[0]) : undefined;
  // The test loop works on the served workflow of the top level (a loop body runs with its loop).
  const title = doc as { name?: unknown; id?: unknown; inputs?: unknown } | undefined;
  const workflowId = !path && typeof title?.id === "string" ? title.id : "";
  const loop = useTestLoop(file, workflowId, selected?.id);
  const test = useTestCommands(loop, selected && { id: selected.id, type: selected.type }, editable);
  const commands = [
    ...buildCommands({
      actions,
      store,
      types,
      editable,
      setMode,
      mode,
      openPalette: () => setPalette(true),
      openConnect: () => setConnecting(true),
      goToProblem: () => placed[0] && goToProblem(placed[0]),
    }),
    ...(workflowId ? test.commands : []),
  ];
  useShortcuts({ commands, openPalette: () => setPalette(true), actions, editable });
  const [live, setLive] = useState<{ run?: SubRun }>({});
  // Undefined while no node has a result: the boxes (500 of them, maybe) are not drawn again for nothing.
  const states = useMemo(
    () => {
      const m = workflowId ? testLoopStates(model, loop.data, loop.pins, live.run) : undefined;
      return m?.size ? m : undefined;
    },
    [workflowId, model, loop.data, loop.pins, live],
  );
  const nodeProblems = placed.filter((p) => !p.elsewhere && p.node === selected?.id);
  const workflowProblems = placed.filter((p) => !p.elsewhere && !p.node);
  const childHref = (() => {
    const f = (selected?.raw.config as Record<string, unknown> | undefined)?.workflowFile;
    if (typeof f !== "string") return undefined;
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
    const joined = `${dir}${f}`.split("/").reduce<string[]>((acc, part) => {
      if (part === "..") acc.pop();
      else if (part !== "." && part !== "") acc.push(part);
      return acc;
    }, []).join("/");
    return href("").replace(encodeURIComponent(file), encodeURIComponent(joined));
  })();
  const inline = (selected?.raw.config as Record<string, unknown> | undefined)?.workflow;
  const openBody = selected && inline && typeof inline === "object" && !Array.isArray(inline)
    ? () => navigate(href(path ? `${path}/${selected.id}` : selected.id))
    : undefined;
  return (
    <section className={`page-edit mode-${mode}`} aria-label={`Editor of ${file}`}>
      <div className="page-head">
        <div>
          <h1>
            {typeof title?.name === "string" ? title.name : typeof title?.id === "string" ? title.id : baseName(file)}
            {dirty && <span className="dirty" title="Unsaved changes" aria-label="unsaved changes">●</span>}
          </h1>
          <p className="muted">
            <code>{file}</code>
            {typeof title?.id === "string" && (
              <>
                {" · "}
                <Link href={`/workflows/${encodeURIComponent(title.id)}`}>view and run</Link>
              </>
            )}
            {" · "}
            <span role="status" data-testid="save-state">
              {s.saving ? "Saving…" : dirty ? "Unsaved changes" : "Saved"}
            </span>
          </p>
          {path && (
            <Breadcrumb
              root={typeof title?.id === "string" ? title.id : baseName(file)}
              rootHref={href("")}
              path={path}
              href={href}
            />
          )}
        </div>
        <Toolbar
          editable={editable}
          dirty={dirty}
          saving={s.saving}
          canUndo={s.history.past.length > 0}
          canRedo={s.history.future.length > 0}
          mode={mode}
          setMode={setMode}
          onSave={() => void s.save()}
          onUndo={s.undo}
          onRedo={s.redo}
          onLayout={() => void actions.autoLayout()}
          onCommands={() => setPalette(true)}
        />
      </div>
      {!editable && session && (
        <p className="notice" role="note">
          {session.readOnly
            ? "This server is read-only: the workflow is shown, not editable."
            : "Your sign-in can only read: the workflow is shown, not editable."}
        </p>
      )}
      {s.disk && (
        <div className="notice warn" role="alert" aria-label="The file changed on disk">
          <span>The file changed on disk while you have unsaved changes.</span>
          <button type="button" onClick={() => void s.reload()}>Reload</button>
          <button
            type="button"
            onClick={async () => {
              await s.loadDisk();
              setShowDiff(true);
            }}
          >
            Show differences
          </button>
          <button type="button" onClick={s.keepMine}>Keep mine</button>
        </div>
      )}
      {s.message && (
        <p className={`status-line ${s.message.kind}`} role={s.message.kind === "error" ? "alert" : "status"}>
          {s.message.text}
        </p>
      )}
      {parsed.error && (
        <p className="notice warn" role="alert">
          The text does not parse ({parsed.error.message} at offset{" "}
          {parsed.error.offset}): the graph shows the last version that did.
        </p>
      )}
      {base === undefined && <p role="alert" className="error">No loop body at {path}.</p>}
      <div className="edit-layout">
        {editable && mode !== "code" && <Palette types={types} onAdd={addType} />}
        {mode !== "code" && (
          <EditCanvas
            key={path}
            model={model}
            stored={stored}
            problems={byNode}
            selection={s.selection}
            editable={editable && !parsed.error}
            onSelect={s.select}
            onMove={actions.move}
            check={(from, to) => connectionProblem(model, catalog, from, to)}
            onConnect={actions.connect}
            onRefused={(reason) => s.say("error", `Connection refused: ${reason}`)}
            onDelete={actions.remove}
            onDropType={(type, at) => actions.addNode(type, at)}
            label={`Graph of ${file}${path ? ` / ${path}` : ""}`}
            apiRef={canvas}
            {...(states ? { states } : {})}
          />
        )}
        {mode !== "graph" && (
          <Suspense fallback={<div className="code-view graph-loading" role="status">Loading the code view…</div>}>
            <CodeView
              text={s.text}
              onChange={(t) =>
                s.apply("Edit the text", () => t, "code")}
              problems={s.problems}
              schema={schema}
              types={types}
              readOnly={!editable}
              onReady={(r) => (reveal.current = r)}
              {...(workflowId && !loop.unavailable ? { workflowId, served: loop.served } : {})}
            />
          </Suspense>
        )}
        {mode !== "code" && (selected
          ? (
            <ExprEnvContext.Provider
              value={workflowId
                ? {
                  workflowId,
                  nodeId: selected.id,
                  nodeType: selected.type,
                  preview: !loop.unavailable && loop.served.has(selected.id),
                  ...(loop.context ? { context: loop.context } : {}),
                }
                : undefined}
            >
              <NodeInspector
                key={selected.id}
                node={selected}
                type={catalog.get(selected.type)}
                schema={schema}
                problems={nodeProblems}
                disabled={!editable || !!parsed.error}
                onSet={(p, v, group) =>
                  actions.set(["nodes", selected.index, ...p], v, `Set ${selected.id}.${p.join(".")}`, group)}
                onRename={(to) => actions.rename(selected.id, to)}
                onClose={() => s.select([])}
                {...(openBody ? { onOpenBody: openBody } : {})}
                {...(childHref ? { childFileHref: childHref } : {})}
                {...(workflowId
                  ? {
                    test: <NodeTestPanel loop={loop} nodeId={selected.id} nodeType={selected.type} test={test} />,
                  }
                  : {})}
              />
            </ExprEnvContext.Provider>
          )
          : (
            <WorkflowInspector
              workflow={w}
              schema={schema}
              problems={workflowProblems}
              inline={!!path}
              disabled={!editable || !!parsed.error}
              onSet={(p, v, group) => actions.set(p, v, `Set ${p.join(".")}`, group)}
            />
          ))}
      </div>
      {workflowId && (
        <RunPanel
          loop={loop}
          inputs={title?.inputs && typeof title.inputs === "object" && !Array.isArray(title.inputs)
            ? title.inputs as Record<string, Record<string, unknown>>
            : {}}
          model={model}
          test={test}
          dirty={dirty}
          {...(selected ? { selected: selected.id } : {})}
          onSelect={(id) => s.select([id])}
          onRun={(run) => setLive(run ? { run } : {})}
        />
      )}
      <ProblemsList placed={placed} validating={s.validating} onGo={goToProblem} />
      <CommandPalette open={palette} onOpenChange={setPalette} commands={commands} />
      {connecting && (
        <ConnectForm
          model={model}
          check={(from, to) => connectionProblem(model, catalog, from, to)}
          onConnect={actions.connect}
          onClose={() => setConnecting(false)}
        />
      )}
      <Suspense fallback={null}>
        {s.conflict && (
          <MergePanel
            title="The file changed since you opened it: merge or overwrite"
            mine={s.text}
            theirs={s.conflict.text}
            onSaveMerged={(merged) => {
              s.apply("Merge", () => merged);
              void store.getState().save(true);
            }}
            onTakeTheirs={() => {
              const theirs = s.conflict!;
              s.apply("Take the file's version", () => theirs.text);
              store.setState({ etag: theirs.etag, savedText: theirs.text, conflict: undefined });
            }}
            onClose={s.closeConflict}
          />
        )}
        {showDiff && s.disk?.text !== undefined && (
          <MergePanel
            title="Your changes and the file on disk"
            mine={s.text}
            theirs={s.disk.text}
            onSaveMerged={(merged) => {
              s.apply("Merge", () => merged);
              store.getState().keepMine();
              setShowDiff(false);
              void store.getState().save();
            }}
            onTakeTheirs={() => {
              setShowDiff(false);
              void s.reload();
            }}
            onClose={() => setShowDiff(false)}
          />
        )}
      </Suspense>
    </section>
  );
}

function Toolbar(props: {
  editable: boolean;
  dirty: boolean;
  saving: boolean;
  canUndo: boolean;
  canRedo: boolean;
  mode: Mode;
  setMode: (m: Mode) => void;
  onSave: () => void;
  onUndo: () => void;
  onRedo: () => void;
  onLayout: () => void;
  onCommands: () => void;
}) {
  return (
    <div className="toolbar" role="toolbar" aria-label="Editor">
      <div className="segmented" role="group" aria-label="View">
        {(["graph", "split", "code"] as const).map((m) => (
          <button
            key={m}
            type="button"
            aria-pressed={props.mode === m}
            onClick={() => props.setMode(m)}
          >
            {m === "graph" ? "Graph" : m === "split" ? "Both" : "Code"}
          </button>
        ))}
      </div>
      {props.editable && (
        <>
          <button type="button" onClick={props.onUndo} disabled={!props.canUndo} aria-keyshortcuts="Control+Z Meta+Z">
            Undo
          </button>
          <button
            type="button"
            onClick={props.onRedo}
            disabled={!props.canRedo}
            aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z"
          >
            Redo
          </button>
          <button type="button" onClick={props.onLayout}>Auto-layout</button>
        </>
      )}
      <button type="button" onClick={props.onCommands} aria-keyshortcuts="Control+K Meta+K">Commands…</button>
      {props.editable && (
        <button
          type="button"
          className="primary"
          onClick={props.onSave}
          disabled={props.saving}
          aria-keyshortcuts="Control+S Meta+S"
        >
          {props.saving ? "Saving…" : props.dirty ? "Save" : "Save"}
        </button>
      )}
    </div>
  );
}

function ProblemsList(props: { placed: Placed[]; validating: boolean; onGo: (p: Placed) => void }) {
  return (
    <section className="problems" aria-label="Problems">
      <h3>
        Problems ({props.placed.length}){props.validating && <span className="muted">· checking…</span>}
      </h3>
      {props.placed.length === 0 ? <p className="muted">No problems.</p> : (
        <ul>
          {props.placed.map((p, i) => (
            <li key={i}>
              <button type="button" className="link-button" onClick={() => props.onGo(p)}>
                <code>{p.problem.path || "text"}</code>
              </button>{" "}
              <span className="error">{p.problem.message}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
