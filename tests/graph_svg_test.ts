/**
 * `flow graph FILE --format svg` (issue 27): a self-contained SVG that a real
 * SVG consumer (Chromium) loads without errors, as a document and as an
 * image, with every node's box (by id), its ports in declared order, an edge
 * per connection and the console's family colours; `--run ID` colours the
 * boxes by an execution's result; names that are markup stay text.
 *
 * @module
 */
import assert from "node:assert/strict";
import { themeOf } from "../cli/graph_svg.ts";
import { hasChromium, launchChromium } from "./browser.ts";
import { ROOT, runCli, writeWorkflow } from "./helpers.ts";
import { tempState } from "./history_helpers.ts";

const FANOUT = `${ROOT}examples/fanout.json`;

/** Writes an SVG to a temporary file; returns its file URL. */
async function svgFile(svg: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".svg" });
  await Deno.writeTextFile(path, svg);
  return `file://${path}`;
}

/** What the page sees of the SVG document. */
interface Seen {
  tag: string;
  namespace: string;
  boxes: {
    id: string;
    classes: string;
    inputs: string[];
    band: string;
    stroke: string;
    status: string | null;
    rect: { x: number; y: number; w: number; h: number };
  }[];
  edges: number;
  scripts: number;
  external: number;
  caption: string | null;
  title: string | null;
}

/** Run in the page (this test's type checking has no DOM): its boxes, edges, links, title and caption. */
const SEEN = `(() => {
  const boxes = [...document.querySelectorAll("g[data-node-id]")].map((g) => {
    const r = g.getBoundingClientRect();
    return {
      id: g.dataset.nodeId,
      classes: g.getAttribute("class"),
      inputs: [...g.querySelectorAll(".port:not([text-anchor])")].map((t) => t.textContent),
      band: getComputedStyle(g.querySelector(".band")).fill,
      stroke: getComputedStyle(g.querySelector(".frame")).stroke,
      status: g.querySelector(".status")?.textContent ?? null,
      rect: { x: r.x, y: r.y, w: r.width, h: r.height },
    };
  });
  return {
    tag: document.documentElement.tagName,
    namespace: document.documentElement.namespaceURI,
    boxes,
    edges: document.querySelectorAll("path.edge").length,
    scripts: document.querySelectorAll("script").length,
    external: document.querySelectorAll("[href], image, use, foreignObject").length,
    caption: document.querySelector(".caption")?.textContent ?? null,
    title: document.querySelector("title")?.textContent ?? null,
  };
})()`;

/** What Chromium sees of an SVG file opened as a document: its boxes, edges and any error. */
async function inChromium(url: string) {
  await using browser = await launchChromium();
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  const response = await page.goto(url);
  assert.ok(response?.ok(), `loaded ${url}`);
  const seen = await page.evaluate(SEEN) as Seen;
  // The same file as an image (as a README shows it): it decodes, at its size.
  const image = await page.evaluate(
    `(async () => {
      const img = new Image();
      img.src = ${JSON.stringify(url)};
      await img.decode();
      return { width: img.naturalWidth, height: img.naturalHeight };
    })()`,
  ).catch((err) => ({ error: String(err) })) as { width: number; height: number } | { error: string };
  return { ...seen, image, errors };
}

/** `rgb(r, g, b)` of a `#rrggbb` colour, as a computed style gives it. */
function rgb(hex: string): string {
  const n = (i: number) => parseInt(hex.slice(i, i + 2), 16);
  return `rgb(${n(1)}, ${n(3)}, ${n(5)})`;
}

Deno.test({
  name: "flow graph --format svg: Chromium loads examples/fanout.json's SVG without errors, every node in it",
  ignore: !hasChromium,
  async fn() {
    const r = await runCli(["graph", FANOUT, "--format", "svg"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const seen = await inChromium(await svgFile(r.stdout));
    assert.deepEqual(seen.errors, []);
    assert.equal(seen.tag, "svg");
    assert.equal(seen.namespace, "http://www.w3.org/2000/svg");
    assert.equal(seen.title, "Fetch three slow endpoints in parallel and merge them");
    const wf = JSON.parse(await Deno.readTextFile(FANOUT));
    const ids = seen.boxes.map((b) => b.id);
    assert.deepEqual(ids, ["$inputs", ...wf.nodes.map((n: { id: string }) => n.id), "$outputs"]);
    assert.equal(seen.edges, wf.connections.length + Object.keys(wf.outputs).length, "an edge per connection");
    assert.equal(seen.scripts, 0);
    assert.equal(seen.external, 0, "self-contained: nothing links outside the file");
    assert.ok("width" in seen.image && seen.image.width > 600 && seen.image.height > 200, JSON.stringify(seen.image));
    // Ports in declared order (http.request: url, method, headers, query, body), families in the console's colours.
    const fetchA = seen.boxes.find((b) => b.id === "fetch_a")!;
    assert.deepEqual(fetchA.inputs, ["url", "method", "headers", "query", "body"]);
    const { light } = themeOf(await Deno.readTextFile(`${ROOT}ui/src/styles.css`));
    assert.equal(fetchA.band, rgb(light["--f-http"]));
    assert.equal(seen.boxes.find((b) => b.id === "merge")!.band, rgb(light["--f-flow"]));
    // Laid out: no two boxes overlap, and the graph goes left to right.
    for (const a of seen.boxes) {
      for (const b of seen.boxes) {
        if (a === b) continue;
        const apart = a.rect.x + a.rect.w <= b.rect.x || b.rect.x + b.rect.w <= a.rect.x ||
          a.rect.y + a.rect.h <= b.rect.y || b.rect.y + b.rect.h <= a.rect.y;
        assert.ok(apart, `${a.id} and ${b.id} overlap`);
      }
    }
    const x = (id: string) => seen.boxes.find((b) => b.id === id)!.rect.x;
    assert.ok(x("$inputs") < x("fetch_a") && x("fetch_a") < x("parse_a") && x("parse_a") < x("merge"));
  },
});

Deno.test({
  name: "flow graph --format svg --run ID colours the nodes by that execution's result",
  ignore: !hasChromium,
  async fn() {
    await using state = await tempState();
    const file = `${ROOT}tests/fixtures/pretty/lines.json`;
    const ran = await state.flow(["run", file, "--format", "json"]);
    assert.equal(ran.code, 1, ran.stderr);
    const { executionId } = JSON.parse(ran.stdout);
    const r = await state.flow(["graph", file, "--format", "svg", "--run", executionId.slice(0, 8)]);
    assert.equal(r.code, 0, r.stderr);
    const seen = await inChromium(await svgFile(r.stdout));
    assert.deepEqual(seen.errors, []);
    assert.equal(seen.caption, `pretty output, line by line · execution ${executionId.slice(0, 8)} · failed`);
    const box = (id: string) => seen.boxes.find((b) => b.id === id)!;
    const { light } = themeOf(await Deno.readTextFile(`${ROOT}ui/src/styles.css`));
    assert.match(box("items").classes, /\bstate-completed\b/);
    assert.equal(box("items").status, "completed");
    assert.equal(box("items").stroke, rgb(light["--ok"]));
    assert.match(box("flaky").classes, /\bstate-failed\b/);
    assert.equal(box("flaky").stroke, rgb(light["--bad"]));
    assert.match(box("after").classes, /\bstate-skipped\b/);
    assert.equal(box("$inputs").status, null, "the entry box has no state");
  },
});

Deno.test("flow graph --run: only with --format svg, an execution of this workflow, one that exists", async () => {
  await using state = await tempState();
  const other = await state.flow(["run", `${ROOT}tests/fixtures/pretty/lines.json`, "--quiet"]);
  assert.equal(other.code, 1);
  const { stdout } = await state.flow(["runs", "--format", "json"]);
  const id = JSON.parse(stdout)[0].executionId as string;
  const mermaid = await state.flow(["graph", FANOUT, "--run", id]);
  assert.equal(mermaid.code, 2);
  assert.equal(mermaid.stderr, "flow: --run colours the SVG: add --format svg (got --format mermaid)\n");
  const wrong = await state.flow(["graph", FANOUT, "--format", "svg", "--run", id]);
  assert.equal(wrong.code, 2);
  assert.equal(wrong.stderr, `flow: --run ${id}: execution ${id} ran workflow "pretty-lines", not "fanout"\n`);
  const missing = await state.flow(["graph", FANOUT, "--format", "svg", "--run", "ffffffff"]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^flow: .*ffffffff/);
  assert.equal(missing.stdout, "");
});

Deno.test({
  name: "flow graph --format svg: names holding markup stay text; a workflow with no node still draws",
  ignore: !hasChromium,
  async fn() {
    const wf = await writeWorkflow({
      id: "markup",
      name: `</title><script>alert("x")</script> & "quotes"`,
      inputs: { "in": { type: "string", default: "x" } },
      nodes: [{ id: "n", type: "debug.log", name: "<b>bold</b> & co" }],
      connections: [{ from: "$inputs.in", to: "n.message" }],
    });
    const r = await runCli(["graph", wf, "--format", "svg"]);
    assert.equal(r.code, 0, r.stderr);
    const seen = await inChromium(await svgFile(r.stdout));
    assert.deepEqual(seen.errors, []);
    assert.equal(seen.scripts, 0);
    assert.equal(seen.title, `</title><script>alert("x")</script> & "quotes"`);
    const empty = await runCli([
      "graph",
      await writeWorkflow({ id: "empty", nodes: [], connections: [] }),
      "-f",
      "svg",
    ]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.deepEqual((await inChromium(await svgFile(empty.stdout))).errors, []);
  },
});

Deno.test("docs/fanout.svg is what flow graph examples/fanout.json --format svg prints now", async () => {
  const r = await runCli(["graph", FANOUT, "--format", "svg"]);
  assert.equal(r.code, 0, r.stderr);
  const committed = await Deno.readTextFile(`${ROOT}docs/fanout.svg`);
  assert.equal(
    committed,
    r.stdout,
    "regenerate it: deno task flow graph examples/fanout.json -f svg > docs/fanout.svg",
  );
});
