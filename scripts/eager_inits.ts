/**
 * Makes V8 compile the bundle's module initialisers when it compiles the
 * bundle, so that Deno's V8 code cache holds them.
 *
 * `deno bundle` (esbuild) wraps a module that is imported lazily somewhere
 * (every command of `flow` is) in an initialiser: `var init_x = __esm(() => {
 * ...the module's top-level code... })`, run on first import. V8 compiles a
 * function only when it is first called, unless it looks called at once (a
 * function expression in parentheses). Deno writes a module's code cache
 * from what V8 compiled before the module ran, so these initialisers were
 * compiled anew at every start: about 7 ms of a `flow run` (the run
 * command's modules). In parentheses, `__esm((() => {...}))`, they are
 * compiled with the bundle, cached with it, and run as before: parentheses
 * around an expression change nothing else.
 *
 * Function declarations stay as they are: rewriting one as an expression in
 * parentheses would stop it being hoisted.
 *
 * @module
 */
import { parse } from "acorn";

/** The shape of esbuild's `__esm` helper, minified: `(fn, res) => () => (fn && (res = fn(fn = 0)), res)`. */
const ESM_HELPER = /^\(([\w$]+),([\w$]+)\)=>\(\)=>\(\1&&\(\2=\1\(\1=0\)\),\2\)$/;

/** An acorn node: what this module reads of it. */
interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

/** Every node below `node`, depth first. */
function* nodesOf(node: Node): Generator<Node> {
  yield node;
  for (const key in node) {
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) yield* nodesOf(item);
    } else if (isNode(value)) yield* nodesOf(value);
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as Node).type === "string";
}

/** The name esbuild gave its `__esm` helper in `code` (a top-level `var`), or undefined. */
function esmHelper(program: Node, code: string): string | undefined {
  for (const statement of program.body as Node[]) {
    if (statement.type !== "VariableDeclaration") continue;
    for (const declarator of statement.declarations as Node[]) {
      const init = declarator.init as Node | null;
      const id = declarator.id as Node & { name?: string };
      if (init?.type === "ArrowFunctionExpression" && ESM_HELPER.test(code.slice(init.start, init.end))) return id.name;
    }
  }
  return undefined;
}

/**
 * `code` (the bundle, without its `#!` line) with each module initialiser
 * passed to esbuild's `__esm` helper wrapped in parentheses; the number
 * wrapped. Throws when the bundle has no such helper or no initialiser: the
 * bundler's output changed, and this step must follow it.
 */
export function eagerModuleInits(code: string): { code: string; wrapped: number } {
  const program = parse(code, { ecmaVersion: "latest", sourceType: "module" }) as unknown as Node;
  const helper = esmHelper(program, code);
  if (!helper) {
    throw new Error("the bundle has no module initialiser helper (esbuild's __esm): update scripts/eager_inits.ts");
  }
  const ranges: [number, number][] = [];
  for (const node of nodesOf(program)) {
    if (node.type !== "CallExpression") continue;
    const callee = node.callee as Node & { name?: string };
    const [fn] = node.arguments as Node[];
    if (callee.type === "Identifier" && callee.name === helper && fn?.type === "ArrowFunctionExpression") {
      ranges.push([fn.start, fn.end]);
    }
  }
  if (ranges.length === 0) {
    throw new Error("the bundle passes no initialiser to esbuild's __esm: update scripts/eager_inits.ts");
  }
  const parts: string[] = [];
  let at = 0;
  for (const [start, end] of ranges.sort((a, b) => a[0] - b[0])) {
    parts.push(code.slice(at, start), "(", code.slice(start, end), ")");
    at = end;
  }
  parts.push(code.slice(at));
  return { code: parts.join(""), wrapped: ranges.length };
}
