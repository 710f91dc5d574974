/**
 * `debug.log`: logs a message as a `node.log` event.
 *
 * @module
 */
import * as z from "zod/mini";
import { once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() => z.object({ level: z._default(z.enum(["debug", "info", "warn", "error"]), "info") }));

/** The `debug.log` node type. */
export default defineNode({
  type: "debug.log",
  description: "Logs message as a node.log event and passes it on",
  inputs: { message: { type: "any", description: "Text, or any value (logged as JSON)" } },
  outputs: { message: { type: "any", description: "The input, unchanged" } },
  get config() {
    return configSchema();
  },
  run({ inputs, config, log }) {
    const m = inputs.message;
    log[config.level](typeof m === "string" ? m : JSON.stringify(m));
    return { message: m };
  },
});
