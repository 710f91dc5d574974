/**
 * `file.read`, `file.write` and `file.list` on real files in temporary
 * folders.
 */
import assert from "node:assert/strict";
import { failure, outputsOf, runIn, tempDir } from "./system_helpers.ts";

const all = (dir = ".") => ({ permissions: { read: [dir], write: [dir] } });

Deno.test("file.read: utf8, json and base64; its errors", async (t) => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/a.txt`, "  two lines\n\n");
  await Deno.writeTextFile(`${dir}/a.json`, '{"n": [1, 2]}');
  await Deno.writeFile(`${dir}/a.bin`, new Uint8Array([0, 255, 1]));
  await Deno.writeTextFile(`${dir}/bad.json`, "{nope");
  const read = (id: string, config: Record<string, unknown>) => ({ id, type: "file.read", config });

  await t.step("the three encodings", async () => {
    const { result, events } = await runIn(dir, {
      settings: all(),
      nodes: [
        read("text", { path: "a.txt" }),
        read("json", { path: "a.json", encoding: "json" }),
        read("bin", { path: `${dir}/a.bin`, encoding: "base64" }),
      ],
      connections: [],
    });
    assert.equal(result.status, "success");
    assert.deepEqual(outputsOf(events, "text"), { content: "  two lines\n\n" });
    assert.deepEqual(outputsOf(events, "json"), { content: { n: [1, 2] } });
    assert.deepEqual(outputsOf(events, "bin"), { content: "AP8B" });
  });

  await t.step("errors: not found, not JSON, not UTF-8, too large, a directory", async () => {
    await Deno.mkdir(`${dir}/folder`);
    const { result } = await runIn(dir, {
      settings: { ...all(), onError: "continue" },
      nodes: [
        read("missing", { path: "missing.txt" }),
        read("badjson", { path: "bad.json", encoding: "json" }),
        read("binary", { path: "a.bin" }),
        read("large", { path: "a.txt", maxBytes: 5 }),
        read("folder", { path: "folder" }),
      ],
      connections: [],
    });
    assert.deepEqual(failure(result, "missing"), {
      code: "FILE_NOT_FOUND",
      message: `reading ${JSON.stringify(`${dir}/missing.txt`)}: file not found`,
    });
    assert.equal(failure(result, "badjson").code, "BAD_JSON");
    assert.match(failure(result, "badjson").message, /bad\.json: not JSON: /);
    assert.deepEqual(failure(result, "binary"), {
      code: "BAD_ENCODING",
      message: `${dir}/a.bin: not UTF-8 text; read it with encoding "base64"`,
    });
    assert.deepEqual(failure(result, "large"), {
      code: "FILE_TOO_LARGE",
      message: `reading ${JSON.stringify(`${dir}/a.txt`)}: larger than maxBytes (5 bytes)`,
    });
    assert.equal(failure(result, "folder").code, "NOT_A_FILE");
  });
});

Deno.test("file.write: atomic replace, append, encodings, folders", async (t) => {
  const dir = await tempDir();
  const write = (id: string, config: Record<string, unknown>) => ({ id, type: "file.write", config });

  await t.step("replaces a file, keeping its mode, leaving no temporary file; outputs path and bytes", async () => {
    await Deno.writeTextFile(`${dir}/out.txt`, "old content that is longer");
    await Deno.chmod(`${dir}/out.txt`, 0o640);
    const { events } = await runIn(dir, {
      settings: all(),
      nodes: [write("w", { path: "out.txt", content: "né\n" })],
      connections: [],
    });
    assert.deepEqual(outputsOf(events, "w"), { path: `${dir}/out.txt`, bytes: 4 });
    assert.equal(await Deno.readTextFile(`${dir}/out.txt`), "né\n");
    assert.equal((await Deno.stat(`${dir}/out.txt`)).mode! & 0o777, 0o640);
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    assert.deepEqual(names, ["out.txt", "wf.json"]);
  });

  await t.step("a reader never sees a part: the file is replaced by a rename (a new inode)", async () => {
    const before = (await Deno.stat(`${dir}/out.txt`)).ino;
    await runIn(dir, { settings: all(), nodes: [write("w", { path: "out.txt", content: "x" })], connections: [] });
    assert.notEqual((await Deno.stat(`${dir}/out.txt`)).ino, before);
  });

  await t.step("append adds to the end (json: one value per line), creating the file", async () => {
    const wf = {
      settings: all(),
      inputs: { value: { type: "any" } },
      nodes: [write("w", { path: "log.ndjson", encoding: "json", append: true })],
      connections: [{ from: "$inputs.value", to: "w.content" }],
    };
    await runIn(dir, wf, { inputs: { value: { a: 1 } } });
    await runIn(dir, wf, { inputs: { value: [2] } });
    assert.equal(await Deno.readTextFile(`${dir}/log.ndjson`), '{"a":1}\n[2]\n');
  });

  await t.step("json replaces with indented JSON; base64 writes the bytes", async () => {
    const { events } = await runIn(dir, {
      settings: all(),
      nodes: [
        write("j", { path: "v.json", encoding: "json", content: { a: [1] } }),
        write("b", { path: "v.bin", encoding: "base64", content: "AP8B" }),
      ],
      connections: [],
    });
    assert.equal(await Deno.readTextFile(`${dir}/v.json`), '{\n  "a": [\n    1\n  ]\n}\n');
    assert.deepEqual(await Deno.readFile(`${dir}/v.bin`), new Uint8Array([0, 255, 1]));
    assert.equal(outputsOf(events, "b").bytes, 3);
  });

  await t.step("mkdir creates missing folders; without it the node fails", async () => {
    const { result } = await runIn(dir, {
      settings: { ...all(), onError: "continue" },
      nodes: [
        write("no", { path: "a/b/c.txt", content: "x" }),
        write("yes", { path: "d/e/f.txt", content: "x", mkdir: true }),
      ],
      connections: [],
    });
    assert.deepEqual(failure(result, "no"), {
      code: "FILE_NOT_FOUND",
      message: `writing ${JSON.stringify(`${dir}/a/b/c.txt`)}: its folder does not exist (mkdir: true creates it)`,
    });
    assert.equal(await Deno.readTextFile(`${dir}/d/e/f.txt`), "x");
  });

  await t.step("content that does not fit the encoding is BAD_INPUT", async () => {
    const { result } = await runIn(dir, {
      settings: all(),
      nodes: [write("w", { path: "n.txt", content: 5 })],
      connections: [],
    });
    assert.deepEqual(failure(result, "w"), {
      code: "BAD_INPUT",
      message: 'content: expected a string for encoding "utf8"; got 5',
    });
  });
});

Deno.test("file.list: a glob, sizes and times, in path order; subfolders with **", async (t) => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/data/sub`, { recursive: true });
  await Deno.writeTextFile(`${dir}/data/b.csv`, "bb");
  await Deno.writeTextFile(`${dir}/data/a.csv`, "a");
  await Deno.writeTextFile(`${dir}/data/notes.txt`, "n");
  await Deno.writeTextFile(`${dir}/data/sub/c.csv`, "ccc");
  const list = (id: string, config: Record<string, unknown>) => ({ id, type: "file.list", config });

  await t.step("top level, then every level", async () => {
    const { events } = await runIn(dir, {
      settings: { permissions: { read: ["./data"] } },
      nodes: [list("top", { dir: "data", glob: "*.csv" }), list("deep", { dir: "./data", glob: "**/*.csv" })],
      connections: [],
    });
    const top = outputsOf(events, "top") as {
      files: { path: string; name: string; size: number; modifiedAt: string }[];
    };
    assert.deepEqual(top.files.map(({ path, name, size }) => ({ path, name, size })), [
      { path: "data/a.csv", name: "a.csv", size: 1 },
      { path: "data/b.csv", name: "b.csv", size: 2 },
    ]);
    const mtime = (await Deno.stat(`${dir}/data/a.csv`)).mtime!.toISOString();
    assert.equal(top.files[0].modifiedAt, mtime);
    const deep = outputsOf(events, "deep") as { files: { name: string }[]; truncated: boolean };
    assert.deepEqual(deep.files.map((f) => f.name), ["a.csv", "b.csv", "sub/c.csv"]);
    assert.equal(deep.truncated, false);
  });

  await t.step("maxFiles cuts the list, and says so", async () => {
    const { events } = await runIn(dir, {
      settings: { permissions: { read: ["./data"] } },
      nodes: [list("l", { dir: "data", glob: "**", maxFiles: 2 })],
      connections: [],
    });
    const out = outputsOf(events, "l") as { files: { name: string }[]; truncated: boolean };
    assert.deepEqual(out.files.map((f) => f.name), ["a.csv", "b.csv"]);
    assert.equal(out.truncated, true);
    const warn = events.find((e) => e.type === "node.log" && e.level === "warn");
    assert.equal(warn?.type === "node.log" && warn.message, "4 files matched; listed the first 2 (maxFiles)");
  });

  await t.step("a file listed feeds file.read (its path is relative to the workflow too)", async () => {
    const { events } = await runIn(dir, {
      settings: { permissions: { read: ["./data"] } },
      nodes: [
        list("l", { dir: "data", glob: "b.*" }),
        { id: "r", type: "file.read", config: { path: "{{ $node.files[0].path }}" } },
      ],
      connections: [{ from: "l.files", to: "r.files" }],
    });
    assert.equal(outputsOf(events, "r").content, "bb");
  });
});
