/**
 * `time.delay`: waits, then passes its input on.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    ms: described(z.number().check(z.int(), z.minimum(0), z.maximum(2_147_483_647)), "Milliseconds to wait"),
  })
);

/** The `time.delay` node type. */
export default defineNode({
  type: "time.delay",
  description: "Waits config.ms milliseconds, then passes value on",
  inputs: { value: { type: "any", description: "Passed through unchanged", required: false } },
  outputs: { value: { type: "any", description: "The input value (null when none)" } },
  get config() {
    return configSchema();
  },
  run({ inputs, config, signal }) {
    // No timer for no delay: nested zero timers are clamped (a few ms each), which a chain of them would add up.
    if (config.ms === 0) return { value: inputs.value ?? null };
    return new Promise((resolve, reject) => {
      const done = () => resolve({ value: inputs.value ?? null });
      if (signal.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        done();
      }, config.ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  },
});
