/// <reference lib="dom" />
/**
 * A value a node received or produced, three ways: a tree (the run view's
 * `JsonTree`), a table (for an array of objects: one row per item, one
 * column per key) and the raw JSON.
 *
 * @module
 */
import { useState } from "react";
import { JsonTree } from "../../components/json_tree.tsx";

/** Rows shown in a table at most. */
const MAX_ROWS = 200;

/** Whether a value is a non-empty array of plain objects (shown as a table). */
export function isTable(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.length > 0 &&
    value.every((v) => v !== null && typeof v === "object" && !Array.isArray(v));
}

/** The columns of a table: every key, in the order first seen. */
export function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of rows.slice(0, MAX_ROWS)) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

const cell = (v: unknown) => v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);

/** One value with its view switch; `label` names it (a port). */
export function DataView(props: { value: unknown; label: string }) {
  const rows = isTable(props.value) ? props.value : undefined;
  const table = rows !== undefined;
  const columns = rows ? columnsOf(rows) : [];
  const [mode, setMode] = useState<"tree" | "table" | "raw">(table ? "table" : "tree");
  const shown = mode === "table" && !table ? "tree" : mode;
  return (
    <div className="data-view" role="group" aria-label={props.label}>
      <div className="segmented small" role="group" aria-label={`View of ${props.label}`}>
        {(["tree", "table", "raw"] as const).map((m) => (
          <button
            key={m}
            type="button"
            className="small"
            aria-pressed={shown === m}
            disabled={m === "table" && !table}
            onClick={() => setMode(m)}
          >
            {m === "tree" ? "Tree" : m === "table" ? "Table" : "JSON"}
          </button>
        ))}
      </div>
      {shown === "tree" && <JsonTree value={props.value} openDepth={1} />}
      {shown === "raw" && <pre className="data-raw">{JSON.stringify(props.value, null, 2)}</pre>}
      {shown === "table" && rows && (
        <div className="data-table-wrap">
          <table className="data-table">
            <thead>
              <tr>
                <th>#</th>
                {columns.map((c) => <th key={c}>{c}</th>)}
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, MAX_ROWS).map((row, i) => (
                <tr key={i}>
                  <td className="muted">{i}</td>
                  {columns.map((c) => <td key={c}>{cell(row[c])}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length > MAX_ROWS && <p className="muted">first {MAX_ROWS} of {rows.length} rows</p>}
        </div>
      )}
    </div>
  );
}
