/// <reference lib="dom" />
/**
 * A collapsible JSON tree on native `<details>` elements (keyboard and
 * screen-reader friendly). Children render only once opened, and long
 * arrays and objects show their first entries with a "show more" button.
 *
 * @module
 */
import { useState } from "react";
import { preview } from "../format.ts";

/** Entries shown before "show more". */
const PAGE = 100;

/** A JSON value as a tree, open to `openDepth` levels. */
export function JsonTree(props: { value: unknown; label?: string; openDepth?: number }) {
  return (
    <div className="json-tree">
      <JsonNode name={props.label} value={props.value} depth={0} openDepth={props.openDepth ?? 1} />
    </div>
  );
}

function JsonNode(props: { name?: string; value: unknown; depth: number; openDepth: number }) {
  const { name, value, depth, openDepth } = props;
  const [open, setOpen] = useState(depth < openDepth);
  const [shown, setShown] = useState(PAGE);
  const key = name !== undefined ? <span className="json-key">{name}:</span> : null;
  if (value === null || typeof value !== "object") {
    return (
      <div className="json-leaf">
        {key} <span className={`json-${value === null ? "null" : typeof value}`}>{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const summary = Array.isArray(value) ? `Array(${entries.length})` : `{${entries.length}}`;
  return (
    <details open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>
        {key} <span className="json-summary">{summary}</span>
        {!open && <span className="json-preview">{preview(value, 60)}</span>}
      </summary>
      {open && (
        <div className="json-children">
          {entries.slice(0, shown).map(([k, v]) => (
            <JsonNode key={k} name={k} value={v} depth={depth + 1} openDepth={openDepth} />
          ))}
          {entries.length > shown && (
            <button
              type="button"
              className="link-button"
              onClick={() => setShown(shown + PAGE)}
            >
              show {Math.min(PAGE, entries.length - shown)} more of {entries.length - shown}
            </button>
          )}
        </div>
      )}
    </details>
  );
}
