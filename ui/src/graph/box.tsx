/// <reference lib="dom" />
/**
 * One box of the graph: id and type on top, named input ports on the left
 * and output ports on the right (each a React Flow handle, placed where the
 * layout put its port), coloured by family and, in a run, by status.
 *
 * @module
 */
import { Handle, type NodeHandle, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { handlePlaces, portY } from "./geometry.ts";
import type { BoxState } from "./box_state.ts";
import type { GraphNode } from "./model.ts";

export type { BoxState } from "./box_state.ts";

/** What a box renders. */
export interface BoxData extends Record<string, unknown> {
  /** The box. */
  node: GraphNode;
  /** Its state in a run (absent on the workflow page). */
  state?: BoxState;
  /** In the editor: ports can be connected. */
  editable?: boolean;
  /** In the editor: the validator's problems with this box (their messages). */
  problems?: string[];
}

/** The status line of a box in a run: `running`, `retrying 2/4`, `completed`, … */
export function statusLabel(state: BoxState): string {
  const of = state.maxAttempts ? `/${state.maxAttempts}` : "";
  if (state.status === "retrying") return `retrying ${state.attempts + 1}${of}`;
  if ((state.status === "running" || state.status === "failed") && state.attempts > 1) {
    return `${state.status} (attempt ${state.attempts}${of})`;
  }
  return state.status;
}

function BoxView({ data, selected }: NodeProps & { data: BoxData }) {
  const { node, state, editable, problems } = data;
  const title = node.kind === "inputs" ? "inputs" : node.kind === "outputs" ? "outputs" : node.id;
  return (
    <div
      className={`box family-${node.family} kind-${node.kind}${state ? ` state-${state.status}` : ""}${
        selected ? " selected" : ""
      }${problems?.length ? " has-problems" : ""}`}
      data-node-id={node.id}
      data-status={state?.status}
      data-problems={problems?.length || undefined}
      title={problems?.length ? problems.join("\n") : node.info?.description}
    >
      <div className="box-head">
        <span className="box-id">{node.name ?? title}</span>
        {state && <span className={`box-status status-${state.status}`}>{statusLabel(state)}</span>}
        {problems?.length
          ? (
            <span className="box-status box-problem" role="img" aria-label={`${problems.length} problem(s)`}>
              ⚠ {problems.length}
            </span>
          )
          : null}
        <span className="box-type">{node.kind === "node" ? node.type : node.kind === "inputs" ? "entry" : "exit"}</span>
      </div>
      {node.inputs.map((p, i) => (
        <div key={`in-${p.name}`} className="port port-in" style={{ top: portY(i) - 9 }}>
          <Handle
            type="target"
            position={Position.Left}
            id={p.name}
            style={{ top: 9 }}
            isConnectable={!!editable}
            aria-label={editable ? `input ${p.name} of ${title}` : undefined}
          />
          <span title={portTitle(p, state?.ports?.[`in:${p.name}`])}>{p.name}</span>
        </div>
      ))}
      {node.outputs.map((p, i) => (
        <div key={`out-${p.name}`} className="port port-out" style={{ top: portY(i) - 9 }}>
          <span title={portTitle(p, state?.ports?.[`out:${p.name}`])}>{p.name}</span>
          <Handle
            type="source"
            position={Position.Right}
            id={p.name}
            style={{ top: 9 }}
            isConnectable={!!editable}
            aria-label={editable ? `output ${p.name} of ${title}` : undefined}
          />
        </div>
      ))}
      {state?.children
        ? <span className="box-children">{state.children} run{state.children > 1 ? "s" : ""}</span>
        : null}
      {state?.facts && <span className="box-facts" data-testid="box-facts">{state.facts}</span>}
    </div>
  );
}

/** A port's tooltip: its name and type, and the preview of its value in a run when there is one. */
function portTitle(p: { name: string; type: string }, preview: string | undefined): string {
  return preview === undefined ? `${p.name}: ${p.type}` : `${p.name}: ${p.type}\n${preview}`;
}

/** The box component, memoised: a box re-renders only when its own data changes. */
export const Box = memo(BoxView);

/**
 * A box's handles as React Flow takes them on a node (`handles`): given
 * with the box's size, React Flow need not draw every box once to measure
 * them, and draws only the boxes in view.
 */
export function boxHandles(node: GraphNode, width: number, size: number): NodeHandle[] {
  return handlePlaces(node, width, size).map(({ side, ...h }) => ({
    ...h,
    position: side === "left" ? Position.Left : Position.Right,
  }));
}
