/**
 * `flow.merge`: waits for every connected input and outputs them as one object.
 *
 * @module
 */
import { defineNode } from "../../src/node.ts";

/** The `flow.merge` node type. */
export default defineNode({
  type: "flow.merge",
  description: "Waits for all its inputs (any names) and outputs { name: value, ... }",
  inputs: {},
  dynamicInputs: { type: "any", description: "Any input port name" },
  outputs: { merged: { type: "object", description: "Inputs keyed by port name" } },
  run({ inputs }) {
    return { merged: { ...inputs } };
  },
});
