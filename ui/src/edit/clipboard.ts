/**
 * Copy and paste as workflow JSON: a copied selection is a fragment of a
 * workflow (`{"nodes": [...], "connections": [...], "layout": {...}}`, the
 * connections among the copied nodes only) that any text editor can hold;
 * pasting accepts such a fragment, a whole workflow, an array of nodes or
 * one node object, makes every id unique in the target, and keeps the
 * fragment's own connections. No DOM.
 *
 * @module
 */
import {
  addNodes,
  connectionsOf,
  endpointNode,
  insertAt,
  layoutOf,
  nodesOf,
  parseText,
  type Path,
  type Position,
  uniqueId,
  workflowAt,
} from "./doc.ts";

/** A fragment of the nodes `ids` of the workflow at `base`, pretty-printed. */
export function copyFragment(text: string, base: Path, ids: ReadonlySet<string>): string | undefined {
  const parsed = parseText(text);
  if (parsed.error) return undefined;
  const w = workflowAt(parsed.value, base);
  const nodes = nodesOf(w).filter((n) => ids.has(n.id));
  if (!nodes.length) return undefined;
  const connections = connectionsOf(w)
    .filter((c) => ids.has(endpointNode(c.from)) && ids.has(endpointNode(c.to)))
    .map((c) => ({ from: c.from, to: c.to }));
  const all = layoutOf(w);
  const layout = Object.fromEntries(nodes.filter((n) => all.has(n.id)).map((n) => [n.id, all.get(n.id)!]));
  return JSON.stringify({ nodes: nodes.map((n) => n.raw), connections, layout }, null, 2);
}

/** A fragment read from pasted text. */
export interface Fragment {
  /** Node objects, each with a string id and type. */
  nodes: Record<string, unknown>[];
  /** Connections among them. */
  connections: { from: string; to: string }[];
  /** Their positions, when the fragment has them. */
  layout: Map<string, Position>;
}

/** Reads pasted text as a fragment; an error message says what is wrong with it. */
export function readFragment(pasted: string): Fragment | { error: string } {
  const parsed = parseText(pasted.trim());
  if (parsed.error) {
    return { error: `the clipboard is not JSON (${parsed.error.message} at offset ${parsed.error.offset})` };
  }
  const v = parsed.value;
  const isNode = (x: unknown): x is Record<string, unknown> =>
    !!x && typeof x === "object" && !Array.isArray(x) && typeof (x as Record<string, unknown>).id === "string" &&
    typeof (x as Record<string, unknown>).type === "string";
  let nodes: Record<string, unknown>[] = [];
  let w = {};
  if (Array.isArray(v)) nodes = v.filter(isNode);
  else if (isNode(v)) nodes = [v];
  else if (v && typeof v === "object") {
    w = v;
    nodes = nodesOf(workflowAt(v, [])).map((n) => n.raw).filter(isNode);
  }
  if (!nodes.length) return { error: "the clipboard holds no nodes (a node has a string id and type)" };
  const ids = new Set(nodes.map((n) => n.id as string));
  const connections = connectionsOf(workflowAt(w, []))
    .filter((c) => ids.has(endpointNode(c.from)) && ids.has(endpointNode(c.to)))
    .map((c) => ({ from: c.from, to: c.to }));
  return { nodes, connections, layout: layoutOf(workflowAt(w, [])) };
}

/** What {@linkcode pasteFragment} did. */
export interface Pasted {
  /** The new text. */
  text: string;
  /** The pasted nodes' ids, as renamed. */
  ids: string[];
}

/**
 * Adds a fragment to the workflow at `base`: ids that are taken get a
 * suffix (`fetch_2`) and the fragment's connections follow; boxes keep their
 * arrangement with their top-left one at `at`.
 */
export function pasteFragment(text: string, base: Path, fragment: Fragment, at: Position): Pasted {
  const parsed = parseText(text);
  if (parsed.error) return { text, ids: [] };
  const taken = new Set(nodesOf(workflowAt(parsed.value, base)).map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of fragment.nodes) {
    const id = uniqueId(n.id as string, taken);
    taken.add(id);
    rename.set(n.id as string, id);
  }
  const known = fragment.nodes.map((n) => fragment.layout.get(n.id as string)).filter((p) => p !== undefined);
  const minX = known.length ? Math.min(...known.map((p) => p[0])) : 0;
  const minY = known.length ? Math.min(...known.map((p) => p[1])) : 0;
  const positions = new Map<string, Position>();
  fragment.nodes.forEach((n, i) => {
    const p = fragment.layout.get(n.id as string);
    positions.set(
      rename.get(n.id as string)!,
      p ? [at[0] + p[0] - minX, at[1] + p[1] - minY] : [at[0] + i * 240, at[1]],
    );
  });
  const nodes = fragment.nodes.map((n) => ({ ...n, id: rename.get(n.id as string)! }));
  let out = addNodes(text, base, nodes, positions);
  const swap = (e: string) => `${rename.get(endpointNode(e))}${e.slice(endpointNode(e).length)}`;
  for (const c of fragment.connections) {
    out = insertAt(out, [...base, "connections"], { from: swap(c.from), to: swap(c.to) }, base);
  }
  return { text: out, ids: [...rename.values()] };
}
