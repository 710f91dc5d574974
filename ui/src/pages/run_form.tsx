/// <reference lib="dom" />
/**
 * The Run dialog: a form generated from a workflow's declared `inputs`
 * (type, default, required), which starts a run and opens its live view.
 *
 * @module
 */
import { type FormEvent, useEffect, useRef, useState } from "react";
import { startRun } from "../api.ts";
import { navigate } from "../router.tsx";

/** One declared input, as the API gives it. */
type Decl = Record<string, unknown>;

/** Turns the form's text fields into input values; throws with the input's name on bad JSON or numbers. */
export function parseInputs(
  decls: Record<string, Decl>,
  fields: Record<string, string | boolean>,
): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(decls)) {
    const raw = fields[name];
    const type = typeof decl.type === "string" ? decl.type : "any";
    if (type === "boolean") {
      inputs[name] = raw === true;
      continue;
    }
    const text = typeof raw === "string" ? raw : "";
    if (text === "") continue;
    if (type === "string") inputs[name] = text;
    else if (type === "number") {
      const n = Number(text);
      if (!Number.isFinite(n)) throw new Error(`${name}: expected a number`);
      inputs[name] = n;
    } else {
      try {
        inputs[name] = JSON.parse(text);
      } catch {
        if (type === "any") inputs[name] = text;
        else throw new Error(`${name}: expected JSON (${type})`);
      }
    }
  }
  return inputs;
}

function initial(decl: Decl): string | boolean {
  const type = decl.type ?? "any";
  if (!("default" in decl)) return type === "boolean" ? false : "";
  if (type === "boolean") return decl.default === true;
  if (type === "string" && typeof decl.default === "string") return decl.default;
  return JSON.stringify(decl.default, null, type === "number" ? 0 : 2) ?? "";
}

/** Props of {@linkcode RunDialog}. */
export interface RunDialogProps {
  /** Workflow id. */
  workflowId: string;
  /** Declared inputs. */
  inputs: Record<string, Decl>;
  /** Whether it is shown. */
  open: boolean;
  /** Called when it closes without starting a run. */
  onClose: () => void;
  /** Starts the run (default: `POST /runs`, then its page); the editor starts an editor run instead. */
  start?: (inputs: Record<string, unknown>) => Promise<void>;
}

/** The dialog; see the module doc. */
export function RunDialog(props: RunDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [fields, setFields] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(Object.entries(props.inputs).map(([k, d]) => [k, initial(d)]))
  );
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    let inputs: Record<string, unknown>;
    try {
      inputs = parseInputs(props.inputs, fields);
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    setBusy(true);
    try {
      if (props.start) await props.start(inputs);
      else navigate(`/runs/${(await startRun(props.workflowId, inputs)).executionId}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const names = Object.keys(props.inputs);
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="run-title" onClose={props.onClose}>
      <form onSubmit={submit}>
        <h2 id="run-title">Run {props.workflowId}</h2>
        {names.length === 0 && <p className="muted">This workflow declares no inputs.</p>}
        {names.map((name) => {
          const decl = props.inputs[name];
          const type = typeof decl.type === "string" ? decl.type : "any";
          const required = decl.required === true || (decl.required === undefined && !("default" in decl));
          const id = `input-${name}`;
          const value = fields[name];
          const set = (v: string | boolean) => setFields((f) => ({ ...f, [name]: v }));
          return (
            <div className="field" key={name}>
              <label htmlFor={id}>
                {name} <span className="muted">{type}{required ? ", required" : ""}</span>
              </label>
              {typeof decl.description === "string" && <div className="muted hint">{decl.description}</div>}
              {type === "boolean"
                ? <input id={id} type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked)} />
                : type === "string" || type === "number"
                ? (
                  <input
                    id={id}
                    name={name}
                    type={type === "number" ? "number" : "text"}
                    step="any"
                    required={required}
                    value={String(value)}
                    onChange={(e) => set(e.target.value)}
                  />
                )
                : (
                  <textarea
                    id={id}
                    name={name}
                    rows={Math.min(10, Math.max(3, String(value).split("\n").length))}
                    required={required}
                    value={String(value)}
                    onChange={(e) => set(e.target.value)}
                    spellCheck={false}
                  />
                )}
            </div>
          );
        })}
        {error && <p role="alert" className="error">{error}</p>}
        <div className="actions">
          <button type="button" onClick={() => dialog.current?.close()}>Cancel</button>
          <button type="submit" className="primary" disabled={busy}>{busy ? "Starting…" : "Start run"}</button>
        </div>
      </form>
    </dialog>
  );
}
