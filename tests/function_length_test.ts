/**
 * No function in `src/` is longer than {@linkcode MAX_LINES} lines, so each
 * part of the engine reads on a screen or two (issue 22). Functions are found
 * with Deno's own TypeScript parser (`Deno.lint.runPlugin`): declarations,
 * methods, function expressions and arrow functions, each measured from its
 * first line to its last (a nested function counts in its parent too).
 *
 * And every piece of state a module of `src/` keeps at module level (a `let`,
 * or a `Map` or `Set` not named as a constant table) is listed in docs/architecture.md, with why two runs
 * in one process cannot interfere through it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ROOT } from "./helpers.ts";

/** The longest a function in `src/` may be, in lines. */
const MAX_LINES = 120;

/** A lint rule that reports every function with its length in lines. */
const measure: Deno.lint.Plugin = {
  name: "flow-size",
  rules: {
    "function-lines": {
      create(ctx) {
        const report = (node: Deno.lint.Node) => {
          const [start, end] = node.range;
          const text = ctx.sourceCode.text;
          const lines = text.slice(start, end).split("\n").length;
          const line = text.slice(0, start).split("\n").length;
          ctx.report({ node, message: `${line}:${lines}` });
        };
        return { FunctionDeclaration: report, FunctionExpression: report, ArrowFunctionExpression: report };
      },
    },
  },
};

/** The `.ts` files under `dir` (relative to the repository). */
async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) found.push(...await sources(path));
    else if (e.name.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

/** Every function of `source` as [first line, length in lines]. */
function functionsOf(path: string, source: string): [number, number][] {
  return Deno.lint.runPlugin(measure, path, source).map((d) => d.message.split(":").map(Number) as [number, number]);
}

Deno.test("the measure finds functions, methods and arrows with their length", () => {
  const found = functionsOf(
    "a.ts",
    "function f(): { a: number } {\n  return { a: 1 };\n}\nclass C {\n  m() {\n  }\n}\n",
  );
  assert.deepEqual(found, [[1, 3], [5, 2]]);
  assert.deepEqual(functionsOf("b.ts", "const g = (x: number) => {\n\n  return x;\n};\n"), [[1, 4]]);
});

Deno.test(`no function in src/ is longer than ${MAX_LINES} lines`, async () => {
  const long: string[] = [];
  for (const path of await sources("src")) {
    for (const [line, lines] of functionsOf(path, await Deno.readTextFile(`${ROOT}${path}`))) {
      if (lines > MAX_LINES) long.push(`${path}:${line}: ${lines} lines`);
    }
  }
  assert.deepEqual(long, [], `split these into named parts:\n${long.join("\n")}`);
});

/** A lint rule that reports the module-level `let`s and `Map`/`Set` constants of a module. */
const moduleState: Deno.lint.Plugin = {
  name: "flow-state",
  rules: {
    "module-state": {
      create(ctx) {
        return {
          VariableDeclaration(node) {
            const parent = node.parent.type === "ExportNamedDeclaration" ? node.parent.parent : node.parent;
            if (parent.type !== "Program") return;
            for (const d of node.declarations) {
              if (d.id.type !== "Identifier") continue;
              const init = d.init;
              const collection = init?.type === "NewExpression" && init.callee.type === "Identifier" &&
                ["Map", "Set", "WeakMap"].includes(init.callee.name);
              // An ALL_CAPS collection is a lookup table, never changed after it is made.
              const table = /^[A-Z][A-Z0-9_]*$/.test(d.id.name);
              if (node.kind === "let" || (collection && !table)) ctx.report({ node: d, message: d.id.name });
            }
          },
        };
      },
    },
  },
};

/** The table of docs/architecture.md "State kept by modules": each row's modules and names. */
async function documentedState(): Promise<{ modules: string[]; names: string[] }[]> {
  const text = await Deno.readTextFile(`${ROOT}docs/architecture.md`);
  const section = text.slice(text.indexOf("## State kept by modules"));
  const rows = section.split("\n").filter((l) => l.startsWith("| `"));
  const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  return rows.map((row) => {
    const cells = row.split("|");
    return { modules: ticks(cells[1]).map((m) => `src/${m}`), names: ticks(cells[2]) };
  });
}

Deno.test("every module-level variable of src/ is listed in docs/architecture.md with its lifetime", async () => {
  const rows = await documentedState();
  assert.ok(rows.length > 5, "found the table");
  const missing: string[] = [];
  for (const path of await sources("src")) {
    for (const d of Deno.lint.runPlugin(moduleState, path, await Deno.readTextFile(`${ROOT}${path}`))) {
      if (!rows.some((r) => r.modules.includes(path) && r.names.includes(d.message))) {
        missing.push(`${path}: ${d.message}`);
      }
    }
  }
  assert.deepEqual(missing, [], "add these to docs/architecture.md, State kept by modules");
});
