/**
 * Completion of expressions as a CodeMirror completion source: the offers of
 * `complete.ts` at the cursor, for a field (the node's context known) or
 * for the code view (the node found from the cursor, its context fetched).
 * In JSON text, only inside an open `{{` of a string.
 *
 * @module
 */
import type { CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import type { ExpressionContextT } from "../../../../server/editor_schemas.ts";
import { completeAt } from "./complete.ts";
import { inTemplate } from "./json_templates.ts";

/** What completion at a position needs: the node's expression context (when known) and type. */
export interface CompletionEnv {
  /** The node's expression context. */
  context?: ExpressionContextT;
  /** The node's type (which variables it binds). */
  nodeType?: string;
}

/**
 * A completion source from `env` (undefined: nothing to complete there;
 * a promise: fetched first); `json`: the text is JSON whose strings hold
 * templates.
 */
export function expressionCompletion(
  env: (c: CompletionContext) => CompletionEnv | undefined | Promise<CompletionEnv | undefined>,
  json: boolean,
) {
  return async (c: CompletionContext): Promise<CompletionResult | null> => {
    if (json && !inTemplate(c.state, c.pos)) return null;
    const line = c.state.doc.lineAt(c.pos);
    const before = line.text.slice(0, c.pos - line.from);
    // Not after a `$` name or path: nothing to offer, nothing fetched.
    if (!/\$[\w.]*$/.test(before)) return null;
    const e = await env(c);
    if (!e || c.aborted) return null;
    const found = completeAt(before, e.context, e.nodeType);
    if (!found) return null;
    return {
      from: line.from + found.from,
      options: found.offers.map((o) => ({
        label: o.label,
        type: o.type,
        ...(o.detail ? { detail: o.detail } : {}),
        ...(o.info ? { info: o.info } : {}),
        ...(o.apply ? { apply: o.apply } : {}),
      })),
      validFor: /^\w*$/,
    };
  };
}
