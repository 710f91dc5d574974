/**
 * Editing workflow files through a real `flow serve` (docs/api.md#editing-workflow-files),
 * in a temporary git repository: the text and its ETag, a one-value PATCH
 * that is a one-line `git diff`, a layout PATCH that touches only the
 * layout block, whole-text PUTs (an invalid draft is written and the last
 * valid version goes on serving), 428 and 412 (the file untouched), writes
 * that keep the file's mode, concurrent writes over one version (exactly
 * one wins), and the events stream seeing every write, the API's and the
 * disk's.
 */
import assert from "node:assert/strict";
import { parseSse, Served, type SseEvent, waitFor } from "./serve_helpers.ts";

const ORDERS = `{
  "id": "orders",
  "inputs": { "n": { "type": "number", "default": 2 } },
  "nodes": [
    { "id": "double", "type": "transform.set", "config": { "value": "{{ $inputs.n * 2 }}" } },
    { "id": "label", "type": "transform.set", "config": { "value": "orders" } }
  ],
  "connections": [],
  "outputs": { "doubled": "double.value", "label": "label.value" }
}
`;

/** Runs git in `dir`; returns stdout. */
async function git(dir: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.name=flow", "-c", "user.email=flow@example.com", "-c", "commit.gpgsign=false", ...args],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

/** A git repository holding `orders.json`, committed. */
async function repo(files: Record<string, string> = { "orders.json": ORDERS }): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "flow-edit-" }));
  await git(dir, "init", "-q");
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, text);
  await git(dir, "add", "-A");
  await git(dir, "commit", "-qm", "start");
  return dir;
}

async function sha256(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>)).toHex();
}

/** The events of `GET /api/v1/events`, collected as they come. */
async function follow(
  server: Served,
): Promise<{ events: SseEvent[]; wait: (n: number) => Promise<SseEvent[]>; close: () => Promise<void> }> {
  const stop = new AbortController();
  const res = await server.fetch("/api/v1/events", { headers: { accept: "text/event-stream" }, signal: stop.signal });
  assert.equal(res.status, 200);
  let text = "";
  const events: SseEvent[] = [];
  const pump = (async () => {
    try {
      for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
        text += chunk;
        const cut = text.lastIndexOf("\n\n");
        if (cut < 0) continue;
        events.push(...parseSse(text.slice(0, cut + 2)).filter((e) => e.event === "file"));
        text = text.slice(cut + 2);
      }
    } catch { /* stopped */ }
  })();
  return {
    events,
    wait: (n) => waitFor(() => events.length >= n && events, { message: () => `events: ${JSON.stringify(events)}` }),
    close: async () => {
      stop.abort();
      await pump;
    },
  };
}

/** How many times flow serve said it reloaded orders.json. */
const reloads = (server: Served) => server.stderr.split("\n").filter((l) => l.endsWith('reloaded "orders"')).length;

const patchInit = (etag: string, ops: unknown[]): RequestInit => ({
  method: "PATCH",
  headers: { "content-type": "application/json-patch+json", "if-match": `"${etag}"` },
  body: JSON.stringify(ops),
});
const putInit = (text: string, etag?: string): RequestInit => ({
  method: "PUT",
  headers: { "content-type": "application/json", ...(etag ? { "if-match": `"${etag}"` } : {}) },
  body: text,
});

Deno.test({
  name: "flow serve: a workflow file edited through the API, as git sees it",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await repo();
    const file = `${dir}/orders.json`;
    await using server = await Served.start([dir]);
    const stream = await follow(server);
    let etag = "";

    await t.step("GET: the bytes as on disk, ETag the SHA-256 of them, by id and by path", async () => {
      for (const path of ["/api/v1/workflows/orders/source", "/api/v1/files/orders.json/source"]) {
        const res = await server.fetch(path);
        assert.equal(res.status, 200);
        const bytes = new Uint8Array(await res.arrayBuffer());
        assert.deepEqual(bytes, await Deno.readFile(file));
        assert.equal(res.headers.get("etag"), `"${await sha256(bytes)}"`);
        assert.equal(res.headers.get("x-flow-file"), "orders.json");
        assert.match(res.headers.get("content-type")!, /^application\/json; charset=utf-8$/);
        etag = res.headers.get("etag")!.slice(1, -1);
      }
      const list = await server.json("/api/v1/workflows");
      assert.equal(list.body.workflows[0].file, "orders.json", "the list names files as the file routes take them");
      for (const path of ["/api/v1/workflows/nope/source", "/api/v1/files/nope.json/source"]) {
        const res = await server.json(path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body.error.code, "NOT_FOUND");
      }
    });

    await t.step("PATCH one value: one line changes (git diff --numstat), the file reloads at once", async () => {
      const hashBefore = (await server.json("/api/v1/workflows")).body.workflows[0].hash;
      const res = await server.json(
        "/api/v1/workflows/orders/source",
        patchInit(etag, [{ op: "replace", path: "/nodes/1/config/value", value: "ORDERS" }]),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { file: "orders.json", etag: res.body.etag, valid: true, errors: [], id: "orders" });
      assert.equal(res.headers.get("etag"), `"${res.body.etag}"`);
      assert.equal(res.body.etag, await sha256(await Deno.readFile(file)));
      assert.equal(await git(dir, "diff", "--numstat"), "1\t1\torders.json\n");
      const [event] = await stream.wait(1);
      assert.deepEqual(JSON.parse(event.data), {
        type: "file.written",
        file: "orders.json",
        id: "orders",
        etag: res.body.etag,
        origin: "api",
      });
      assert.equal(event.id, undefined, "a file event has no execution seq");
      // What serves is the new text already: no wait for the watcher.
      const listed = (await server.json("/api/v1/workflows")).body.workflows[0];
      assert.notEqual(listed.hash, hashBefore);
      const run = await server.json("/api/v1/workflows/orders/runs?wait=true", { json: {} });
      assert.equal(run.body.outputs.label, "ORDERS");
      etag = res.body.etag;
      await git(dir, "commit", "-qam", "one value");
    });

    await t.step("PATCH the layout: only the layout block's lines change, the hash does not", async () => {
      const hash = (await server.json("/api/v1/workflows")).body.workflows[0].hash;
      const reloadsBefore = reloads(server);
      const added = await server.json(
        "/api/v1/workflows/orders/source",
        patchInit(etag, [{ op: "add", path: "/layout", value: { double: [0, 0], label: [240, 0] } }]),
      );
      assert.equal(added.status, 200, JSON.stringify(added.body));
      const diff = await git(dir, "diff", "-U0");
      const changed = diff.split("\n").filter((l) => /^[-+][^-+]/.test(l));
      assert.deepEqual(changed, [
        '-  "outputs": { "doubled": "double.value", "label": "label.value" }',
        '+  "outputs": { "doubled": "double.value", "label": "label.value" },',
        '+  "layout": {',
        '+    "double": [0, 0],',
        '+    "label": [240, 0]',
        "+  }",
      ]);
      await git(dir, "commit", "-qam", "layout");
      const moved = await server.json(
        "/api/v1/files/orders.json/source",
        patchInit(added.body.etag, [{ op: "replace", path: "/layout/label", value: [260, 40] }]),
      );
      assert.equal(moved.status, 200);
      assert.equal(await git(dir, "diff", "--numstat"), "1\t1\torders.json\n");
      assert.ok((await git(dir, "diff")).includes('-    "label": [240, 0]\n+    "label": [260, 40]'));
      assert.equal((await server.json("/api/v1/workflows")).body.workflows[0].hash, hash, "a layout is no new version");
      assert.equal(reloads(server), reloadsBefore, "no reload line: the version serving is the same");
      etag = moved.body.etag;
      await git(dir, "commit", "-qam", "moved");
    });

    await t.step(
      "PUT: 428 without If-Match, 412 with an old one (the current text comes back), the file untouched",
      async () => {
        const before = await Deno.readTextFile(file);
        const missing = await server.json("/api/v1/workflows/orders/source", putInit("{}"));
        assert.equal(missing.status, 428);
        assert.equal(missing.body.error.code, "PRECONDITION_REQUIRED");
        const stale = await server.json("/api/v1/workflows/orders/source", putInit("{}", "0".repeat(64)));
        assert.equal(stale.status, 412);
        assert.equal(stale.body.error.code, "STALE");
        assert.equal(stale.body.etag, etag);
        assert.equal(stale.body.text, before);
        assert.equal(stale.headers.get("etag"), `"${etag}"`);
        assert.equal(await Deno.readTextFile(file), before);
        const stalePatch = await server.json(
          "/api/v1/workflows/orders/source",
          patchInit("0".repeat(64), [{ op: "remove", path: "/nodes/0" }]),
        );
        assert.equal(stalePatch.status, 412);
        assert.equal(await Deno.readTextFile(file), before);
      },
    );

    await t.step("PATCH that does not apply: 400 naming the op; a PATCH must be a JSON Patch (415)", async () => {
      const before = await Deno.readTextFile(file);
      const res = await server.json(
        "/api/v1/workflows/orders/source",
        patchInit(etag, [
          { op: "test", path: "/id", value: "orders" },
          { op: "replace", path: "/nodes/9/config/value", value: 1 },
        ]),
      );
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, "PATCH_FAILED");
      assert.equal(
        res.body.error.message,
        'operation 1 (replace "/nodes/9/config/value"): the path does not exist: the array at /nodes has 2 items',
      );
      const shape = await server.json("/api/v1/workflows/orders/source", patchInit(etag, [{ op: "add", path: "/x" }]));
      assert.equal(shape.status, 400);
      assert.equal(shape.body.error.code, "BAD_REQUEST");
      assert.match(shape.body.error.message, /0\.value: required by "add"/);
      const typed = await server.json("/api/v1/workflows/orders/source", {
        ...patchInit(etag, []),
        headers: { "content-type": "application/json", "if-match": `"${etag}"` },
      });
      assert.equal(typed.status, 415);
      assert.match(typed.body.error.message, /application\/json-patch\+json/);
      assert.equal(await Deno.readTextFile(file), before);
    });

    await t.step("PUT an invalid draft: written as sent, the last valid version goes on serving", async () => {
      const draft = ORDERS.replace('"transform.set", "config": { "value": "orders" }', '"transform.nope"');
      const res = await server.json("/api/v1/workflows/orders/source", putInit(draft, etag));
      assert.equal(res.status, 200);
      assert.equal(res.body.valid, false);
      assert.equal(res.body.id, "orders");
      assert.equal(await Deno.readTextFile(file), draft);
      const [error] = res.body.errors;
      assert.equal(error.path, "nodes[1].type");
      assert.match(error.message, /unknown node type "transform.nope"/);
      assert.deepEqual([error.line, error.column], [6, 30]);
      assert.equal(draft.slice(error.offset, error.offset + error.length), '"transform.nope"');
      const listed = (await server.json("/api/v1/workflows")).body.workflows[0];
      assert.equal(listed.valid, false);
      const run = await server.json("/api/v1/workflows/orders/runs?wait=true", { json: {} });
      assert.equal(run.body.outputs.label, "ORDERS", "the previous version runs");
      // Its problem is logged once: the watcher, which sees the write too, leaves bytes it was told of alone. (A file
      // written after it is seen after it: once the marker's event is here, so is the draft's reload.)
      await Deno.writeTextFile(`${dir}/marker.json`, '{"id": "marker", "nodes": [], "connections": []}');
      await waitFor(() => stream.events.some((e) => JSON.parse(e.data).file === "marker.json"));
      assert.equal(server.stderr.split("\n").filter((l) => l.includes('unknown node type "transform.nope"')).length, 1);
      // Not JSON at all: written too; a PATCH of it is refused (NOT_JSON).
      const broken = await server.json("/api/v1/workflows/orders/source", putInit('{ "id": "orders", ', res.body.etag));
      assert.equal(broken.status, 200);
      assert.equal(broken.body.errors[0].line, 1);
      const patched = await server.json(
        "/api/v1/files/orders.json/source",
        patchInit(broken.body.etag, [{ op: "add", path: "/x", value: 1 }]),
      );
      assert.equal(patched.status, 400);
      assert.equal(patched.body.error.code, "NOT_JSON");
      const fixed = await server.json("/api/v1/files/orders.json/source", putInit(ORDERS, broken.body.etag));
      assert.equal(fixed.body.valid, true);
      etag = fixed.body.etag;
    });

    await t.step("a write keeps the file's mode", async () => {
      await Deno.chmod(file, 0o640);
      const res = await server.json(
        "/api/v1/workflows/orders/source",
        patchInit(etag, [{ op: "replace", path: "/inputs/n/default", value: 3 }]),
      );
      assert.equal(res.status, 200);
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o640);
      const leftovers = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".tmp"));
      assert.deepEqual(leftovers, [], "no temporary file left");
      etag = res.body.etag;
    });

    await t.step("concurrent PUTs over one version: exactly one wins, the others get 412", async () => {
      const answers = await Promise.all(
        Array.from(
          { length: 6 },
          (_, i) =>
            server.json(
              "/api/v1/workflows/orders/source",
              putInit(ORDERS.replace('"orders" }', `"orders-${i}" }`), etag),
            ),
        ),
      );
      const won = answers.filter((a) => a.status === 200);
      assert.equal(won.length, 1, JSON.stringify(answers.map((a) => a.status)));
      assert.deepEqual(answers.filter((a) => a.status !== 200).map((a) => a.status), [412, 412, 412, 412, 412]);
      assert.equal(await sha256(await Deno.readFile(file)), won[0].body.etag);
      for (const lost of answers.filter((a) => a.status === 412)) assert.equal(lost.body.etag, won[0].body.etag);
      etag = won[0].body.etag;
    });

    await t.step("the events stream saw each write once; a change on disk is an event too (origin disk)", async () => {
      const seen = (await stream.wait(9)).map((e) => JSON.parse(e.data)).filter((e) => e.file !== "marker.json");
      assert.ok(seen.every((e) => e.origin === "api" && e.file === "orders.json"), JSON.stringify(seen));
      assert.equal(seen.length, 8, "patch, layout, move, draft, broken, fixed, mode, one of the PUTs");
      assert.equal(seen[7].etag, etag);
      const text = ORDERS.replace('"orders" }', '"by hand" }');
      await Deno.writeTextFile(`${file}.tmp`, text);
      await Deno.rename(`${file}.tmp`, file);
      const [disk] = (await stream.wait(10)).slice(9);
      assert.deepEqual(JSON.parse(disk.data), {
        type: "file.written",
        file: "orders.json",
        id: "orders",
        etag: await sha256(text),
        origin: "disk",
      });
      await stream.close();
    });
  },
});
