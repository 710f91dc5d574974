/**
 * `debug.inspect`: logs a value's type, size and a pretty preview.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    maxChars: described(z._default(z.number().check(z.int(), z.minimum(10)), 500), "Preview length"),
  })
);

/** The `debug.inspect` node type. */
export default defineNode({
  type: "debug.inspect",
  description: "Logs the type, size and a pretty preview of value; passes it on",
  inputs: { value: { type: "any", description: "Any value" } },
  outputs: { value: { type: "any", description: "The input, unchanged" } },
  get config() {
    return configSchema();
  },
  run({ inputs, config, log }) {
    const v = inputs.value;
    const type = v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
    const size = Array.isArray(v)
      ? `${v.length} items`
      : typeof v === "string"
      ? `${v.length} chars`
      : v !== null && typeof v === "object"
      ? `${Object.keys(v).length} keys`
      : `${JSON.stringify(v)?.length ?? 0} chars`;
    let text = JSON.stringify(v, null, 2) ?? String(v);
    if (text.length > config.maxChars) text = text.slice(0, config.maxChars) + `… (${text.length} chars)`;
    log.info(`${type}, ${size}: ${text}`);
    return { value: v };
  },
});
