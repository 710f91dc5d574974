/**
 * The tools a node type's `prepare` hook gets at validation time: reporting
 * a config problem, and compiling a sub-workflow given inline or as a file
 * (each file once per validation, so recursive workflows terminate).
 *
 * @module
 */
import { formatIssue, WorkflowValidationError } from "../errors.ts";
import { parseWorkflowText, readWorkflowText } from "../workflow/load.ts";
import type { PrepareTools } from "../node/node.ts";
import { dirname, resolve } from "../path.ts";
import type { CompiledRef, CompiledWorkflow, ValidateOptions } from "./types.ts";
import { isObject, type Validation } from "./context.ts";

/** How the tools compile a sub-workflow (`validateWorkflow`, passed in to keep the modules acyclic). */
export type Compile = (raw: unknown, options: ValidateOptions) => CompiledWorkflow;

/** The `prepare` tools of node `i` (id `nodeId`) of the workflow being validated. */
export function prepareTools(v: Validation, compile: Compile, i: number, nodeId: string): PrepareTools {
  const base = `nodes[${i}].config`;
  return {
    issue: (path, message) => v.issues.push({ path: path ? `${base}.${path}` : base, message }),
    workflow(spec, opts = {}) {
      const inline = spec.workflow !== undefined, file = spec.workflowFile !== undefined;
      if (inline === file) {
        v.issues.push({ path: base, message: 'give exactly one of "workflow" (inline) or "workflowFile"' });
        return undefined;
      }
      const implicit = opts.implicitInputs ?? {};
      const withInputs = (raw: unknown) =>
        isObject(raw) && Object.keys(implicit).length
          ? { ...raw, inputs: { ...implicit, ...(isObject(raw.inputs) ? raw.inputs : {}) } }
          : raw;
      if (inline) return inlineWorkflow(v, compile, base, nodeId, withInputs(spec.workflow));
      return workflowFile(v, compile, base, spec.workflowFile!, Object.keys(implicit), withInputs);
    },
  };
}

/** Compiles an inline sub-workflow; its problems are reported under `BASE.workflow`. */
function inlineWorkflow(v: Validation, compile: Compile, base: string, nodeId: string, raw: unknown) {
  try {
    const compiled = compile(raw, {
      file: v.options.file,
      defaultId: `${v.id}.${nodeId}`,
      context: v.context,
      permissions: v.permissions,
    });
    const ref: CompiledRef = { label: `inline workflow of "${nodeId}"`, compiled };
    v.subworkflows.push(ref);
    checkWithin(v, compiled, `${base}.workflow.settings.permissions`);
    return ref;
  } catch (err) {
    if (!(err instanceof WorkflowValidationError)) throw err;
    for (const iss of err.issues) {
      v.issues.push({ ...iss, path: iss.path ? `${base}.workflow.${iss.path}` : `${base}.workflow` });
    }
    return undefined;
  }
}

/** Reads and compiles a sub-workflow file (once per file and set of implicit inputs); problems go under `BASE.workflowFile`. */
function workflowFile(
  v: Validation,
  compile: Compile,
  base: string,
  rel: string,
  implicit: string[],
  withInputs: (raw: unknown) => unknown,
) {
  if (v.context.unread) {
    // No file access: the reference is listed, and the sub-workflow is unchecked (any inputs and outputs).
    v.context.unread.push({ path: `${base}.workflowFile`, file: rel });
    const ref: CompiledRef = { label: rel };
    v.subworkflows.push(ref);
    return ref;
  }
  const from = v.options.file;
  const abs = resolve(from && !from.startsWith("<") ? dirname(from) : ".", rel);
  const key = `${abs}#${implicit.sort().join(",")}`;
  const cached = v.context.files.get(key);
  if (cached) {
    v.subworkflows.push(cached);
    if (cached.compiled) checkWithin(v, cached.compiled, `${base}.workflowFile`);
    return cached;
  }
  const ref: CompiledRef = { label: rel };
  v.context.files.set(key, ref);
  v.subworkflows.push(ref);
  const fail = (message: string) => {
    v.issues.push({ path: `${base}.workflowFile`, message });
    return undefined;
  };
  let text = v.context.sources?.get(abs);
  try {
    if (text === undefined) {
      text = readWorkflowText(abs, rel);
      v.context.sources?.set(abs, text);
    }
    ref.compiled = compile(withInputs(parseWorkflowText(text, rel)), { file: abs, context: v.context });
  } catch (err) {
    if (!(err instanceof WorkflowValidationError)) throw err;
    for (const iss of err.issues) fail(formatIssue(iss, rel));
    return undefined;
  }
  checkWithin(v, ref.compiled, `${base}.workflowFile`);
  return ref;
}

/**
 * A sub-workflow may be granted no more than the workflow that runs it: what
 * the top-level file grants bounds everything its sub-workflows can do.
 */
function checkWithin(v: Validation, child: CompiledWorkflow, path: string): void {
  if (child.permissions === v.permissions) return;
  for (const denial of child.permissions.outside(v.permissions)) {
    v.issues.push({ path, message: `the sub-workflow is granted more than this workflow, which ${denial}` });
  }
}
