/**
 * `flow.merge`: joins branches. Mode `all` waits for every input that will
 * arrive (skipped branches are left out); mode `first` passes on whichever
 * arrives first.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    mode: described(
      z._default(z.enum(["all", "first"]), "all"),
      "all: wait for every input that will arrive; first: pass on the first",
    ),
  })
);

/** The `flow.merge` node type. */
export default defineNode({
  type: "flow.merge",
  description: "Joins branches: waits for its inputs (any names) and outputs { name: value, ... }",
  inputs: {},
  dynamicInputs: { type: "any", description: "Any input port name", required: false },
  outputs: {
    merged: { type: "object", description: "Inputs that arrived, keyed by port name" },
    value: { type: "any", description: "mode first: the value that arrived first" },
  },
  get config() {
    return configSchema();
  },
  inputMode: (config) => config.mode === "first" ? "first" : "available",
  run({ inputs, config }) {
    if (config.mode === "first") {
      const [first] = Object.values(inputs);
      return { merged: { ...inputs }, value: first };
    }
    return { merged: { ...inputs } };
  },
});
