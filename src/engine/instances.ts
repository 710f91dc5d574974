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
 * Calls `setup` for every node that has one, all at once (a setup waits on
 * its own resources, such as a sandbox's Worker or a database's first
 * connection, not on another node's). When one fails, the others are
 * disposed once they are set up, and a {@linkcode WorkflowValidationError}
 * names the first failed node in file order and its error: a workflow whose
 * setup fails is invalid.
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
  const setups = workflowTree(root).flatMap(({ workflow, label }) =>
    workflow.nodes.filter((node) => node.def.setup).map(async (node) => {
      try {
        const info = { workflowId: workflow.id, nodeId: node.id, permissions: workflow.permissions };
        made.set(node, await node.def.setup!(node.config, info));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const path = `${label ? `${label}: ` : ""}nodes[${node.index}]`;
        return { path, message: `setup of "${node.id}" (${node.type}) failed: ${message.split("\n")[0]}` };
      }
    })
  );
  const failed = (await Promise.all(setups)).find((problem) => problem !== undefined);
  if (failed) {
    await instances.dispose();
    throw new WorkflowValidationError([failed], root.file);
  }
  return instances;
}
