/**
 * How the API shows workflows and executions: a workflow's nodes with their
 * resolved ports, and an execution with its node states folded from its
 * journal. Secrets are redacted in everything shown.
 *
 * @module
 */
import type { CompiledRef, CompiledWorkflow } from "../src/validate.ts";
import type { PortSpec } from "../src/node.ts";
import { secretRedactor } from "../src/redact.ts";
import type { WorkflowInfo } from "../src/runtime/runtime.ts";
import type { WorkflowVersion } from "../src/runtime/version.ts";
import { foldJournal, type NodeRecord, parseJournal } from "../src/store/fold.ts";
import type { ExecutionRecord, ExecutionStore } from "../src/store/types.ts";
import type { NodeInfoT, NodeStateT, RunDetailT, RunSummaryT, WorkflowDetailT, WorkflowSummaryT } from "./schemas.ts";

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

/** An execution as listed. */
export function runSummary(r: ExecutionRecord): RunSummaryT {
  return {
    executionId: r.executionId,
    workflowId: r.workflowId,
    ...(r.workflowName ? { workflowName: r.workflowName } : {}),
    status: r.status,
    trigger: r.trigger,
    ...(r.triggerNode ? { triggerNode: r.triggerNode } : {}),
    createdAt: r.createdAt,
    ...(r.startedAt ? { startedAt: r.startedAt } : {}),
    ...(r.endedAt ? { endedAt: r.endedAt } : {}),
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.resumedFrom ? { resumedFrom: r.resumedFrom } : {}),
    ...(r.file ? { file: r.file } : {}),
    ...(r.hash ? { hash: r.hash } : {}),
  };
}

/**
 * An execution with its outputs and node states. Top-level nodes come in file
 * order when the serving version is the one that ran (never-started ones as
 * `pending`); nodes of sub-runs follow, each with its `runPath`.
 */
export async function runDetail(
  store: ExecutionStore,
  record: ExecutionRecord,
  version: WorkflowVersion | undefined,
): Promise<RunDetailT> {
  const { nodes } = foldJournal(parseJournal(await store.readJournal(record.executionId)));
  const top = new Map(nodes.filter((n) => n.runPath === undefined).map((n) => [n.nodeId, n]));
  const states: NodeStateT[] = [];
  if (version && version.hash === record.hash) {
    for (const node of version.compiled.nodes) {
      const n = top.get(node.id);
      states.push(n ? nodeState(n) : { id: node.id, type: node.type, status: "pending", attempts: 0 });
    }
  } else for (const n of top.values()) states.push(nodeState(n));
  for (const n of nodes) if (n.runPath !== undefined) states.push(nodeState(n));
  return {
    ...runSummary(record),
    inputs: record.inputs,
    outputs: record.outputs ?? {},
    nodes: states,
    lastSeq: record.lastSeq,
  };
}

function nodeState(n: NodeRecord): NodeStateT {
  return {
    id: n.nodeId,
    ...(n.nodeType ? { type: n.nodeType } : {}),
    status: n.status,
    attempts: n.attempts,
    ...(n.durationMs !== undefined ? { durationMs: n.durationMs } : {}),
    ...(n.error ? { error: n.error } : {}),
    ...(n.reason ? { reason: n.reason } : {}),
    ...(n.reused ? { reused: true } : {}),
    ...(n.outputs ? { outputs: n.outputs } : {}),
    ...(n.startedAt ? { startedAt: n.startedAt } : {}),
    ...(n.endedAt ? { endedAt: n.endedAt } : {}),
    ...(n.runPath !== undefined ? { runPath: n.runPath } : {}),
  };
}
