/**
 * Checks the inputs a node hands to a sub-workflow against the inputs the
 * sub-workflow declares, at validation time.
 *
 * @module
 */
import type { WorkflowRef } from "../node/node.ts";
import type { CompiledWorkflow } from "./types.ts";

/**
 * Problems with giving `ports` as the inputs of the sub-workflow `ref`:
 * names it does not declare, and required inputs (no default) left out.
 * `implicit` are inputs the caller always passes (a loop's `item` and `index`).
 *
 * @example
 * ```ts
 * import { checkSubworkflowInputs } from "./subworkflow_inputs.ts";
 * // In a node type: checkInputs: (ports, prepared) => checkSubworkflowInputs(ports, prepared as WorkflowRef)
 * ```
 */
export function checkSubworkflowInputs(ports: string[], ref: WorkflowRef, implicit: string[] = []): string[] {
  const child = ref.compiled as CompiledWorkflow | undefined;
  if (!child) return []; // still being compiled (recursion): checked when it runs
  const decls = child.workflow.inputs ?? {};
  const declared = Object.keys(decls).filter((name) => !implicit.includes(name));
  const problems: string[] = [];
  for (const port of ports) {
    if (!Object.hasOwn(decls, port)) {
      problems.push(
        `input "${port}" is not an input of sub-workflow ${ref.label}` +
          (declared.length ? ` (its inputs: ${declared.join(", ")})` : " (it declares none)"),
      );
    }
  }
  for (const [name, decl] of Object.entries(decls)) {
    if (implicit.includes(name) || ports.includes(name)) continue;
    if (decl.default === undefined && decl.required !== false) {
      problems.push(
        implicit.length
          ? `sub-workflow ${ref.label} requires input "${name}", but a loop passes only ${implicit.join(" and ")}`
          : `sub-workflow ${ref.label} requires input "${name}": connect it or set config.${name}`,
      );
    }
  }
  return problems;
}
