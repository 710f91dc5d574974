/**
 * The fast path of expressions: JSONata expressions compiled into
 * synchronous JavaScript closures (`compiler.ts`), with JSONata's
 * own built-in functions (`functions.ts`). Loaded with JSONata
 * and only when a workflow has expressions (its only export is the default
 * one, so the bundle can embed it as a lazy chunk, see `scripts/bundle.ts`).
 *
 * @module
 */
import type jsonataModule from "jsonata";
import { type AstNode, compileAst, type FastExpression } from "./compiler.ts";
import { builtinLookup, fastFunctions } from "./functions.ts";
import type { Limits } from "./runtime.ts";

/** Compiles expressions for the fast path. */
export interface FastCompiler {
  /**
   * The fast form of an expression (from `jsonata(source).ast()`), or
   * undefined when it is outside the fast path's subset. It returns
   * {@linkcode FastCompiler.unanswered} when JSONata must evaluate it after
   * all, and throws only JSONata's time-limit error (code D1012).
   */
  compile(ast: unknown): FastExpression | undefined;
  /** What a compiled expression returns when JSONata must answer. */
  readonly unanswered: symbol;
}

/**
 * The fast path's compiler for this JSONata, under `limits`; undefined when
 * JSONata's built-in functions cannot be reached (then JSONata evaluates
 * everything).
 */
export default function createFastCompiler(jsonata: typeof jsonataModule, limits: Limits): FastCompiler | undefined {
  const lookup = builtinLookup(jsonata);
  if (!lookup) return undefined;
  const unanswered = Symbol("unanswered");
  const tools = {
    functions: fastFunctions(lookup, limits),
    isBuiltin: (name: string) => name !== "$" && lookup(name) !== undefined,
    limits,
    unanswered,
  };
  return { unanswered, compile: (ast) => compileAst(ast as AstNode, tools) };
}
