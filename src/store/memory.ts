/**
 * Persistent state kept in memory, for programs that use flow as a library
 * without a database: values last as long as the process.
 *
 * @module
 */
import type { StateEntry, StateRef, StateRow, StateStore } from "./types.ts";

/**
 * A {@linkcode StateStore} in memory.
 *
 * @example
 * ```ts
 * import { MemoryStateStore } from "./memory.ts";
 * const store = new MemoryStateStore();
 * await store.putState({ workflowId: "wf", scope: "", key: "k" }, "1"); // 1 (the version)
 * ```
 */
export class MemoryStateStore implements StateStore {
  #rows = new Map<string, StateRow & { json: string }>();

  #id(ref: StateRef): string {
    return JSON.stringify([ref.workflowId, ref.scope, ref.key]);
  }

  getState(ref: StateRef): Promise<StateEntry | undefined> {
    const row = this.#rows.get(this.#id(ref));
    return Promise.resolve(row ? { value: JSON.parse(row.json), version: row.version } : undefined);
  }

  putState(ref: StateRef, json: string, expectedVersion?: number): Promise<number | false> {
    const id = this.#id(ref);
    const current = this.#rows.get(id);
    if (expectedVersion !== undefined && (current?.version ?? 0) !== expectedVersion) return Promise.resolve(false);
    const version = (current?.version ?? 0) + 1;
    this.#rows.set(id, { ...ref, json, value: undefined, version, updatedAt: new Date().toISOString() });
    return Promise.resolve(version);
  }

  deleteState(ref: StateRef): Promise<boolean> {
    return Promise.resolve(this.#rows.delete(this.#id(ref)));
  }

  listState(filter: { workflowId?: string; scope?: string; keyPrefix?: string }): Promise<StateRow[]> {
    const rows = [...this.#rows.values()]
      .filter((r) =>
        (filter.workflowId === undefined || r.workflowId === filter.workflowId) &&
        (filter.scope === undefined || r.scope === filter.scope) &&
        (filter.keyPrefix === undefined || r.key.startsWith(filter.keyPrefix))
      )
      .sort((a, b) =>
        a.workflowId.localeCompare(b.workflowId) || a.scope.localeCompare(b.scope) || a.key.localeCompare(b.key)
      )
      .map(({ json, ...row }) => ({ ...row, value: JSON.parse(json) }));
    return Promise.resolve(rows);
  }

  clearState(filter: { workflowId: string; scope?: string }): Promise<number> {
    let n = 0;
    for (const [id, row] of this.#rows) {
      if (row.workflowId === filter.workflowId && (filter.scope === undefined || row.scope === filter.scope)) {
        this.#rows.delete(id);
        n++;
      }
    }
    return Promise.resolve(n);
  }
}
