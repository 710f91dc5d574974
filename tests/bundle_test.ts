/**
 * How scripts/bundle.ts embeds the lazily loaded packages and modules in the
 * single-file bundle: a package runs as a function body, a module is
 * decompressed and imported, each only when first asked for, and a package
 * whose bundle cannot run as a function body fails the build with one line.
 * (The whole bundle is run by `.ci/run`'s smoke suite.)
 */
import * as assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { brotliBase64, embedLazyPackages, type LazyChunk, scriptChunk } from "../scripts/bundle.ts";
import { eagerFunctions } from "../scripts/eager_compile.ts";
import { ranFunctions } from "../scripts/compile_profile.ts";

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

Deno.test("a lazy package whose bundle ends with license comments keeps them, before its return", async () => {
  // deno bundle puts the licenses of what it bundled after the export (papaparse's, for one).
  const pkg = `var parser = { parse: (t) => t.split(",") };
var export_default = parser;
export{export_default as default};
/*! Bundled license information:

papaparse/papaparse.js:
  (* @license Papa Parse v5.7.1 License: MIT *)
*/
`;
  const chunk = scriptChunk("papaparse", pkg);
  assert.match(chunk.source, /@license Papa Parse[\s\S]*\*\/\nreturn \{ default: export_default \};$/);
  const bundle = await importBundle(embedLazyPackages(mainBundle(["papaparse"]), new Map([["papaparse", chunk]])));
  const loaded = await bundle.load0();
  assert.deepEqual((loaded.default as { parse: (t: string) => string[] }).parse("a,b"), ["a", "b"]);
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

/** The bundle built from this checkout, once per test process (about 10 s each time). */
let built: Promise<string> | undefined;

/**
 * The bundle under test, copied to `dir/flow.js`: `FLOW_CLI` when it names
 * one, else one built from this checkout into a temporary directory, away
 * from the checkout's deno.json (which enables the unstable flag itself).
 */
async function standaloneBundle(dir: string): Promise<string> {
  const given = Deno.env.get("FLOW_CLI");
  const bundle = `${dir}/flow.js`;
  await Deno.copyFile(given?.endsWith(".js") ? given : await (built ??= buildBundle()), bundle);
  return bundle;
}

async function buildBundle(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "flow-bundle-built-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  const bundle = `${dir}/flow.js`;
  const root = new URL("../", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-run", "scripts/bundle.ts", bundle],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return bundle;
}

Deno.test("the bundle without --unstable-worker-options: custom nodes are refused with one line saying what to add", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-bundle-" });
  try {
    await standaloneBundle(dir);
    await Deno.mkdir(`${dir}/nodes`);
    const node = (type: string, method: string) =>
      `export default { type: "text.${type}", description: "${type}", inputs: { text: { type: "string" } },
        outputs: { value: { type: "string" } }, run: ({ inputs }) => ({ value: inputs.text.${method}() }) };`;
    await Deno.writeTextFile(`${dir}/nodes/upper.js`, node("upper", "toUpperCase"));
    await Deno.writeTextFile(`${dir}/nodes/lower.js`, node("lower", "toLowerCase"));
    // Two modules: still one line for the file (not one per module, nor their node types as unknown).
    await Deno.writeTextFile(
      `${dir}/custom.json`,
      JSON.stringify({
        imports: ["./nodes/upper.js", "./nodes/lower.js"],
        inputs: { text: { default: "Sandboxed" } },
        nodes: [{ id: "up", type: "text.upper" }, { id: "low", type: "text.lower" }],
        connections: [{ from: "$inputs.text", to: "up.text" }, { from: "$inputs.text", to: "low.text" }],
        outputs: { up: "up.value", low: "low.value" },
      }),
    );
    const flow = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: dir,
        env: { NO_COLOR: "1", FLOW_STATE_DIR: `${dir}/state` },
        stdin: "null",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    for (const command of ["run", "validate"]) {
      const r = await flow("run", "-A", "flow.js", command, "custom.json");
      assert.equal(r.code, 2, r.stderr);
      assert.equal(
        r.stderr,
        "custom.json: imports: custom node modules run in Workers with their own permissions, which need Deno's " +
          "--unstable-worker-options flag: add it to the command (deno run --unstable-worker-options -A flow.js ...)\n",
      );
    }
    const ok = await flow(
      "run",
      "-A",
      "--unstable-worker-options",
      "flow.js",
      "run",
      "custom.json",
      "--format",
      "json",
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).outputs, { up: "SANDBOXED", low: "sandboxed" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the bundle draws flow graph --format svg (ELK, a lazy part of it) as the sources do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-bundle-" });
  try {
    await standaloneBundle(dir);
    const example = fromFileUrl(new URL("../examples/fanout.json", import.meta.url));
    const svg = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [...args, "graph", example, "--format", "svg"],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdin: "null",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout);
    };
    const fromBundle = await svg("run", "-A", "flow.js");
    assert.match(fromBundle, /data-node-id="merge"/);
    assert.equal(fromBundle, await svg("run", "-A", fromFileUrl(new URL("../cli.ts", import.meta.url))));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the module initialisers a profiled run compiled are put in parentheses and run as before", async () => {
  // What `deno bundle --minify` makes of a module imported lazily: its top-level code in an initialiser passed to the
  // `__esm` helper, run on first import. V8's events name a function from its parameters to the end of its body.
  const bundle = `var g=(e,t)=>()=>(e&&(t=e(e=0)),t);
var a,initA=g(()=>{a={n:1,s:"})"}});
function b(){return initA(),a.n+1}
var c,initC=g(()=>{initA();c=[a.n,b(),\`\${a.s}\`]});
export const load=()=>(initC(),c);`;
  const init = (name: string) => {
    const start = bundle.indexOf(`${name}=g(`) + `${name}=g(`.length;
    return { start, end: bundle.indexOf("});", start) + 1 };
  };
  const { code, rewritten } = eagerFunctions(bundle, [init("initA"), init("initC")]);
  assert.equal(rewritten, 2);
  assert.ok(code.includes(`initA=g((()=>{a={n:1,s:"})"}}))`), code);
  assert.ok(code.includes("initC=g((()=>{initA();c=[a.n,b(),`${a.s}`]}))"), code);
  assert.ok(code.includes("function b(){return initA(),a.n+1}"), "a function no run compiled stays as it was");
  const { load } = await importBundle(code);
  assert.deepEqual(load(), [1, 2, "})"]);
});

Deno.test("functions a profiled run compiled are compiled with the bundle, and behave as before", async () => {
  const bundle = `#!/usr/bin/env -S deno run
export const early = () => late(2);
function late(n) { return helper(n) * 10; }
async function* gen() { yield 1; }
function helper(n) { return [1, 2].map((x) => x + n).reduce((a, b) => a + b, 0); }
const o = { m(x) { return x + 1; }, get g() { return 5; }, f: function (x) { return x * 2; } };
function untouched() { return "lazy"; }
export const all = async () => [early(), o.m(1), o.g, o.f(3), (await gen().next()).value, untouched(), late.name];`;
  // What V8's function events name: a function from its parameters to the end of its body.
  const at = (text: string, from = 0) => {
    const i = bundle.indexOf(text, from);
    return { start: bundle.indexOf("(", i), end: bundle.indexOf("}", i) + 1 };
  };
  const compiled = [
    at("function late"),
    { start: bundle.indexOf("(n) { return [1"), end: bundle.indexOf("}\nconst o") + 1 }, // helper
    { start: bundle.indexOf("(x) => x + n"), end: bundle.indexOf("(x) => x + n") + "(x) => x + n".length }, // its arrow
    at("m(x)"), // a method: stays as it is
    { start: bundle.indexOf("(x) { return x * 2"), end: bundle.indexOf("x * 2; }") + "x * 2; }".length },
    at("async function* gen"),
  ];
  const { code, rewritten } = eagerFunctions(bundle, compiled);
  assert.equal(rewritten, 5);
  const lines = code.split("\n");
  assert.equal(lines[0], "#!/usr/bin/env -S deno run", "the #! line stays first");
  // Declarations move to the top as expressions in parentheses, their own arrows in parentheses too.
  assert.deepEqual(lines.slice(1, 4), [
    "var late=(function(n) { return helper(n) * 10; });",
    "var gen=(async function*() { yield 1; });",
    "var helper=(function(n) { return [1, 2].map(((x) => x + n)).reduce((a, b) => a + b, 0); });",
  ]);
  assert.ok(code.includes("m(x) { return x + 1; }"), "a method stays as it is");
  assert.ok(code.includes("f: (function (x) { return x * 2; })"), code);
  assert.ok(code.includes('function untouched() { return "lazy"; }'), "what no run compiled stays as it was");
  const before = await importBundle(bundle.slice(bundle.indexOf("\n") + 1));
  const after = await importBundle(code.slice(code.indexOf("\n") + 1));
  assert.deepEqual(await after.all(), [70, 2, 5, 6, 1, "lazy", "late"]);
  assert.deepEqual(await after.all(), await before.all());
});

Deno.test("the functions a run compiled are read from V8's log for the bundle's own script only", () => {
  const log = [
    "script-details,3,ext:core/00_primordials.js,0,0,",
    "script-details,50,file:///tmp/x/flow.js,0,0,",
    "function,parse-function,50,203,231,0.028,34944,g",
    "function,first-execution,50,239,295,0,35191,ee",
    "function,interpreter,50,300,310,0.01,35200,",
    "function,parse-function,3,10,20,0.01,35300,other",
  ].join("\n");
  assert.deepEqual(ranFunctions(log, "file:///tmp/x/flow.js"), [{ start: 203, end: 231 }, { start: 239, end: 295 }]);
});
