/// <reference lib="dom" />
/**
 * The node inspector of the run page: a node's status, attempts, duration,
 * error, inputs (derived from what fed it), outputs as a JSON tree, its log
 * lines, and the runs it started (loop iterations, sub-workflows), each one
 * a link to its own level of the run.
 *
 * @module
 */
import { StatusBadge } from "../components/status.tsx";
import { JsonTree } from "../components/json_tree.tsx";
import { formatDuration } from "../format.ts";
import type { GraphNode } from "../graph/model.ts";
import type { FlowEvent } from "../../../src/engine/events.ts";
import type { DerivedInput } from "./inputs.ts";
import type { NodeRun, SubRun } from "./state.ts";

/** Props of {@linkcode Inspector}. */
export interface InspectorProps {
  /** The box selected. */
  node: GraphNode;
  /** Its state in the shown run (absent: it has not started). */
  state?: NodeRun;
  /** Its inputs. */
  inputs: DerivedInput[];
  /** Its `node.log` events. */
  logs: FlowEvent[];
  /** Runs it started. */
  subRuns: SubRun[];
  /** Opens one of those runs. */
  onOpen: (path: string) => void;
  /** Closes the inspector. */
  onClose: () => void;
}

/** The inspector; see the module doc. */
export function Inspector(props: InspectorProps) {
  const { node, state } = props;
  const maxAttempts = node.info?.retry?.maxAttempts;
  return (
    <aside className="panel inspector" aria-label={`Inspector of ${node.id}`}>
      <div className="panel-head">
        <h2>{node.id}</h2>
        <button type="button" className="small" onClick={props.onClose} aria-label="Close the inspector">✕</button>
      </div>
      <p>
        <code className={`tag family-${node.family}`}>{node.type}</code>{" "}
        <StatusBadge status={state?.status ?? "pending"} />
      </p>
      <dl className="facts">
        <dt>attempts</dt>
        <dd data-testid="attempts">
          {state?.attempts ?? 0}
          {typeof maxAttempts === "number" ? ` of ${maxAttempts}` : ""}
        </dd>
        <dt>duration</dt>
        <dd>{formatDuration(state?.durationMs) || "—"}</dd>
        {state?.reused && (
          <>
            <dt>reused</dt>
            <dd>outputs from the resumed execution</dd>
          </>
        )}
        {state?.reason && (
          <>
            <dt>skipped</dt>
            <dd>{state.reason}</dd>
          </>
        )}
        {state?.delayMs !== undefined && (
          <>
            <dt>next attempt</dt>
            <dd>in {state.delayMs} ms</dd>
          </>
        )}
      </dl>
      {state?.error && (
        <div className="node-error" role="group" aria-label="Error">
          <h3>Error</h3>
          <p>
            <code>{state.error.code}</code> {state.error.message}
          </p>
        </div>
      )}
      {props.subRuns.length > 0 && (
        <>
          <h3>Runs started ({props.subRuns.length})</h3>
          <ul className="child-runs">
            {props.subRuns.map((c) => (
              <li key={c.path}>
                <button type="button" className="link-button" onClick={() => props.onOpen(c.path)}>
                  {c.iteration !== undefined ? `iteration ${c.iteration}` : c.workflowId}
                </button>{" "}
                <StatusBadge status={c.status} />
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Inputs</h3>
      {props.inputs.length === 0 ? <p className="muted">none connected</p> : (
        <ul className="inputs">
          {props.inputs.map((i) => (
            <li key={i.port}>
              <code>{i.port}</code> <span className="muted">from {i.from}</span>
              {i.known ? <JsonTree value={i.value} openDepth={1} /> : <div className="muted">(not known yet)</div>}
            </li>
          ))}
        </ul>
      )}
      <h3>Outputs</h3>
      {state?.outputs ? <JsonTree value={state.outputs} openDepth={1} /> : <p className="muted">none yet</p>}
      {props.logs.length > 0 && (
        <>
          <h3>Log</h3>
          <ol className="log-lines">
            {props.logs.slice(-200).map((e) => (
              <li key={e.seq} className={`log-line${"level" in e ? ` level-${e.level}` : ""}`}>
                <span className="msg">{"message" in e ? e.message : e.type}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </aside>
  );
}
