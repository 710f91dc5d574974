/**
 * How the API shows workflows: a workflow's nodes with their resolved ports,
 * secrets redacted. (Executions are shown by `src/runtime/run_view.ts`.)
 *
 * @module
 */
import type { CompiledRef, CompiledWorkflow } from "../src/validate/mod.ts";
import type { PortSpec } from "../src/node/mod.ts";
import { secretRedactor } from "../src/engine/mod.ts";
import type { WorkflowVersion } from "../src/runtime/mod.ts";
import type { WorkflowInfo } from "../src/runtime/service.ts";
import type { ChildGraphT, ConnectionInfoT, NodeInfoT, WorkflowDetailT, WorkflowSummaryT } from "./schemas.ts";

/**
 * A workflow as listed, with webhook URLs under `baseUrl`; its `file` is its
 * name, the path relative to its served directory (what the file routes take).
 */
export function workflowSummary(info: WorkflowInfo, baseUrl: string): WorkflowSummaryT {
  const { path, ...rest } = info;
  return {
    ...rest,
    file: path,
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
  if (!version) return { ...summary, nodes: [], connections: [], inputs: {}, outputs: {}, children: {} };
  const compiled = version.compiled;
  const redact = secretRedactor(compiled, (name) => Deno.env.get(name));
  const definition = JSON.parse(version.text) as Record<string, unknown>;
  return {
    ...summary,
    permissions: compiled.permissions.toJSON(),
    definition: redact ? redact(definition) : definition,
    nodes: describeNodes(compiled, redact),
    connections: connections(compiled),
    inputs: (compiled.workflow.inputs ?? {}) as Record<string, Record<string, unknown>>,
    outputs: (compiled.workflow.outputs ?? {}) as Record<string, string>,
    children: describeChildren(compiled, redact),
  };
}

/** How deep {@linkcode describeChildren} goes: the executor's own limit of nested sub-workflows. */
const MAX_CHILD_DEPTH = 16;

/**
 * The graphs of every sub-workflow under `compiled`, by node path
 * (`each`, `each/detail`). A workflow that calls itself is described once
 * on each path, not again below itself.
 */
export function describeChildren(
  compiled: CompiledWorkflow,
  redact?: <T>(v: T) => T,
): Record<string, ChildGraphT> {
  const children: Record<string, ChildGraphT> = {};
  const walk = (parent: CompiledWorkflow, prefix: string, ancestors: Set<CompiledWorkflow>) => {
    if (ancestors.size > MAX_CHILD_DEPTH) return;
    for (const node of parent.nodes) {
      const child = subworkflowOf(node.prepared)?.compiled;
      if (!child || ancestors.has(child)) continue;
      const path = prefix ? `${prefix}/${node.id}` : node.id;
      const ref = subworkflowOf(node.prepared)!;
      children[path] = {
        label: ref.label,
        ...(child.id ? { workflowId: child.id } : {}),
        ...(child.file ? { file: child.file } : {}),
        nodes: describeNodes(child, redact),
        connections: connections(child),
        inputs: (child.workflow.inputs ?? {}) as Record<string, Record<string, unknown>>,
        outputs: (child.workflow.outputs ?? {}) as Record<string, string>,
      };
      walk(child, path, new Set([...ancestors, child]));
    }
  };
  walk(compiled, "", new Set([compiled]));
  return children;
}

function connections(compiled: CompiledWorkflow): ConnectionInfoT[] {
  return compiled.workflow.connections.map((c) => ({ from: c.from, to: c.to }));
}

function subworkflowOf(prepared: unknown): CompiledRef | undefined {
  return prepared && typeof prepared === "object" && "label" in prepared ? prepared as CompiledRef : undefined;
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
    const sub = subworkflowOf(node.prepared);
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

/** Ports as the API shows them: type, description, and whether each is required. */
export function ports(specs: Record<string, PortSpec>): NodeInfoT["inputs"] {
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
