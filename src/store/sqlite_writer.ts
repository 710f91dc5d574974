/**
 * Write transactions on a thread of their own, for a long-lived writer such
 * as `flow serve`.
 *
 * A SQLite commit is synchronous: the statements, the pages written to the
 * WAL and, every few MiB, the checkpoint that copies the WAL into the
 * database and syncs it to disk all run on the calling thread. In a server
 * that thread is the only JavaScript thread, and requests wait while it
 * writes. A {@linkcode SqliteWriter} is a Worker with its own connection to
 * the same file: the store builds each batch's statements on the main thread
 * (cheap) and the Worker runs them as one transaction, checkpoints included,
 * while the main thread goes on serving.
 *
 * The Worker runs {@linkcode writerMain}, started from a `blob:` URL, so a
 * bundle or compiled binary needs no file beside it.
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";

/** One statement of a transaction. */
export interface WriteStatement {
  /** The SQL, with `?` placeholders. */
  sql: string;
  /** The values of the placeholders. */
  params: SQLInputValue[];
  /**
   * The index of an earlier statement of the same transaction: when that one
   * changed a row, this one is skipped (an UPDATE that an INSERT made moot).
   */
  unless?: number;
  /**
   * A value sent once for two statements, `[position, statement, parameter]`:
   * `params[position]` is that earlier statement's `params[parameter]` (a
   * journal chunk that an execution's INSERT carries too).
   */
  reuse?: [number, number, number];
}

/** Options of {@linkcode SqliteWriter.start}. */
export interface SqliteWriterOptions {
  /** The connection's busy timeout, ms. */
  busyTimeoutMs: number;
  /** WAL pages past which a commit checkpoints (on the Worker's thread). */
  autocheckpointPages: number;
}

/** Messages from the Worker. */
type FromWorker =
  | { op: "ready" }
  | { op: "done"; id: number; changes?: number[] }
  | { op: "failed"; id?: number; message: string }
  | { op: "closed" };

/**
 * The Worker's code, stringified into a `blob:` URL: it must use nothing but
 * its arguments and globals, and declare no named inner function (a bundler
 * that keeps names wraps those in a helper the Worker would not have). Opens
 * the database, then runs each `tx` message as one `BEGIN IMMEDIATE`
 * transaction and answers `done` or `failed`.
 */
function writerMain(
  scope: { onmessage: ((e: MessageEvent) => void) | null; postMessage(message: unknown): void; close(): void },
  DatabaseSync: new (path: string) => {
    exec(sql: string): void;
    prepare(sql: string): { run(...params: unknown[]): { changes: number | bigint } };
    close(): void;
    readonly isTransaction: boolean;
  },
) {
  let db: InstanceType<typeof DatabaseSync> | undefined;
  const prepared = new Map<string, ReturnType<InstanceType<typeof DatabaseSync>["prepare"]>>();
  scope.onmessage = (e: MessageEvent) => {
    const msg = e.data;
    try {
      if (msg.op === "tx") {
        db!.exec("BEGIN IMMEDIATE");
        const changes: number[] = [];
        try {
          const statements = msg.statements as { sql: string; params: unknown[]; unless?: number; reuse?: number[] }[];
          for (const s of statements) {
            if (s.unless !== undefined && changes[s.unless] > 0) {
              changes.push(0);
              continue;
            }
            let statement = prepared.get(s.sql);
            if (!statement) prepared.set(s.sql, statement = db!.prepare(s.sql));
            const params = s.reuse ? s.params.with(s.reuse[0], statements[s.reuse[1]].params[s.reuse[2]]) : s.params;
            changes.push(Number(statement.run(...params).changes));
          }
          db!.exec("COMMIT");
        } catch (err) {
          try {
            if (db!.isTransaction) db!.exec("ROLLBACK");
          } catch { /* the connection is gone */ }
          throw err;
        }
        scope.postMessage({ op: "done", id: msg.id, changes: msg.changes ? changes : undefined });
      } else if (msg.op === "open") {
        db = new DatabaseSync(msg.path);
        db.exec(`PRAGMA busy_timeout = ${Number(msg.busyTimeoutMs)}`);
        db.exec("PRAGMA synchronous = NORMAL");
        db.exec(`PRAGMA wal_autocheckpoint = ${Number(msg.autocheckpointPages)}`);
        scope.postMessage({ op: "ready" });
      } else if (msg.op === "close") {
        prepared.clear();
        try {
          db?.close();
        } catch { /* already closed */ }
        scope.postMessage({ op: "closed" });
        scope.close();
      }
    } catch (err) {
      scope.postMessage({ op: "failed", id: msg.id, message: String((err as Error)?.message ?? err).split("\n")[0] });
    }
  };
}

/** The Worker module: {@linkcode writerMain} applied to the Worker's scope. */
const WORKER_SOURCE = `import { DatabaseSync } from "node:sqlite";\n(${writerMain.toString()})(self, DatabaseSync);\n`;

/**
 * A Worker that runs write transactions on its own connection to one SQLite
 * file. Start it with {@linkcode SqliteWriter.start}. Transactions run one at
 * a time, in the order given.
 */
export class SqliteWriter {
  #worker: Worker;
  #nextId = 0;
  #pending = new Map<number, { resolve(changes: number[]): void; reject(err: Error): void }>();
  #stopped?: string;
  #closed?: Promise<void>;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /**
   * Starts a writer on the database at `path` (already created, migrated and
   * in WAL mode). Rejects with the reason when it cannot start.
   */
  static start(path: string, options: SqliteWriterOptions): Promise<SqliteWriter> {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module", name: "flow store writer" });
    const writer = new SqliteWriter(worker);
    return new Promise<SqliteWriter>((resolve, reject) => {
      const fail = (message: string) => {
        URL.revokeObjectURL(url);
        worker.terminate();
        reject(new Error(message));
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        fail(e.message);
      };
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        if (e.data.op === "ready") {
          URL.revokeObjectURL(url);
          worker.onmessage = (ev: MessageEvent<FromWorker>) => writer.#onMessage(ev.data);
          worker.onerror = (ev: ErrorEvent) => {
            ev.preventDefault();
            writer.#stop(`the store's writer thread stopped: ${ev.message}`);
          };
          resolve(writer);
        } else if (e.data.op === "failed") fail(e.data.message);
      };
      worker.postMessage({ op: "open", path, ...options });
    });
  }

  #onMessage(msg: FromWorker) {
    if (msg.op === "done" || (msg.op === "failed" && msg.id !== undefined)) {
      const waiter = this.#pending.get(msg.id!);
      this.#pending.delete(msg.id!);
      if (msg.op === "done") waiter?.resolve(msg.changes ?? []);
      else waiter?.reject(new Error(msg.message));
    }
  }

  /** Fails what is pending and what comes after: the Worker is gone. */
  #stop(reason: string) {
    this.#stopped ??= reason;
    this.#worker.terminate();
    for (const waiter of this.#pending.values()) waiter.reject(new Error(reason));
    this.#pending.clear();
  }

  /**
   * Runs `statements` as one transaction; rejects with the database's
   * one-line message, and nothing applied. With `changes`, resolves to the
   * number of rows each statement changed (0 for one skipped).
   */
  run(statements: WriteStatement[], changes = false): Promise<number[]> {
    if (this.#stopped) return Promise.reject(new Error(this.#stopped));
    const id = this.#nextId++;
    return new Promise<number[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ op: "tx", id, statements, changes });
    });
  }

  /** Closes the Worker's connection after the transactions already given. */
  close(): Promise<void> {
    return this.#closed ??= new Promise<void>((resolve) => {
      if (this.#stopped) return resolve();
      this.#worker.onmessage = (e: MessageEvent<FromWorker>) => {
        this.#onMessage(e.data);
        if (e.data.op === "closed") {
          this.#stop("the store is closed");
          resolve();
        }
      };
      this.#worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#stop("the store is closed");
        resolve();
      };
      this.#worker.postMessage({ op: "close" });
    });
  }
}
