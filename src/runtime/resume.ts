/**
 * Resume: a new execution of the same workflow file with the same inputs, in
 * which every node the earlier execution recorded as completed is reused
 * instead of run again, inside loops and sub-workflows too.
 *
 * @module
 */
import { ExitCode, FlowError } from "../errors.ts";
import { shortHash } from "../workflow/hash.ts";
import { foldJournal, parseJournal, reusableResults } from "../store/fold.ts";
import type { ExecutionRecord, ExecutionStore } from "../store/types.ts";
import type { ReusableResults } from "../engine/run_context.ts";

/** Why an execution cannot be resumed. */
export type ResumeRefusal = "NOTHING_TO_RESUME" | "STILL_RUNNING" | "NO_FILE" | "CHANGED" | "EDITOR_RUN";

/** Why an execution cannot be resumed: its {@linkcode ResumeRefusal} as the code, HTTP 409, exit 2. */
export class ResumeError extends FlowError {
  /** A machine-readable reason. */
  declare readonly code: ResumeRefusal;
  /** Creates the error with its one-line message. */
  constructor(message: string, code: ResumeRefusal) {
    super(message, { code, status: 409, exitCode: ExitCode.Usage });
    this.name = "ResumeError";
  }
}

/** What a resumed run needs. */
export interface ResumePlan {
  /** The execution being resumed. */
  from: ExecutionRecord;
  /** Outputs of the nodes it completed, by run path and node id. */
  reuse: ReusableResults;
  /** How many node results are reused. */
  reused: number;
}

/**
 * Throws a {@linkcode ResumeError} when `from` cannot be resumed whatever its
 * file holds: it succeeded (nothing to resume), it is still running or
 * queued, it ran a workflow that was not read from a file, or it is an
 * editor run (a test of part of a workflow, maybe on pinned data: resuming
 * it would run the nodes it left out, with real data).
 */
export function assertResumable(from: ExecutionRecord): void {
  const id = from.executionId;
  if (from.trigger === "editor") {
    throw new ResumeError(
      `execution ${id} is an editor run (a test); it cannot be resumed: run it again from the editor`,
      "EDITOR_RUN",
    );
  }
  if (from.status === "success") {
    throw new ResumeError(`nothing to resume: execution ${id} succeeded`, "NOTHING_TO_RESUME");
  }
  if (from.status === "running" || from.status === "queued") {
    const where = from.owner ? ` (pid ${from.owner.pid} on ${from.owner.hostname})` : "";
    throw new ResumeError(`execution ${id} is still ${from.status}${where}; cancel it first`, "STILL_RUNNING");
  }
  if (from.file === undefined) {
    throw new ResumeError(
      `execution ${id} ran a workflow that was not read from a file; it cannot be resumed`,
      "NO_FILE",
    );
  }
}

/**
 * Checks that `from` can be resumed with the workflow whose content hash is
 * `currentHash`, and reads what it completed. Throws a {@linkcode ResumeError}:
 * for a successful execution (nothing to resume), one still running or
 * queued, one without a workflow file, or a file whose content changed
 * (unless `force`).
 *
 * @example
 * ```ts
 * import { planResume } from "./resume.ts";
 * // const plan = await planResume(store, record, await contentHash(text), { force: false });
 * ```
 */
export async function planResume(
  store: ExecutionStore,
  from: ExecutionRecord,
  currentHash: string | undefined,
  options: { force?: boolean } = {},
): Promise<ResumePlan> {
  assertResumable(from);
  const id = from.executionId;
  if (!options.force && from.hash !== undefined && currentHash !== undefined && from.hash !== currentHash) {
    throw new ResumeError(
      `${from.file} changed since execution ${id} (${shortHash(from.hash)} then, ${shortHash(currentHash)} now); ` +
        "pass --force to resume with the current file",
      "CHANGED",
    );
  }
  const { nodes } = foldJournal(parseJournal(await store.readJournal(id)));
  const reuse = reusableResults(nodes);
  let reused = 0;
  for (const byNode of reuse.values()) reused += byNode.size;
  return { from, reuse, reused };
}
