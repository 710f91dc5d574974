/**
 * The remembered content hashes of workflow files (cli/hash_cache.ts): used
 * only while the file's stamp holds, never for a file that changed or had
 * just changed, and a cache that is not ours is ignored.
 */
import * as assert from "node:assert/strict";
import { fileStamp, SETTLED_MS, workflowHash } from "../cli/hash_cache.ts";
import { contentHash, versionHash } from "../src/hash.ts";
import { tempState } from "./history_helpers.ts";

/** A temporary directory holding a workflow file with `text`; removed after `fn`. */
async function withFile(text: string, fn: (dir: string, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "flow-hash-cache-" });
  try {
    const path = `${dir}/wf.json`;
    await Deno.writeTextFile(path, text);
    await fn(dir, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A time at which every file written so far has settled. */
const later = () => Date.now() + SETTLED_MS + 1000;

Deno.test("a settled file's hash is remembered by its stamp and used while the stamp holds", async () => {
  await withFile('{"nodes":[]}', async (dir, path) => {
    const stamp = fileStamp(path);
    assert.ok(stamp, "a regular file has a stamp");
    const first = await workflowHash({ path, stamp, text: '{"nodes":[]}', sources: new Map() }, { dir, now: later() });
    assert.equal(first, await contentHash('{"nodes":[]}'));
    const cache = JSON.parse(await Deno.readTextFile(`${dir}/hashes.json`));
    assert.deepEqual(Object.keys(cache.files), [path]);
    // Same stamp: the remembered hash, without hashing the text given (here a different one, to tell them apart).
    const again = await workflowHash({ path, stamp, text: "not read", sources: new Map() }, { dir, now: later() });
    assert.equal(again, first);
  });
});

Deno.test("a file that changed is hashed again, and one changed within the last seconds is not remembered", async () => {
  await withFile('{"nodes":[]}', async (dir, path) => {
    const text = '{"nodes":[]}';
    await workflowHash({ path, stamp: fileStamp(path), text, sources: new Map() }, { dir, now: later() });
    const changed = '{"nodes":[],"id":"x"}';
    await Deno.writeTextFile(path, changed);
    const stamp = fileStamp(path);
    // The real clock: the file changed just now, so its stamp may still be shared by a change to come.
    assert.equal(
      await workflowHash({ path, stamp, text: changed, sources: new Map() }, { dir }),
      await contentHash(changed),
    );
    const cache = JSON.parse(await Deno.readTextFile(`${dir}/hashes.json`));
    assert.equal(cache.files[path][5], await contentHash(text), "the entry of the old stamp stays, unused");
    assert.equal(
      await workflowHash({ path, stamp, text: changed, sources: new Map() }, { dir }),
      await contentHash(changed),
      "not the old file's hash",
    );
  });
});

Deno.test("a cache file that is not JSON, or not ours, is ignored and replaced", async () => {
  await withFile("{}", async (dir, path) => {
    for (const junk of ["not json", '{"files": 3}', '{"files": {"x": [1]}}', "null"]) {
      await Deno.writeTextFile(`${dir}/hashes.json`, junk);
      const hash = await workflowHash({ path, stamp: fileStamp(path), text: "{}", sources: new Map() }, {
        dir,
        now: later(),
      });
      assert.equal(hash, await contentHash("{}"), junk);
      assert.deepEqual(Object.keys(JSON.parse(await Deno.readTextFile(`${dir}/hashes.json`)).files), [path], junk);
    }
  });
});

Deno.test("a workflow with sub-workflow files, or without a stamp, is always hashed", async () => {
  await withFile("{}", async (dir, path) => {
    const sources = new Map([["/abs/sub.json", "{}"]]);
    const stamp = fileStamp(path);
    assert.equal(
      await workflowHash({ path, stamp, text: "{}", sources }, { dir, now: later() }),
      await versionHash("{}", sources),
    );
    assert.equal(
      await workflowHash({ path, text: "{}", sources: new Map() }, { dir, now: later() }),
      await contentHash("{}"),
    );
    await assert.rejects(Deno.stat(`${dir}/hashes.json`), Deno.errors.NotFound);
  });
});

Deno.test("flow run records the hash of the file as it is, across an edit between two runs", async () => {
  await using state = await tempState();
  const path = `${state.dir}/wf.json`;
  const workflow = (name: string) => JSON.stringify({ id: "edited", name, nodes: [], connections: [] });
  const hashes: string[] = [];
  for (const name of ["first", "second"]) {
    await Deno.writeTextFile(path, workflow(name));
    const run = await state.flow(["run", path, "--quiet"]);
    assert.equal(run.code, 0, run.stderr);
    const runs = await state.flow(["runs", "--format", "json", "--limit", "1"]);
    const id = JSON.parse(runs.stdout)[0].executionId;
    const show = JSON.parse((await state.flow(["runs", "show", id, "--format", "json"])).stdout);
    assert.equal(show.hash, await contentHash(workflow(name)));
    hashes.push(show.hash);
  }
  assert.notEqual(hashes[0], hashes[1]);
});
