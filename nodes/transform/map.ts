/**
 * `transform.map`: applies an expression to every item of an array.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { expression } from "../../src/expressions/expressions.ts";
import { defineNode } from "../../src/node/node.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    expression: described(expression(), "JSONata; $item (the item) and $index are in scope; $ is $node"),
  })
);

/** The `transform.map` node type. */
export default defineNode({
  type: "transform.map",
  description: "Evaluates config.expression for each item ($item, $index); outputs the results",
  inputs: { items: { type: "array", description: "Items to map" } },
  outputs: { items: { type: "array", description: "Mapped items" } },
  get config() {
    return configSchema();
  },
  run({ inputs, config, evaluateNow }) {
    const out: unknown[] = [];
    // From item `from` on: synchronously while the expression answers without waiting.
    const rest = (from: number): { items: unknown[] } | Promise<{ items: unknown[] }> => {
      for (let i = from; i < inputs.items.length; i++) {
        const value = evaluateNow(config.expression, { item: inputs.items[i], index: i });
        if (value instanceof Promise) {
          return value.then((v) => {
            out.push(v ?? null);
            return rest(i + 1);
          });
        }
        out.push(value ?? null);
      }
      return { items: out };
    };
    return rest(0);
  },
});
