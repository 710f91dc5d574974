/**
 * `flow.subworkflow`: runs another workflow as one node.
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
  })
);

/** The `flow.subworkflow` node type. */
export default defineNode({
  type: "flow.subworkflow",
  description: "Runs a sub-workflow; its inputs are this node's input ports, its outputs this node's outputs",
  inputs: {},
  dynamicInputs: { type: "any", description: "Passed to the sub-workflow input of the same name" },
  outputs: { outputs: { type: "object", description: "All the sub-workflow's outputs" } },
  get config() {
    return configSchema();
  },
  dynamicOutputs(_config, prepared) {
    // The sub-workflow's declared outputs; any name while it is still being compiled (recursion).
    const compiled = (prepared as WorkflowRef | undefined)?.compiled as { outputs: { name: string }[] } | undefined;
    if (!compiled) return undefined;
    return Object.fromEntries(compiled.outputs.map((o) => [o.name, { type: "any" as const }]));
  },
  prepare(config, tools) {
    return tools.workflow(config);
  },
  checkInputs: (ports, prepared) => checkSubworkflowInputs(ports, prepared as WorkflowRef),
  async run({ inputs, prepared, runWorkflow }) {
    const r = await runWorkflow(prepared as WorkflowRef, inputs);
    if (r.status !== "success") {
      // A nesting limit hit deep down is reported as is, not wrapped once per level.
      if (r.error?.code === "RECURSION_LIMIT") {
        throw new NodeError(r.error.message, { code: r.error.code, retryable: false });
      }
      throw new NodeError(`sub-workflow ${r.status}: ${r.error?.message ?? ""}`.trim(), {
        code: r.error?.code ?? "SUBWORKFLOW_FAILED",
      });
    }
    return { ...r.outputs, outputs: r.outputs };
  },
});
