/**
 * How a node type is described to its users: the JSON Schema of its config,
 * derived from its zod schema (`flow nodes --json` and the editor's
 * `GET /api/v1/nodes` show the same).
 *
 * @module
 */
import { toJSONSchema } from "zod/mini";
import { isExpressionSchema } from "../expressions/expressions.ts";
import type { AnyNodeDefinition } from "./node.ts";

/**
 * The JSON Schema (draft 2020-12) of a node type's config, as its input is
 * written (defaults optional); null when the type takes no config.
 *
 * @example
 * ```ts
 * import * as z from "zod/mini";
 * import { configJsonSchema } from "./describe.ts";
 * import { defineNode } from "./node.ts";
 * const wait = defineNode({
 *   type: "my.wait", description: "waits", inputs: {}, outputs: {}, config: z.object({ ms: z.number() }), run: () => ({}),
 * });
 * configJsonSchema(wait)?.type; // "object"
 * ```
 */
export function configJsonSchema(def: AnyNodeDefinition): Record<string, unknown> | null {
  if (!def.config) return null;
  return toJSONSchema(def.config, {
    io: "input",
    unrepresentable: "any",
    // A whole-expression field (`control.if`'s condition) says so, for editors: `"format": "jsonata"`.
    override: (ctx) => {
      if (isExpressionSchema(ctx.zodSchema)) ctx.jsonSchema.format = "jsonata";
    },
  });
}
