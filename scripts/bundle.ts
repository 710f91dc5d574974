/**
 * Builds the single-file bundle `dist/flow.js` from `cli.ts` with `deno bundle`
 * (npm packages inlined), runnable with Deno and nothing next to it.
 *
 * Three things `deno bundle` alone does not carry over:
 * - The sandbox Worker for custom nodes (`src/sandbox/worker.ts`) is started
 *   with `new Worker(new URL("./worker.ts", import.meta.url))`, which a bundler
 *   does not follow: in a bundle that URL points next to `flow.js`, where there
 *   is no such file. This script bundles the Worker on its own and embeds it in
 *   `flow.js`, started from a `blob:` URL instead.
 * - The unstable features that `deno.json` enables ("unstable") apply only
 *   where that `deno.json` is found: they are added to the bundle's shebang
 *   line as `--unstable-*` flags. (Run it with `deno run`, and those flags
 *   must be given by hand.)
 * - The V8 code cache Deno keeps for the bundle holds what V8 compiled before
 *   the bundle ran: the functions a short `flow run` runs (found by running
 *   the bundle with V8's function events logged: `compile_profile.ts`) are
 *   rewritten so that V8 compiles them with the bundle (`eager_compile.ts`),
 *   and a start does not compile them again.
 *
 * Usage: `deno task bundle [OUTPUT]` (default `dist/flow.js`). Exits non-zero
 * with a one-line message on failure.
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import { brotliCompressSync, constants as zlib } from "node:zlib";
import { exists, failer } from "./common.ts";
import { eagerFunctions } from "./eager_compile.ts";
import { profileBundle } from "./compile_profile.ts";

const ROOT = new URL("../", import.meta.url);
const toFileUrl = (path: string) => pathToFileURL(path).href;
const WORKER = "src/sandbox/worker.ts";
/** How `src/sandbox/host.ts` names the Worker script. */
export const WORKER_REFERENCE = 'new URL("./worker.ts", import.meta.url).href';
/** {@linkcode WORKER_REFERENCE} as it appears in the bundle, minified or not. */
const WORKER_REFERENCE_RE = /new URL\(\s*"\.\/worker\.ts"\s*,\s*import\.meta\.url\s*\)\.href/g;

const fail = failer("bundle");

async function denoBundle(entry: string, output: string, external: string[] = []): Promise<void> {
  // Minified (names kept, for stack traces): the bytes of the file are most of what a cold start costs.
  const args = ["bundle", "--quiet", "--minify", "--keep-names", "--platform", "deno", "--packages", "bundle"];
  for (const e of external) args.push("--external", e);
  args.push("--output", output, entry);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdin: "null", stdout: "null" })
    .output();
  if (code !== 0) {
    // deno-lint-ignore no-control-regex
    const text = new TextDecoder().decode(stderr).replace(/\x1b\[[0-9;]*m/g, "");
    const line = text.split("\n").find((l) => l.startsWith("error:")) ?? text.trim().split("\n")[0] ?? "";
    fail(`deno bundle ${entry} failed: ${line.replace(/^error:\s*/, "")}`);
  }
}

/** Puts the `--unstable-*` flags into a `#!/usr/bin/env -S deno run ...` first line. */
export function withUnstableFlags(code: string, unstable: string[]): string {
  const flags = unstable.map((u) => `--unstable-${u}`);
  const nl = code.indexOf("\n");
  const first = nl < 0 ? code : code.slice(0, nl);
  if (!first.startsWith("#!") || !/\bdeno run\b/.test(first)) return code;
  const missing = flags.filter((f) => !first.split(/\s+/).includes(f));
  if (missing.length === 0) return code;
  return `${first.replace(/\bdeno run\b/, `deno run ${missing.join(" ")}`)}${nl < 0 ? "" : code.slice(nl)}`;
}

/**
 * The lines `deno bundle` puts at the top of a bundle that holds CommonJS
 * code (jsonata): a static import of `node:module`, which loads Node's
 * compatibility layer on every start (tens of milliseconds), though the
 * CommonJS code runs only when a workflow has an expression and never calls
 * `require` itself.
 */
const EAGER_REQUIRE =
  /import\s*\{\s*createRequire as (\w+)\s*\}\s*from\s*"node:module";\s*var (\w+)\s*=\s*\1\(import\.meta\.url\);/;

/**
 * Makes the bundle's CommonJS `require` lazy: Node's `createRequire` is looked
 * up (through `process.getBuiltinModule`) only if bundled CommonJS code calls
 * `require`, not at start.
 */
export function lazyRequire(code: string): string {
  const found = code.match(EAGER_REQUIRE);
  if (!found) {
    if (/from\s*"node:module"/.test(code)) {
      throw new Error(
        'the bundle imports "node:module" in a way scripts/bundle.ts does not know: update EAGER_REQUIRE',
      );
    }
    return code;
  }
  const lazy = `var ${
    found[2]
  }=(id)=>globalThis.process.getBuiltinModule("node:module").createRequire(import.meta.url)(id);`;
  return code.replace(EAGER_REQUIRE, lazy);
}

/**
 * npm packages loaded with a dynamic `import()` that most runs never need
 * (JSONata: only workflows with expressions; cli-table3: only the pretty
 * summary; sucrase: only workflows with a `code.function`; papaparse: only
 * workflows with a CSV node), and the project's modules loaded the same way with them (the
 * fast path of expressions, loaded with JSONata; see
 * {@linkcode PROJECT_SCRIPTS}). Each is bundled on its own and embedded as the body of a function
 * that returns its exports, run with `new Function` on first use (see
 * {@linkcode scriptChunk}). As text in a function of its own, its bytes cost
 * a start that does not load it almost nothing: V8 only scans past them.
 */
export const LAZY_PACKAGES = ["jsonata", "cli-table3", "sucrase", "papaparse", "./fast.ts"];

/**
 * The {@linkcode LAZY_PACKAGES} that are modules of the project (by the
 * specifier as the importing module writes it): where each is. Such a module
 * has a default export only and imports no other module at run time.
 */
export const PROJECT_SCRIPTS: Record<string, string> = { "./fast.ts": "src/expressions/fast.ts" };

/**
 * The project's own modules loaded with a dynamic `import()` that most runs
 * never need: the long-running commands and the PostgreSQL store, which pull
 * in the HTTP server, the console's assets, BullMQ, ioredis and the
 * PostgreSQL driver; and the drivers of `sql.query` (PostgreSQL) and
 * `email.send` (nodemailer). Each is bundled on its own (with what it imports),
 * compressed with Brotli and embedded as base64, so `flow run` does not pay
 * for their bytes at every start (6 MB as text); and the SVG of `flow graph`,
 * with ELK (1.6 MB). By the specifier as the importing module writes it.
 */
export const LAZY_MODULES: { specifier: string; entry: string }[] = [
  { specifier: "./commands/serve.ts", entry: "cli/commands/serve.ts" },
  { specifier: "./commands/worker.ts", entry: "cli/commands/worker.ts" },
  { specifier: "./commands/db_migrate.ts", entry: "cli/commands/db_migrate.ts" },
  { specifier: "../src/store/postgres.ts", entry: "src/store/postgres.ts" },
  // The layout block's parser (jsonc-parser), for the hash of a workflow that has one (src/workflow/hash.ts).
  { specifier: "./layout.ts", entry: "src/workflow/layout.ts" },
  // The PostgreSQL driver of sql.query, and nodemailer for email.send: only workflows that use them.
  { specifier: "./postgres_pool.ts", entry: "nodes/sql/postgres_pool.ts" },
  { specifier: "./smtp.ts", entry: "nodes/email/smtp.ts" },
  // ELK and the SVG of `flow graph --format svg`.
  { specifier: "../graph_svg.ts", entry: "cli/graph_svg.ts" },
];

/** One embedded lazy chunk. */
export interface LazyChunk {
  /** The chunk, as embedded. */
  source: string;
  /**
   * `script`: the body of a function that returns the module's exports, run
   * with `new Function` (see {@linkcode scriptChunk}). `brotli`: an ES
   * module's text, compressed with Brotli and base64-encoded, imported from a
   * `blob:` URL.
   */
  form: "script" | "brotli";
}

/**
 * Replaces each `import("NAME")` of a lazy package with an import of its
 * embedded chunk. Only function declarations are added: they exist from the
 * start of the module, before its top-level `await`. Each chunk is the
 * return value of a function of its own: V8 parses a function's body when it
 * is first called, so loading one chunk does not parse the others' text
 * (2.2 MB, 4 to 9 ms when they shared one function).
 */
export function embedLazyPackages(code: string, chunks: Map<string, LazyChunk>): string {
  if (chunks.size === 0) return code;
  for (const name of chunks.keys()) {
    const call = `import(${JSON.stringify(name)})`;
    const parts = code.split(call);
    if (parts.length < 2) throw new Error(`expected ${call} in the bundle: update LAZY_PACKAGES in scripts/bundle.ts`);
    code = parts.join(`__flowLazyPackage(${JSON.stringify(name)})`);
  }
  const entries = [...chunks.entries()];
  const cases = entries.map(([name], i) => `    case ${JSON.stringify(name)}: return __flowLazyChunk${i}();`);
  const functions = entries.map(([, chunk], i) =>
    `function __flowLazyChunk${i}() {\n  return [${JSON.stringify(chunk.source)}, ${JSON.stringify(chunk.form)}];\n}`
  );
  return `${code}
// ${
    entries.map(([name, c]) => `${name} (${c.form})`).join(", ")
  }: bundled and embedded by scripts/bundle.ts, loaded on first use.
function __flowLazyPackage(name) {
  // A lazy module of the project reaches the bundle's own loaders through globalThis.
  globalThis.__flowLazyPackage ??= __flowLazyPackage;
  if (typeof __flowSandboxWorkerUrl === "function") globalThis.__flowSandboxWorkerUrl ??= __flowSandboxWorkerUrl;
  __flowLazyPackage.loaded ??= new Map();
  let module = __flowLazyPackage.loaded.get(name);
  if (!module) {
    module = __flowLoadChunk(...__flowLazyChunk(name));
    __flowLazyPackage.loaded.set(name, module);
  }
  return module;
}
async function __flowLoadChunk(source, form) {
  if (form === "script") return new Function(source)();
  const text = await new Response(
    new Blob([Uint8Array.fromBase64(source)]).stream().pipeThrough(new DecompressionStream("brotli")),
  ).text();
  return await import(URL.createObjectURL(new Blob([text], { type: "text/javascript" })));
}
function __flowLazyChunk(name) {
  switch (name) {
${cases.join("\n")}
  }
}
${functions.join("\n")}
`;
}

/** Bundles a lazy package on its own (CommonJS require made lazy), as a {@linkcode scriptChunk}. */
async function lazyPackageChunk(name: string, tmp: string, imports: Record<string, string>): Promise<LazyChunk> {
  const specifier = PROJECT_SCRIPTS[name] ? new URL(PROJECT_SCRIPTS[name], ROOT).href : imports[name];
  if (!specifier) fail(`${name} is not in deno.json "imports"`);
  const file = `${tmp}/lazy-${name.replace(/[^\w-]/g, "_")}`;
  // A CommonJS package that says `__esModule` (sucrase) has no default export to re-export: take the namespace.
  const source = JSON.stringify(specifier);
  await Deno.writeTextFile(`${file}.ts`, `import * as m from ${source};\nexport default m.default ?? m;\n`);
  await denoBundle(`${file}.ts`, `${file}.js`);
  return scriptChunk(name, lazyRequire(await Deno.readTextFile(`${file}.js`)));
}

/**
 * How `deno bundle` ends a module whose only export is `default`: the
 * export, then the licenses of what it bundled (`/*! ... *\/`), if any.
 */
const DEFAULT_EXPORT = /export\s*\{\s*([\w$]+)\s+as\s+default\s*\}\s*;?\s*((?:\/\*[\s\S]*?\*\/\s*)*)$/;

/**
 * A bundled module whose only export is `default`, as the strict-mode body of
 * a function that returns `{ default }`. Run with `new Function`, it loads in
 * a third of the time an `import()` of the same text from a `blob:` URL takes
 * (JSONata 9 to 13 ms against 23 to 31; cli-table3 2 against 6 to 10): Deno
 * parses a module once more itself, to find its imports. Throws when the
 * module has other imports or exports, or uses `import.meta`, which a
 * function body cannot hold.
 */
export function scriptChunk(name: string, moduleText: string): LazyChunk {
  const found = moduleText.match(DEFAULT_EXPORT);
  if (!found) throw new Error(`${name}: expected the bundle to end with its default export: update scripts/bundle.ts`);
  const licenses = found[2] ? `${found[2].trim()}\n` : "";
  const source = `"use strict";${moduleText.slice(0, found.index)}\n${licenses}return { default: ${found[1]} };`;
  try {
    new Function(source);
  } catch (err) {
    throw new Error(
      `${name}: its bundle cannot run as a function body (${(err as Error).message}): update scripts/bundle.ts`,
    );
  }
  return { source, form: "script" };
}

/**
 * Bundles one of the project's lazy modules on its own, compressed, as base64.
 * Loaded from a `blob:` URL, it uses the main bundle's loaders of lazy
 * packages, of the other lazy modules and of the sandbox Worker, through
 * globalThis: a module another one loads (the PostgreSQL store, the drivers
 * of `sql.query` and `email.send`, which `flow serve` may load) is embedded
 * once.
 */
async function lazyModuleChunk(entry: string, tmp: string): Promise<LazyChunk> {
  const out = `${tmp}/lazy-module-${entry.replaceAll("/", "_")}.js`;
  const modules = LAZY_MODULES.filter((m) => m.entry !== entry).map((m) => m.specifier);
  await denoBundle(entry, out, [...LAZY_PACKAGES, ...modules]);
  // A long-running command pays for Node's compatibility layer anyway: its CommonJS `require` stays eager, but a
  // `blob:` module has no file URL to create it from, so it is made relative to the bundle's own file.
  let code = await Deno.readTextFile(out);
  const names = [...code.matchAll(/createRequire as ([\w$]+)/g)].map((m) => m[1]);
  for (const name of names) code = code.split(`${name}(import.meta.url)`).join(`${name}(Deno.mainModule)`);
  for (const name of [...LAZY_PACKAGES, ...modules]) {
    code = code.split(`import(${JSON.stringify(name)})`).join(`globalThis.__flowLazyPackage(${JSON.stringify(name)})`);
  }
  code = code.replace(WORKER_REFERENCE_RE, "globalThis.__flowSandboxWorkerUrl()");
  return { source: brotliBase64(code), form: "brotli" };
}

/**
 * Text compressed with Brotli at its highest quality, as base64: a fifth
 * smaller than gzip (466 KB less of the bundle, about 1 ms of every start,
 * which reads past these bytes), and as fast to unpack. Deno's
 * `DecompressionStream` takes "brotli".
 */
export function brotliBase64(code: string): string {
  const text = new TextEncoder().encode(code);
  return brotliCompressSync(text, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
      [zlib.BROTLI_PARAM_LGWIN]: zlib.BROTLI_MAX_WINDOW_BITS,
      [zlib.BROTLI_PARAM_SIZE_HINT]: text.length,
    },
  }).toString("base64");
}

/** Replaces the Worker's file URL with a `blob:` URL of the embedded Worker bundle. */
export function embedWorker(code: string, worker: string): string {
  const parts = code.split(WORKER_REFERENCE_RE);
  if (parts.length !== 2) {
    throw new Error(
      `expected ${WORKER_REFERENCE} once in the bundle, found it ${parts.length - 1} times: ` +
        "update scripts/bundle.ts to how src/sandbox/host.ts starts its Worker",
    );
  }
  return `${parts.join("__flowSandboxWorkerUrl()")}
// The sandbox Worker (${WORKER}), bundled by scripts/bundle.ts.
var __flowSandboxWorker;
function __flowSandboxWorkerUrl() {
  __flowSandboxWorker ??= URL.createObjectURL(new Blob([${JSON.stringify(worker)}], { type: "text/javascript" }));
  return __flowSandboxWorker;
}
`;
}

if (import.meta.main) {
  const output = Deno.args[0] ?? "dist/flow.js";
  // A given path is relative to where `deno task` was started; the default is the repository's dist/.
  const outUrl = Deno.args[0]
    ? new URL(output, `${toFileUrl(Deno.env.get("INIT_CWD") ?? Deno.cwd())}/`)
    : new URL(output, ROOT);
  const tmp = await Deno.makeTempDir({ prefix: "flow-bundle-" });
  try {
    const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
    await denoBundle("cli.ts", `${tmp}/flow.js`, [...LAZY_PACKAGES, ...LAZY_MODULES.map((m) => m.specifier)]);
    let code = await Deno.readTextFile(`${tmp}/flow.js`);
    try {
      code = lazyRequire(code);
      const chunks = new Map<string, LazyChunk>();
      for (const name of LAZY_PACKAGES) chunks.set(name, await lazyPackageChunk(name, tmp, config.imports ?? {}));
      for (const m of LAZY_MODULES) chunks.set(m.specifier, await lazyModuleChunk(m.entry, tmp));
      code = embedLazyPackages(code, chunks);
    } catch (err) {
      fail((err as Error).message);
    }

    const referenced = code.match(WORKER_REFERENCE_RE) !== null;
    if (referenced) {
      if (!(await exists(new URL(WORKER, ROOT)))) fail(`the bundle starts ${WORKER}, which does not exist`);
      await denoBundle(WORKER, `${tmp}/worker.js`);
      try {
        code = embedWorker(code, await Deno.readTextFile(`${tmp}/worker.js`));
      } catch (err) {
        fail((err as Error).message);
      }
    } else if (/["']\.\/worker\.ts["']/.test(code)) {
      fail(`the bundle names ./worker.ts in a way scripts/bundle.ts does not know (expected ${WORKER_REFERENCE})`);
    }

    const unstable: string[] = Array.isArray(config.unstable) ? config.unstable : [];
    code = withUnstableFlags(code, unstable);
    try {
      await Deno.mkdir(`${tmp}/profile`);
      const ran = await profileBundle(code, `${tmp}/profile`, unstable.map((u) => `--unstable-${u}`));
      code = eagerFunctions(code, ran).code;
    } catch (err) {
      fail((err as Error).message);
    }

    await Deno.mkdir(new URL(".", outUrl), { recursive: true });
    await Deno.writeTextFile(outUrl, code);
    if (Deno.build.os !== "windows") await Deno.chmod(outUrl, 0o755);
    const size = (new TextEncoder().encode(code).length / 1024).toFixed(0);
    console.error(`bundle: wrote ${output} (${size} KiB${referenced ? ", sandbox Worker embedded" : ""})`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
