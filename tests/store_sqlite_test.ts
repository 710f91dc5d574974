/** The SQLite store against the store contract, on a temporary file per step. */
import { DatabaseSync } from "node:sqlite";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { type StoreBackend, testStoreContract } from "./store_contract.ts";

/** Fixtures in one temporary directory, a database file each. */
async function sqliteBackend(): Promise<StoreBackend> {
  const dir = await Deno.makeTempDir({ prefix: "flow-store-sqlite-" });
  let n = 0;
  return {
    fixture: () => {
      const path = `${dir}/flow-${++n}.db`;
      return Promise.resolve({
        open: () => Promise.resolve().then(() => openSqliteStore(path)),
        setSchemaVersion: (version) => {
          openSqliteStore(path).close();
          const db = new DatabaseSync(path);
          db.exec(`PRAGMA user_version = ${version}`);
          db.close();
          return Promise.resolve();
        },
        dispose: () => Promise.resolve(),
      });
    },
    close: () => Deno.remove(dir, { recursive: true }),
  };
}

testStoreContract("sqlite", { backend: sqliteBackend });
