/**
 * The source of a `code.function` node, made runnable: the body of
 * `async function (inputs, ctx, console)`, its TypeScript types stripped
 * (not checked) by amaro, Node.js's type stripper (swc), which puts blanks
 * where the types were, so lines and columns stay those of the source.
 * A syntax error is reported with its line and column inside the source.
 *
 * amaro is loaded only for workflows that have a `code.function` node
 * ({@linkcode loadTypeStripper}); validation asks for it by throwing
 * `LoadBeforeValidation`.
 *
 * @module
 */
import { LoadBeforeValidation } from "../../src/node/node.ts";

type Amaro = typeof import("amaro");
let amaro: Amaro | undefined;

/** Loads the type stripper (once). */
export async function loadTypeStripper(): Promise<void> {
  amaro ??= await import("amaro");
}

/** The first line of the wrapper: the source starts on the line after it. */
const HEAD = "(async function (inputs, ctx, console) {\n";
const TAIL = "\n})";

/** A syntax error, positioned inside the source (1-based). */
export interface SourceError {
  /** Line inside the source. */
  line: number;
  /** Column inside the source. */
  column: number;
  /** What is wrong. */
  message: string;
}

/**
 * The source with its types stripped (the body of the function), or the
 * syntax error. Throws `LoadBeforeValidation` until
 * {@linkcode loadTypeStripper} has run.
 *
 * @example
 * ```ts
 * import { compileSource, loadTypeStripper } from "./source.ts";
 * await loadTypeStripper();
 * compileSource("const n: number = inputs.a; return { n };"); // { body: "const n         = inputs.a; return { n };" }
 * compileSource("return {"); // { error: { line: 1, column: 9, message: "..." } }
 * ```
 */
export function compileSource(source: string): { body: string } | { error: SourceError } {
  if (!amaro) throw new LoadBeforeValidation("the TypeScript stripper of code.function", loadTypeStripper);
  let code: string;
  try {
    code = amaro.transformSync(HEAD + source + TAIL, { mode: "strip-only" }).code;
  } catch (err) {
    return { error: positioned(err, source) };
  }
  // Blanks keep every position, so the wrapper is still there around the body.
  const body = code.startsWith(HEAD) && code.endsWith(TAIL) ? code.slice(HEAD.length, -TAIL.length) : undefined;
  if (body === undefined) return { error: { line: 1, column: 1, message: "the source is not a function body" } };
  // The body alone must make a function: V8's own early errors (a `let` declared twice), and a source that
  // closes the wrapper's brace to add code after it. Compiled only, never called.
  try {
    new AsyncFunction("inputs", "ctx", "console", body);
  } catch (err) {
    return { error: { line: 1, column: 1, message: (err as Error).message } };
  }
  return { body };
}

/** The constructor of async functions (compiles a body without running it). */
export const AsyncFunction = (async () => {}).constructor as FunctionConstructor;

/** An amaro error as a position inside the source (its lines are shifted by the wrapper's first line). */
function positioned(err: unknown, source: string): SourceError {
  const e = err as { message?: string; startLine?: number; startColumn?: number };
  const message = String(e?.message ?? err).split("\n")[0];
  if (typeof e?.startLine !== "number") return { line: 1, column: 1, message };
  const lines = source.split("\n");
  // An error at the closing brace of the wrapper (an unclosed block) is at the end of the source.
  if (e.startLine - 1 > lines.length) {
    return { line: lines.length, column: lines[lines.length - 1].length + 1, message };
  }
  return { line: Math.max(1, e.startLine - 1), column: (e.startColumn ?? 0) + 1, message };
}
