/**
 * `transform.set`: builds a value from templates over its inputs.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    value: described(z.optional(z.unknown()), "Any JSON; strings may hold {{ }} templates; no value gives null"),
  })
);

/** The `transform.set` node type. */
export default defineNode({
  type: "transform.set",
  description: "Outputs config.value with its {{ }} templates evaluated ($node.NAME is input NAME)",
  inputs: {},
  dynamicInputs: { type: "any", description: "Visible to templates as $node.NAME" },
  outputs: { value: { type: "any", description: "config.value, templates evaluated" } },
  get config() {
    return configSchema();
  },
  run({ config }) {
    return { value: config.value ?? null };
  },
});
