/**
 * `time.delay`: waits, then passes its input on.
 *
 * @module
 */
import { z } from "zod";
import { defineNode } from "../../src/node.ts";

/** The `time.delay` node type. */
export default defineNode({
  type: "time.delay",
  description: "Waits config.ms milliseconds, then passes value on",
  inputs: { value: { type: "any", description: "Passed through unchanged", required: false } },
  outputs: { value: { type: "any", description: "The input value (null when none)" } },
  config: z.object({ ms: z.number().int().min(0).max(2_147_483_647).describe("Milliseconds to wait") }),
  run({ inputs, config, signal }) {
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
