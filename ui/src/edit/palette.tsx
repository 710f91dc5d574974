/// <reference lib="dom" />
/**
 * The node palette: every node type of the server's catalog (built-in and
 * custom), grouped by family, searchable by type, name and description.
 * A type is added by dragging it onto the canvas, or with Enter (or its Add
 * button) at the middle of the view.
 *
 * @module
 */
import { memo, useMemo, useState } from "react";
import type { NodeType } from "../api.ts";
import { NODE_TYPE_MIME } from "./canvas.tsx";

/** Node types whose type, name (its last part) or description contains every word of `query`. */
export function searchTypes(types: readonly NodeType[], query: string): NodeType[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return types.filter((t) => {
    const hay = `${t.type} ${t.type.replace(/[._]/g, " ")} ${t.family} ${t.description}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** The palette (memoised: it is drawn again only when its types or its callback change). */
export const Palette = memo(function Palette(props: { types: readonly NodeType[]; onAdd: (type: string) => void }) {
  const [query, setQuery] = useState("");
  const found = useMemo(() => searchTypes(props.types, query), [props.types, query]);
  const families = useMemo(() => {
    const by = new Map<string, NodeType[]>();
    for (const t of found) {
      const key = t.custom ? "custom" : t.family;
      by.set(key, [...by.get(key) ?? [], t]);
    }
    // Family names are ASCII: compared as strings (the first `localeCompare` of a page costs tens of ms).
    return [...by].sort(([a], [b]) => (a === "custom" ? 1 : b === "custom" ? -1 : a < b ? -1 : a > b ? 1 : 0));
  }, [found]);
  return (
    <aside className="palette" aria-label="Node palette">
      <input
        type="search"
        placeholder="Search nodes…"
        aria-label="Search node types"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && found.length) props.onAdd(found[0].type);
        }}
      />
      {!found.length && <p className="muted">No node type matches.</p>}
      {families.map(([family, list]) => (
        <section key={family} aria-label={`Family ${family}`}>
          <h3 className={`family-${family}`}>{family}</h3>
          <ul>
            {list.map((t) => (
              <li key={t.type}>
                <button
                  type="button"
                  className={`palette-item family-${t.family}`}
                  draggable
                  onDragStart={(e) => {
                    e.dataTransfer.setData(NODE_TYPE_MIME, t.type);
                    e.dataTransfer.effectAllowed = "copy";
                  }}
                  onClick={() => props.onAdd(t.type)}
                  title={t.description}
                  aria-label={`Add ${t.type}: ${t.description}`}
                  data-type={t.type}
                >
                  <code>{t.type}</code>
                  <span className="palette-desc">{t.description}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
});
