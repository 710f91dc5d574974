/**
 * No function in `src/` is longer than {@linkcode MAX_LINES} lines, so each
 * part of the engine reads on a screen or two (issue 22). Functions are found
 * with Deno's own TypeScript parser (`Deno.lint.runPlugin`): declarations,
 * methods, function expressions and arrow functions, each measured from its
 * first line to its last (a nested function counts in its parent too).
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
