/**
 * `transform.pick`: keeps some keys of an object.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    keys: described(z.array(z.string()).check(z.minLength(1)), "Keys to keep (missing keys are left out)"),
  })
);

/** The `transform.pick` node type. */
export default defineNode({
  type: "transform.pick",
  description: "Outputs an object with only config.keys of the input object",
  inputs: { object: { type: "object", description: "Source object" } },
  outputs: { object: { type: "object", description: "The picked keys" } },
  get config() {
    return configSchema();
  },
  run({ inputs, config }) {
    const out: Record<string, unknown> = {};
    for (const k of config.keys) if (Object.hasOwn(inputs.object, k)) out[k] = inputs.object[k];
    return { object: out };
  },
});
