/**
 * Loads the JSONata expression engine and the fast path at once (imported by
 * `mod.ts`), so the library's synchronous API (`validateWorkflow`,
 * `compileExpression`) always has them. The CLI does not import this: it
 * loads them only for workflows that hold an expression.
 *
 * @module
 */
import jsonata from "jsonata";
import createFastCompiler from "./fast.ts";
import { useExpressionEngine } from "./expressions.ts";

useExpressionEngine(jsonata, createFastCompiler);
