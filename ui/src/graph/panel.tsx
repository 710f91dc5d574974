/// <reference lib="dom" />
/**
 * The side panel of the workflow page: what a box is. For a node: its
 * type's description, ports, config (secrets arrive masked), retry, timeout
 * and onError, and a link to its sub-workflow; for the entry and exit: the
 * declared inputs and outputs.
 *
 * @module
 */
import { JsonTree } from "../components/json_tree.tsx";
import { Link } from "../router.tsx";
import type { GraphNode, GraphPort } from "./model.ts";

/** Props of {@linkcode NodePanel}. */
export interface NodePanelProps {
  /** The box shown. */
  node: GraphNode;
  /** The page of this node's sub-workflow, when it has one. */
  childHref?: string;
  /** Closes the panel. */
  onClose: () => void;
}

/** The panel; see the module doc. */
export function NodePanel({ node, childHref, onClose }: NodePanelProps) {
  const info = node.info;
  return (
    <aside className="panel" aria-label={`Node ${node.id}`}>
      <div className="panel-head">
        <h2>{node.kind === "node" ? node.id : node.kind === "inputs" ? "Inputs" : "Outputs"}</h2>
        <button type="button" className="small" onClick={onClose} aria-label="Close the node panel">✕</button>
      </div>
      {info && (
        <>
          <p>
            <code className={`tag family-${info.family}`}>{info.type}</code>
            {info.name && <span>{info.name}</span>}
          </p>
          <p className="description">{info.description}</p>
          {info.subworkflow && (
            <p>
              Runs {info.subworkflow.label}
              {childHref && (
                <>
                  {" "}— <Link href={childHref}>open the child workflow</Link>
                </>
              )}
            </p>
          )}
          <dl className="facts">
            <dt>onError</dt>
            <dd>{info.onError}</dd>
            <dt>timeout</dt>
            <dd>{info.timeoutMs !== undefined ? `${info.timeoutMs} ms` : "none"}</dd>
            <dt>retry</dt>
            <dd>{info.retry ? <JsonTree value={info.retry} openDepth={1} /> : "none"}</dd>
            {info.trigger && (
              <>
                <dt>trigger</dt>
                <dd>{info.trigger}</dd>
              </>
            )}
          </dl>
          <h3>Config</h3>
          {Object.keys(info.config).length
            ? <JsonTree value={info.config} openDepth={2} />
            : <p className="muted">none</p>}
        </>
      )}
      {node.inputs.length > 0 && (
        <Ports title={node.kind === "outputs" ? "Declared outputs" : "Inputs"} ports={node.inputs} />
      )}
      {node.outputs.length > 0 && (
        <Ports title={node.kind === "inputs" ? "Declared inputs" : "Outputs"} ports={node.outputs} />
      )}
    </aside>
  );
}

function Ports({ title, ports }: { title: string; ports: GraphPort[] }) {
  return (
    <>
      <h3>{title}</h3>
      <ul className="ports">
        {ports.map((p) => (
          <li key={p.name}>
            <code>{p.name}</code> <span className="muted">{p.type}{p.required === false ? ", optional" : ""}</span>
            {p.description && <div className="muted">{p.description}</div>}
          </li>
        ))}
      </ul>
    </>
  );
}
