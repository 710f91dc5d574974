/**
 * What the expression fields of the selected node need from the editor: the
 * served workflow id (for previews), the node, its type, and its expression
 * context (for completion). A React context, so the generated form passes
 * nothing down; without it (a loop body, no served workflow) expression
 * fields are plain text fields. No CodeMirror here: the field itself is
 * loaded lazily.
 *
 * @module
 */
import { createContext, useContext } from "react";
import type { ExpressionContextT } from "../../api_editor.ts";

/** The selected node's expression environment. */
export interface ExprEnv {
  /** The served workflow's id. */
  workflowId: string;
  /** The node. */
  nodeId: string;
  /** Its type (which variables it binds: `$value`, `$item`). */
  nodeType: string;
  /** Its expression context, once loaded. */
  context?: ExpressionContextT;
  /** Whether previews can be asked for (the workflow and this node are served). */
  preview: boolean;
}

/** The React context of {@linkcode ExprEnv}. */
export const ExprEnvContext = createContext<ExprEnv | undefined>(undefined);

/** The selected node's expression environment, or undefined. */
export function useExprEnv(): ExprEnv | undefined {
  return useContext(ExprEnvContext);
}
