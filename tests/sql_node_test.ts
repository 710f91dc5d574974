/**
 * `sql.query` against a real SQLite file and a real PostgreSQL server: rows
 * and their types, parameters, one statement per query, its errors, the
 * permissions it needs (at validation and at run time), cancellation on the
 * server, a password that never shows, and one pool per node and workflow
 * version under `flow serve`, closed on reload and shutdown.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import type { FlowEvent } from "../mod.ts";
import { parseNdjson, runCli } from "./helpers.ts";
import { Served, waitFor, writeFile, writeFiles } from "./serve_helpers.ts";
import { hasPostgres, startPostgres } from "./services.ts";
import { failure, issuesIn, outputsOf, runIn, tempDir, writeIn } from "./system_helpers.ts";

const query = (id: string, url: string, sql: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: "sql.query",
  config: { url, query: sql, ...extra },
});

/** Chains nodes one after the other (each waits for the previous one's rowCount). */
const inOrder = (ids: string[]) => ids.slice(1).map((id, i) => ({ from: `${ids[i]}.rowCount`, to: `${id}.after` }));

Deno.test("sql.query on a real SQLite file: rows, parameters, types, row counts", async (t) => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/data`);
  const url = "sqlite:data/app.db";
  const settings = { permissions: { read: ["./data"], write: ["./data"] } };

  await t.step("create, insert with ? parameters, select: the file holds the rows", async () => {
    const { result, events } = await runIn(dir, {
      settings,
      nodes: [
        query(
          "create",
          url,
          "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB, big INTEGER)",
        ),
        query("insert", url, "INSERT INTO items (name, price, data, big) VALUES (?, ?, x'00ff', ?), (?, ?, NULL, 1)", {
          params: ["pen", 1.5, "9007199254740993", { not: "a string" }, true],
        }),
        query("update", url, "UPDATE items SET price = price * 2"),
        query("select", url, "SELECT * FROM items WHERE id >= ? ORDER BY id", { params: [1] }),
      ],
      connections: inOrder(["create", "insert", "update", "select"]),
    });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    assert.deepEqual(outputsOf(events, "insert"), { rows: [], rowCount: 2, truncated: false });
    assert.deepEqual(outputsOf(events, "update"), { rows: [], rowCount: 2, truncated: false });
    assert.deepEqual(outputsOf(events, "select"), {
      rows: [
        // A BLOB as base64, an integer beyond 2^53 as text (exact), an object parameter as its JSON, true as 1.
        { id: 1, name: "pen", price: 3, data: "AP8=", big: "9007199254740993" },
        { id: 2, name: '{"not":"a string"}', price: 2, data: null, big: 1 },
      ],
      rowCount: 2,
      truncated: false,
    });
    const db = new DatabaseSync(`${dir}/data/app.db`, { readOnly: true });
    try {
      assert.deepEqual(db.prepare("SELECT name FROM items ORDER BY id").all().map((r) => r.name), [
        "pen",
        '{"not":"a string"}',
      ]);
    } finally {
      db.close();
    }
  });

  await t.step("RETURNING gives rows; maxRows cuts the output and says so", async () => {
    const { events } = await runIn(dir, {
      settings,
      nodes: [
        query("ret", url, "INSERT INTO items (name) VALUES ('a'), ('b'), ('c') RETURNING id, name"),
        query("some", url, "SELECT name FROM items ORDER BY id", { maxRows: 2 }),
      ],
      connections: inOrder(["ret", "some"]),
    });
    assert.deepEqual(outputsOf(events, "ret"), {
      rows: [{ id: 3, name: "a" }, { id: 4, name: "b" }, { id: 5, name: "c" }],
      rowCount: 3,
      truncated: false,
    });
    assert.deepEqual(outputsOf(events, "some"), {
      rows: [{ name: "pen" }, { name: '{"not":"a string"}' }],
      rowCount: 5,
      truncated: true,
    });
    const warn = events.find((e) => e.type === "node.log" && e.nodeId === "some");
    assert.equal(warn?.type === "node.log" && warn.message, "5 rows returned; output the first 2 (maxRows)");
  });

  await t.step("errors: no statement, two statements, parameters, SQL, read-only, no folder", async () => {
    const { result } = await runIn(dir, {
      settings: { ...settings, onError: "continue" },
      nodes: [
        query("none", url, "  -- nothing here\n ;"),
        query("two", url, "SELECT 1; DELETE FROM items"),
        query("few", url, "SELECT ?, ?", { params: [1] }),
        query("many", url, "SELECT ?", { params: [1, 2] }),
        query("syntax", url, "SELEC 1"),
        query("unique", url, "INSERT INTO items (id) VALUES (1)"),
        query("ro", url, "DELETE FROM items", { readOnly: true }),
        query("nofolder", "sqlite:data/missing/app.db", "SELECT 1"),
      ],
      connections: [],
    });
    assert.deepEqual(failure(result, "none"), { code: "BAD_QUERY", message: "query: holds no statement" });
    assert.deepEqual(failure(result, "two"), {
      code: "BAD_QUERY",
      message: "query: holds more than one statement; a sql.query runs one",
    });
    assert.deepEqual(failure(result, "few"), {
      code: "BAD_PARAMS",
      message: "params: the query takes 2 parameters; got 1",
    });
    assert.deepEqual(failure(result, "many"), {
      code: "BAD_PARAMS",
      message: "params: more than the query takes (2 given)",
    });
    assert.deepEqual(failure(result, "syntax"), {
      code: "SQL_ERROR",
      message: 'sqlite:data/app.db: near "SELEC": syntax error',
    });
    assert.deepEqual(failure(result, "unique"), {
      code: "SQL_ERROR",
      message: "sqlite:data/app.db: UNIQUE constraint failed: items.id",
    });
    assert.deepEqual(failure(result, "ro"), {
      code: "SQL_ERROR",
      message: "sqlite:data/app.db: attempt to write a readonly database",
    });
    assert.equal(failure(result, "nofolder").code, "DB_UNREACHABLE");
    assert.match(failure(result, "nofolder").message, /^sqlite:data\/missing\/app\.db: cannot open: /);
    const db = new DatabaseSync(`${dir}/data/app.db`, { readOnly: true });
    try {
      assert.equal(db.prepare("SELECT count(*) AS n FROM items").get()!.n, 5, "nothing was deleted");
    } finally {
      db.close();
    }
  });

  await t.step("a constraint violation is not retried; a busy database is", async () => {
    const { result, events } = await runIn(dir, {
      settings,
      nodes: [{ ...query("unique", url, "INSERT INTO items (id) VALUES (1)"), retry: { maxAttempts: 3, delayMs: 1 } }],
      connections: [],
    });
    assert.equal(result.status, "failed");
    assert.equal(events.filter((e) => e.type === "node.retrying").length, 0);
  });

  await t.step("sqlite::memory: needs no permission and lives as long as the node's connection", async () => {
    const { result, events } = await runIn(dir, {
      nodes: [query("mem", "sqlite::memory:", "SELECT ? || '!' AS shout", { params: ["hey"] })],
      connections: [],
    });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    assert.deepEqual(outputsOf(events, "mem").rows, [{ shout: "hey!" }]);
  });
});

Deno.test("sql.query permissions: checked at validation when static, at run time when templated", async (t) => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/data`);

  await t.step("a SQLite file needs read and write (read alone with readOnly); PostgreSQL needs net", async () => {
    const issues = await issuesIn(dir, {
      settings: { permissions: { read: ["./data"], net: ["db.internal:6432"] } },
      nodes: [
        query("rw", "sqlite:other.db", "SELECT 1"),
        query("w", "sqlite:data/app.db", "SELECT 1"),
        query("ro", "sqlite:data/app.db", "SELECT 1", { readOnly: true }),
        query("pg", "postgres://flow:s3cret-pw@db.internal/app", "SELECT 1"),
        query("v6", "postgres://flow@[::1]:6432/app", "SELECT 1"),
      ],
      connections: [],
    });
    assert.deepEqual(issues, [
      `nodes[0].config.url: node "rw" may not read "${dir}/other.db": settings.permissions.read does not grant it`,
      `nodes[0].config.url: node "rw" may not write "${dir}/other.db": settings.permissions.write does not grant it`,
      `nodes[1].config.url: node "w" may not write "${dir}/data/app.db": settings.permissions.write does not grant it`,
      'nodes[3].config.url: node "pg" may not reach "db.internal:5432": settings.permissions.net does not grant it',
      'nodes[4].config.url: node "v6" may not reach "[::1]:6432": settings.permissions.net does not grant it',
    ]);
  });

  await t.step("flow validate: exit 2 naming node, field and grant; a bad URL never shows its password", async () => {
    const file = await writeIn(dir, {
      nodes: [
        query("load", "postgres://flow:s3cret-pw@db.internal:5432/app", "SELECT 1"),
        query("bad", "mysql://flow:s3cret-pw@db.internal/app", "SELECT 1"),
        query("param", "postgres://flow:s3cret-pw@db.internal/app?host=/tmp", "SELECT 1"),
      ],
      connections: [],
    }, "pg.json");
    const r = await runCli(["validate", file]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split("\n"), [
      `${file}: nodes[1].config.url: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH; ` +
      'got a URL of scheme "mysql:"',
      `${file}: nodes[2].config.url: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH; ` +
      'got the URL parameter "host" (only sslmode is supported)',
      `${file}: nodes[0].config.url: node "load" may not reach "db.internal:5432": ` +
      "settings.permissions.net does not grant it",
    ]);
    assert.ok(!r.stderr.includes("s3cret-pw"));
  });

  await t.step("a URL from an input outside the grants fails with PERMISSION_DENIED", async () => {
    const { result } = await runIn(dir, {
      inputs: { db: { type: "string" }, pg: { type: "string" } },
      settings: { permissions: { read: ["./data"], write: ["./data"] }, onError: "continue" },
      nodes: [
        query("file", "{{ $inputs.db }}", "SELECT 1"),
        query("server", "{{ $inputs.pg }}", "SELECT 1"),
        query("scheme", "{{ 'redis://:pw@127.0.0.1' }}", "SELECT 1"),
      ],
      connections: [],
    }, { inputs: { db: "sqlite:/etc/flow-test.db", pg: "postgres://flow:s3cret-pw@10.1.2.3:5432/app" } });
    assert.deepEqual(failure(result, "file"), {
      code: "PERMISSION_DENIED",
      message: 'url: may not read "/etc/flow-test.db": settings.permissions.read does not grant it',
    });
    assert.deepEqual(failure(result, "server"), {
      code: "PERMISSION_DENIED",
      message: 'url: may not reach "10.1.2.3:5432": settings.permissions.net does not grant it',
    });
    assert.deepEqual(failure(result, "scheme"), {
      code: "BAD_URL",
      message: 'url: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH; got a URL of scheme "redis:"',
    });
  });

  await t.step("a database file reached through a symbolic link that leads outside is refused", async () => {
    const outside = await tempDir();
    await Deno.symlink(`${outside}/secret.db`, `${dir}/data/link.db`);
    const { result } = await runIn(dir, {
      settings: { permissions: { read: ["./data"], write: ["./data"] } },
      nodes: [query("q", "sqlite:data/link.db", "CREATE TABLE t (x)")],
      connections: [],
    });
    assert.equal(failure(result, "q").code, "PERMISSION_DENIED");
    assert.match(failure(result, "q").message, /it leads to ".*secret\.db" \(a symbolic link\)/);
    assert.equal(await Deno.stat(`${outside}/secret.db`).then(() => true, () => false), false, "no file created");
  });
});

Deno.test({
  name: "sql.query on a real PostgreSQL: types, parameters, errors, cancellation, no password shown",
  ignore: !hasPostgres,
  async fn(t) {
    const password = "s3cr3t-pw!";
    await using pg = await startPostgres({ password });
    const url = await pg.createDatabase();
    const port = new URL(url).port;
    const db = new URL(url).pathname.slice(1);
    const dir = await tempDir();
    const settings = { permissions: { net: [`127.0.0.1:${port}`] } };

    await t.step("$1 parameters, row counts and the types of the output", async () => {
      const { result, events } = await runIn(dir, {
        settings,
        nodes: [
          query(
            "create",
            url,
            "CREATE TABLE items (id bigserial PRIMARY KEY, name text, price numeric, tags text[], " +
              "meta jsonb, raw bytea, at timestamptz, ok boolean)",
          ),
          query(
            "insert",
            url,
            "INSERT INTO items (name, price, tags, meta, raw, at, ok) VALUES ($1, $2, $3, $4, '\\x00ff', $5, $6)",
            { params: ["pen", 1.5, ["a", "b"], { color: "blue" }, "2026-01-02T03:04:05Z", true] },
          ),
          query("update", url, "UPDATE items SET price = price * 2 WHERE name = $1", { params: ["pen"] }),
          query("select", url, "SELECT *, count(*) OVER () AS n FROM items"),
        ],
        connections: inOrder(["create", "insert", "update", "select"]),
      });
      assert.equal(result.status, "success", JSON.stringify(result.error));
      assert.deepEqual(outputsOf(events, "insert"), { rows: [], rowCount: 1, truncated: false });
      assert.deepEqual(outputsOf(events, "update"), { rows: [], rowCount: 1, truncated: false });
      assert.deepEqual(outputsOf(events, "select").rows, [{
        id: 1, // bigint: a number when exact
        name: "pen",
        price: "3.0", // numeric: text, exact
        tags: ["a", "b"],
        meta: { color: "blue" },
        raw: "AP8=",
        at: "2026-01-02T03:04:05.000Z",
        ok: true,
        n: 1,
      }]);
    });

    await t.step("errors: parameter count, two statements, SQL with its SQLSTATE, read-only, no server", async () => {
      const { result } = await runIn(dir, {
        settings: { permissions: { net: ["127.0.0.1"] }, onError: "continue" },
        nodes: [
          query("few", url, "SELECT $1::int + $2::int", { params: [1] }),
          query("two", url, "SELECT 1; SELECT 2"),
          query("missing", url, "SELECT * FROM nope"),
          query("ro", url, "DELETE FROM items", { readOnly: true }),
          query("down", url.replace(`:${port}/`, ":1/"), "SELECT 1"),
        ],
        connections: [],
      });
      const label = `postgres 127.0.0.1:${port}/${db}`;
      assert.deepEqual(failure(result, "few"), {
        code: "BAD_PARAMS",
        message: "params: the query takes 2 parameters; got 1",
      });
      assert.deepEqual(failure(result, "two"), {
        code: "SQL_ERROR",
        message: `${label}: cannot insert multiple commands into a prepared statement (SQLSTATE 42601)`,
      });
      assert.deepEqual(failure(result, "missing"), {
        code: "SQL_ERROR",
        message: `${label}: relation "nope" does not exist at character 15 of the query (SQLSTATE 42P01)`,
      });
      assert.deepEqual(failure(result, "ro"), {
        code: "SQL_ERROR",
        message: `${label}: cannot execute DELETE in a read-only transaction (SQLSTATE 25006)`,
      });
      assert.deepEqual(failure(result, "down"), {
        code: "DB_UNREACHABLE",
        message: `postgres 127.0.0.1:1/${db}: cannot connect: connection refused (is the server running?)`,
      });
    });

    await t.step("a timeout cancels the query on the server", async () => {
      const { result } = await runIn(dir, {
        settings,
        nodes: [{ ...query("slow", url, "SELECT pg_sleep(30), 'flow-sleeper'"), timeoutMs: 300 }],
        connections: [],
      });
      assert.equal(failure(result, "slow").code, "TIMEOUT");
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await waitFor(async () => {
          const running =
            await sql`SELECT pid FROM pg_stat_activity WHERE query LIKE '%flow-sleeper%' AND pid <> pg_backend_pid()`;
          return running.length === 0;
        }, { timeoutMs: 5_000, message: () => "the query still runs on the server" });
      } finally {
        await sql.end();
      }
    });

    await t.step("a wrong password fails with DB_AUTH; no event holds a password, literal or secret", async () => {
      const wrong = url.replace(encodeURIComponent(password), "wr0ng-pass");
      const file = await writeIn(dir, {
        settings: { ...settings, env: ["DATABASE_URL"], secrets: ["DATABASE_URL"] },
        nodes: [
          { ...query("literal", wrong, "SELECT 1"), onError: "continue" },
          query("secret", "{{ $env.DATABASE_URL }}", "SELECT $1::text AS url", { params: ["{{ $env.DATABASE_URL }}"] }),
          { ...query("bad", "{{ $env.DATABASE_URL }}", "SELECT * FROM nope"), onError: "continue" },
        ],
        connections: [],
      }, "auth.json");
      const r = await runCli(["run", file, "--format", "ndjson"], { env: { DATABASE_URL: url } });
      const events = parseNdjson(r.stdout);
      const failed = (id: string) =>
        (events.find((e) => e.type === "node.failed" && e.nodeId === id) as Extract<FlowEvent, { type: "node.failed" }>)
          .error;
      assert.deepEqual(failed("literal"), {
        code: "DB_AUTH",
        message:
          `postgres 127.0.0.1:${port}/${db}: password authentication failed for user "postgres" (SQLSTATE 28P01)`,
      });
      assert.deepEqual(outputsOf(events, "secret").rows, [{ url: "***" }], "the secret URL is masked in outputs");
      assert.equal(failed("bad").code, "SQL_ERROR");
      for (const text of [r.stdout, r.stderr]) {
        for (const secret of [password, encodeURIComponent(password), "wr0ng-pass"]) {
          assert.ok(!text.includes(secret), `${secret} shows in ${text}`);
        }
      }
    });
  },
});

Deno.test({
  name: "flow serve: one PostgreSQL pool per node and workflow version, closed on reload and on shutdown",
  ignore: !hasPostgres,
  async fn(t) {
    await using pg = await startPostgres();
    const url = await pg.createDatabase();
    const workflow = (name: string) => ({
      id: "pids",
      name,
      settings: { permissions: { net: ["127.0.0.1"] }, env: ["DATABASE_URL"], secrets: ["DATABASE_URL"] },
      nodes: [
        { id: "hook", type: "http.webhook", config: { path: "pid" } },
        query("q", "{{ $env.DATABASE_URL }}", "SELECT pg_backend_pid() AS pid", { maxConnections: 1 }),
      ],
      connections: [{ from: "hook.body", to: "q.after" }],
      outputs: { rows: "q.rows" },
    });
    const dir = await writeFiles({ "pids.json": workflow("v1") });
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const flowBackends = async () =>
      (await sql`SELECT pid FROM pg_stat_activity WHERE application_name = 'flow' AND datname = current_database()`)
        .map((r) => r.pid as number);
    try {
      await using server = await Served.start([dir], { env: { DATABASE_URL: url } });
      const pid = async () => {
        const r = await server.json("/hooks/pid", { method: "POST", body: "{}" });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body.rows[0].pid as number;
      };
      let first = 0;

      await t.step("runs of one version share the node's connection", async () => {
        first = await pid();
        assert.equal(await pid(), first);
        assert.equal(await pid(), first);
        assert.deepEqual(await flowBackends(), [first]);
      });

      await t.step("a reload closes the old version's pool; the new version opens its own", async () => {
        await writeFile(dir, "pids.json", workflow("v2"));
        await waitFor(async () => (await server.json("/api/v1/workflows/pids")).body.name === "v2");
        await waitFor(async () => !(await flowBackends()).includes(first), {
          message: () => "the old pool's connection is still open",
        });
        const second = await pid();
        assert.notEqual(second, first);
        assert.deepEqual(await flowBackends(), [second]);
      });

      await t.step("shutdown closes it", async () => {
        const stopped = await server.stop();
        assert.equal(stopped.code, 0, stopped.stderr);
        await waitFor(async () => (await flowBackends()).length === 0, {
          message: () => "a connection of flow outlived it",
        });
      });
    } finally {
      await sql.end();
    }
  },
});
