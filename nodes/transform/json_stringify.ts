/**
 * `transform.json_stringify`: a value to JSON text.
 *
 * @module
 */
import { z } from "zod";
import { defineNode } from "../../src/node.ts";

/** The `transform.json_stringify` node type. */
export default defineNode({
  type: "transform.json_stringify",
  description: "Serialises a value as JSON text",
  inputs: { value: { type: "any", description: "Any JSON value" } },
  outputs: { json: { type: "string", description: "JSON text" } },
  config: z.object({ indent: z.number().int().min(0).max(10).optional().describe("Spaces per level") }),
  run({ inputs, config }) {
    return { json: JSON.stringify(inputs.value, null, config.indent) };
  },
});
