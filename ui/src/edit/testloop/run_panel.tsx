/// <reference lib="dom" />
/**
 * The editor's run panel, under the canvas: **Run** (the whole workflow,
 * inputs from the run view's form), what the last action did, and the
 * editor run being shown, followed live with the run view's own pieces
 * (`useRun`'s fold, the timeline, the event log, and the node inspector for
 * the selected node's attempts, error and log lines in that run). The run's top level is
 * handed up so the canvas can show each node's results.
 *
 * @module
 */
import { useEffect, useState } from "react";
import { CommandButton } from "../commands.tsx";
import { StatusBadge } from "../../components/status.tsx";
import { shortId } from "../../format.ts";
import { RunDialog } from "../../pages/run_form.tsx";
import type { GraphModel } from "../../graph/model.ts";
import { Link, navigate } from "../../router.tsx";
import { EventLog } from "../../run/event_log.tsx";
import { deriveInputs } from "../../run/inputs.ts";
import { Inspector } from "../../run/inspector.tsx";
import { childRuns, type SubRun } from "../../run/state.ts";
import { Timeline } from "../../run/timeline.tsx";
import { useRun } from "../../run/use_run.ts";
import type { TestCommands } from "./commands.ts";
import type { TestLoop } from "./loop.ts";

/** Props of {@linkcode RunPanel}. */
export interface RunPanelProps {
  /** The loop. */
  loop: TestLoop;
  /** The loop's commands (Run) and the state of the Run form. */
  test: TestCommands;
  /** The workflow's declared inputs (for the Run form). */
  inputs: Record<string, Record<string, unknown>>;
  /** The graph (the timeline's rows, the run inspector's node). */
  model: GraphModel;
  /** The editor's text differs from the file: runs use the saved file. */
  dirty: boolean;
  /** The selected node. */
  selected?: string;
  /** Selects a node. */
  onSelect: (id: string) => void;
  /** The shown run's top level changed (undefined: none). */
  onRun: (run: SubRun | undefined) => void;
}

/** The panel; see the module doc. */
export function RunPanel(props: RunPanelProps) {
  const { loop } = props;
  const { runForm: form, setRunForm: setForm } = props.test.ui;
  return (
    <section className="run-panel" aria-label="Test runs">
      <div className="form-row wrap">
        <CommandButton command={props.test.get("test-run")} className="primary">Run</CommandButton>
        {props.dirty && <span className="muted">Runs use the saved file: save to test your changes.</span>}
        {loop.unavailable && <span className="error">Test runs are off: {loop.unavailable}</span>}
        {loop.message && (
          <span className={loop.message.kind === "error" ? "error" : "muted"} role="status" data-testid="test-message">
            {loop.message.text}
          </span>
        )}
      </div>
      {form && (
        <RunDialog
          workflowId={loop.workflowId}
          inputs={props.inputs}
          open={form}
          onClose={() => setForm(false)}
          start={async (inputs) => {
            setForm(false);
            await loop.run({ mode: "all", inputs }, "Run");
          }}
        />
      )}
      {loop.runId
        ? <RunFollower key={loop.runId} id={loop.runId} {...props} />
        : <p className="muted">No test run yet in this session.</p>}
    </section>
  );
}

function RunFollower(props: RunPanelProps & { id: string }) {
  const view = useRun(props.id);
  const [tab, setTab] = useState<"timeline" | "events" | "node">("timeline");
  const top = view.state.runs.get("");
  const { onRun, loop } = props;
  useEffect(() => onRun(top), [view.version]);
  useEffect(() => () => onRun(undefined), []);
  useEffect(() => {
    if (view.ended) loop.refresh();
  }, [view.ended]);
  // The fold's status once it has the run's end; the record's alone only after the stream ended.
  const order = props.model.nodes.filter((n) => n.kind === "node").map((n) => n.id);
  const node = props.model.nodes.find((n) => n.kind === "node" && n.id === props.selected);
  const status = top && top.status !== "running"
    ? top.status
    : view.ended
    ? view.detail?.status ?? "running"
    : "running";
  return (
    <div className="editor-run" data-run-id={props.id}>
      <p>
        Run <Link href={`/runs/${props.id}`}>{shortId(props.id)}</Link>{" "}
        <span data-testid="editor-run-status">
          <StatusBadge status={status} />
        </span>
        {view.detail?.resumedFrom && <span className="muted">· reuses data of {shortId(view.detail.resumedFrom)}</span>}
      </p>
      <div className="tabs" role="tablist" aria-label="Test run details">
        <button type="button" role="tab" aria-selected={tab === "timeline"} onClick={() => setTab("timeline")}>
          Timeline
        </button>
        <button type="button" role="tab" aria-selected={tab === "events"} onClick={() => setTab("events")}>
          Events ({view.state.events.length})
        </button>
        {node && (
          <button type="button" role="tab" aria-selected={tab === "node"} onClick={() => setTab("node")}>
            {node.id} in this run
          </button>
        )}
      </div>
      <div role="tabpanel" className="tabpanel">
        {tab === "node" && node
          ? (
            <Inspector
              node={node}
              state={top?.nodes.get(node.id)}
              inputs={deriveInputs(props.model, top, node.id, view.detail?.inputs)}
              logs={view.state.events.filter((e) => e.type === "node.log" && e.nodeId === node.id && !e.runPath)}
              subRuns={childRuns(view.state, "", node.id)}
              onOpen={(path) => navigate(`/runs/${props.id}?path=${encodeURIComponent(path)}`)}
              onClose={() => setTab("timeline")}
            />
          )
          : tab === "events"
          ? <EventLog events={view.state.events} version={view.version} path="" />
          : <Timeline run={top} order={order} selected={props.selected} onSelect={props.onSelect} />}
      </div>
    </div>
  );
}
