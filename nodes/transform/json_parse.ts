/**
 * `transform.json_parse`: JSON text to a value.
 *
 * @module
 */
import { defineNode } from "../../src/node/node.ts";
import { NodeError } from "../../src/errors.ts";
import { jsonTooDeepAt, tooDeepMessage, workflowLimits } from "../../src/workflow/limits.ts";

/** The `transform.json_parse` node type. */
export default defineNode({
  type: "transform.json_parse",
  description: "Parses JSON text into a value",
  inputs: { json: { type: "string", description: "JSON text" } },
  outputs: { parsed: { type: "any", description: "The parsed value" } },
  run({ inputs }) {
    // Held to the depth limit of every JSON value flow takes in: a deeper value could overflow the stack later.
    const { maxDepth } = workflowLimits();
    const at = jsonTooDeepAt(inputs.json, maxDepth);
    if (at >= 0) {
      throw new NodeError(tooDeepMessage("the JSON text", inputs.json, at, maxDepth), {
        code: "JSON_PARSE",
        retryable: false,
      });
    }
    try {
      return { parsed: JSON.parse(inputs.json) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new NodeError(`invalid JSON: ${message}`, { code: "JSON_PARSE", retryable: false });
    }
  },
});
