/**
 * Where a validation problem is in a workflow file's text: the offset,
 * length, line and column of the value its path names (or of the nearest
 * part of that path that exists), so an editor can mark it.
 *
 * @module
 */
import type { ValidationIssue } from "../errors.ts";
import { lineColumn, type Node, nodeEnd, parseJsonTree, propertyIndex } from "./json_text.ts";
import { parsePath } from "./values.ts";

/** A validation problem with where it is in the text. */
export interface LocatedIssue {
  /** JSON path, e.g. `nodes[2].config.url` (empty for the whole file). */
  path: string;
  /** What is wrong. */
  message: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column, in UTF-16 code units. */
  column?: number;
  /** Offset of the marked text, in UTF-16 code units. */
  offset?: number;
  /** Length of the marked text. */
  length?: number;
}

/**
 * Each issue with its place in `text`: a JSON syntax error where the parser
 * stopped; any other where its path leads (the deepest part of the path
 * that exists, for a key that is missing).
 *
 * @example
 * ```ts
 * import { locateIssues } from "./locate.ts";
 * locateIssues('{\n  "nodes": 1\n}', [{ path: "nodes", message: "expected array" }]);
 * // [{ path: "nodes", message: "expected array", line: 2, column: 12, offset: 13, length: 1 }]
 * ```
 */
export function locateIssues(text: string, issues: readonly ValidationIssue[]): LocatedIssue[] {
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let root: Node | undefined | null = null;
  return issues.map((issue) => {
    const out: LocatedIssue = { path: issue.path, message: issue.message };
    if (issue.line !== undefined) {
      const offset = offsetOf(text, issue.line, issue.column ?? 1);
      return { ...out, line: issue.line, column: issue.column ?? 1, offset, length: offset < text.length ? 1 : 0 };
    }
    if (root === null) root = parseJsonTree(bom ? text.slice(1) : text);
    if (!root) return out;
    const node = nearest(root, parsePath(issue.path));
    const offset = node.offset + bom;
    return { ...out, ...lineColumn(text, offset), offset, length: nodeEnd(node) - node.offset };
  });
}

/** The node a path leads to, or the deepest one on its way that exists. */
function nearest(root: Node, path: (string | number)[]): Node {
  let node = root;
  for (const key of path) {
    let next: Node | undefined;
    if (node.type === "object" && typeof key === "string") {
      const i = propertyIndex(node, key);
      next = i < 0 ? undefined : node.children![i].children?.[1];
    } else if (node.type === "array" && typeof key === "number") {
      next = node.children?.[key];
    }
    if (!next) break;
    node = next;
  }
  return node;
}

/** The offset of a 1-based line and column. */
function offsetOf(text: string, line: number, column: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", at);
    if (next < 0) return text.length;
    at = next + 1;
  }
  return Math.min(at + column - 1, text.length);
}
