/**
 * JSON text edited in place: the syntax tree of `jsonc-parser` (strict JSON:
 * no comments, no trailing commas) and edits that change only the bytes
 * they must. Every byte outside an edit stays as it was, so changing one
 * value of a pretty-printed file is a one-line `git diff`.
 *
 * `jsonc-parser`'s own `modify` formats what it inserts by reformatting the
 * whole lines around it (a neighbour written on one line would be spread
 * over several), so the edits here are made from its tree, and what they
 * insert copies the whitespace of its neighbours: the separator between
 * siblings, the indent of their lines, one-line or multi-line values.
 *
 * @module
 */
import { applyEdits, type Edit, type Node, type ParseError, parseTree } from "jsonc-parser";

export type { Edit, Node };
export { applyEdits };

/** How a text is laid out: its indent unit and line ending. */
export interface TextStyle {
  /** One level of indent: two spaces, four, or a tab. */
  indent: string;
  /** `\n` or `\r\n`. */
  eol: string;
  /** Whether the whole value is on one line (a minified file): inserted values are compact too. */
  oneLine: boolean;
}

/**
 * The indent unit, the line ending and whether the text is on one line:
 * the leading whitespace of the first indented line (two spaces when
 * there is none), `\r\n` when the first line break is one.
 *
 * @example
 * ```ts
 * import { detectStyle } from "./json_text.ts";
 * detectStyle('{\n    "a": 1\n}\n'); // { indent: "    ", eol: "\n", oneLine: false }
 * ```
 */
export function detectStyle(text: string): TextStyle {
  const first = text.indexOf("\n");
  const eol = first > 0 && text[first - 1] === "\r" ? "\r\n" : "\n";
  const indented = /\n([ \t]+)\S/.exec(text);
  const indent = indented ? (indented[1].startsWith("\t") ? "\t" : indented[1]) : "  ";
  return { indent, eol, oneLine: first < 0 || first >= text.trimEnd().length };
}

/**
 * The syntax tree of a JSON text (a leading byte order mark is skipped), or
 * undefined when the text is not strict JSON.
 *
 * @example
 * ```ts
 * import { parseJsonTree } from "./json_text.ts";
 * parseJsonTree('{"a": 1}')?.type; // "object"
 * parseJsonTree('{"a": 1,}'); // undefined
 * ```
 */
export function parseJsonTree(text: string): Node | undefined {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  return errors.length === 0 && root ? root : undefined;
}

/** The value a node holds, parsed from its own text (so a `__proto__` key stays a key). */
export function nodeValue(text: string, node: Node): unknown {
  return JSON.parse(text.slice(node.offset, node.offset + node.length));
}

/** The end offset of a node. */
export function nodeEnd(node: Node): number {
  return node.offset + node.length;
}

/** The index of the property `key` of an object node (the last one, as `JSON.parse` keeps the last), or -1. */
export function propertyIndex(object: Node, key: string): number {
  const props = object.children ?? [];
  for (let i = props.length - 1; i >= 0; i--) {
    if (props[i].children?.[0]?.value === key) return i;
  }
  return -1;
}

/** The value node of the property `key` of an object node. */
export function propertyValue(object: Node, key: string): Node | undefined {
  const i = propertyIndex(object, key);
  return i < 0 ? undefined : object.children![i].children?.[1];
}

/** The leading whitespace of the line that holds `offset`. */
export function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start, offset))![0];
}

/** How a value is written: over several lines (`pretty`), on one line with spaces (`inline`), or `compact`. */
export type ValueMode = "pretty" | "inline" | "compact";

/**
 * A value as JSON text in a mode: `pretty` is `JSON.stringify` with the
 * file's indent, its lines after the first indented by `at`; `inline` is
 * one line with spaces (`{ "a": 1, "b": [1, 2] }`), as formatters write
 * short values; `compact` has no spaces.
 *
 * @example
 * ```ts
 * import { renderValue } from "./json_text.ts";
 * renderValue({ a: [1, 2] }, "inline", "", { indent: "  ", eol: "\n", oneLine: false }); // '{ "a": [1, 2] }'
 * ```
 */
export function renderValue(value: unknown, mode: ValueMode, at: string, style: TextStyle): string {
  if (mode === "compact" || value === null || typeof value !== "object") return JSON.stringify(value);
  if (mode === "inline") return inline(value);
  return JSON.stringify(value, null, style.indent).split("\n").join(style.eol + at);
}

function inline(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return value.length ? `[${value.map(inline).join(", ")}]` : "[]";
  const entries = Object.entries(value);
  return entries.length ? `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(", ")} }` : "{}";
}

/** Whether a node's text spans more than one line. */
function multiLine(text: string, node: Node): boolean {
  return text.slice(node.offset, nodeEnd(node)).includes("\n");
}

/** The mode a replacement of `node` is written in: as the old value was, or `pretty` in a multi-line file. */
function replacementMode(text: string, node: Node, style: TextStyle): ValueMode {
  if (style.oneLine) return "compact";
  if (node.type !== "object" && node.type !== "array") return "pretty";
  if (multiLine(text, node) || (node.children?.length ?? 0) === 0) return "pretty";
  return oneLineMode(text.slice(node.offset, nodeEnd(node)));
}

/** How a one-line object or array is written: with spaces after its commas and colons (`inline`), or without. */
function oneLineMode(written: string): ValueMode {
  return /^[[{]\s|[,:]\s/.test(written) || !/[,:]/.test(written) ? "inline" : "compact";
}

/**
 * The edit that writes `value` where `node` is, in the way the old value
 * was written (one line stays one line; a multi-line value is pretty-printed
 * at its line's indent).
 */
export function replaceEdit(text: string, node: Node, value: unknown, style: TextStyle): Edit {
  const mode = replacementMode(text, node, style);
  return {
    offset: node.offset,
    length: node.length,
    content: renderValue(value, mode, lineIndent(text, node.offset), style),
  };
}

/**
 * The edit that removes child `index` of an object (a property) or an
 * array, with its separator: `[a, b, c]` without `b` is `[a, c]`, and a
 * removed line takes its line break with it.
 */
export function removeEdit(container: Node, index: number): Edit {
  const kids = container.children ?? [];
  const child = kids[index];
  if (kids.length === 1) return { offset: container.offset + 1, length: container.length - 2, content: "" };
  if (index > 0) {
    const prev = kids[index - 1];
    return { offset: nodeEnd(prev), length: nodeEnd(child) - nodeEnd(prev), content: "" };
  }
  return { offset: child.offset, length: kids[1].offset - child.offset, content: "" };
}

/** Where a new child of a container goes and how its siblings are laid out. */
export interface ChildPlace {
  /** Whether children are on lines of their own. */
  multiLine: boolean;
  /** The indent of a child's line (when `multiLine`). */
  indent: string;
  /** How a container value of a new child is written. */
  mode: ValueMode;
  /** What goes between a key and its value (`": "`). */
  colon: string;
}

/** How the children of a container are laid out (for a new one to look the same). */
export function childPlace(text: string, container: Node, style: TextStyle): ChildPlace {
  const kids = container.children ?? [];
  const base = lineIndent(text, container.offset);
  const colonOf = (prop: Node | undefined) => {
    const [key, value] = prop?.children ?? [];
    return key && value ? text.slice(nodeEnd(key), value.offset) : style.oneLine ? ":" : ": ";
  };
  if (kids.length === 0) {
    return style.oneLine
      ? { multiLine: false, indent: "", mode: "compact", colon: ":" }
      : { multiLine: true, indent: base + style.indent, mode: "pretty", colon: ": " };
  }
  const gap = separator(text, container);
  const sibling = kids[kids.length - 1];
  const value = container.type === "object" ? sibling.children?.[1] : sibling;
  const colon = container.type === "object" ? colonOf(sibling) : ": ";
  if (!gap.includes("\n")) {
    return { multiLine: false, indent: "", mode: gap === "" ? "compact" : "inline", colon };
  }
  const indent = gap.slice(gap.lastIndexOf("\n") + 1);
  // Items of a list written one a line (nodes, connections): a new one is written on one line too.
  const oneLineItems = container.type === "array" && value !== undefined &&
    (value.type === "object" || value.type === "array") && !multiLine(text, value);
  const mode = oneLineItems ? oneLineMode(text.slice(value.offset, nodeEnd(value))) : "pretty";
  return { multiLine: true, indent, mode, colon };
}

/** The whitespace before a child that follows a comma (or the first child, when it is the only one). */
function separator(text: string, container: Node): string {
  const kids = container.children!;
  if (kids.length >= 2) {
    const comma = text.indexOf(",", nodeEnd(kids[0]));
    return text.slice(comma + 1, kids[1].offset);
  }
  const lead = text.slice(container.offset + 1, kids[0].offset);
  return lead.includes("\n") ? lead.slice(lead.lastIndexOf("\n") - (lead.includes("\r\n") ? 1 : 0)) : lead;
}

/**
 * The edit that inserts `child` (the text of a value, or of `"key": value`)
 * as child `index` of a container, laid out like its siblings; an empty
 * container gets it on a line of its own (unless the file is one line).
 */
export function insertEdit(text: string, container: Node, index: number, child: string, style: TextStyle): Edit {
  const kids = container.children ?? [];
  if (kids.length === 0) {
    const inner = { offset: container.offset + 1, length: container.length - 2 };
    if (style.oneLine) return { ...inner, content: child };
    const base = lineIndent(text, container.offset);
    return { ...inner, content: style.eol + base + style.indent + child + style.eol + base };
  }
  const gap = separator(text, container);
  if (index <= 0) return { offset: kids[0].offset, length: 0, content: `${child},${gap}` };
  const prev = kids[Math.min(index, kids.length) - 1];
  return { offset: nodeEnd(prev), length: 0, content: `,${gap}${child}` };
}

/** The 1-based line and column (in UTF-16 code units) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return { line, column: offset - text.lastIndexOf("\n", offset - 1) };
}
