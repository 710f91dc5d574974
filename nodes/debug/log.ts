/**
 * `debug.log`: logs a message as a `node.log` event.
 *
 * @module
 */
import * as z from "zod/mini";
import { defineNode } from "../../src/node.ts";

/** The `debug.log` node type. */
export default defineNode({
  type: "debug.log",
  description: "Logs message as a node.log event and passes it on",
  inputs: { message: { type: "any", description: "Text, or any value (logged as JSON)" } },
  outputs: { message: { type: "any", description: "The input, unchanged" } },
  config: z.object({ level: z._default(z.enum(["debug", "info", "warn", "error"]), "info") }),
  run({ inputs, config, log }) {
    const m = inputs.message;
    log[config.level](typeof m === "string" ? m : JSON.stringify(m));
    return { message: m };
  },
});
