/**
 * `state.get`: reads a value that a workflow stored in an earlier run.
 *
 * @module
 */
import { defineNode } from "../../src/node/node.ts";

/** The `state.get` node type. */
export default defineNode({
  type: "state.get",
  description: "Reads key from the workflow's persistent state (shared by all its nodes, kept across runs)",
  inputs: {
    key: { type: "string", description: "The key (usually set in config)" },
    default: { type: "any", description: "Output when the key has no value (default null)", required: false },
  },
  outputs: { value: { type: "any", description: "The stored value, or default" } },
  async run({ inputs, store }) {
    const value = await store.workflow.get(inputs.key);
    return { value: value === undefined ? inputs.default ?? null : value };
  },
});
