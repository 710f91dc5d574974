/**
 * Where a validator problem belongs: its path (`nodes[2].config.url`) read
 * against the document, as the node, port or form field it names, so the
 * canvas can mark the box and the inspector the field. No DOM.
 *
 * @module
 */
import { findNodeAtLocation, parseTree } from "jsonc-parser";
import type { Problem } from "../api_types.ts";
import { INPUTS_ID, OUTPUTS_ID } from "../graph/model.ts";
import { connectionsOf, endpointNode, nodesOf, type Path, valueAt, workflowAt } from "./doc.ts";

/** Reads a problem path (`nodes[2].config.url`, `outputs["a b"]`) as segments. */
export function parsePath(path: string): Path {
  const out: Path = [];
  for (const m of path.matchAll(/\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3]) as string);
  }
  return out;
}

/** A problem placed on the graph of the workflow at `base`. */
export interface Placed {
  /** The problem. */
  problem: Problem;
  /** The box it marks (a node id, `$inputs`, `$outputs`), if any. */
  node?: string;
  /** The port it marks, if any. */
  port?: string;
  /** The field of the node it names, relative to the node (`["config", "url"]`). */
  field?: Path;
  /** Whether it is outside the workflow shown (another level). */
  elsewhere: boolean;
}

/** Places each problem; see {@linkcode Placed}. */
export function placeProblems(problems: Problem[], doc: unknown, base: Path): Placed[] {
  return problems.map((problem) => {
    const path = parsePath(problem.path);
    const inside = base.every((k, i) => path[i] === k);
    if (!inside) return { problem, elsewhere: true };
    const rel = path.slice(base.length);
    const w = workflowAt(doc, base);
    const [head, index, ...rest] = rel;
    if (head === "nodes" && typeof index === "number") {
      const raw = valueAt(w, ["nodes", index]) as { id?: unknown } | undefined;
      const id = typeof raw?.id === "string" ? raw.id : undefined;
      // A problem deeper inside a loop body belongs to the loop node here.
      return { problem, ...(id ? { node: id } : {}), field: rest, elsewhere: false };
    }
    if (head === "connections" && typeof index === "number") {
      const c = connectionsOf(w).find((c) => c.index === index);
      if (!c) return { problem, elsewhere: false };
      const to = rest[0] === "from" ? c.from : c.to;
      const node = endpointNode(to);
      return {
        problem,
        node: node === "$inputs" ? INPUTS_ID : node,
        port: to.slice(node.length + 1),
        elsewhere: false,
      };
    }
    if (head === "outputs") {
      return { problem, node: OUTPUTS_ID, ...(typeof index === "string" ? { port: index } : {}), elsewhere: false };
    }
    if (head === "inputs") return { problem, node: INPUTS_ID, elsewhere: false };
    return { problem, elsewhere: false };
  });
}

/** The problem count of each box. */
export function problemsByNode(placed: Placed[]): Map<string, Placed[]> {
  const out = new Map<string, Placed[]>();
  for (const p of placed) {
    if (p.elsewhere || !p.node) continue;
    const list = out.get(p.node);
    if (list) list.push(p);
    else out.set(p.node, [p]);
  }
  return out;
}

/** The node ids of the workflow at `base`. */
export function nodeIds(doc: unknown, base: Path): Set<string> {
  return new Set(nodesOf(workflowAt(doc, base)).map((n) => n.id));
}

/** The offset range of a problem in `text`: its own, its line and column, or its path's value. */
export function problemRange(text: string, p: Problem): { from: number; to: number } {
  if (typeof p.offset === "number") return { from: p.offset, to: p.offset + Math.max(1, p.length ?? 1) };
  if (typeof p.line === "number") {
    let at = 0;
    for (let l = 1; l < p.line; l++) {
      const next = text.indexOf("\n", at);
      if (next < 0) break;
      at = next + 1;
    }
    const end = text.indexOf("\n", at);
    return { from: at + Math.max(0, (p.column ?? 1) - 1), to: end < 0 ? text.length : end };
  }
  const tree = parseTree(text);
  const path = parsePath(p.path);
  for (let n = path.length; n >= 0 && tree; n--) {
    const node = findNodeAtLocation(tree, path.slice(0, n));
    if (node) {
      const target = node.parent?.type === "property" ? node.parent : node;
      return { from: target.offset, to: target.offset + Math.min(target.length, 200) };
    }
  }
  return { from: 0, to: Math.min(1, text.length) };
}
