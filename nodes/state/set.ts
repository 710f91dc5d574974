/**
 * `state.set`: stores a value for later runs of the workflow.
 *
 * @module
 */
import { defineNode } from "../../src/node/node.ts";

/** The `state.set` node type. */
export default defineNode({
  type: "state.set",
  description: "Stores value under key in the workflow's persistent state (read by state.get, in this run or later)",
  inputs: {
    key: { type: "string", description: "The key (usually set in config)" },
    value: { type: "any", description: "Any JSON value, at most 1 MiB" },
  },
  outputs: { value: { type: "any", description: "The value stored" } },
  async run({ inputs, store }) {
    await store.workflow.set(inputs.key, inputs.value);
    return { value: inputs.value };
  },
});
