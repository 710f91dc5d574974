/// <reference lib="dom" />
/**
 * The inspector: a form for the selected node (id, name, config from its
 * type's JSON Schema, retry, timeout and onError from the workflow schema),
 * or, with nothing selected, for the workflow itself (id, name, inputs,
 * outputs and settings). Problems the validator found show under their
 * fields.
 *
 * @module
 */
import { type ReactNode, useEffect, useState } from "react";
import type { JsonSchema, NodeType } from "../api.ts";
import type { DocNode, WorkflowDoc } from "./doc.ts";
import { JsonInput, ObjectFields, type OnSet, SchemaField } from "./fields.tsx";
import type { Placed } from "./problems.ts";
import { schemaAt } from "./schema.ts";

/** Props of {@linkcode NodeInspector}. */
export interface NodeInspectorProps {
  /** The node. */
  node: DocNode;
  /** Its type. */
  type?: NodeType;
  /** The workflow JSON Schema. */
  schema?: JsonSchema;
  /** Its problems. */
  problems: Placed[];
  /** Sets a value of the node (path relative to the node). */
  onSet: OnSet;
  /** Renames the node. */
  onRename: (to: string) => void;
  /** Opens a loop's inline workflow. */
  onOpenBody?: () => void;
  /** Where a sub-workflow file opens for editing. */
  childFileHref?: string;
  /** Whether editing is off. */
  disabled: boolean;
  /** Closes the inspector (clears the selection). */
  onClose: () => void;
  /** The node's part of the test loop (runs, pins, last run's data), shown under its form. */
  test?: ReactNode;
}

function byField(problems: Placed[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of problems) {
    const key = (p.field ?? []).join(".");
    out.set(key, [...out.get(key) ?? [], p.problem.message]);
  }
  return out;
}

/** The form of one node. */
export function NodeInspector(props: NodeInspectorProps) {
  const { node, type, schema } = props;
  const problems = byField(props.problems);
  const nodeSchema = schema ? schemaAt(schema, ["nodes", 0], undefined, () => undefined) : undefined;
  const config = node.raw.config;
  return (
    <aside className="panel inspector" aria-label={`Node ${node.id}`}>
      <div className="panel-head">
        <h2>{node.id}</h2>
        <button type="button" className="small" onClick={props.onClose} aria-label="Close the node form">✕</button>
      </div>
      <p>
        <code className={`tag family-${type?.family ?? "other"}`}>{node.type || "no type"}</code>
      </p>
      <p className="description muted">{type?.description ?? `unknown node type "${node.type}"`}</p>
      {props.problems.length > 0 && (
        <ul className="node-problems" aria-label={`Problems of ${node.id}`}>
          {props.problems.map((p, i) => <li key={i} className="error">{p.problem.message}</li>)}
        </ul>
      )}
      <RenameField id={node.id} disabled={props.disabled} onRename={props.onRename} />
      {nodeSchema && (
        <ObjectFields
          schema={nodeSchema}
          only={["name", "description"]}
          value={node.raw}
          path={[]}
          onSet={props.onSet}
          problems={problems}
          disabled={props.disabled}
          expressions={false}
        />
      )}
      {props.onOpenBody && (
        <p>
          <button type="button" onClick={props.onOpenBody}>
            {node.type === "control.loop" ? "Edit the loop body" : "Edit the inline workflow"}
          </button>
        </p>
      )}
      {props.childFileHref && (
        <p>
          <a href={props.childFileHref} target="_blank" rel="noopener">Edit the sub-workflow file (new tab)</a>
        </p>
      )}
      <h3>Config</h3>
      {type?.configSchema
        ? (
          <ObjectFields
            schema={type.configSchema}
            value={config}
            // An inline workflow is edited on its own canvas (Edit the loop body), not as one JSON field.
            skip={props.onOpenBody ? ["workflow"] : undefined}
            path={["config"]}
            onSet={props.onSet}
            problems={problems}
            disabled={props.disabled}
          />
        )
        : (
          <JsonInput
            id="field-config"
            aria-describedby=""
            disabled={props.disabled}
            value={config}
            onValue={(v) => props.onSet(["config"], v, "field-config")}
          />
        )}
      {nodeSchema && (
        <>
          <h3>Behaviour</h3>
          <ObjectFields
            schema={nodeSchema}
            only={["retry", "timeoutMs", "onError"]}
            value={node.raw}
            path={[]}
            onSet={props.onSet}
            problems={problems}
            disabled={props.disabled}
            expressions={false}
          />
        </>
      )}
      {props.test}
    </aside>
  );
}

function RenameField(props: { id: string; disabled: boolean; onRename: (to: string) => void }) {
  const [v, setV] = useState(props.id);
  useEffect(() => setV(props.id), [props.id]);
  const commit = () => {
    if (v && v !== props.id) props.onRename(v);
  };
  return (
    <div className="form-field">
      <div className="form-label">
        <label htmlFor="node-id">id</label>
      </div>
      <div className="form-row">
        <input
          id="node-id"
          value={v}
          disabled={props.disabled}
          onChange={(e) => setV(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") commit();
            if (e.key === "Escape") setV(props.id);
          }}
          aria-describedby="node-id-help"
        />
        <button type="button" className="small" disabled={props.disabled || !v || v === props.id} onClick={commit}>
          Rename
        </button>
      </div>
      <p id="node-id-help" className="hint muted">Renaming updates its connections, outputs and position.</p>
    </div>
  );
}

/** Props of {@linkcode WorkflowInspector}. */
export interface WorkflowInspectorProps {
  /** The workflow object. */
  workflow: WorkflowDoc;
  /** The workflow JSON Schema. */
  schema?: JsonSchema;
  /** Problems of the workflow's own fields. */
  problems: Placed[];
  /** Sets a value of the workflow (path relative to it). */
  onSet: OnSet;
  /** Whether this is an inline workflow (no id, name or settings). */
  inline: boolean;
  /** Whether editing is off. */
  disabled: boolean;
}

/** The form of the workflow: id, name, description, inputs, outputs, settings. */
export function WorkflowInspector(props: WorkflowInspectorProps) {
  const { workflow: w, schema } = props;
  const problems = new Map<string, string[]>();
  for (const p of props.problems) {
    const key = p.problem.path.replace(/\[(\d+)\]/g, ".$1").replace(/^\./, "");
    problems.set(key, [...problems.get(key) ?? [], p.problem.message]);
  }
  const inputSchema = schema ? schemaAt(schema, ["inputs", "x"], undefined, () => undefined) : undefined;
  const inputs = w.inputs && typeof w.inputs === "object" && !Array.isArray(w.inputs)
    ? w.inputs as Record<string, unknown>
    : {};
  const outputs = w.outputs && typeof w.outputs === "object" && !Array.isArray(w.outputs)
    ? w.outputs as Record<string, unknown>
    : {};
  return (
    <aside className="panel inspector" aria-label="Workflow">
      <div className="panel-head">
        <h2>Workflow</h2>
      </div>
      {props.problems.length > 0 && (
        <ul className="node-problems" aria-label="Problems of the workflow">
          {props.problems.map((p, i) => <li key={i} className="error">{p.problem.message}</li>)}
        </ul>
      )}
      {schema && !props.inline && (
        <ObjectFields
          schema={schema}
          only={["id", "name", "description"]}
          value={w}
          path={[]}
          onSet={props.onSet}
          problems={problems}
          disabled={props.disabled}
          expressions={false}
        />
      )}
      <h3>Inputs</h3>
      {Object.keys(inputs).map((name) => (
        <details key={name} className="form-object" open={Object.keys(inputs).length < 4}>
          <summary>
            <code>{name}</code>
            <button
              type="button"
              className="small"
              aria-label={`Remove input ${name}`}
              disabled={props.disabled}
              onClick={() =>
                props.onSet(["inputs", name], undefined)}
            >
              ✕
            </button>
          </summary>
          {inputSchema && (
            <ObjectFields
              schema={inputSchema}
              value={inputs[name]}
              path={["inputs", name]}
              onSet={props.onSet}
              problems={problems}
              disabled={props.disabled}
              expressions={false}
            />
          )}
        </details>
      ))}
      <AddName
        label="New input"
        taken={Object.keys(inputs)}
        disabled={props.disabled}
        onAdd={(name) => props.onSet(["inputs", name], { type: "string" })}
      />
      <h3>Outputs</h3>
      {Object.entries(outputs).map(([name, endpoint]) => (
        <SchemaField
          key={name}
          field={{
            key: name,
            schema: { type: "string" },
            kind: "string",
            required: false,
            description: "node.port or $inputs.name",
          }}
          value={endpoint}
          path={["outputs", name]}
          onSet={props.onSet}
          problems={problems}
          disabled={props.disabled}
          expressions={false}
        />
      ))}
      <AddName
        label="New output"
        taken={Object.keys(outputs)}
        disabled={props.disabled}
        onAdd={(name) => props.onSet(["outputs", name], "")}
      />
      {schema && !props.inline && (
        <>
          <h3>Settings</h3>
          <ObjectFields
            schema={schemaAt(schema, ["settings"], undefined, () => undefined)}
            value={w.settings}
            path={["settings"]}
            onSet={props.onSet}
            problems={problems}
            disabled={props.disabled}
            expressions={false}
          />
        </>
      )}
    </aside>
  );
}

function AddName(props: { label: string; taken: string[]; disabled: boolean; onAdd: (name: string) => void }) {
  const [v, setV] = useState("");
  const ok = v !== "" && !props.taken.includes(v);
  if (props.disabled) return null;
  return (
    <div className="form-row">
      <input
        aria-label={props.label}
        placeholder={props.label.toLowerCase()}
        value={v}
        disabled={props.disabled}
        onChange={(e) => setV(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && ok) {
            props.onAdd(v);
            setV("");
          }
        }}
      />
      <button
        type="button"
        className="small"
        disabled={props.disabled || !ok}
        onClick={() => {
          props.onAdd(v);
          setV("");
        }}
      >
        Add
      </button>
    </div>
  );
}
