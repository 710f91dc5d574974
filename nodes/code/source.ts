/**
 * The source of a `code.function` node, made runnable: the body of
 * `async function (inputs, ctx, console)`, its TypeScript types stripped
 * (not checked) by sucrase, which keeps every line where it was. A syntax
 * error is reported with its line and column inside the source.
 *
 * sucrase is loaded only for workflows that have a `code.function` node
 * ({@linkcode loadTypeStripper}); validation asks for it by throwing
 * `LoadBeforeValidation`.
 *
 * @module
 */
import { LoadBeforeValidation } from "../../src/node/node.ts";

type Sucrase = typeof import("sucrase");
let sucrase: Sucrase | undefined;

/** Loads the type stripper (once). */
export async function loadTypeStripper(): Promise<void> {
  sucrase ??= (await import("sucrase")).default as Sucrase;
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
 * The source with its types stripped (the body of the function, each line
 * where it was), or the syntax error. Throws `LoadBeforeValidation` until
 * {@linkcode loadTypeStripper} has run.
 *
 * @example
 * ```ts
 * import { compileSource, loadTypeStripper } from "./source.ts";
 * await loadTypeStripper();
 * compileSource("const n: number = inputs.a; return { n };"); // { body: "const n = inputs.a; return { n };" }
 * compileSource("const a = ;"); // { error: { line: 1, column: 11, message: "Unexpected token" } }
 * ```
 */
export function compileSource(source: string): { body: string } | { error: SourceError } {
  if (!sucrase) throw new LoadBeforeValidation("the TypeScript stripper of code.function", loadTypeStripper);
  let code: string;
  try {
    code = sucrase.transform(HEAD + source + TAIL, { transforms: ["typescript"], disableESTransforms: true }).code;
  } catch (err) {
    return { error: positioned(err, source) };
  }
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
const AsyncFunction = (async () => {}).constructor as FunctionConstructor;

/** A parse error as a position inside the source (its lines are shifted by the wrapper's first line). */
function positioned(err: unknown, source: string): SourceError {
  const e = err as { message?: string; loc?: { line?: number; column?: number } };
  const message = String(e?.message ?? err).split("\n")[0].replace(/\s*\(\d+:\d+\)$/, "");
  const line = e?.loc?.line, column = e?.loc?.column;
  if (typeof line !== "number" || typeof column !== "number") return { line: 1, column: 1, message };
  const lines = source.split("\n");
  // An error on the wrapper's last line (an unclosed block) is at the end of the source.
  if (line - 1 > lines.length) return { line: lines.length, column: lines[lines.length - 1].length + 1, message };
  if (line < 2) return { line: 1, column: 1, message };
  return { line: line - 1, column, message }; // sucrase counts columns from 1
}
