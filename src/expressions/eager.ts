/**
 * Loads the JSONata expression engine at once (imported by `mod.ts`), so the
 * library's synchronous API (`validateWorkflow`, `compileExpression`) always
 * has it. The CLI does not import this: it loads JSONata only for workflows
 * that hold an expression.
 *
 * @module
 */
import jsonata from "jsonata";
import { useExpressionEngine } from "./expressions.ts";

useExpressionEngine(jsonata);
