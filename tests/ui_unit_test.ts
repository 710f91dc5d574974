/**
 * The console's pure parts in Deno: the graph model, the fast layered
 * layout, the run-state fold, derived inputs, the static file handler, the
 * sub-workflow graphs of the API, and the committed assets.
 */
import assert from "node:assert/strict";
import { createApp } from "../server/app.ts";
import { CONSOLE_ROUTES, uiHandler } from "../server/ui.ts";
import { FlowRuntime } from "../src/runtime/runtime.ts";
import { builtinRegistry } from "../nodes/mod.ts";
import type { FlowEvent } from "../src/engine/events.ts";
import { buildGraph, INPUTS_ID, OUTPUTS_ID } from "../ui/src/graph/model.ts";
import { layeredLayout } from "../ui/src/graph/layered.ts";
import { applyEvents, childRuns, createRunState } from "../ui/src/run/state.ts";
import { deriveInputs } from "../ui/src/run/inputs.ts";
import { UI_ASSETS } from "../ui/assets.gen.ts";
import { staticImports } from "../scripts/build_ui.ts";
import type { WorkflowDetailT } from "../server/schemas.ts";
import { ROOT } from "./helpers.ts";
import { bigWorkflow } from "./ui_serve.ts";

const node = (id: string, inputs: string[], outputs: string[]) => ({
  id,
  type: "transform.set",
  family: "transform",
  description: "",
  inputs: Object.fromEntries(inputs.map((p) => [p, { type: "any" }])),
  outputs: Object.fromEntries(outputs.map((p) => [p, { type: "any" }])),
  config: {},
  onError: "stop",
});

Deno.test("the graph model has an entry, an exit and port-to-port edges", () => {
  const model = buildGraph({
    nodes: [node("a", ["in"], ["out"]), node("b", ["x"], ["value"])],
    connections: [{ from: "$inputs.url", to: "a.in" }, { from: "a.out", to: "b.x" }, { from: "a.extra", to: "b.y" }],
    inputs: { url: { type: "string", default: "u" } },
    outputs: { result: "b.value" },
  });
  assert.deepEqual(model.nodes.map((n) => n.id), [INPUTS_ID, "a", "b", OUTPUTS_ID]);
  assert.deepEqual(model.nodes[0].outputs, [{ name: "url", type: "string", required: false }]);
  assert.deepEqual(
    model.edges.map((e) => `${e.source}.${e.sourcePort}->${e.target}.${e.targetPort}`),
    ["$inputs.url->a.in", "a.out->b.x", "a.extra->b.y", "b.value->$outputs.result"],
  );
  // A port only a connection names is added.
  assert.deepEqual(model.nodes[1].outputs.map((p) => p.name), ["out", "extra"]);
});

Deno.test("the layered layout puts every node right of what feeds it, without overlaps", () => {
  const wf = bigWorkflow(500) as { nodes: { id: string }[]; connections: { from: string; to: string }[] };
  const model = buildGraph({
    nodes: wf.nodes.map((n) => node(n.id, ["value"], ["value"])),
    connections: wf.connections,
    inputs: { seed: {} },
    outputs: {},
  });
  const start = performance.now();
  const layout = layeredLayout(model);
  const ms = performance.now() - start;
  console.log(`layered layout of ${model.nodes.length} boxes: ${ms.toFixed(1)} ms`);
  assert.equal(layout.size, model.nodes.length);
  for (const e of model.edges) assert.ok(layout.get(e.source)!.x < layout.get(e.target)!.x, e.id);
  const boxes = [...layout.values()];
  const byColumn = Map.groupBy(boxes, (b) => b.x);
  for (const column of byColumn.values()) {
    column.sort((a, b) => a.y - b.y);
    for (let i = 1; i < column.length; i++) assert.ok(column[i].y >= column[i - 1].y + column[i - 1].height);
  }
});

const ev = (seq: number, e: Record<string, unknown>) =>
  ({ executionId: "x", workflowId: "w", seq, ts: new Date(1000 + seq * 10).toISOString(), ...e }) as FlowEvent;

Deno.test("the run state folds events: statuses, attempts, spans, sub-runs; replays are idempotent", () => {
  const events = [
    ev(0, { type: "workflow.started", nodeCount: 2 }),
    ev(1, { type: "node.started", nodeId: "a", nodeType: "t", attempt: 1 }),
    ev(2, { type: "node.retrying", nodeId: "a", attempt: 2, delayMs: 5, error: { message: "m", code: "C" } }),
    ev(3, { type: "node.started", nodeId: "a", nodeType: "t", attempt: 2 }),
    ev(4, { type: "node.completed", nodeId: "a", outputs: { out: 42 }, durationMs: 1 }),
    ev(5, { type: "node.started", nodeId: "each", nodeType: "control.loop", attempt: 1 }),
    ev(6, {
      type: "workflow.started",
      nodeCount: 1,
      workflowId: "w.each",
      parentNodeId: "each",
      iteration: 0,
      runPath: "each[0]",
    }),
    ev(7, {
      type: "node.failed",
      nodeId: "f",
      error: { message: "boom", code: "X" },
      durationMs: 1,
      runPath: "each[0]",
    }),
    ev(8, {
      type: "workflow.completed",
      status: "failed",
      durationMs: 2,
      outputs: {},
      runPath: "each[0]",
      iteration: 0,
    }),
    ev(9, { type: "node.completed", nodeId: "each", outputs: {}, durationMs: 3 }),
    ev(10, { type: "workflow.completed", status: "success", durationMs: 10, outputs: {} }),
  ];
  const state = createRunState();
  applyEvents(state, events.slice(0, 3));
  assert.equal(state.runs.get("")!.nodes.get("a")!.status, "retrying");
  applyEvents(state, events);
  applyEvents(state, events); // replayed again: ignored by seq
  assert.equal(state.events.length, 11);
  const a = state.runs.get("")!.nodes.get("a")!;
  assert.equal(a.status, "completed");
  assert.equal(a.attempts, 2);
  assert.deepEqual(a.spans.map((s) => s.outcome), ["retrying", "completed"]);
  assert.equal(state.runs.get("each[0]")!.nodes.get("f")!.status, "failed");
  assert.deepEqual(childRuns(state, "", "each").map((r) => r.path), ["each[0]"]);
  assert.equal(state.done, true);
  const model = buildGraph({
    nodes: [node("a", [], ["out"]), node("b", ["x"], [])],
    connections: [{ from: "a.out", to: "b.x" }],
    inputs: {},
    outputs: {},
  });
  assert.deepEqual(deriveInputs(model, state.runs.get(""), "b"), [{
    port: "x",
    from: "a.out",
    known: true,
    value: 42,
  }]);
});

Deno.test("the run state folds 100,000 events quickly (measured)", () => {
  const events: FlowEvent[] = [];
  for (let i = 0; i < 25_000; i++) {
    const runPath = `each[${i}]`;
    const base = { workflowId: "w.each", parentNodeId: "each", iteration: i, runPath };
    events.push(ev(events.length, { type: "workflow.started", nodeCount: 1, ...base }));
    events.push(ev(events.length, { type: "node.started", nodeId: "n", nodeType: "t", attempt: 1, ...base }));
    events.push(ev(events.length, { type: "node.completed", nodeId: "n", outputs: { v: i }, durationMs: 0, ...base }));
    events.push(
      ev(events.length, { type: "workflow.completed", status: "success", durationMs: 0, outputs: {}, ...base }),
    );
  }
  const state = createRunState();
  const start = performance.now();
  for (let i = 0; i < events.length; i += 1000) applyEvents(state, events.slice(i, i + 1000));
  const ms = performance.now() - start;
  console.log(`folded ${events.length} events in batches of 1000: ${ms.toFixed(0)} ms`);
  assert.equal(state.runs.size, 25_000);
});

Deno.test("server/ui.ts serves hashed assets for good, index.html for client routes, and never API paths", async () => {
  const ui = uiHandler({
    "/index.html": { type: "text/html; charset=utf-8", body: "<p>console</p>" },
    "/assets/main-abc.js": { type: "text/javascript; charset=utf-8", body: "1" },
  });
  for (const path of ["/", "/runs", "/runs/0a1b", "/workflows/linear"]) {
    const res = ui(path)!;
    assert.equal(res.headers.get("cache-control"), "no-cache", path);
    assert.equal(await res.text(), "<p>console</p>");
  }
  const js = ui("/assets/main-abc.js")!;
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.match(js.headers.get("cache-control")!, /immutable/);
  await js.body?.cancel();
  for (const path of ["/assets/missing.js", "/api/v1/nope", "/hooks/x", "/favicon.ico", "/nope", "/metrics"]) {
    assert.equal(ui(path), undefined, path);
  }
  // Only to requests that accept HTML.
  assert.equal(ui("/runs", "application/json"), undefined);
  assert.equal(ui("/runs", "text/html;q=0, application/json"), undefined);
  assert.ok(ui("/runs", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
  assert.ok(ui("/runs", "*/*"));
});

Deno.test("server/ui.ts serves index.html at exactly the routes the console renders (ui/src/main.tsx)", async () => {
  const main = await Deno.readTextFile(`${ROOT}ui/src/main.tsx`);
  const rendered = [...main.matchAll(/match\("([^"]+)", path\)/g)].map((m) => m[1]);
  assert.ok(rendered.length >= 4, "the console's routes were found in main.tsx");
  assert.deepEqual([...CONSOLE_ROUTES].sort(), rendered.sort());
});

Deno.test("the committed console: index.html loads a hashed entry and stylesheet that exist", () => {
  const html = UI_ASSETS["/index.html"].body;
  const script = /src="(\/assets\/main-[0-9a-f]+\.js)"/.exec(html)?.[1];
  const css = /href="(\/assets\/styles-[0-9a-f]+\.css)"/.exec(html)?.[1];
  assert.ok(script && UI_ASSETS[script], "entry script");
  assert.ok(css && UI_ASSETS[css], "stylesheet");
  // The entry's own imports are fetched beside it: each preloaded once, each one it imports, none missing.
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]);
  const assets = Object.entries(UI_ASSETS).map(([path, a]) => ({ path, ...a }));
  assert.deepEqual(preloaded, staticImports(assets, script).slice(1).map((a) => a.path));
  assert.ok(preloaded.length > 0 && preloaded.every((p) => UI_ASSETS[p] && p !== script), "preloaded chunks exist");
  const all = Object.values(UI_ASSETS).map((a) => a.body).join("\n");
  assert.doesNotMatch(all, /https?:\/\/(fonts\.|cdn\.|unpkg)/, "no remote fonts or CDNs");
  assert.doesNotMatch(all, /ZodError|zod\.dev/, "no zod in the browser bundle");
});

Deno.test("the API describes sub-workflow graphs by node path, and the app serves the console", async () => {
  const runtime = FlowRuntime.create({ paths: [`${ROOT}examples`], registry: builtinRegistry(), log: () => {} });
  await runtime.load();
  try {
    const app = createApp(runtime, { ui: uiHandler() });
    const loop = await (await app.request("/api/v1/workflows/loop")).json() as WorkflowDetailT;
    assert.deepEqual(Object.keys(loop.children), ["each"]);
    assert.deepEqual(loop.children.each.nodes.map((n) => n.id), ["fetch", "parse", "pick"]);
    assert.deepEqual(loop.connections[0], { from: "$inputs.urls", to: "each.items" });
    const sub = await (await app.request("/api/v1/workflows/subworkflow")).json() as WorkflowDetailT;
    assert.deepEqual(Object.keys(sub.children).sort(), ["first", "second"]);
    assert.equal(sub.children.first.workflowId, "fetch-user");
    const page = await app.request("/runs/abc");
    assert.match(await page.text(), /<div id="root">/);
    const api404 = await app.request("/api/v1/nothing");
    assert.equal(api404.status, 404);
    assert.equal((await api404.json()).error.code, "NOT_FOUND");
  } finally {
    await runtime.shutdown(0);
  }
});
