/**
 * How the API shows workflows: a workflow's nodes with their resolved ports,
 * secrets redacted. (Executions are shown by `src/runtime/run_view.ts`.)
 *
 * @module
 */
import type { CompiledRef, CompiledWorkflow } from "../src/validate.ts";
import type { PortSpec } from "../src/node.ts";
import { secretRedactor } from "../src/redact.ts";
import type { WorkflowInfo } from "../src/runtime/runtime.ts";
import type { WorkflowVersion } from "../src/runtime/version.ts";
import type { NodeInfoT, WorkflowDetailT, WorkflowSummaryT } from "./schemas.ts";

/** A workflow as listed, with webhook URLs under `baseUrl`. */
export function workflowSummary(info: WorkflowInfo, baseUrl: string): WorkflowSummaryT {
  return {
    ...info,
    triggers: info.triggers.map((t) => ({
      ...t,
      kind: t.kind as "webhook" | "cron" | "interval",
      ...(t.path ? { url: `${baseUrl}${t.path}` } : {}),
    })),
  };
}

/** A workflow with its definition and its nodes' resolved ports. */
export function workflowDetail(
  info: WorkflowInfo,
  version: WorkflowVersion | undefined,
  baseUrl: string,
): WorkflowDetailT {
  const summary = workflowSummary(info, baseUrl);
  if (!version) return { ...summary, nodes: [], inputs: {}, outputs: {} };
  const compiled = version.compiled;
  const redact = secretRedactor(compiled, (name) => Deno.env.get(name));
  const definition = JSON.parse(version.text) as Record<string, unknown>;
  return {
    ...summary,
    definition: redact ? redact(definition) : definition,
    nodes: describeNodes(compiled, redact),
    inputs: (compiled.workflow.inputs ?? {}) as Record<string, Record<string, unknown>>,
    outputs: (compiled.workflow.outputs ?? {}) as Record<string, string>,
  };
}

/** Each node with its type's description and ports (dynamic ones included as used). */
export function describeNodes(compiled: CompiledWorkflow, redact?: <T>(v: T) => T): NodeInfoT[] {
  return compiled.nodes.map((node) => {
    const def = node.def;
    const raw = compiled.workflow.nodes[node.index];
    const inputs: Record<string, PortSpec> = { ...def.inputs };
    for (const slot of node.slots) inputs[slot.port] ??= slot.spec;
    const outputs: Record<string, PortSpec> = { ...def.outputs };
    if (def.dynamicOutputs) Object.assign(outputs, def.dynamicOutputs(node.config as never, node.prepared) ?? {});
    for (const n of compiled.nodes) {
      for (const slot of n.slots) {
        if (slot.source.kind === "node" && slot.source.node === node.index) {
          outputs[slot.source.port] ??= { type: "any" };
        }
      }
    }
    const ref = node.prepared as CompiledRef | undefined;
    const sub = ref && typeof ref === "object" && "label" in ref ? ref : undefined;
    const config = raw.config ?? {};
    return {
      id: node.id,
      type: node.type,
      family: node.type.split(".")[0],
      description: def.description,
      ...(raw.name ? { name: raw.name } : {}),
      inputs: ports(inputs),
      outputs: ports(outputs),
      config: redact ? redact(config) : config,
      ...(node.retry ? { retry: node.retry as unknown as Record<string, unknown> } : {}),
      ...(node.timeoutMs !== undefined ? { timeoutMs: node.timeoutMs } : {}),
      onError: node.onError,
      ...(def.trigger ? { trigger: def.trigger } : {}),
      ...(sub ? { subworkflow: { label: sub.label, workflowId: sub.compiled?.id, file: sub.compiled?.file } } : {}),
    };
  });
}

function ports(specs: Record<string, PortSpec>): NodeInfoT["inputs"] {
  const out: NodeInfoT["inputs"] = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = {
      type: spec.type,
      ...(spec.description ? { description: spec.description } : {}),
      ...(spec.required === false ? { required: false } : { required: true }),
    };
  }
  return out;
}
