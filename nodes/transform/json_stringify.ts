/**
 * `transform.json_stringify`: a value to JSON text.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    indent: described(z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(10))), "Spaces per level"),
  })
);

/** The `transform.json_stringify` node type. */
export default defineNode({
  type: "transform.json_stringify",
  description: "Serialises a value as JSON text",
  inputs: { value: { type: "any", description: "Any JSON value" } },
  outputs: { json: { type: "string", description: "JSON text" } },
  get config() {
    return configSchema();
  },
  run({ inputs, config }) {
    return { json: JSON.stringify(inputs.value, null, config.indent) };
  },
});
