/**
 * JSON Patch (RFC 6902) applied to a workflow file's text in place: each
 * operation is an edit of the text (`json_text.ts`), so every byte it does
 * not change stays as it was: changing one value of a pretty-printed file
 * is a one-line `git diff`.
 *
 * The workflow file's own rules: a new property of a workflow object goes
 * before its `layout` block, which stays last (a new `layout` goes at the
 * end); a layout block an operation touched is written one node a line
 * (`layout.ts`), so moving nodes changes only the lines of the nodes moved.
 *
 * @module
 */
import {
  applyEdits,
  detectStyle,
  type Edit,
  insertEdit,
  type Node,
  nodeValue,
  parseJsonTree,
  propertyIndex,
  removeEdit,
  renderValue,
  replaceEdit,
  type TextStyle,
} from "../workflow/json_text.ts";
import { childPlace } from "../workflow/json_text.ts";
import { isWorkflowPath, LAYOUT_KEY, normaliseLayoutEdit, workflowObjects } from "../workflow/layout.ts";
import { SourceError } from "./errors.ts";
import { preview } from "../workflow/values.ts";

/** One operation of a JSON Patch. */
export interface PatchOperation {
  /** What to do. */
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  /** A JSON Pointer (RFC 6901) to where. */
  path: string;
  /** The pointer it comes from (`move`, `copy`). */
  from?: string;
  /** The value (`add`, `replace`, `test`). */
  value?: unknown;
}

/** The most operations one patch may hold. */
export const MAX_PATCH_OPERATIONS = 10_000;

/**
 * Applies a JSON Patch to a JSON text, in place. Throws a `NOT_JSON`
 * {@linkcode SourceError} when the text is not strict JSON, and a
 * `PATCH_FAILED` one naming the operation (its index, op and path) that
 * does not apply: a path that does not exist, a failed `test`; the text is
 * then left as it was (nothing is written).
 *
 * @example
 * ```ts
 * import { applyPatch } from "./patch.ts";
 * applyPatch('{\n  "a": 1,\n  "b": 2\n}\n', [{ op: "replace", path: "/b", value: 3 }]); // '{\n  "a": 1,\n  "b": 3\n}\n'
 * ```
 */
export function applyPatch(text: string, operations: readonly PatchOperation[]): string {
  const bom = text.charCodeAt(0) === 0xfeff ? "\ufeff" : "";
  let body = bom ? text.slice(1) : text;
  if (!parseJsonTree(body) || !isStrictJson(body)) {
    throw new SourceError("NOT_JSON", "the file is not valid JSON, so it cannot be patched; send the whole text (PUT)");
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw new SourceError(
      "PATCH_FAILED",
      `a patch holds at most ${MAX_PATCH_OPERATIONS} operations; got ${operations.length} (send the whole text: PUT)`,
    );
  }
  const style = detectStyle(body);
  const layouts = new Set<string>();
  operations.forEach((op, index) => {
    const fail = (why: string) =>
      new SourceError("PATCH_FAILED", `operation ${index} (${op.op} ${JSON.stringify(op.path)}): ${why}`);
    const path = parsePointer(op.path, fail);
    const from = op.from === undefined ? undefined : parsePointer(op.from, (why) => fail(`from: ${why}`));
    for (const p of [path, from]) if (p) noteLayout(p, layouts);
    body = applyOperation(body, op, path, from, style, fail);
  });
  body = normaliseLayouts(body, layouts, style);
  return bom + body;
}

function isStrictJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Parses a JSON Pointer (RFC 6901) into its reference tokens. */
function parsePointer(pointer: string, fail: (why: string) => Error): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw fail(`a path is a JSON Pointer, starting with "/"`);
  return pointer.slice(1).split("/").map((token) => {
    if (/~[^01]|~$/.test(token)) throw fail(`"~" in a path is "~0" or "~1"; got ${JSON.stringify(token)}`);
    return token.replaceAll("~1", "/").replaceAll("~0", "~");
  });
}

/** Notes the layout block a path goes through (its workflow object's path, as a pointer). */
function noteLayout(path: string[], layouts: Set<string>) {
  for (let i = 0; i < path.length; i++) {
    if (path[i] === LAYOUT_KEY && isWorkflowPath(path.slice(0, i))) layouts.add(JSON.stringify(path.slice(0, i)));
  }
}

/** Where a path leads in the tree: the node there (if any), its container and its index in it. */
interface Located {
  node?: Node;
  parent?: Node;
  index: number;
  key: string;
}

/** Finds a path; throws (via `fail`) when a container on the way is missing. */
function locate(root: Node, path: string[], fail: (why: string) => Error): Located {
  let node: Node = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    const at = "/" + path.slice(0, i).map((t) => t.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
    const last = i === path.length - 1;
    if (node.type === "object") {
      const index = propertyIndex(node, key);
      if (index < 0) {
        if (last) return { parent: node, index: -1, key };
        throw fail(
          `the path does not exist: no ${JSON.stringify(key)} in the object at ${at === "/" ? "the top" : at}`,
        );
      }
      if (last) return { node: node.children![index].children![1], parent: node, index, key };
      node = node.children![index].children![1];
    } else if (node.type === "array") {
      const length = node.children?.length ?? 0;
      const index = key === "-" ? length : /^(0|[1-9]\d*)$/.test(key) ? Number(key) : NaN;
      if (Number.isNaN(index)) throw fail(`${JSON.stringify(key)} is not an index of the array at ${at}`);
      if (index >= length) {
        if (last) return { parent: node, index, key };
        throw fail(`the path does not exist: the array at ${at} has ${length} item${length === 1 ? "" : "s"}`);
      }
      if (last) return { node: node.children![index], parent: node, index, key };
      node = node.children![index];
    } else {
      throw fail(`the path does not exist: the value at ${at} is a ${node.type}, not an object or an array`);
    }
  }
  return { node: root, index: -1, key: "" };
}

/** Applies one operation to the text; returns the new text. */
function applyOperation(
  text: string,
  op: PatchOperation,
  path: string[],
  from: string[] | undefined,
  style: TextStyle,
  fail: (why: string) => Error,
): string {
  const root = parseJsonTree(text)!;
  const existing = () => {
    const found = locate(root, path, fail);
    if (!found.node) throw fail("the path does not exist");
    return found;
  };
  switch (op.op) {
    case "test": {
      const actual = nodeValue(text, existing().node!);
      if (!sameJson(actual, op.value)) {
        throw fail(`test failed: the value is ${preview(actual, 80)}, not ${preview(op.value, 80)}`);
      }
      return text;
    }
    case "remove": {
      if (path.length === 0) throw fail("the whole document cannot be removed");
      const { parent, index } = existing();
      return applyEdits(text, [removeEdit(parent!, index)]);
    }
    case "replace": {
      const { node } = existing();
      return applyEdits(text, [replaceEdit(text, node!, op.value, style)]);
    }
    case "add":
      return add(text, root, path, op.value, style, fail);
    case "move":
    case "copy": {
      const source = locate(root, from!, fail);
      if (!source.node) throw fail("from: the path does not exist");
      const value = nodeValue(text, source.node);
      if (op.op === "copy") return add(text, root, path, value, style, fail);
      if (from!.length < path.length && from!.every((t, i) => t === path[i])) {
        throw fail("a value cannot be moved into itself");
      }
      if (from!.length === path.length && from!.every((t, i) => t === path[i])) return text;
      const removed = applyEdits(text, [removeEdit(source.parent!, source.index)]);
      return add(removed, parseJsonTree(removed)!, path, value, style, fail);
    }
    default:
      throw fail(`unknown op ${JSON.stringify((op as { op: unknown }).op)}`);
  }
}

/** `add`: a new property or array item, or a new value for a property that exists. */
function add(
  text: string,
  root: Node,
  path: string[],
  value: unknown,
  style: TextStyle,
  fail: (why: string) => Error,
): string {
  if (path.length === 0) return renderValue(value, style.oneLine ? "compact" : "pretty", "", style) + trailing(text);
  const found = locate(root, path, fail);
  const parent = found.parent!;
  let edit: Edit;
  if (parent.type === "object" && found.node) {
    edit = replaceEdit(text, found.node, value, style);
  } else {
    const place = childPlace(text, parent, style);
    const rendered = renderValue(value, place.mode, place.indent, style);
    let index = found.index;
    if (parent.type === "object") {
      // A new property of a workflow object goes before its layout block, which stays last.
      const layout = found.key === LAYOUT_KEY ? -1 : propertyIndex(parent, LAYOUT_KEY);
      index = layout >= 0 && isWorkflowPath(path.slice(0, -1)) ? layout : parent.children?.length ?? 0;
    } else if (index > (parent.children?.length ?? 0)) {
      throw fail(`the path does not exist: the array has ${parent.children?.length ?? 0} items`);
    }
    const child = parent.type === "object" ? `${JSON.stringify(found.key)}${place.colon}${rendered}` : rendered;
    edit = insertEdit(text, parent, index, child, style);
  }
  return applyEdits(text, [edit]);
}

/** Whatever follows the top-level value (a final line break), kept when the whole value is replaced. */
function trailing(text: string): string {
  return /\s*$/.exec(text)![0];
}

/** Rewrites the layout blocks operations went through, one node a line (see `renderLayout`). */
function normaliseLayouts(text: string, layouts: Set<string>, style: TextStyle): string {
  if (layouts.size === 0) return text;
  const root = parseJsonTree(text);
  if (!root) return text;
  const edits: Edit[] = [];
  for (const { node, path } of workflowObjects(root)) {
    if (!layouts.has(JSON.stringify(path.map(String)))) continue;
    const edit = normaliseLayoutEdit(text, node, style);
    if (edit) edits.push(edit);
  }
  return edits.length ? applyEdits(text, edits) : text;
}

/** Whether two JSON values are equal (RFC 6902 `test`: objects regardless of key order). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => sameJson(v, other[i]));
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length &&
    ka.every((k) =>
      Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    );
}
