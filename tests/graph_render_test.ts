/**
 * `flow graph` renders every valid workflow: node ids that are Mermaid or DOT
 * keywords (`end`, `graph`, `subgraph`, `node`, …), ids with dashes, and node
 * types with quotes, backslashes, markup and unicode. Its Mermaid output is
 * parsed and rendered by Mermaid itself in Chromium, its DOT output laid out
 * by Graphviz (compiled to WebAssembly); every node's id and type is in the
 * picture.
 */
import assert from "node:assert/strict";
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { hasChromium, launchChromium } from "./browser.ts";
import { ROOT, runCli } from "./helpers.ts";

/** Node ids that are keywords (or edge prefixes) of Mermaid or DOT, and ids with dashes. */
const IDS = [
  "end",
  "graph",
  "subgraph",
  "flowchart",
  "style",
  "class",
  "classDef",
  "click",
  "linkStyle",
  "direction",
  "default",
  "call",
  "href",
  "o",
  "x",
  "node",
  "edge",
  "digraph",
  "strict",
  "a-b",
  "a--b",
  "a---b",
  "trailing-",
  "_u",
];

/** Node types a custom module may register: quotes, a backslash, markup, entities, backticks, unicode. */
const TYPES = [
  'say "hi"',
  "back\\slash\\N",
  "<b>bold</b> & more",
  "#35; #quot;",
  "`tick`",
  "ünïcødé ✓ 流れ",
];

/** A custom node module registering one pass-through type per name of {@linkcode TYPES}. */
function moduleSource(): string {
  const defs = TYPES.map((type, i) =>
    `export const t${i} = { type: ${JSON.stringify(type)}, description: "passes its input on", ` +
    `inputs: { in: { type: "any", required: false } }, outputs: { "out-1": { type: "any" } }, ` +
    `run: ({ inputs }) => ({ "out-1": inputs.in }) };`
  );
  return defs.join("\n") + "\n";
}

/** A workflow whose id is a keyword, its nodes in a chain from two inputs (one with a dash). */
function workflow() {
  const nodes = IDS.map((id, i) => ({ id, type: TYPES[i % TYPES.length] }));
  const connections = [
    { from: "$inputs.end", to: `${IDS[0]}.in` },
    { from: "$inputs.my-input", to: `${IDS[1]}.in` },
    ...IDS.slice(2).map((id, i) => ({ from: `${IDS[i + 1]}.out-1`, to: `${id}.in` })),
  ];
  return {
    id: "subgraph",
    imports: ["./types.ts"],
    inputs: { end: { type: "any", default: 1 }, "my-input": { type: "any", default: 2 } },
    nodes,
    connections,
  };
}

/** Writes the module and the workflow; returns the workflow's path. */
async function writeWorkflowFiles(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "flow-graph-" });
  await Deno.writeTextFile(`${dir}/types.ts`, moduleSource());
  await Deno.writeTextFile(`${dir}/graph.json`, JSON.stringify(workflow(), null, 2));
  return `${dir}/graph.json`;
}

/** `flow graph` of `file` in `format`; asserts it succeeds. */
async function graph(file: string, format: "mermaid" | "dot"): Promise<string> {
  const r = await runCli(["graph", file, "--format", format]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

Deno.test({
  name: "flow graph: Mermaid parses and renders every node of a workflow of keyword and dashed ids",
  ignore: !hasChromium,
  async fn() {
    const source = await graph(await writeWorkflowFiles(), "mermaid");
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.setContent("<!doctype html><html><body></body></html>");
    await page.addScriptTag({ path: `${ROOT}node_modules/mermaid/dist/mermaid.min.js` });
    const result = await page.evaluate(async (src) => {
      // deno-lint-ignore no-explicit-any
      const { mermaid, document } = globalThis as any;
      mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
      try {
        await mermaid.parse(src);
        const { svg } = await mermaid.render("flow-graph", src);
        document.body.innerHTML = svg;
        return {
          nodes: document.querySelectorAll("svg g.node").length,
          edges: document.querySelectorAll("svg .edgePaths path").length,
          text: document.body.textContent ?? "",
        };
      } catch (err) {
        return { error: (err as Error).message };
      }
    }, source);
    assert.ok(!("error" in result), `Mermaid refused the graph: ${"error" in result ? result.error : ""}\n${source}`);
    const { nodes, edges, text } = result as { nodes: number; edges: number; text: string };
    assert.equal(nodes, IDS.length + 2, `every node and both inputs are drawn:\n${source}`);
    assert.equal(edges, IDS.length, "every connection is drawn");
    for (const id of IDS) assert.ok(text.includes(id), `node ${id} is not in the picture`);
    for (const type of TYPES) assert.ok(text.includes(type), `type ${type} is not in the picture: ${text}`);
    assert.ok(text.includes("$inputs.my-input"));
  },
});

Deno.test("flow graph: Graphviz lays out every node of a workflow of keyword and dashed ids", async () => {
  const source = await graph(await writeWorkflowFiles(), "dot");
  const graphviz = await Graphviz.load();
  let svg = "";
  try {
    svg = graphviz.layout(source, "svg", "dot");
  } catch (err) {
    assert.fail(`Graphviz refused the graph: ${(err as Error).message}\n${source}`);
  }
  const titles = [...svg.matchAll(/<g id="node\d+" class="node">\s*<title>([^<]*)<\/title>/g)].map((m) => m[1]);
  const unescape = (s: string) =>
    s.replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n))).replace(/&quot;/g, '"').replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  assert.deepEqual(titles.map(unescape).sort(), [...IDS, "$inputs.end", "$inputs.my-input"].sort());
  const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]));
  for (const type of TYPES) assert.ok(labels.includes(type), `type ${type} is not a label: ${labels.join(" | ")}`);
  assert.equal([...svg.matchAll(/class="edge"/g)].length, IDS.length, "every connection is drawn");
});
