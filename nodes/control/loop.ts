/**
 * `control.loop`: runs a sub-workflow once per item, with a concurrency cap,
 * and collects the results in item order.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { NodeError } from "../../src/errors.ts";
import { untemplated } from "../../src/expressions/expressions.ts";
import { defineNode, type WorkflowRef } from "../../src/node/node.ts";
import { checkSubworkflowInputs } from "../../src/validate/subworkflow_inputs.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    workflow: described(z.optional(untemplated(z.record(z.string(), z.unknown()))), "Inline sub-workflow"),
    workflowFile: described(z.optional(z.string()), "Sub-workflow file, relative to this workflow's file"),
    concurrency: described(
      z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1000)), 1),
      "Iterations running at once",
    ),
    onItemError: described(
      z._default(z.enum(["fail", "continue"]), "fail"),
      "continue: a failed item's slot holds { error }",
    ),
  })
);

/** The `control.loop` node type. */
export default defineNode({
  type: "control.loop",
  description: "Runs a sub-workflow for each item (inputs item, index); outputs the results in item order",
  inputs: { items: { type: "array", description: "The items to loop over" } },
  outputs: { results: { type: "array", description: "Each iteration's outputs, in item order" } },
  get config() {
    return configSchema();
  },
  prepare(config, tools) {
    return tools.workflow(config, {
      implicitInputs: { item: { type: "any", required: false }, index: { type: "number", required: false } },
    });
  },
  // A loop passes each iteration only item and index; the sub-workflow may need nothing else.
  checkInputs: (_ports, prepared) => checkSubworkflowInputs([], prepared as WorkflowRef, ["item", "index"]),
  async run({ inputs, config, prepared, runWorkflow, signal }) {
    const ref = prepared as WorkflowRef;
    const items = inputs.items;
    const results: unknown[] = new Array(items.length);
    let next = 0;
    let failure: NodeError | undefined;
    const worker = async () => {
      while (failure === undefined && !signal.aborted && next < items.length) {
        const index = next++;
        const r = await runWorkflow(ref, { item: items[index], index }, { iteration: index });
        if (r.status === "success") results[index] = r.outputs;
        else if (config.onItemError === "continue" && r.status === "failed") {
          results[index] = { error: { message: r.error?.message ?? "failed", code: r.error?.code ?? "NODE_ERROR" } };
        } else if (r.error?.code === "RECURSION_LIMIT") {
          // A nesting limit hit deep down is reported as is, not wrapped once per level.
          failure ??= new NodeError(r.error.message, { code: r.error.code, retryable: false });
        } else {
          failure ??= new NodeError(`item ${index} ${r.status}: ${r.error?.message ?? ""}`.trim(), {
            code: r.error?.code ?? "ITEM_FAILED",
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.concurrency, items.length) }, worker));
    if (failure) throw failure;
    if (signal.aborted) throw signal.reason;
    return { results };
  },
});
