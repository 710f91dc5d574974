/**
 * Secret redaction: the values of the variables a workflow lists in
 * `settings.secrets` (and their URL- and JSON-encoded forms) become `***` in
 * every event, result and record, before anything is written anywhere.
 *
 * @module
 */
import { type CompiledWorkflow, workflowTree } from "../validate/validate.ts";

/** Replaces secret values in any JSON-like value, deeply; returns a copy. */
export type Redactor = <T>(value: T) => T;

/**
 * The redactor of a workflow (and its sub-workflows), or undefined when it
 * declares no secret that is set: the fast path costs nothing.
 *
 * @example
 * ```ts
 * import { secretRedactor } from "./redact.ts";
 * import { validateWorkflow } from "../validate/validate.ts";
 * import { Registry } from "../node/registry.ts";
 * const wf = validateWorkflow({ settings: { secrets: ["TOKEN"] }, nodes: [], connections: [] }, new Registry());
 * const redact = secretRedactor(wf, () => "s3cret-value");
 * redact?.({ header: "Bearer s3cret-value" }); // { header: "Bearer ***" }
 * ```
 */
export function secretRedactor(
  root: CompiledWorkflow,
  getEnv: (name: string) => string | undefined,
): Redactor | undefined {
  return makeRedactor(secretValues(root, getEnv));
}

/** The values of every secret declared by the workflow and its sub-workflows, longest first. */
function secretValues(root: CompiledWorkflow, getEnv: (name: string) => string | undefined): string[] {
  const values = new Set<string>();
  for (const { workflow } of workflowTree(root)) {
    for (const name of workflow.settings.secrets) {
      const v = getEnv(name);
      if (!v || v.length < 3) continue;
      // The value as written, and as it appears inside URLs and JSON text.
      values.add(v);
      values.add(encodeURIComponent(v));
      values.add(new URLSearchParams({ v }).toString().slice(2));
      values.add(JSON.stringify(v).slice(1, -1));
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** Replaces every secret value in strings (deeply) with `***`. */
function makeRedactor(secrets: string[]): Redactor | undefined {
  if (secrets.length === 0) return undefined;
  const scrub = (s: string) => {
    for (const secret of secrets) if (s.includes(secret)) s = s.replaceAll(secret, "***");
    return s;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[scrub(k)] = walk(x);
      return out;
    }
    return v;
  };
  return <T>(value: T) => walk(value) as T;
}
