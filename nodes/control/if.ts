/**
 * `control.if`: sends its value out on `true` or `false`.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { expression } from "../../src/expressions/expressions.ts";
import { defineNode } from "../../src/node/node.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({ condition: described(expression(), "JSONata expression; $value is the input") })
);

/** The `control.if` node type. */
export default defineNode({
  type: "control.if",
  description: "Evaluates config.condition ($value is the input); the value goes out on true or false",
  inputs: { value: { type: "any", description: "The value to test and pass on" } },
  outputs: {
    true: { type: "any", description: "The value, when the condition is truthy" },
    false: { type: "any", description: "The value, when the condition is falsy" },
  },
  get config() {
    return configSchema();
  },
  run({ inputs, config, evaluateNow }) {
    const route = (result: unknown) => truthy(result) ? { true: inputs.value } : { false: inputs.value };
    const result = evaluateNow(config.condition, { value: inputs.value });
    return result instanceof Promise ? result.then(route) : route(result);
  },
});

/** JSONata-style truthiness: false, 0, "", null, undefined, [] and {} are false. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === "object") return Object.keys(v).length > 0;
  return Boolean(v);
}
