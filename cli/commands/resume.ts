/**
 * `flow resume ID`: a new execution of the same workflow file with the same
 * inputs, reusing every node the earlier execution completed.
 *
 * @module
 */
import { fileErrorReason, WorkflowValidationError } from "../../src/errors.ts";
import { decodeWorkflowText, parseWorkflowText, readWorkflowBytes, versionHash } from "../../src/workflow/mod.ts";
import { compileWithModules } from "../../src/sandbox/mod.ts";
import { assertResumable, planResume } from "../../src/runtime/mod.ts";
import { findExecution } from "../../src/runtime/history.ts";
import { resolveInputs } from "../../src/validate/mod.ts";
import { builtinRegistry } from "../../nodes/mod.ts";
import type { Invocation } from "../commands.ts";
import { CliError } from "../exit_codes.ts";
import { executeFromCli, type OutputFlags } from "../execute.ts";
import { requireStore } from "../history.ts";

/** Runs `flow resume`; resolves to the exit code. */
export default async function resume({ args, options }: Invocation): Promise<number> {
  const store = await requireStore(options.db);
  try {
    const from = await findExecution(store, args.id as string);
    assertResumable(from);
    let text: string | undefined;
    if (from.file !== undefined) {
      try {
        // At most the size limit, strict UTF-8 (as every workflow file is read).
        text = decodeWorkflowText(readWorkflowBytes(from.file), from.file);
      } catch (err) {
        if (err instanceof WorkflowValidationError) throw err;
        throw new CliError(`cannot resume ${from.executionId}: ${from.file}: ${fileErrorReason(err)}`);
      }
    }
    if (from.file === undefined || text === undefined) {
      throw new CliError(
        `execution ${from.executionId} ran a workflow that was not read from a file; it cannot be resumed`,
      );
    }
    const file = from.file;
    const sources = new Map<string, string>();
    const { compiled, close } = await compileWithModules(parseWorkflowText(text, file), builtinRegistry(), {
      file,
      dirs: options.nodes as string[],
      sources,
    });
    const hash = await versionHash(text, sources);
    let plan;
    try {
      plan = await planResume(store, from, hash, { force: options.force === true });
    } catch (err) {
      close();
      throw err;
    }
    try {
      if (compiled.id !== from.workflowId) {
        throw new WorkflowValidationError(
          [{ path: "id", message: `expected workflow "${from.workflowId}" (the one resumed); got "${compiled.id}"` }],
          file,
        );
      }
      return await executeFromCli({
        compiled,
        inputs: resolveInputs(compiled, from.inputs),
        output: options as OutputFlags,
        concurrency: options.concurrency as number | undefined,
        history: true,
        store,
        file,
        hash,
        fired: from.triggerNode ? { nodeId: from.triggerNode, payload: {} } : undefined,
        resumedFrom: from.executionId,
        reuse: plan.reuse,
      });
    } finally {
      close();
    }
  } finally {
    await store.close();
  }
}
