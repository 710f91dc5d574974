/// <reference lib="dom" />
/**
 * Connecting ports with the keyboard: pick an output port and an input
 * port; the reason a connection would be refused shows before it is made.
 *
 * @module
 */
import { useState } from "react";
import type { GraphModel } from "../graph/model.ts";
import type { End } from "./graph.ts";

/** Props of {@linkcode ConnectForm}. */
export interface ConnectFormProps {
  /** The graph. */
  model: GraphModel;
  /** Why a connection would be refused. */
  check: (from: End, to: End) => string | undefined;
  /** Makes it. */
  onConnect: (from: End, to: End) => void;
  /** Closes the form. */
  onClose: () => void;
}

const key = (e: End) => `${e.node}\u0000${e.port}`;
const unkey = (k: string): End => {
  const [node, port] = k.split("\u0000");
  return { node, port };
};

/** The form; see the module doc. */
export function ConnectForm(props: ConnectFormProps) {
  const outs = props.model.nodes.flatMap((n) => n.outputs.map((p) => ({ node: n.id, port: p.name })));
  const ins = props.model.nodes.flatMap((n) => n.inputs.map((p) => ({ node: n.id, port: p.name })));
  const [from, setFrom] = useState(outs[0] ? key(outs[0]) : "");
  const [to, setTo] = useState(ins[0] ? key(ins[0]) : "");
  const problem = from && to ? props.check(unkey(from), unkey(to)) : "choose two ports";
  const label = (e: End) => `${e.node}.${e.port}`;
  return (
    <div className="merge-backdrop" onKeyDown={(e) => e.key === "Escape" && props.onClose()}>
      <form
        className="merge-panel connect-form"
        role="dialog"
        aria-modal="true"
        aria-label="Connect ports"
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem) {
            props.onConnect(unkey(from), unkey(to));
            props.onClose();
          }
        }}
      >
        <h2>Connect ports</h2>
        <div className="field">
          <label htmlFor="connect-from">From output</label>
          <select id="connect-from" value={from} onChange={(e) => setFrom(e.target.value)} autoFocus>
            {outs.map((e) => <option key={key(e)} value={key(e)}>{label(e)}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="connect-to">To input</label>
          <select id="connect-to" value={to} onChange={(e) => setTo(e.target.value)}>
            {ins.map((e) => <option key={key(e)} value={key(e)}>{label(e)}</option>)}
          </select>
        </div>
        <p role="status" className={problem ? "error" : "ok"}>{problem ?? "This connection is fine."}</p>
        <div className="actions">
          <button type="submit" className="primary" disabled={!!problem}>Connect</button>
          <button type="button" onClick={props.onClose}>Cancel</button>
        </div>
      </form>
    </div>
  );
}
