/**
 * Node instances: what a node type's `setup` creates for one node of a
 * loaded workflow version (a connection pool, a cache), kept across runs as
 * `ctx.instance` and released by `dispose` when that version is unloaded.
 *
 * @module
 */
import { WorkflowValidationError } from "../errors.ts";
import { type CompiledNode, type CompiledWorkflow, workflowTree } from "../validate/validate.ts";

/** The instances of one workflow version (and its sub-workflows). */
export interface NodeInstances {
  /** The instance of a node, or undefined when its type has no `setup`. */
  get(node: CompiledNode): unknown;
  /** Disposes every instance (once); errors are reported to `onError`, never thrown. */
  dispose(onError?: (err: unknown, node: CompiledNode) => void): Promise<void>;
}

const NONE: NodeInstances = { get: () => undefined, dispose: () => Promise.resolve() };
const needsSetup = new WeakMap<CompiledWorkflow, boolean>();

/** Whether any node of the workflow or its sub-workflows has a `setup` hook. */
export function hasSetup(root: CompiledWorkflow): boolean {
  let known = needsSetup.get(root);
  if (known === undefined) {
    known = workflowTree(root).some(({ workflow }) => workflow.nodes.some((n) => n.def.setup !== undefined));
    needsSetup.set(root, known);
  }
  return known;
}

/**
 * Calls `setup` for every node that has one. When one fails, those already
 * set up are disposed and a {@linkcode WorkflowValidationError} names the node
 * and the error: a workflow whose setup fails is invalid.
 *
 * @example
 * ```ts
 * import { setupInstances } from "./instances.ts";
 * import { validateWorkflow } from "../validate/validate.ts";
 * import { Registry } from "../node/registry.ts";
 * const wf = validateWorkflow({ nodes: [], connections: [] }, new Registry());
 * const instances = await setupInstances(wf);
 * await instances.dispose();
 * ```
 */
export async function setupInstances(root: CompiledWorkflow): Promise<NodeInstances> {
  if (!hasSetup(root)) return NONE;
  const made = new Map<CompiledNode, unknown>();
  let disposed = false;
  const instances: NodeInstances = {
    get: (node) => made.get(node),
    async dispose(onError) {
      if (disposed) return;
      disposed = true;
      for (const [node, instance] of made) {
        try {
          await node.def.dispose?.(instance);
        } catch (err) {
          onError?.(err, node);
        }
      }
    },
  };
  for (const { workflow, label } of workflowTree(root)) {
    for (const node of workflow.nodes) {
      if (!node.def.setup) continue;
      try {
        const info = { workflowId: workflow.id, nodeId: node.id, permissions: workflow.permissions };
        made.set(node, await node.def.setup(node.config, info));
      } catch (err) {
        await instances.dispose();
        const message = err instanceof Error ? err.message : String(err);
        const path = `${label ? `${label}: ` : ""}nodes[${node.index}]`;
        throw new WorkflowValidationError(
          [{ path, message: `setup of "${node.id}" (${node.type}) failed: ${message.split("\n")[0]}` }],
          root.file,
        );
      }
    }
  }
  return instances;
}
