/**
 * New workflow files, confinement and the read-only mode of `flow serve`'s
 * editor API (docs/api.md#editing-workflow-files): `POST /api/v1/workflows`
 * writes `flow init`'s starter (or the text given) and serves it at once;
 * absolute paths, `..`, backslashes, NUL, names that are not `.json`,
 * skipped folders and symbolic links that lead out are refused (real links
 * in a temporary directory) and nothing is written; an existing file is
 * 409; `--read-only` refuses every write; several served directories name
 * their files by label; the workflow size limit holds for writes.
 */
import assert from "node:assert/strict";
import { builtinRegistry } from "../nodes/mod.ts";
import { FlowRuntime } from "../src/runtime/runtime.ts";
import { createApp } from "../server/app.ts";
import { runCli } from "./helpers.ts";
import { Served, writeFiles } from "./serve_helpers.ts";

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Every file under a directory (relative paths), symbolic links not followed. */
function tree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
    out.push(prefix + e.name);
    if (e.isDirectory) out.push(...tree(`${dir}/${e.name}`, `${prefix}${e.name}/`));
  }
  return out;
}

Deno.test({
  name: "flow serve: new workflow files, and every path that leads out of the served directory refused",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await Deno.realPath(
      await writeFiles({
        "plain.json": {
          id: "plain",
          nodes: [{ id: "s", type: "transform.set", config: { value: 1 } }],
          connections: [],
        },
      }),
    );
    const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "flow-outside-" }));
    await Deno.writeTextFile(`${outside}/secret.json`, '{"nodes": [], "connections": [], "id": "secret"}');
    await Deno.symlink(outside, `${dir}/out`);
    await using server = await Served.start([dir]);

    await t.step(
      "no text: flow init's starter, with an id from the file name; 201 and Location; served at once",
      async () => {
        const res = await server.json("/api/v1/workflows", json({ file: "billing/invoice.json" }));
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.headers.get("location"), "/api/v1/files/billing/invoice.json/source");
        assert.deepEqual(res.body, {
          file: "billing/invoice.json",
          etag: res.body.etag,
          valid: true,
          errors: [],
          id: "invoice",
        });
        const text = await Deno.readTextFile(`${dir}/billing/invoice.json`);
        // The same starter as flow init writes (its $schema aside: no schema file here).
        const init = await Deno.makeTempDir({ prefix: "flow-init-" });
        assert.equal((await runCli(["init", `${init}/invoice`])).code, 0);
        const starter = JSON.parse(await Deno.readTextFile(`${init}/invoice/workflow.json`));
        delete starter.$schema;
        assert.equal(text, JSON.stringify(starter, null, 2) + "\n");
        const got = await server.fetch(res.headers.get("location")!);
        assert.equal(await got.text(), text);
        const listed = (await server.json("/api/v1/workflows")).body.workflows.map((w: { file: string }) => w.file);
        assert.deepEqual(listed, ["plain.json", "billing/invoice.json"]);
        const run = await server.json("/api/v1/workflows/invoice/runs?wait=true", { json: {} });
        assert.equal(run.body.status, "success");
      },
    );

    await t.step("a file of that name exists: 409, untouched; an id in use is not taken again", async () => {
      const before = await Deno.readTextFile(`${dir}/plain.json`);
      const res = await server.json("/api/v1/workflows", json({ file: "plain.json", text: "{}" }));
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, "EXISTS");
      assert.equal(await Deno.readTextFile(`${dir}/plain.json`), before);
      const again = await server.json("/api/v1/workflows", json({ file: "more/invoice.json" }));
      assert.equal(again.status, 201);
      assert.equal(again.body.id, "invoice-2", "two files with one id would both stop serving");
    });

    await t.step("a text given is written as it is, valid or not, and can be opened by its path", async () => {
      const draft = '{\n  "id": "draft",\n  "nodes": [\n';
      const res = await server.json("/api/v1/workflows", json({ file: "draft.json", text: draft }));
      assert.equal(res.status, 201);
      assert.equal(res.body.valid, false);
      assert.equal(res.body.errors[0].line, 4);
      assert.equal(await Deno.readTextFile(`${dir}/draft.json`), draft);
      const opened = await server.fetch("/api/v1/files/draft.json/source");
      assert.equal(await opened.text(), draft);
      // Not even a workflow yet: taken in all the same, as the editor made it.
      const empty = await server.json("/api/v1/workflows", json({ file: "empty.json", text: "{}" }));
      assert.equal(empty.status, 201);
      assert.equal((await server.fetch("/api/v1/files/empty.json/source")).status, 200);
    });

    await t.step(
      "absolute, .., backslash, NUL, control characters, not .json, skipped folders: 400 BAD_PATH",
      async () => {
        const before = tree(dir);
        const cases: [string, RegExp][] = [
          ["../escape.json", /"\.\." is not allowed in a path/],
          ["a/../../escape.json", /"\.\." is not allowed/],
          ["/tmp/abs.json", /not an absolute one/],
          ["C:/abs.json", /not an absolute one/],
          ["a\\b.json", /use \/ between folders/],
          ["nul\0.json", /cannot hold NUL/],
          ["line\nbreak.json", /control characters/],
          ["notes.txt", /ends in \.json/],
          [".json", /ends in \.json/],
          ["a//b.json", /no empty parts/],
          ["./a.json", /"\." is not allowed/],
          ["node_modules/x.json", /does not look into the folder "node_modules"/],
          [".hidden/x.json", /does not look into the folder "\.hidden"/],
          ["", /expected a path/],
        ];
        for (const [file, message] of cases) {
          const res = await server.json("/api/v1/workflows", json({ file }));
          assert.equal(res.status, 400, file);
          assert.equal(res.body.error.code, "BAD_PATH", file);
          assert.match(res.body.error.message, message, file);
        }
        const typed = await server.json("/api/v1/workflows", json({ file: 3 }));
        assert.equal(typed.status, 400);
        assert.equal(typed.body.error.code, "BAD_REQUEST");
        assert.deepEqual(tree(dir), before, "nothing was written");
      },
    );

    await t.step("a symbolic link that leads out: refused to create through, to read and to write", async () => {
      const created = await server.json("/api/v1/workflows", json({ file: "out/new.json" }));
      assert.equal(created.status, 400);
      assert.equal(created.body.error.code, "BAD_PATH");
      assert.match(created.body.error.message, /outside the served directories/);
      const deeper = await server.json("/api/v1/workflows", json({ file: "out/deep/er/new.json" }));
      assert.equal(deeper.status, 400);
      assert.deepEqual(tree(outside), ["secret.json"], "nothing written outside");
      // A served file swapped for a link to a file outside, under the server's feet.
      const plain = `${dir}/plain.json`;
      const res = await server.fetch("/api/v1/workflows/plain/source");
      const etag = res.headers.get("etag")!;
      await res.body?.cancel();
      await Deno.remove(plain);
      await Deno.symlink(`${outside}/secret.json`, plain);
      const read = await server.json("/api/v1/files/plain.json/source");
      assert.equal(read.status, 400, JSON.stringify(read.body));
      assert.equal(read.body.error.code, "BAD_PATH");
      assert.doesNotMatch(JSON.stringify(read.body), /secret/);
      const put = await server.json("/api/v1/files/plain.json/source", {
        method: "PUT",
        headers: { "content-type": "application/json", "if-match": etag },
        body: "{}",
      });
      assert.equal(put.status, 400);
      assert.equal(
        await Deno.readTextFile(`${outside}/secret.json`),
        '{"nodes": [], "connections": [], "id": "secret"}',
      );
      // A route knows only the files it serves (dot segments in a URL never reach it: tests/serve_guard_test.ts).
      const linked = await server.json("/api/v1/files/out/secret.json/source");
      assert.equal(linked.status, 404, "a file through a link to a folder is no served file");
    });
  },
});

Deno.test({
  name: "flow serve --read-only: every file write is 403 READ_ONLY; runs still start; the session says so",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await writeFiles({
      "plain.json": { id: "plain", nodes: [{ id: "s", type: "transform.set", config: { value: 1 } }], connections: [] },
    });
    await using server = await Served.start([dir, "--read-only"]);
    const before = await Deno.readTextFile(`${dir}/plain.json`);
    const source = await server.fetch("/api/v1/workflows/plain/source");
    assert.equal(source.status, 200, "reading is fine");
    const etag = source.headers.get("etag")!;
    await source.body?.cancel();
    const writes: [string, RequestInit][] = [
      ["/api/v1/workflows/plain/source", {
        method: "PUT",
        headers: { "content-type": "application/json", "if-match": etag },
        body: "{}",
      }],
      ["/api/v1/files/plain.json/source", {
        method: "PATCH",
        headers: { "content-type": "application/json-patch+json", "if-match": etag },
        body: '[{"op": "remove", "path": "/id"}]',
      }],
      ["/api/v1/workflows", json({ file: "new.json" })],
    ];
    for (const [path, init] of writes) {
      const res = await server.json(path, init);
      assert.equal(res.status, 403, `${init.method} ${path}`);
      assert.equal(res.body.error.code, "READ_ONLY");
    }
    assert.equal(await Deno.readTextFile(`${dir}/plain.json`), before);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["plain.json"]);
    assert.equal((await server.json("/api/v1/workflows/plain/runs?wait=true", { json: {} })).body.status, "success");
    assert.deepEqual((await server.json("/api/v1/session")).body, {
      authenticated: false,
      role: "admin",
      tokenRequired: false,
      readOnly: true,
    });
  },
});

Deno.test("several served directories: names start with each one's label; a new file goes where its label says", async () => {
  const a = await writeFiles({ "x.json": { id: "ax", nodes: [], connections: [] } });
  const b = await writeFiles({ "sub/x.json": { id: "bx", nodes: [], connections: [] } });
  const single = await writeFiles({ "solo.json": { id: "solo", nodes: [], connections: [] } });
  const la = a.slice(a.lastIndexOf("/") + 1), lb = b.slice(b.lastIndexOf("/") + 1);
  const runtime = await FlowRuntime.start({
    paths: [a, b, `${single}/solo.json`],
    registry: builtinRegistry(),
    watch: false,
    log: () => {},
  });
  try {
    const app = createApp(runtime, { log: () => {} });
    const names = (await (await app.request("/api/v1/workflows")).json()).workflows.map((w: { file: string }) =>
      w.file
    );
    assert.deepEqual(names, [`${la}/x.json`, `${lb}/sub/x.json`, "solo.json"]);
    assert.equal(
      await (await app.request(`/api/v1/files/${lb}/sub/x.json/source`)).text(),
      await Deno.readTextFile(`${b}/sub/x.json`),
    );
    const intoB = await app.request("/api/v1/workflows", json({ file: `${lb}/y.json` }));
    assert.equal(intoB.status, 201);
    assert.equal((await intoB.json()).file, `${lb}/y.json`);
    await Deno.stat(`${b}/y.json`);
    const intoFirst = await app.request("/api/v1/workflows", json({ file: "z.json" }));
    assert.equal((await intoFirst.json()).file, `${la}/z.json`, "the first served directory by default");
    await Deno.stat(`${a}/z.json`);
  } finally {
    await runtime.shutdown(0);
  }
});

Deno.test("writes are held to the workflow size limit (413 TOO_LARGE), and a text must be UTF-8 (400 BAD_TEXT)", async () => {
  const dir = await writeFiles({ "w.json": { id: "w", nodes: [], connections: [] } });
  const runtime = await FlowRuntime.start({ paths: [dir], registry: builtinRegistry(), watch: false, log: () => {} });
  const saved = Deno.env.get("FLOW_MAX_WORKFLOW_BYTES");
  Deno.env.set("FLOW_MAX_WORKFLOW_BYTES", "512");
  try {
    const app = createApp(runtime, { log: () => {} });
    const before = await Deno.readTextFile(`${dir}/w.json`);
    const etag = (await app.request("/api/v1/workflows/w/source")).headers.get("etag")!;
    const put = (body: BodyInit) =>
      app.request("/api/v1/workflows/w/source", {
        method: "PUT",
        headers: { "content-type": "application/json", "if-match": etag },
        body,
      });
    const big = await put(JSON.stringify({ id: "w", nodes: [], connections: [], description: "x".repeat(600) }));
    assert.equal(big.status, 413);
    const body = await big.json();
    assert.equal(body.error.code, "TOO_LARGE");
    assert.match(body.error.message, /larger than the workflow size limit of 512 bytes \(FLOW_MAX_WORKFLOW_BYTES\)/);
    const grown = await app.request("/api/v1/workflows/w/source", {
      method: "PATCH",
      headers: { "content-type": "application/json-patch+json", "if-match": etag },
      body: JSON.stringify([{ op: "add", path: "/description", value: "y".repeat(600) }]),
    });
    assert.equal(grown.status, 413);
    const created = await app.request("/api/v1/workflows", json({ file: "big.json", text: "z".repeat(600) }));
    assert.equal(created.status, 413);
    const latin1 = await put(new Uint8Array([0x7b, 0xe9, 0x7d]));
    assert.equal(latin1.status, 400);
    assert.equal((await latin1.json()).error.code, "BAD_TEXT");
    assert.equal(await Deno.readTextFile(`${dir}/w.json`), before);
  } finally {
    if (saved === undefined) Deno.env.delete("FLOW_MAX_WORKFLOW_BYTES");
    else Deno.env.set("FLOW_MAX_WORKFLOW_BYTES", saved);
    await runtime.shutdown(0);
  }
});
