/**
 * The PostgreSQL store against the store contract (a database per step on a
 * server of its own), and what only it has: migrations under concurrency,
 * connection failures as one-line errors, an outage in the middle.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { migratePostgres, openPostgresStore, redactUrl } from "../src/store/postgres.ts";
import { postgresMigrations } from "../src/store/schema.ts";
import { StoreError } from "../src/store/types.ts";
import { hasPostgres, type PostgresService, startPostgres } from "./services.ts";
import { type StoreBackend, testStoreContract } from "./store_contract.ts";

/** Fixtures as databases on one server. */
async function postgresBackend(): Promise<StoreBackend> {
  const server = await startPostgres();
  return {
    fixture: async () => {
      const url = await server.createDatabase();
      return {
        open: () => openPostgresStore(url),
        setSchemaVersion: async (version) => {
          await migratePostgres(url);
          const sql = postgres(url, { max: 1 });
          await sql`INSERT INTO flow_schema (version, description) VALUES (${version}, 'from a newer flow')`;
          await sql.end();
        },
        dispose: () => Promise.resolve(),
      };
    },
    close: () => server.stop(),
  };
}

testStoreContract("postgres", { ignore: !hasPostgres, backend: postgresBackend });

Deno.test("redactUrl hides the password only", () => {
  assert.equal(redactUrl("postgres://flow:s3cret@db:5432/flow"), "postgres://flow:***@db:5432/flow");
  assert.equal(redactUrl("postgres://flow@db/flow"), "postgres://flow@db/flow");
  assert.equal(redactUrl("not a url s3cret"), "(unparsable PostgreSQL URL)");
});

/** Asserts that `promise` rejects with a one-line StoreError matching `pattern`, and returns its message. */
async function rejectsInOneLine(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  let message = "";
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${err}`);
    message = err.message;
    return true;
  });
  assert.match(message, pattern);
  assert.ok(!message.includes("\n"), message);
  return message;
}

Deno.test({
  name: "postgres store: migrations, connection failures and an outage",
  ignore: !hasPostgres,
  fn: async (t) => {
    await using pg = await startPostgres();
    await t.step("migratePostgres applies what is missing, once", async () => {
      const url = await pg.createDatabase();
      assert.deepEqual((await migratePostgres(url)).map((m) => m.version), postgresMigrations.map((m) => m.version));
      assert.deepEqual(await migratePostgres(url), []);
    });
    await t.step("stores opened at once on an empty database migrate it once", async () => {
      const url = await pg.createDatabase();
      const stores = await Promise.all(Array.from({ length: 5 }, () => openPostgresStore(url)));
      await Promise.all(stores.map((s) => s.close()));
      const sql = postgres(url, { max: 1 });
      assert.deepEqual(
        [...await sql`SELECT version FROM flow_schema ORDER BY version`],
        postgresMigrations.map((m) => ({ version: m.version })),
      );
      await sql.end();
    });
    await t.step("an unknown database is one line", async () => {
      const url = new URL(pg.url);
      url.pathname = "/no_such_database";
      await rejectsInOneLine(
        openPostgresStore(url.href),
        /^postgres:\/\/.*\/no_such_database: database "no_such_database" does not exist$/,
      );
    });
    await t.step("a malformed URL is one line", async () => {
      await rejectsInOneLine(openPostgresStore("postgres://u:s3cret@[bad/db"), /^\(unparsable PostgreSQL URL\): /);
    });
    await t.step({
      name: "a server that is down is one line; the store recovers when it is back",
      ignore: !pg.local,
      fn: () => outage(pg),
    });
  },
});

/** Opening while the server is down fails in one line; an open store fails, then works again. */
async function outage(pg: PostgresService) {
  const url = await pg.createDatabase();
  const store = await openPostgresStore(url);
  try {
    await store.putState({ workflowId: "w", scope: "", key: "k" }, "1");
    await pg.halt();
    await rejectsInOneLine(
      openPostgresStore(url),
      /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+: cannot connect: connection refused/,
    );
    await rejectsInOneLine(store.getState({ workflowId: "w", scope: "", key: "k" }), /^postgres:\/\/.*: /);
    await pg.resume();
    assert.deepEqual(await store.getState({ workflowId: "w", scope: "", key: "k" }), { value: 1, version: 1 });
  } finally {
    await store.close();
  }
}

Deno.test({
  name: "postgres store: a wrong password is one line, with the password redacted",
  ignore: !hasPostgres || Deno.env.get("FLOW_TEST_DATABASE_URL") !== undefined,
  fn: async () => {
    await using pg = await startPostgres({ password: "right-password" });
    const good = await openPostgresStore(pg.url);
    assert.equal(good.location.includes("right-password"), false);
    assert.match(good.location, /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres$/);
    await good.close();
    const url = new URL(pg.url);
    url.password = "wrong-password";
    const message = await rejectsInOneLine(
      openPostgresStore(url.href),
      /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres: password authentication failed for user "postgres"$/,
    );
    assert.equal(message.includes("wrong-password"), false);
    await rejectsInOneLine(migratePostgres(url.href), /password authentication failed/);
  },
});
