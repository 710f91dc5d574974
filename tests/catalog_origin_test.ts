/**
 * The origin of a file change: bytes the API writes are the API's even when
 * the watcher's reload reads them before the API's own reload does (a
 * loaded machine), so the editor never takes its own save for someone
 * else's edit.
 *
 * @module
 */
import * as assert from "node:assert/strict";
import { builtinRegistry } from "../mod.ts";
import { Catalog, type FileChange } from "../src/runtime/catalog.ts";
import { sha256Hex } from "../src/workflow/hash.ts";

const workflow = (value: string) =>
  JSON.stringify({ id: "w", nodes: [{ id: "a", type: "transform.set", config: { value } }], connections: [] }) + "\n";

Deno.test("bytes the API announced are reported as the API's, whichever reload reads them first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-origin-" });
  const file = `${dir}/w.json`;
  await Deno.writeTextFile(file, workflow("one"));
  const seen: FileChange[] = [];
  const catalog = new Catalog([dir], builtinRegistry(), { log: () => {}, file: (c) => seen.push(c) });
  await catalog.load();
  try {
    const text = workflow("two");
    const done = catalog.expectWrite(file, await sha256Hex(new TextEncoder().encode(text)));
    await Deno.writeTextFile(file, text);
    await catalog.reload([file]); // the watcher's reload (origin disk) gets there first
    await catalog.reloadNow([file], { origin: "api" }); // the API's own: same bytes, nothing new
    done();
    assert.deepEqual(seen.map((c) => [c.type, c.origin]), [["file.written", "api"]]);

    await Deno.writeTextFile(file, workflow("three")); // a person's edit, after the API's write ended
    await catalog.reload([file]);
    assert.deepEqual(seen.map((c) => c.origin), ["api", "disk"]);
  } finally {
    await catalog.close();
  }
});
