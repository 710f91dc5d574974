/**
 * The editor's document is the workflow file's text. Every action of the
 * canvas and the forms becomes a small edit of that text made with
 * `jsonc-parser` (`modify` + `applyEdits`, as the server's PATCH does), so
 * the bytes an action does not touch stay identical and changing one config
 * value is a one-line `git diff`. No DOM.
 *
 * Positions live in the `layout` block (`"layout": { "id": [x, y] }`), kept
 * as the last property of the workflow object (the top level, or a
 * `control.loop`'s inline `workflow`), one entry per line.
 *
 * Every function takes `base`: the JSON path of the workflow object edited
 * (`[]` for the file, `["nodes", 2, "config", "workflow"]` for a loop body).
 *
 * @module
 */
import {
  applyEdits,
  type Edit,
  findNodeAtLocation,
  type FormattingOptions,
  type JSONPath,
  modify,
  type Node as JsonNode,
  parse,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";

/** A JSON path: property names and array indexes. */
export type Path = (string | number)[];

/** A position on the canvas: `[x, y]` of a box's top-left corner. */
export type Position = [number, number];

/** A parse of the text: the value, or the first syntax error with its offset. */
export interface Parsed {
  /** The value, when the text is JSON. */
  value?: unknown;
  /** The first syntax error. */
  error?: { message: string; offset: number; length: number };
}

/**
 * Parses `text` as strict JSON (no comments, no trailing commas). The
 * browser's own parser reads it (a 500-node file in about a millisecond,
 * where `jsonc-parser` takes tens); `jsonc-parser` reads a text that fails,
 * for the first error's place.
 */
export function parseText(text: string): Parsed {
  try {
    return { value: JSON.parse(text) };
  } catch {
    // Not JSON: find where, below.
  }
  const errors: ParseError[] = [];
  const value = parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length) {
    const e = errors[0];
    return { error: { message: syntaxMessage(printParseErrorCode(e.error)), offset: e.offset, length: e.length } };
  }
  return { value };
}

function syntaxMessage(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** The indentation and line ends of `text`, for inserted values to match. */
export function formatOf(text: string): FormattingOptions {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const m = /\n([ \t]+)\S/.exec(text);
  if (m && m[1].startsWith("\t")) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: m ? Math.min(m[1].length, 8) : 2, eol };
}

function unit(fmt: FormattingOptions): string {
  return fmt.insertSpaces ? " ".repeat(fmt.tabSize ?? 2) : "\t";
}

/**
 * Sets the value at `path` (undefined removes it), formatted like the rest
 * of the file. A new property of the workflow object goes before its
 * `layout` block, which stays last.
 */
export function setAt(text: string, path: Path, value: unknown, base: Path = []): string {
  const atBase = path.length === base.length + 1 && typeof path[path.length - 1] === "string";
  const edits = modify(text, path as JSONPath, value, {
    formattingOptions: formatOf(text),
    ...(atBase ? { getInsertionIndex: beforeLayout } : {}),
  });
  return applyEdits(text, edits);
}

function beforeLayout(properties: string[]): number {
  const at = properties.indexOf("layout");
  return at < 0 ? properties.length : at;
}

/** Inserts `value` into the array at `path` (at its end by default); creates the array when missing. */
export function insertAt(text: string, path: Path, value: unknown, base: Path = [], index = -1): string {
  const tree = parseTree(text);
  const array = tree && findNodeAtLocation(tree, path as JSONPath);
  if (!array || array.type !== "array") return setAt(text, path, [value], base);
  const edits = modify(text, [...path, index] as JSONPath, value, {
    formattingOptions: formatOf(text),
    isArrayInsertion: true,
  });
  return applyEdits(text, edits);
}

/** The value at `path` of a parsed document, or undefined. */
export function valueAt(doc: unknown, path: Path): unknown {
  let v = doc;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** A workflow object as the editor reads it (anything may be missing or of the wrong type in a draft). */
export interface WorkflowDoc {
  /** Nodes. */
  nodes?: unknown;
  /** Connections. */
  connections?: unknown;
  /** Declared outputs. */
  outputs?: unknown;
  /** Declared inputs. */
  inputs?: unknown;
  /** Positions. */
  layout?: unknown;
  /** Anything else. */
  [key: string]: unknown;
}

/** A node entry read from the document. */
export interface DocNode {
  /** Its index in `nodes`. */
  index: number;
  /** Its id. */
  id: string;
  /** Its type. */
  type: string;
  /** The entry itself. */
  raw: Record<string, unknown>;
}

/** A connection entry read from the document. */
export interface DocConnection {
  /** Its index in `connections`. */
  index: number;
  /** `node.port` or `$inputs.name`. */
  from: string;
  /** `node.port`. */
  to: string;
}

/** The workflow object at `base` of a parsed document. */
export function workflowAt(doc: unknown, base: Path): WorkflowDoc {
  const w = valueAt(doc, base);
  return w && typeof w === "object" && !Array.isArray(w) ? w as WorkflowDoc : {};
}

/** The nodes of a workflow object that have a string id. */
export function nodesOf(w: WorkflowDoc): DocNode[] {
  if (!Array.isArray(w.nodes)) return [];
  const out: DocNode[] = [];
  w.nodes.forEach((n, index) => {
    if (n && typeof n === "object" && typeof n.id === "string") {
      out.push({ index, id: n.id, type: typeof n.type === "string" ? n.type : "", raw: n });
    }
  });
  return out;
}

/** The connections of a workflow object that have string ends. */
export function connectionsOf(w: WorkflowDoc): DocConnection[] {
  if (!Array.isArray(w.connections)) return [];
  const out: DocConnection[] = [];
  w.connections.forEach((c, index) => {
    if (c && typeof c === "object" && typeof c.from === "string" && typeof c.to === "string") {
      out.push({ index, from: c.from, to: c.to });
    }
  });
  return out;
}

/** The declared outputs: name to endpoint. */
export function outputsOf(w: WorkflowDoc): Record<string, string> {
  const out: Record<string, string> = {};
  if (w.outputs && typeof w.outputs === "object" && !Array.isArray(w.outputs)) {
    for (const [k, v] of Object.entries(w.outputs)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** The positions of the layout block (entries that are not `[number, number]` are left out). */
export function layoutOf(w: WorkflowDoc): Map<string, Position> {
  const out = new Map<string, Position>();
  if (w.layout && typeof w.layout === "object" && !Array.isArray(w.layout)) {
    for (const [id, p] of Object.entries(w.layout)) {
      if (Array.isArray(p) && p.length === 2 && typeof p[0] === "number" && typeof p[1] === "number") {
        out.set(id, [p[0], p[1]]);
      }
    }
  }
  return out;
}

/** The node id of an endpoint (`fetch.body` -> `fetch`). */
export function endpointNode(endpoint: string): string {
  const dot = endpoint.indexOf(".");
  return dot < 0 ? endpoint : endpoint.slice(0, dot);
}

function tree(text: string): JsonNode {
  const t = parseTree(text);
  if (!t) throw new Error("the text is not JSON");
  return t;
}

/** The whitespace that starts the line holding `offset`. */
function indentAt(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

const entry = (id: string, p: Position) => `${JSON.stringify(id)}: [${Math.round(p[0])}, ${Math.round(p[1])}]`;

/**
 * Writes positions into the layout block of the workflow at `base`: an
 * existing entry's array is replaced in place (one line changes), a new one
 * is added at the end of the block, and a missing block is added as the
 * workflow's last property, one entry per line.
 */
export function setPositions(text: string, base: Path, positions: ReadonlyMap<string, Position>): string {
  if (!positions.size) return text;
  const fmt = formatOf(text);
  const root = tree(text);
  const object = findNodeAtLocation(root, base as JSONPath);
  if (!object || object.type !== "object") throw new Error(`no workflow object at ${JSON.stringify(base)}`);
  const layout = findNodeAtLocation(root, [...base, "layout"] as JSONPath);
  const props = object.children ?? [];
  const propIndent = props.length ? indentAt(text, props[0].offset) : indentAt(text, object.offset) + unit(fmt);
  if (!layout || layout.type !== "object") {
    const inner = propIndent + unit(fmt);
    const body = [...positions].map(([id, p]) => inner + entry(id, p)).join(`,${fmt.eol}`);
    const block = `"layout": {${fmt.eol}${body}${fmt.eol}${propIndent}}`;
    if (layout) {
      // A layout of the wrong type: replace its value.
      return applyEdits(text, [{ offset: layout.offset, length: layout.length, content: block.slice(10) }]);
    }
    if (!props.length) {
      const closing = object.offset + object.length - 1;
      const edit = `${fmt.eol}${propIndent}${block}${fmt.eol}${indentAt(text, object.offset)}`;
      return applyEdits(text, [{ offset: object.offset + 1, length: closing - object.offset - 1, content: edit }]);
    }
    const last = props[props.length - 1];
    return applyEdits(text, [{
      offset: last.offset + last.length,
      length: 0,
      content: `,${fmt.eol}${propIndent}${block}`,
    }]);
  }
  const edits: Edit[] = [];
  const entries = layout.children ?? [];
  const known = new Map(entries.map((p) => [p.children![0].value as string, p]));
  const fresh: string[] = [];
  for (const [id, p] of positions) {
    const prop = known.get(id);
    const value = prop?.children?.[1];
    if (value) {
      edits.push({ offset: value.offset, length: value.length, content: `[${Math.round(p[0])}, ${Math.round(p[1])}]` });
    } else fresh.push(entry(id, p));
  }
  if (fresh.length) {
    const inner = entries.length ? indentAt(text, entries[0].offset) : propIndent + unit(fmt);
    if (entries.length) {
      const last = entries[entries.length - 1];
      edits.push({
        offset: last.offset + last.length,
        length: 0,
        content: fresh.map((e) => `,${fmt.eol}${inner}${e}`).join(""),
      });
    } else {
      const lines = fresh.map((e) => inner + e).join(`,${fmt.eol}`);
      edits.push({
        offset: layout.offset,
        length: layout.length,
        content: `{${fmt.eol}${lines}${fmt.eol}${indentAt(text, layout.offset)}}`,
      });
    }
  }
  return applyEdits(text, edits);
}

/** Removes the entries at `paths` (array items and properties), the highest array index first. */
export function removeAll(text: string, paths: Path[], base: Path = []): string {
  const sorted = [...paths].sort((a, b) => {
    const x = a[a.length - 1], y = b[b.length - 1];
    return typeof x === "number" && typeof y === "number" ? y - x : 0;
  });
  for (const p of sorted) text = setAt(text, p, undefined, base);
  return text;
}

/** Deletes nodes with their connections, the outputs they feed and their layout entries. */
export function removeNodes(text: string, base: Path, ids: ReadonlySet<string>): string {
  const parsed = parseText(text);
  if (parsed.error) return text;
  const w = workflowAt(parsed.value, base);
  const paths: Path[] = [];
  for (const c of connectionsOf(w)) {
    if (ids.has(endpointNode(c.from)) || ids.has(endpointNode(c.to))) paths.push([...base, "connections", c.index]);
  }
  text = removeAll(text, paths, base);
  const outs = Object.entries(outputsOf(w)).filter(([, e]) => ids.has(endpointNode(e)));
  for (const [name] of outs) text = setAt(text, [...base, "outputs", name], undefined, base);
  const layout = layoutOf(w);
  for (const id of ids) if (layout.has(id)) text = setAt(text, [...base, "layout", id], undefined, base);
  const nodePaths = nodesOf(w).filter((n) => ids.has(n.id)).map((n): Path => [...base, "nodes", n.index]);
  return removeAll(text, nodePaths, base);
}

/**
 * Renames node `from` to `to`: its id, every connection end and declared
 * output that names it, and its layout entry (the key only, in place).
 */
export function renameNode(text: string, base: Path, from: string, to: string): string {
  const parsed = parseText(text);
  if (parsed.error || from === to) return text;
  const w = workflowAt(parsed.value, base);
  const node = nodesOf(w).find((n) => n.id === from);
  if (!node) return text;
  const swap = (endpoint: string) =>
    endpointNode(endpoint) === from ? `${to}${endpoint.slice(from.length)}` : undefined;
  text = setAt(text, [...base, "nodes", node.index, "id"], to, base);
  for (const c of connectionsOf(w)) {
    const f = swap(c.from), t = swap(c.to);
    if (f) text = setAt(text, [...base, "connections", c.index, "from"], f, base);
    if (t) text = setAt(text, [...base, "connections", c.index, "to"], t, base);
  }
  for (const [name, endpoint] of Object.entries(outputsOf(w))) {
    const e = swap(endpoint);
    if (e) text = setAt(text, [...base, "outputs", name], e, base);
  }
  const key = findNodeAtLocation(tree(text), [...base, "layout", from] as JSONPath)?.parent?.children?.[0];
  if (key) text = applyEdits(text, [{ offset: key.offset, length: key.length, content: JSON.stringify(to) }]);
  return text;
}

/** Adds a connection; `to` of `$outputs.NAME` declares (or re-points) output NAME instead. */
export function addConnection(text: string, base: Path, from: string, to: string): string {
  if (to.startsWith("$outputs.")) return setAt(text, [...base, "outputs", to.slice(9)], from, base);
  return insertAt(text, [...base, "connections"], { from, to }, base);
}

/** Removes the connection `from` -> `to` (or the declared output, for `$outputs.NAME`). */
export function removeConnection(text: string, base: Path, from: string, to: string): string {
  if (to.startsWith("$outputs.")) return setAt(text, [...base, "outputs", to.slice(9)], undefined, base);
  const parsed = parseText(text);
  if (parsed.error) return text;
  const c = connectionsOf(workflowAt(parsed.value, base)).find((c) => c.from === from && c.to === to);
  return c ? setAt(text, [...base, "connections", c.index], undefined, base) : text;
}

/** Adds nodes (each a node object with an id) and their positions. */
export function addNodes(
  text: string,
  base: Path,
  nodes: Record<string, unknown>[],
  positions: ReadonlyMap<string, Position>,
): string {
  for (const n of nodes) text = insertAt(text, [...base, "nodes"], n, base);
  return setPositions(text, base, positions);
}

/** `id`, or `id_2`, `id_3`, … : the first that is not in `taken`. */
export function uniqueId(id: string, taken: ReadonlySet<string>): string {
  if (!taken.has(id)) return id;
  const stem = id.replace(/_\d+$/, "");
  for (let i = 2;; i++) if (!taken.has(`${stem}_${i}`)) return `${stem}_${i}`;
}

/** A node id made from a type: `http.request` -> `request`. */
export function idForType(type: string, taken: ReadonlySet<string>): string {
  const last = type.slice(type.lastIndexOf(".") + 1).replace(/[^A-Za-z0-9_-]/g, "_") || "node";
  return uniqueId(/^[A-Za-z_]/.test(last) ? last : `n_${last}`, taken);
}
