/**
 * The engine's public seam holds: the adapters (`cli/`, `server/`, `queue/`)
 * import `src/` only through its entry points, the lazy parts of the
 * single-file bundle stay out of what every `flow` command loads, and the
 * library's `mod.ts` documents every type it names (`deno doc --lint`).
 *
 * The import graph is Deno's own (`deno info --json`), so a type-only or a
 * dynamic import counts as much as any other.
 *
 * @module
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { LAZY_MODULES, LAZY_PACKAGES } from "../scripts/bundle.ts";
import { ROOT } from "./helpers.ts";

/** The folders whose modules may import `src/` only through its entry points. */
const ADAPTERS = ["cli", "server", "queue"];

/**
 * The entry points of `src/` beside each folder's `mod.ts` and the modules at
 * the root of `src/`: parts kept apart so that a command that does not need
 * them never loads them. `lazy` ones may only be imported with `import()`.
 */
const SECOND_ENTRIES: Record<string, { lazy: boolean }> = {
  "src/runtime/history.ts": { lazy: false },
  "src/runtime/service.ts": { lazy: false },
  "src/store/postgres.ts": { lazy: true },
  // Line and column of validation problems in an editor's text: jsonc-parser, loaded by POST /validate when asked.
  "src/workflow/locate.ts": { lazy: true },
  // The sandbox process (`flow __sandbox`, started by flow itself): the Worker's relay and nothing of the engine.
  "src/sandbox/child.ts": { lazy: true },
};

/**
 * What `flow run` must never load (nor carry in the main part of the
 * bundle): the lazy modules of scripts/bundle.ts, the service, the server,
 * the queue, and the npm packages only they (or an expression) need.
 */
const NEVER_AT_START = [
  ...LAZY_MODULES.map((m) => m.entry),
  "src/runtime/service.ts",
  "server/app.ts",
  "queue/worker.ts",
  "queue/connector.ts",
];
const NPM_NEVER_AT_START = [
  ...LAZY_PACKAGES,
  "hono",
  "@hono/zod-openapi",
  "bullmq",
  "ioredis",
  "postgres",
  "nodemailer",
];

/** One import in Deno's module graph. */
interface Dependency {
  specifier: string;
  code?: { specifier: string; span: { start: { line: number } } };
  type?: { specifier: string; span: { start: { line: number } } };
  isDynamic?: boolean;
}

/** Deno's module graph (`deno info --json`) from `roots`. */
async function moduleGraph(roots: string[]): Promise<Map<string, Dependency[]>> {
  const dir = await Deno.makeTempDir({ prefix: "flow-seams-" });
  try {
    const entry = `${dir}/roots.ts`;
    await Deno.writeTextFile(entry, roots.map((r) => `import ${JSON.stringify(toUrl(r))};\n`).join(""));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", `${ROOT}deno.json`, entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: { specifier: string; dependencies?: Dependency[] }[];
    };
    return new Map(graph.modules.map((m) => [m.specifier, m.dependencies ?? []]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const toUrl = (path: string) => new URL(path, `file://${ROOT}`).href;
/** A file URL of this repository as a path relative to it; anything else as it is. */
const local = (url: string) => (url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url);

/** The `.ts` files under `dir`, relative to the repository. */
async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) found.push(...await sources(path));
    else if (/\.tsx?$/.test(e.name)) found.push(path);
  }
  return found;
}

/** Whether `path` (relative to the repository) is an entry point of `src/`, and whether it must be imported lazily. */
function entryPoint(path: string): { lazy: boolean } | undefined {
  if (/^src\/[^/]+\.ts$/.test(path) || /^src\/[^/]+\/mod\.ts$/.test(path)) return { lazy: false };
  return SECOND_ENTRIES[path];
}

Deno.test("cli/, server/ and queue/ import src/ only through its entry points", async () => {
  const files = (await Promise.all(ADAPTERS.map(sources))).flat();
  files.push("cli.ts");
  const graph = await moduleGraph(files);
  const wrong: string[] = [];
  for (const file of files) {
    for (const dep of graph.get(toUrl(file)) ?? []) {
      const target = dep.code ?? dep.type;
      if (!target) continue;
      const path = local(target.specifier);
      if (!path.startsWith("src/")) continue;
      const where = `${file}:${target.span.start.line + 1}`;
      const entry = entryPoint(path);
      if (!entry) {
        const folder = path.split("/").slice(0, 2).join("/");
        wrong.push(`${where}: imports ${path}; import it from ${folder}/mod.ts (export what is missing there)`);
      } else if (entry.lazy && !dep.isDynamic) {
        wrong.push(`${where}: imports ${path} statically; it is a lazy entry point: use import()`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("what every flow command loads holds none of the lazy parts of the bundle", async () => {
  const graph = await moduleGraph(["cli.ts"]);
  // The bundle's view: every import from cli.ts, static or dynamic, but those scripts/bundle.ts embeds as lazy parts.
  const cut = new Set([...LAZY_MODULES.map((m) => m.specifier), ...LAZY_PACKAGES]);
  const reached = new Set<string>();
  const todo = [toUrl("cli.ts")];
  while (todo.length) {
    const url = todo.pop()!;
    if (reached.has(url)) continue;
    reached.add(url);
    for (const dep of graph.get(url) ?? []) {
      if (dep.code && !(dep.isDynamic && cut.has(dep.specifier))) todo.push(dep.code.specifier);
    }
  }
  const paths = [...reached].map(local);
  const npm = (name: string) => paths.some((p) => p.startsWith(`npm:${name}@`) || p.startsWith(`npm:/${name}@`));
  assert.ok(paths.includes("src/engine/executor.ts") && npm("zod"), "expected the walk to reach the engine and zod");
  assert.deepEqual(NEVER_AT_START.filter((p) => paths.includes(p)), []);
  assert.deepEqual(NPM_NEVER_AT_START.filter(npm), []);
});

/** The modules (relative paths, or `npm:` specifiers) that loading `entry` runs: its static imports, not its `import()`s. */
async function loadedWith(entry: string): Promise<string[]> {
  const graph = await moduleGraph([entry]);
  const reached = new Set<string>();
  const todo = [toUrl(entry)];
  while (todo.length) {
    const url = todo.pop()!;
    if (reached.has(url)) continue;
    reached.add(url);
    for (const dep of graph.get(url) ?? []) if (dep.code && !dep.isDynamic) todo.push(dep.code.specifier);
  }
  return [...reached].map(local);
}

// In the compiled binary and from source, each module is loaded on its own when imported: an entry point that
// re-exports a heavy module makes every command that imports it load that module, used or not.

Deno.test("before a command is chosen, flow loads no folder of src/ (flow --version, help, a usage error)", async () => {
  // Each command's module is loaded with import() once the arguments name it: until then only what cli.ts imports runs.
  const paths = await loadedWith("cli.ts");
  assert.ok(paths.includes("cli/main.ts"), "expected the walk to reach cli/main.ts");
  assert.deepEqual(paths.filter((p) => /^src\/[^/]+\//.test(p) || p.startsWith("npm:")), []);
});

Deno.test("flow runs, runs show and runs events load neither the engine, validation nor zod", async () => {
  for (const command of ["runs", "runs_show", "runs_events"]) {
    const paths = await loadedWith(`cli/commands/${command}.ts`);
    assert.ok(paths.includes("src/store/sqlite.ts"), `expected ${command} to load the store`);
    const heavy = paths.filter((p) => /^src\/(engine\/executor|validate\/|sandbox\/)|^npm:\/?zod@/.test(p));
    assert.deepEqual(heavy, [], `cli/commands/${command}.ts`);
  }
});

Deno.test("the library's mod.ts documents every type its API names (deno doc --lint)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "mod.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text.split("\n").filter((l) => /^error/.test(l)).join("\n"));
});

/** The import cycles among `files` (relative paths): each as the chain of modules that closes it. */
function importCycles(graph: Map<string, Dependency[]>, files: string[]): string[][] {
  const inScope = new Set(files.map(toUrl));
  const cycles: string[][] = [];
  // Tarjan's strongly connected components: a component of more than one module (or one that imports itself) is a cycle.
  let index = 0;
  const order = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const edges = (url: string) =>
    (graph.get(url) ?? []).map((d) => (d.code ?? d.type)?.specifier).filter((s): s is string =>
      s !== undefined && inScope.has(s)
    );
  const visit = (url: string) => {
    order.set(url, index);
    low.set(url, index++);
    stack.push(url);
    onStack.add(url);
    for (const next of edges(url)) {
      if (!order.has(next)) {
        visit(next);
        low.set(url, Math.min(low.get(url)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(url, Math.min(low.get(url)!, order.get(next)!));
    }
    if (low.get(url) === order.get(url)) {
      const component: string[] = [];
      let top: string;
      do {
        top = stack.pop()!;
        onStack.delete(top);
        component.push(local(top));
      } while (top !== url);
      if (component.length > 1 || edges(url).includes(url)) cycles.push(component.sort());
    }
  };
  for (const url of inScope) if (!order.has(url)) visit(url);
  return cycles;
}

Deno.test("src/ has no import cycle (static, dynamic or type-only)", async () => {
  const files = await sources("src");
  const cycles = importCycles(await moduleGraph(files), files);
  assert.deepEqual(cycles, [], cycles.map((c) => `cycle: ${c.join(" <-> ")}`).join("\n"));
});
