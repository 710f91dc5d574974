/**
 * Makes V8 compile the functions a start needs when it compiles the bundle,
 * so that Deno's V8 code cache holds them.
 *
 * V8 compiles a function only when it is first called, unless the function
 * looks called at once: a function expression in parentheses. Deno writes a
 * module's code cache from what V8 compiled before the module ran, so every
 * function a `flow run` calls was compiled anew at every start. The functions
 * a profiled run compiled (`compile_profile.ts`) are rewritten, without
 * changing what the code does: a function or arrow expression goes in
 * parentheses (esbuild's module initialisers, `__esm(() => {...})`, among
 * them); a function declaration at the top level of the bundle becomes
 * `var name = (function (...) {...});` at the very top of the bundle, so that
 * it still exists before any other code runs, as a hoisted declaration does.
 * Methods, getters and nested declarations stay as they are.
 *
 * Compiling every function up front instead (V8's `--no-lazy`, or all of
 * them rewritten) made the cache 3.8 MB and every command slower to start.
 *
 * @module
 */
import { parse } from "acorn";

/** An acorn node: what this module reads of it. */
interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

/** Every node below `node`, depth first, with its parent. */
function* nodesOf(node: Node, parent?: Node): Generator<[Node, Node | undefined]> {
  yield [node, parent];
  for (const key in node) {
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) yield* nodesOf(item, node);
    } else if (isNode(value)) yield* nodesOf(value, node);
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as Node).type === "string";
}

function parseBundle(code: string): Node {
  return parse(code, { ecmaVersion: "latest", sourceType: "module" }) as unknown as Node;
}

/** `code` with `(` `)` around each range (ranges do not overlap partially). */
function parenthesize(code: string, ranges: [number, number][]): string {
  const marks: [number, string][] = [];
  for (const [start, end] of ranges) marks.push([start, "("], [end, ")"]);
  // At one position, closing parentheses come before opening ones.
  marks.sort((a, b) => a[0] - b[0] || (a[1] === ")" ? -1 : 1) - (b[1] === ")" ? -1 : 1));
  const parts: string[] = [];
  let at = 0;
  for (const [position, mark] of marks) {
    parts.push(code.slice(at, position), mark);
    at = position;
  }
  parts.push(code.slice(at));
  return parts.join("");
}

/**
 * A function V8 compiled, as its compile events name it: from the start of
 * its parameters (or of its name, for some) to the end of its body.
 */
export interface CompiledRange {
  /** Offset of the start of the function's parameters in the script. */
  start: number;
  /** Offset just past the function's body. */
  end: number;
}

/** Whether `range` names `fn`: the same end, and a start between the function's and its body's. */
function names(range: CompiledRange, fn: Node): boolean {
  return range.end === fn.end && range.start >= fn.start && range.start <= (fn.body as Node).start;
}

/** Whether a function expression under `parent` can stand in parentheses (a method's, getter's or setter's cannot). */
function parenthesizable(parent: Node | undefined): boolean {
  if (!parent) return false;
  if (parent.type === "MethodDefinition") return false;
  if (parent.type === "Property" && (parent.method || parent.kind !== "init")) return false;
  return true;
}

/**
 * `function name(...) {...}` as `var name = (function (...) {...});`: the same
 * function, without its name binding; `inner` are the ranges to parenthesise
 * within it.
 */
function asExpression(code: string, fn: Node, inner: [number, number][]): string {
  const id = fn.id as Node & { name: string };
  const head = `${fn.async ? "async " : ""}function${fn.generator ? "*" : ""}`;
  const rest = parenthesize(code.slice(id.end, fn.end), inner.map(([s, e]) => [s - id.end, e - id.end]));
  return `var ${id.name}=(${head}${rest});`;
}

/** The functions `compiled` names in `program`: expressions to parenthesise, top-level declarations to move. */
function eagerParts(program: Node, compiled: CompiledRange[]): { wrap: [number, number][]; hoisted: Node[] } {
  const byEnd = new Map<number, CompiledRange[]>();
  for (const range of compiled) byEnd.set(range.end, [...(byEnd.get(range.end) ?? []), range]);
  const wrap: [number, number][] = [];
  const hoisted: Node[] = [];
  for (const [node, parent] of nodesOf(program)) {
    const kind = node.type;
    if (kind !== "FunctionDeclaration" && kind !== "FunctionExpression" && kind !== "ArrowFunctionExpression") continue;
    if (!byEnd.get(node.end)?.some((range) => names(range, node))) continue;
    if (kind === "FunctionDeclaration") {
      if (parent === program && node.id) hoisted.push(node);
    } else if (parenthesizable(parent)) wrap.push([node.start, node.end]);
  }
  return { wrap, hoisted };
}

/**
 * `code` (the bundle, its `#!` line first, if any) rewritten so that V8
 * compiles the functions in `compiled` with it (see the module doc); the
 * number rewritten.
 */
export function eagerFunctions(code: string, compiled: CompiledRange[]): { code: string; rewritten: number } {
  const { wrap, hoisted } = eagerParts(parseBundle(code), compiled);
  const within = (fn: Node) => wrap.filter(([s, e]) => s >= fn.start && e <= fn.end);
  const moved = hoisted.map((fn) => asExpression(code, fn, within(fn)));
  // What stays in place: the text around the moved declarations, with its own ranges parenthesised.
  const kept: string[] = [];
  let at = 0;
  for (const fn of [...hoisted].sort((a, b) => a.start - b.start)) {
    kept.push(segment(code, at, fn.start, wrap));
    at = fn.end;
  }
  kept.push(segment(code, at, code.length, wrap));
  const out = kept.join("");
  const shebang = out.startsWith("#!") ? out.indexOf("\n") + 1 : 0;
  return {
    code: moved.length ? `${out.slice(0, shebang)}${moved.join("\n")}\n${out.slice(shebang)}` : out,
    rewritten: wrap.length + hoisted.length,
  };
}

/** `code` from `from` to `to`, with the ranges of `wrap` that lie in it parenthesised. */
function segment(code: string, from: number, to: number, wrap: [number, number][]): string {
  const inside = wrap.filter(([s, e]) => s >= from && e <= to).map(([s, e]): [number, number] => [s - from, e - from]);
  return parenthesize(code.slice(from, to), inside);
}
