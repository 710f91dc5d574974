/**
 * The history store for the CLI: `$FLOW_STATE_DIR/flow.db`, opened only by
 * the commands that need it (`run` with history on, `resume`, `runs`,
 * `state`, `serve`), and when a node first uses `ctx.store`.
 *
 * @module
 */
import { fileErrorReason } from "../src/errors.ts";
// Imported statically, though only some commands open a store: loading the module costs the others nothing
// (node:sqlite itself is imported on first open), while a dynamic import in the single-file bundle parsed the whole
// module again on first use, about 0.5 ms of every recorded run.
import {
  historyKeep,
  isStoreError,
  openSqliteStore,
  type SqliteStore,
  type StateEntry,
  type StateRef,
  type StateRow,
  type StateStore,
  type Store,
  StoreError,
} from "../src/store/mod.ts";
import { CliError } from "./exit_codes.ts";
import { stateDir } from "./state.ts";

/** The path of the history database. */
export function storePath(): string {
  return `${stateDir()}/flow.db`;
}

/** The database URL from `--db` or `FLOW_DATABASE_URL` (undefined: the SQLite file). */
export function databaseUrl(flag?: unknown): string | undefined {
  const url = typeof flag === "string" && flag !== "" ? flag : Deno.env.get("FLOW_DATABASE_URL") || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new CliError(`--db: expected a postgres:// URL; got ${JSON.stringify(url.replace(/:[^:@/]*@/, ":***@"))}`);
  }
  return url;
}

/** Options of {@linkcode openStore}. */
export interface OpenStoreOptions {
  /** A long-lived writer (`flow serve`): writes to the SQLite file run on a thread of their own. */
  serving?: boolean;
  /** Told, in one line, when `serving` writes must stay on the main thread after all. */
  warn?: (line: string) => void;
}

/**
 * Opens the history store: PostgreSQL at `url`, else the SQLite file in the
 * state directory (created when needed). Throws a {@linkcode StoreError}
 * with one line when it cannot.
 */
export async function openStore(
  url: string | undefined = databaseUrl(),
  options: OpenStoreOptions = {},
): Promise<Store> {
  if (url !== undefined) {
    const { openPostgresStore } = await import("../src/store/postgres.ts");
    return await openPostgresStore(url);
  }
  let dir: string;
  try {
    dir = stateDir();
  } catch (err) {
    // No state directory (no FLOW_STATE_DIR nor HOME): a store problem, so `flow run` warns and runs on.
    throw new StoreError((err as Error).message);
  }
  const path = `${dir}/flow.db`;
  // A short-lived command leaves the WAL to the next one (see SqliteStore.close); serve folds it in when it stops.
  const open = () => openSqliteStore(path, { keepWal: !options.serving });
  let store: SqliteStore;
  try {
    store = await open();
  } catch (err) {
    // The directory is created on first use only: checking for it on every run costs a cold start about 1 ms.
    if (!isStoreError(err) || isDirectory(dir)) throw err;
    try {
      Deno.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new StoreError(`cannot create ${dir}: ${fileErrorReason(e)}`);
    }
    store = await open();
  }
  if (options.serving) {
    // Not awaited: writes go through the main connection until the writer thread runs.
    store.writeInBackground().then((stayed) => {
      if (stayed !== undefined) options.warn?.(`history writes stay on the main thread: ${stayed}`);
    });
  }
  return store;
}

/** Whether `path` is a directory (or a link to one). */
function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Opens the store for a command that cannot work without it (`--db` or the SQLite file): a problem is exit 2. */
export async function requireStore(dbFlag?: unknown): Promise<Store> {
  // A StoreError ends the command as `flow: history: ...`, exit 2 (cli/exit_codes.ts).
  return await openStore(databaseUrl(dbFlag));
}

/** The executions of each workflow that history keeps (`FLOW_HISTORY_KEEP`, else 1000; 0 keeps all); exit 2 on a bad value. */
export function keepPerWorkflow(): number {
  try {
    return historyKeep();
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** Whether `flow run` records: not with `--no-history`, `FLOW_HISTORY=0` (or false/off/no) or `settings.history: false`. */
export function historyWanted(noHistoryFlag: boolean, settingsHistory: boolean | undefined): boolean {
  if (noHistoryFlag || settingsHistory === false) return false;
  const env = (Deno.env.get("FLOW_HISTORY") ?? "").trim().toLowerCase();
  return !["0", "false", "off", "no"].includes(env);
}

/**
 * A state backend that opens the store on first use: a run whose nodes never
 * touch `ctx.store` never opens the database.
 */
export function lazyState(open: () => Promise<StateStore>): StateStore {
  let store: Promise<StateStore> | undefined;
  const get = () => store ??= open();
  return {
    getState: async (ref: StateRef): Promise<StateEntry | undefined> => (await get()).getState(ref),
    putState: async (ref: StateRef, json: string, v?: number) => (await get()).putState(ref, json, v),
    deleteState: async (ref: StateRef) => (await get()).deleteState(ref),
    listState: async (f): Promise<StateRow[]> => (await get()).listState(f),
    clearState: async (f) => (await get()).clearState(f),
  };
}
