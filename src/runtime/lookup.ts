/**
 * Finding an execution by id or by a unique prefix of its id, as every
 * command and endpoint that takes an id accepts.
 *
 * @module
 */
import { ExitCode, FlowError } from "../errors.ts";
import type { ExecutionRecord, ExecutionStore } from "../store/types.ts";

/**
 * An id that matches no execution (`NOT_FOUND`, HTTP 404), or more than one
 * (`AMBIGUOUS_ID`, HTTP 409, with the `candidates`); exit 2.
 */
export class ExecutionLookupError extends FlowError {
  /** The ids an ambiguous prefix matches (empty when none matched). */
  readonly candidates: string[];
  /** Creates the error with its one-line message. */
  constructor(message: string, candidates: string[] = []) {
    super(
      message,
      candidates.length
        ? { code: "AMBIGUOUS_ID", status: 409, exitCode: ExitCode.Usage, details: { candidates } }
        : { code: "NOT_FOUND", status: 404, exitCode: ExitCode.Usage },
    );
    this.name = "ExecutionLookupError";
    this.candidates = candidates;
  }
}

/** How many candidates an ambiguous prefix lists. */
const MAX_CANDIDATES = 10;

/**
 * The execution whose id is `idOrPrefix` or starts with it. Throws an
 * {@linkcode ExecutionLookupError} naming the candidates when the prefix is
 * ambiguous, or saying that nothing matched.
 *
 * @example
 * ```ts
 * import { findExecution } from "./lookup.ts";
 * import { openSqliteStore } from "../store/sqlite.ts";
 * await findExecution(await openSqliteStore(":memory:"), "3f2a").catch((e) => e.message); // no execution matches "3f2a"
 * ```
 */
export async function findExecution(store: ExecutionStore, idOrPrefix: string): Promise<ExecutionRecord> {
  const wanted = idOrPrefix.trim().toLowerCase();
  if (wanted === "") throw new ExecutionLookupError("an execution id (or a unique prefix of one) is required");
  const exact = await store.getExecution(wanted);
  if (exact) return exact;
  const ids = await store.findExecutionIds(wanted, MAX_CANDIDATES + 1);
  if (ids.length === 0) throw new ExecutionLookupError(`no execution matches "${idOrPrefix}"`);
  if (ids.length > 1) {
    const shown = ids.slice(0, MAX_CANDIDATES).join(", ");
    throw new ExecutionLookupError(
      `ambiguous id prefix "${idOrPrefix}": it matches ${
        ids.length > MAX_CANDIDATES ? "more than 10" : ids.length
      } executions: ${shown}`,
      ids.slice(0, MAX_CANDIDATES),
    );
  }
  const record = await store.getExecution(ids[0]);
  if (!record) throw new ExecutionLookupError(`no execution matches "${idOrPrefix}"`);
  return record;
}
