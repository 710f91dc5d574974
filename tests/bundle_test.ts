/**
 * How scripts/bundle.ts embeds the lazily loaded packages and modules in the
 * single-file bundle: a package runs as a function body, a module is
 * decompressed and imported, each only when first asked for, and a package
 * whose bundle cannot run as a function body fails the build with one line.
 * (The whole bundle is run by `.ci/run`'s smoke suite.)
 */
import * as assert from "node:assert/strict";
import { brotliBase64, embedLazyPackages, type LazyChunk, scriptChunk } from "../scripts/bundle.ts";

/** A bundle that loads `names` with `import()` and exports a loader for each. */
function mainBundle(names: string[]): string {
  return names.map((n, i) => `export const load${i} = () => import(${JSON.stringify(n)});`).join("\n");
}

/** Imports `code` as a module from a temporary file. */
async function importBundle(code: string): Promise<Record<string, () => Promise<Record<string, unknown>>>> {
  const file = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await Deno.writeTextFile(file, code);
    return await import(`file://${file}`);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("a lazy package runs as a function body when first loaded, once, with its default export", async () => {
  const pkg = `globalThis.__bundleTestEvaluations = (globalThis.__bundleTestEvaluations ?? 0) + 1;
var table = { render: (rows) => rows.join("|") };
var export_default = table;
export{export_default as default};`;
  const bundle = await importBundle(
    embedLazyPackages(mainBundle(["cli-table3"]), new Map([["cli-table3", scriptChunk("cli-table3", pkg)]])),
  );
  const g = globalThis as { __bundleTestEvaluations?: number };
  assert.equal(g.__bundleTestEvaluations, undefined, "not evaluated before it is asked for");
  const first = await bundle.load0();
  const second = await bundle.load0();
  assert.equal((first.default as { render: (r: string[]) => string }).render(["a", "b"]), "a|b");
  assert.equal(second, first, "the same module object");
  assert.equal(g.__bundleTestEvaluations, 1);
  delete g.__bundleTestEvaluations;
});

Deno.test("a lazy package's code runs in strict mode, as it did as a module", async () => {
  const pkg = `undeclared = 1; var export_default = 1; export{export_default as default};`;
  const bundle = await importBundle(
    embedLazyPackages(mainBundle(["sloppy"]), new Map([["sloppy", scriptChunk("sloppy", pkg)]])),
  );
  await assert.rejects(bundle.load0(), ReferenceError, "an error while loading rejects the import");
  assert.equal("undeclared" in globalThis, false);
});

Deno.test("a lazy module is decompressed and imported from a blob: URL, and only the one asked for", async () => {
  const chunks = new Map<string, LazyChunk>([
    ["./commands/serve.ts", {
      source: brotliBase64(`export default function serve() { return "served"; }`),
      form: "brotli",
    }],
    ["./commands/broken.ts", { source: "not base64 or Brotli at all!", form: "brotli" }],
  ]);
  const bundle = await importBundle(embedLazyPackages(mainBundle([...chunks.keys()]), chunks));
  const mod = await bundle.load0();
  assert.equal((mod.default as () => string)(), "served");
  await assert.rejects(bundle.load1(), "a chunk that cannot be decoded rejects its own import only");
});

Deno.test("a package whose bundle cannot be a function body fails the build with one line naming it", () => {
  assert.throws(
    () => scriptChunk("meta", `var u = import.meta.url; var export_default = u; export{export_default as default};`),
    { message: /^meta: its bundle cannot run as a function body \(.+\): update scripts\/bundle\.ts$/ },
  );
  assert.throws(
    () => scriptChunk("named", `export const x = 1;`),
    { message: "named: expected the bundle to end with its default export: update scripts/bundle.ts" },
  );
  assert.throws(
    () => scriptChunk("two", `export const y = 2; var export_default = 1; export{export_default as default};`),
    { message: /^two: its bundle cannot run as a function body/ },
  );
});

Deno.test("a bundle that does not import a lazy package by its exact specifier is refused", () => {
  assert.throws(
    () =>
      embedLazyPackages(
        "export const x = 1;",
        new Map([["jsonata", scriptChunk("jsonata", "var export_default = 1; export{export_default as default};")]]),
      ),
    { message: 'expected import("jsonata") in the bundle: update LAZY_PACKAGES in scripts/bundle.ts' },
  );
});
