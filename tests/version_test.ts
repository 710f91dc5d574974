import assert from "node:assert/strict";
import { builtinRegistry, runWorkflow } from "../mod.ts";
import { contentHash } from "../src/workflow/hash.ts";
import { buildVersion, loadVersion } from "../src/runtime/version.ts";

/** A parent workflow running sub.json, which sets its output to `word`. */
async function files(word: string) {
  const dir = await Deno.makeTempDir({ prefix: "flow-version-" });
  const sub = {
    id: "sub",
    nodes: [{ id: "say", type: "transform.set", config: { value: word } }],
    connections: [],
    outputs: { word: "say.value" },
  };
  const parent = {
    id: "parent",
    nodes: [{ id: "child", type: "flow.subworkflow", config: { workflowFile: "sub.json" } }],
    connections: [],
    outputs: { word: "child.word" },
  };
  await Deno.writeTextFile(`${dir}/sub.json`, JSON.stringify(sub));
  await Deno.writeTextFile(`${dir}/parent.json`, JSON.stringify(parent));
  return { dir, parent: `${dir}/parent.json`, sub: `${dir}/sub.json`, subObject: sub };
}

Deno.test("a version's hash covers its sub-workflow files, and a stored version runs their stored text", async () => {
  const f = await files("then");
  try {
    const registry = builtinRegistry();
    const first = await loadVersion(f.parent, registry, []);
    const text = await Deno.readTextFile(f.parent);
    assert.deepEqual([...first.sources.keys()], [f.sub]);
    assert.notEqual(first.hash, await contentHash(text), "the sub-workflow's text is part of the hash");

    // The sub-workflow file changes on disk: a fresh load is another version ...
    await Deno.writeTextFile(
      f.sub,
      JSON.stringify({ ...f.subObject, nodes: [{ ...f.subObject.nodes[0], config: { value: "now" } }] }),
    );
    const fresh = await loadVersion(f.parent, registry, []);
    assert.notEqual(fresh.hash, first.hash);
    assert.equal((await runWorkflow(fresh.compiled)).outputs.word, "now");

    // ... while the stored version (text and sources) builds the same version as before, disk or not.
    const stored = await buildVersion(f.parent, text, registry, [], new Map(first.sources));
    assert.equal(stored.hash, first.hash);
    assert.equal((await runWorkflow(stored.compiled)).outputs.word, "then");
    await Promise.all([first.retire(), fresh.retire(), stored.retire()]);
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("without sub-workflow files a version's hash is its file's content hash", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-version-" });
  try {
    const text = JSON.stringify({ id: "solo", nodes: [], connections: [] });
    await Deno.writeTextFile(`${dir}/solo.json`, text);
    const v = await loadVersion(`${dir}/solo.json`, builtinRegistry(), []);
    assert.equal(v.hash, await contentHash(text));
    await v.retire();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
