/**
 * Builds the web console (`ui/`) and embeds it: `deno bundle` (esbuild
 * inside Deno) bundles `ui/src/main.tsx` for the browser, minified, with
 * code splitting for the lazily loaded pages; the CSS (React Flow's and
 * `ui/src/styles.css`) is joined into one file; every asset but
 * `index.html` gets a content hash in its name. The files are written as
 * strings into `ui/assets.gen.ts`, which is committed: a fresh clone serves
 * the console without a build step, and the single-file bundle and the
 * compiled binary carry it.
 *
 * Usage:
 * - `deno task build:ui`: writes `ui/assets.gen.ts` and prints the sizes.
 * - `deno task build:ui --check`: fails when `ui/assets.gen.ts` is not what
 *   the sources build to (CI).
 *
 * @module
 */
import { encodeHex } from "./hex.ts";
import { failer } from "./common.ts";

const ROOT = new URL("../", import.meta.url);
const ENTRY = "ui/src/main.tsx";
const OUTPUT = new URL("ui/assets.gen.ts", ROOT);
const CSS = ["node_modules/@xyflow/react/dist/style.css", "ui/src/styles.css"];

const fail = failer("build:ui");

/** One built file. */
export interface BuiltAsset {
  /** URL path, e.g. `/assets/main-1a2b3c4d.js`. */
  path: string;
  /** Content type. */
  type: string;
  /** The text. */
  body: string;
}

/** Sizes of what the first page loads. */
export interface InitialSize {
  /** JavaScript files the first page loads. */
  files: string[];
  /** Their size, bytes. */
  raw: number;
  /** Their gzip size, bytes. */
  gzip: number;
}

async function sha(text: string): Promise<string> {
  return encodeHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))).slice(0, 10);
}

async function bundle(outdir: string): Promise<void> {
  const args = [
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--minify",
    "--code-splitting",
    "--outdir",
    outdir,
    ENTRY,
  ];
  const { code, stderr } = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdin: "null", stdout: "null" })
    .output();
  if (code !== 0) {
    // deno-lint-ignore no-control-regex
    const text = new TextDecoder().decode(stderr).replace(/\x1b\[[0-9;]*m/g, "");
    fail(`deno bundle ${ENTRY} failed: ${text.trim().split("\n").slice(0, 6).join(" | ")}`);
  }
}

/** Builds every asset, sorted by path. */
export async function buildAssets(): Promise<BuiltAsset[]> {
  const tmp = await Deno.makeTempDir({ prefix: "flow-ui-" });
  try {
    await bundle(tmp);
    const assets: BuiltAsset[] = [];
    let entry = "";
    for await (const f of Deno.readDir(tmp)) {
      if (!f.isFile || !f.name.endsWith(".js")) continue;
      const body = await Deno.readTextFile(`${tmp}/${f.name}`);
      // Chunks are named by esbuild with a content hash; the entry is not: hash it here.
      const name = f.name === "main.js" ? `main-${await sha(body)}.js` : f.name;
      if (f.name === "main.js") entry = name;
      assets.push({ path: `/assets/${name}`, type: "text/javascript; charset=utf-8", body });
    }
    if (!entry) fail("deno bundle wrote no main.js");
    const css = (await Promise.all(CSS.map(async (p) => {
      try {
        return `/* ${p.replace(/^node_modules\//, "")} */\n${await Deno.readTextFile(new URL(p, ROOT))}`;
      } catch {
        return fail(`cannot read ${p} (run deno install)`);
      }
    }))).join("\n");
    const cssName = `styles-${await sha(css)}.css`;
    assets.push({ path: `/assets/${cssName}`, type: "text/css; charset=utf-8", body: css });
    const template = await Deno.readTextFile(new URL("ui/index.html", ROOT));
    if (!template.includes("<!-- flow:head -->")) fail("ui/index.html has no <!-- flow:head --> marker");
    // The chunks the entry imports are fetched beside it, not once it has arrived and been read.
    const preload = staticImports(assets, `/assets/${entry}`).slice(1)
      .map((a) => `\n    <link rel="modulepreload" href="${a.path}">`).join("");
    const head = `<link rel="stylesheet" href="/assets/${cssName}">\n` +
      `    <script type="module" src="/assets/${entry}"></script>${preload}`;
    assets.push({
      path: "/index.html",
      type: "text/html; charset=utf-8",
      body: template.replace("<!-- flow:head -->", head),
    });
    return assets.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** The script at `path` and every chunk it imports statically, directly or not (itself first). */
export function staticImports(assets: BuiltAsset[], path: string): BuiltAsset[] {
  const byName = new Map(assets.map((a) => [a.path.slice("/assets/".length), a]));
  const seen = new Set<BuiltAsset>();
  const visit = (a: BuiltAsset) => {
    if (seen.has(a)) return;
    seen.add(a);
    for (const m of a.body.matchAll(/(?:^|[;}])\s*import\s*(?:[\w${},\s*]+from\s*)?["']\.\/([^"']+\.js)["']/g)) {
      const dep = byName.get(m[1]);
      if (dep) visit(dep);
    }
  };
  const entry = assets.find((a) => a.path === path);
  if (entry) visit(entry);
  return [...seen];
}

/** The JavaScript the first page loads: the entry and the chunks it imports statically. */
export async function initialSize(assets: BuiltAsset[]): Promise<InitialSize> {
  const entry = assets.find((a) => /^\/assets\/main-[0-9a-f]+\.js$/.test(a.path))!;
  const files = staticImports(assets, entry.path);
  const text = files.map((f) => f.body);
  const gzip = await Promise.all(text.map(gzipSize));
  return {
    files: files.map((f) => f.path),
    raw: text.reduce((n, t) => n + new TextEncoder().encode(t).length, 0),
    gzip: gzip.reduce((a, b) => a + b, 0),
  };
}

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** The TypeScript module that embeds the assets. */
export function assetsModule(assets: BuiltAsset[]): string {
  const entries = assets.map((a) =>
    `  ${JSON.stringify(a.path)}: {\n    type: ${JSON.stringify(a.type)},\n    body: ${JSON.stringify(a.body)},\n  },`
  );
  return `// Generated by \`deno task build:ui\` (scripts/build_ui.ts) from ui/: do not edit.
/**
 * The web console's built files, by URL path: served by \`server/ui.ts\`.
 *
 * @module
 */

/** Every file of the console: its content type and text. */
export const UI_ASSETS: Record<string, { type: string; body: string }> = {
${entries.join("\n")}
};
`;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const assets = await buildAssets();
  const module = assetsModule(assets);
  if (check) {
    let committed = "";
    try {
      committed = await Deno.readTextFile(OUTPUT);
    } catch { /* missing */ }
    if (committed !== module) fail("ui/assets.gen.ts is out of date: run deno task build:ui and commit it");
    console.error("build:ui: ui/assets.gen.ts is up to date");
  } else {
    await Deno.writeTextFile(OUTPUT, module);
    const size = await initialSize(assets);
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const total = assets.reduce((n, a) => n + new TextEncoder().encode(a.body).length, 0);
    console.error(`build:ui: wrote ui/assets.gen.ts: ${assets.length} files, ${kib(total)}`);
    console.error(
      `build:ui: initial JS ${kib(size.raw)} raw, ${kib(size.gzip)} gzip (${size.files.join(", ")})`,
    );
    for (const a of assets) console.error(`  ${a.path}  ${kib(new TextEncoder().encode(a.body).length)}`);
  }
}
