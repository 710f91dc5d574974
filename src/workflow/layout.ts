/**
 * The `layout` block of a workflow file: where the editor draws each node
 * (`"layout": { "fetch": [120, 40] }`), kept as the last property of the
 * workflow object. The engine ignores it, and a change of layout alone is
 * not a change of the workflow: {@linkcode withoutLayout} is the text that
 * the workflow's hash is computed over. An inline sub-workflow (a node's
 * `config.workflow`, as `control.loop` takes) has a block of its own.
 *
 * @module
 */
import {
  applyEdits,
  detectStyle,
  type Edit,
  lineIndent,
  type Node,
  nodeValue,
  parseJsonTree,
  propertyIndex,
  propertyValue,
  removeEdit,
  type TextStyle,
} from "./json_text.ts";

/** The key of the block. */
export const LAYOUT_KEY = "layout";

/** A path in a JSON value: keys and array indexes. */
export type JsonPath = (string | number)[];

/**
 * Whether a path names a workflow object: the file's top level, or the
 * inline `config.workflow` of a node of one (at any depth).
 *
 * @example
 * ```ts
 * import { isWorkflowPath } from "./layout.ts";
 * isWorkflowPath([]); // true
 * isWorkflowPath(["nodes", 2, "config", "workflow"]); // true
 * isWorkflowPath(["nodes", 2, "config"]); // false
 * ```
 */
export function isWorkflowPath(path: readonly (string | number)[]): boolean {
  for (let end = path.length; end > 0; end -= 4) {
    if (end < 4) return false;
    const [nodes, index, config, workflow] = path.slice(end - 4, end);
    const isIndex = typeof index === "number" || (typeof index === "string" && /^(0|[1-9]\d*)$/.test(index));
    if (nodes !== "nodes" || !isIndex || config !== "config" || workflow !== "workflow") return false;
  }
  return true;
}

/** Every workflow object in a tree, with its path: the top level first, then inline sub-workflows, depth first. */
export function workflowObjects(root: Node): { node: Node; path: JsonPath }[] {
  const out: { node: Node; path: JsonPath }[] = [];
  const visit = (node: Node, path: JsonPath) => {
    if (node.type !== "object") return;
    out.push({ node, path });
    const nodes = propertyValue(node, "nodes");
    (nodes?.type === "array" ? nodes.children ?? [] : []).forEach((item, i) => {
      const config = item.type === "object" ? propertyValue(item, "config") : undefined;
      const inline = config?.type === "object" ? propertyValue(config, "workflow") : undefined;
      if (inline) visit(inline, [...path, "nodes", i, "config", "workflow"]);
    });
  };
  visit(root, []);
  return out;
}

/**
 * The text without any `layout` block (each removed with its separator,
 * so adding a block at the end and taking it away again gives back the
 * same bytes). A text that is not JSON, or has no block, is returned as
 * it is.
 *
 * @example
 * ```ts
 * import { withoutLayout } from "./layout.ts";
 * withoutLayout('{\n  "nodes": [],\n  "layout": { "a": [1, 2] }\n}'); // '{\n  "nodes": []\n}'
 * ```
 */
export function withoutLayout(text: string): string {
  const bom = text.charCodeAt(0) === 0xfeff ? "\ufeff" : "";
  const body = bom ? text.slice(1) : text;
  const root = parseJsonTree(body);
  if (!root) return text;
  const edits: Edit[] = [];
  for (const { node } of workflowObjects(root)) {
    const i = propertyIndex(node, LAYOUT_KEY);
    if (i >= 0) edits.push(removeEdit(node, i));
  }
  return edits.length ? bom + applyEdits(body, edits) : text;
}

/** Whether a value has the shape of a layout block: an object of `[x, y]` pairs of finite numbers. */
export function isLayout(value: unknown): value is Record<string, [number, number]> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  return Object.values(value).every((p) =>
    Array.isArray(p) && p.length === 2 && p.every((n) => typeof n === "number" && Number.isFinite(n))
  );
}

/**
 * A layout block's value as the editor writes it: one node a line
 * (`"fetch": [120, 40]`), so moving one node changes one line; on one line
 * in a file that is on one line.
 *
 * @example
 * ```ts
 * import { renderLayout } from "./layout.ts";
 * renderLayout({ a: [1, 2] }, "  ", { indent: "  ", eol: "\n", oneLine: false }); // '{\n    "a": [1, 2]\n  }'
 * ```
 */
export function renderLayout(layout: Record<string, [number, number]>, at: string, style: TextStyle): string {
  const entries = Object.entries(layout);
  if (entries.length === 0) return "{}";
  if (style.oneLine) return JSON.stringify(layout);
  const lines = entries.map(([id, [x, y]]) => `${at}${style.indent}${JSON.stringify(id)}: [${x}, ${y}]`);
  return `{${style.eol}${lines.join(`,${style.eol}`)}${style.eol}${at}}`;
}

/**
 * The edit that rewrites the layout block of the workflow object at `node`
 * as {@linkcode renderLayout} writes it; undefined when it has none, when
 * it is not of that shape, or when it is written so already.
 */
export function normaliseLayoutEdit(text: string, node: Node, style: TextStyle = detectStyle(text)): Edit | undefined {
  const i = propertyIndex(node, LAYOUT_KEY);
  if (i < 0) return undefined;
  const property = node.children![i];
  const value = property.children?.[1];
  if (!value) return undefined;
  const layout = nodeValue(text, value);
  if (!isLayout(layout)) return undefined;
  const content = renderLayout(layout, lineIndent(text, property.offset), style);
  return content === text.slice(value.offset, value.offset + value.length)
    ? undefined
    : { offset: value.offset, length: value.length, content };
}
