/**
 * The remembered content hashes of workflow files (cli/hash_cache.ts): a
 * remembered hash is used only for exactly the text it was computed from, a
 * cache file that is not ours is ignored, and the cache stays bounded.
 */
import * as assert from "node:assert/strict";
import { CACHED_FILES, CACHED_TEXT_LENGTH, workflowHash } from "../cli/hash_cache.ts";
import { contentHash, versionHash } from "../src/workflow/hash.ts";
import { tempState } from "./history_helpers.ts";

const none = new Map<string, string>();
const FAKE = `sha256:${"ab".repeat(32)}`;

Deno.test("a text hashed before is not hashed again: its remembered hash is used, for that exact text only", async () => {
  await using cache = await tempState();
  const dir = cache.dir;
  const path = "/srv/flow/nightly.json";
  const text = '{"id":"nightly","nodes":[]}';
  assert.equal(await workflowHash({ path, text, sources: none }, { dir }), await contentHash(text));
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [encodeURIComponent(path)]);
  // Plant a hash no text has, for this text: only a remembered hash can come back as it.
  await Deno.writeTextFile(`${dir}/${encodeURIComponent(path)}`, `${FAKE}\n${text}`);
  assert.equal(await workflowHash({ path, text, sources: none }, { dir }), FAKE);
  // The file changed, even by one character and not in length: hashed again, and remembered instead.
  const edited = text.replace("nightly", "nightlY");
  assert.equal(await workflowHash({ path, text: edited, sources: none }, { dir }), await contentHash(edited));
  assert.equal(await workflowHash({ path, text: edited, sources: none }, { dir }), await contentHash(edited));
  assert.equal(await workflowHash({ path, text, sources: none }, { dir }), await contentHash(text), "not FAKE");
});

Deno.test("a cache file that is not ours is ignored and replaced", async () => {
  await using cache = await tempState();
  const dir = cache.dir;
  const path = "/srv/wf.json";
  const file = `${dir}/${encodeURIComponent(path)}`;
  for (const junk of ["", "{}", `not-a-hash\n{}`, `${FAKE}{}`, `${FAKE}\n{} `, `sha256:ab\n{}`]) {
    await Deno.writeTextFile(file, junk);
    assert.equal(await workflowHash({ path, text: "{}", sources: none }, { dir }), await contentHash("{}"), junk);
    assert.equal(await Deno.readTextFile(file), `${await contentHash("{}")}\n{}`, junk);
  }
});

Deno.test("a workflow with sub-workflow files, or a long text, is hashed on every run", async () => {
  await using cache = await tempState();
  const dir = cache.dir;
  const sources = new Map([["/srv/sub.json", "{}"]]);
  assert.equal(
    await workflowHash({ path: "/srv/a.json", text: "{}", sources }, { dir }),
    await versionHash("{}", sources),
  );
  const long = `{"description":"${"x".repeat(CACHED_TEXT_LENGTH)}"}`;
  assert.equal(
    await workflowHash({ path: "/srv/b.json", text: long, sources: none }, { dir }),
    await contentHash(long),
  );
  assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing remembered");
});

Deno.test("the cache keeps the newest files only", async () => {
  await using cache = await tempState();
  const dir = cache.dir;
  const count = CACHED_FILES + 3;
  for (let i = 0; i < count; i++) {
    await workflowHash({ path: `/srv/wf-${i}.json`, text: `{"n":${i}}`, sources: none }, { dir });
    // Distinct write times, oldest first (a file system may keep them to the second).
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
    await Deno.utime(`${dir}/${encodeURIComponent(`/srv/wf-${i}.json`)}`, at, at);
  }
  const names = new Set([...Deno.readDirSync(dir)].map((e) => e.name));
  assert.ok(names.size <= CACHED_FILES, `${names.size} files`);
  assert.ok(names.has(encodeURIComponent(`/srv/wf-${count - 1}.json`)), "the newest is kept");
  assert.ok(!names.has(encodeURIComponent("/srv/wf-0.json")), "the oldest is gone");
});

Deno.test("flow run records the hash of the file as it is, across an edit between two runs", async () => {
  await using state = await tempState();
  const path = `${state.dir}/wf.json`;
  const workflow = (name: string) => JSON.stringify({ id: "edited", name, nodes: [], connections: [] });
  const hashes: string[] = [];
  for (const name of ["first", "first", "second"]) {
    await Deno.writeTextFile(path, workflow(name));
    const run = await state.flow(["run", path, "--quiet"]);
    assert.equal(run.code, 0, run.stderr);
    const runs = await state.flow(["runs", "--format", "json", "--limit", "1"]);
    const id = JSON.parse(runs.stdout)[0].executionId;
    const show = JSON.parse((await state.flow(["runs", "show", id, "--format", "json"])).stdout);
    assert.equal(show.hash, await contentHash(workflow(name)));
    hashes.push(show.hash);
  }
  assert.equal(hashes[0], hashes[1]);
  assert.notEqual(hashes[1], hashes[2]);
  const remembered = await Deno.readTextFile(`${state.dir}/hashes/${encodeURIComponent(await Deno.realPath(path))}`);
  assert.equal(remembered, `${hashes[2]}\n${workflow("second")}`);
});
