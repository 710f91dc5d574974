/**
 * Workflow input values: the values given (from the command line, a file or
 * a caller) checked against the declarations, converted, defaults applied.
 *
 * @module
 */
import { type ValidationIssue, WorkflowValidationError } from "../errors.ts";
import { limitIssues } from "../workflow/limits.ts";
import type { CompiledWorkflow } from "./types.ts";
import { fitsPortType, preview } from "../workflow/values.ts";

/**
 * Checks and converts the values given for a workflow's inputs; applies
 * defaults. `hint` ends the message of a missing input (default: how to pass it
 * on the command line). Throws a {@linkcode WorkflowValidationError}.
 *
 * This is the one rule for input values, wherever they come from (`flow
 * run`'s `--input`, `--input-json` and `--input-file`, the API's
 * `inputs`, a schedule): every own key of `given` is a name, and a name the
 * workflow does not declare is refused, `__proto__` and `constructor` as
 * any other; nothing is read from `given`'s prototype.
 *
 * @example
 * ```ts
 * import { resolveInputs } from "./inputs.ts";
 * import { validateWorkflow } from "./types.ts";
 * import { Registry } from "../node/registry.ts";
 * const wf = validateWorkflow({ inputs: { n: { type: "number" } }, nodes: [], connections: [] }, new Registry());
 * resolveInputs(wf, { n: "3" }); // { n: 3 }: strings from the command line are converted
 * ```
 */
export function resolveInputs(
  compiled: CompiledWorkflow,
  given: Record<string, unknown>,
  hint: (name: string) => string = (name) => `; pass --input ${name}=...`,
): Record<string, unknown> {
  const decls = compiled.workflow.inputs ?? {};
  const issues: ValidationIssue[] = [];
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(decls, name)) {
      const declared = Object.keys(decls);
      issues.push({
        path: `inputs.${name}`,
        message: "unknown input; " +
          (declared.length ? `declared: ${declared.join(", ")}` : "the workflow declares no inputs"),
      });
    }
  }
  for (const [name, decl] of Object.entries(decls)) {
    const givenValue = Object.hasOwn(given, name) ? given[name] : undefined;
    let value = givenValue;
    if (value === undefined) value = decl.default;
    if (value === undefined) {
      if (decl.required !== false) {
        issues.push({
          path: `inputs.${name}`,
          message: `required input has no value and no default${hint(name)}`,
        });
      }
      continue;
    }
    const type = decl.type ?? "any";
    if (typeof value === "string" && type !== "string" && type !== "any" && givenValue === value) {
      const coerced = coerce(value, type);
      if (coerced !== undefined) value = coerced;
    }
    // Held to the limits of the workflow file (depth, finite numbers): the run may then recurse.
    const beyond = given[name] === undefined ? [] : limitIssues(value, ["inputs", name]);
    if (beyond.length) {
      issues.push(...beyond);
      continue;
    }
    if (!fitsPortType(type, value)) {
      issues.push({ path: `inputs.${name}`, message: `expected ${type}; got ${preview(value)}` });
      continue;
    }
    values[name] = value;
  }
  if (issues.length) throw new WorkflowValidationError(issues, compiled.file);
  return values;
}

function coerce(text: string, type: string): unknown {
  if (type === "number") return text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : undefined;
  if (type === "boolean") return text === "true" ? true : text === "false" ? false : undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
