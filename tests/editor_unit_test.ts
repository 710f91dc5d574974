/**
 * The editor's logic in Deno (no browser): text edits that change only the
 * bytes they must, the layout block, rename, delete, copy and paste, undo and
 * redo, connection checks and forms from JSON Schemas.
 */
import assert from "node:assert/strict";
import {
  addConnection,
  parseText,
  removeNodes,
  renameNode,
  setAt,
  setPositions,
  uniqueId,
} from "../ui/src/edit/doc.ts";
import { copyFragment, pasteFragment, readFragment } from "../ui/src/edit/clipboard.ts";
import { emptyHistory, record, redo, undo } from "../ui/src/edit/history.ts";
import { connectionProblem, editorGraph } from "../ui/src/edit/graph.ts";
import type { NodeType } from "../ui/src/api_types.ts";

const FILE = `{
  "id": "demo",
  "nodes": [
    { "id": "fetch", "type": "http.request", "config": { "url": "https://example.com", "method": "GET" } },
    { "id": "parse", "type": "transform.json_parse" },
    { "id": "log", "type": "debug.log" }
  ],
  "connections": [
    { "from": "fetch.body", "to": "parse.text" },
    { "from": "parse.value", "to": "log.value" }
  ],
  "outputs": { "result": "parse.value" }
}
`;

/** Lines of `b` that differ from `a` (same line count assumed where it matters). */
function changedLines(a: string, b: string): { removed: string[]; added: string[] } {
  const x = a.split("\n"), y = b.split("\n");
  const removed = x.filter((l) => !y.includes(l));
  const added = y.filter((l) => !x.includes(l));
  return { removed, added };
}

Deno.test("setAt changes one line for one config value", () => {
  const out = setAt(FILE, ["nodes", 0, "config", "method"], "POST");
  const { removed, added } = changedLines(FILE, out);
  assert.equal(removed.length, 1);
  assert.equal(added.length, 1);
  assert.match(added[0], /"method": "POST"/);
});

Deno.test("setPositions adds a layout block last, then changes one line per moved node", () => {
  const one = setPositions(FILE, [], new Map([["fetch", [10.4, 20]], ["parse", [300, 20]]]));
  const parsed = parseText(one).value as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed).at(-1), "layout");
  assert.deepEqual(parsed.layout, { fetch: [10, 20], parse: [300, 20] });
  assert.match(one, /\n {2}"layout": \{\n {4}"fetch": \[10, 20\],\n {4}"parse": \[300, 20\]\n {2}\}\n\}\n$/);
  const diff = changedLines(FILE, one);
  assert.deepEqual(diff.removed, ['  "outputs": { "result": "parse.value" }']); // gains a comma
  const two = setPositions(one, [], new Map([["parse", [310, 40]], ["log", [600, 20]]]));
  const d2 = changedLines(one, two);
  assert.deepEqual(d2.removed, ['    "parse": [300, 20]']);
  assert.deepEqual(d2.added, ['    "parse": [310, 40],', '    "log": [600, 20]']);
});

Deno.test("a new property of the workflow goes before its layout block", () => {
  const withLayout = setPositions(FILE, [], new Map([["fetch", [0, 0]]]));
  const out = setAt(withLayout, ["settings"], { maxConcurrency: 2 }, []);
  assert.deepEqual(Object.keys(parseText(out).value as object).slice(-2), ["settings", "layout"]);
});

Deno.test("renameNode renames connections, outputs and the layout key", () => {
  const withLayout = setPositions(FILE, [], new Map([["parse", [1, 2]]]));
  const out = renameNode(withLayout, [], "parse", "decode");
  const w = parseText(out).value as Record<string, unknown>;
  assert.deepEqual(w.connections, [{ from: "fetch.body", to: "decode.text" }, {
    from: "decode.value",
    to: "log.value",
  }]);
  assert.deepEqual(w.outputs, { result: "decode.value" });
  assert.deepEqual(w.layout, { decode: [1, 2] });
  assert.equal((w.nodes as { id: string }[])[1].id, "decode");
});

Deno.test("removeNodes removes the nodes, their connections, outputs and layout entries", () => {
  const withLayout = setPositions(FILE, [], new Map([["parse", [1, 2]], ["log", [3, 4]]]));
  const out = removeNodes(withLayout, [], new Set(["parse"]));
  const w = parseText(out).value as Record<string, unknown>;
  assert.deepEqual((w.nodes as { id: string }[]).map((n) => n.id), ["fetch", "log"]);
  assert.deepEqual(w.connections, []);
  assert.deepEqual(w.outputs, {});
  assert.deepEqual(w.layout, { log: [3, 4] });
});

Deno.test("edits apply inside a loop's inline workflow", () => {
  const loop = JSON.stringify(
    {
      id: "l",
      nodes: [{
        id: "each",
        type: "control.loop",
        config: { workflow: { nodes: [{ id: "a", type: "debug.log" }], connections: [] } },
      }],
    },
    null,
    2,
  );
  const base = ["nodes", 0, "config", "workflow"];
  let out = addConnection(loop, base, "$inputs.item", "a.value");
  out = setPositions(out, base, new Map([["a", [5, 6]]]));
  const inner = (parseText(out).value as { nodes: { config: { workflow: Record<string, unknown> } }[] }).nodes[0].config
    .workflow;
  assert.deepEqual(inner.connections, [{ from: "$inputs.item", to: "a.value" }]);
  assert.deepEqual(inner.layout, { a: [5, 6] });
  assert.equal(Object.keys(inner).at(-1), "layout");
});

Deno.test("copy and paste: ids made unique, inner connections kept, arrangement kept", () => {
  const withLayout = setPositions(FILE, [], new Map([["fetch", [0, 0]], ["parse", [300, 50]]]));
  const copied = copyFragment(withLayout, [], new Set(["fetch", "parse"]))!;
  const fragment = readFragment(copied);
  assert.ok(!("error" in fragment));
  const { text, ids } = pasteFragment(withLayout, [], fragment, [100, 400]);
  assert.deepEqual(ids, ["fetch_2", "parse_2"]);
  const w = parseText(text).value as Record<string, unknown>;
  assert.deepEqual((w.connections as unknown[]).at(-1), { from: "fetch_2.body", to: "parse_2.text" });
  assert.deepEqual((w.layout as Record<string, unknown>).parse_2, [400, 450]);
  // A fragment typed in a text editor: one node, or an array of nodes.
  const one = readFragment('{"id": "x", "type": "debug.log"}');
  assert.ok(!("error" in one) && one.nodes.length === 1);
  assert.match((readFragment("nope") as { error: string }).error, /not JSON/);
  assert.match((readFragment('{"a": 1}') as { error: string }).error, /no nodes/);
  assert.equal(uniqueId("fetch_2", new Set(["fetch_2"])), "fetch_3");
});

Deno.test("undo and redo walk the texts back and forth; typing groups", () => {
  let h = emptyHistory();
  h = record(h, "a", "one");
  h = record(h, "b", "two");
  const u = undo(h, "c")!;
  assert.equal(u.text, "b");
  const r = redo(u.history, u.text)!;
  assert.equal(r.text, "c");
  let g = record(emptyHistory(), "x", "type", "code", 0);
  g = record(g, "xy", "type", "code", 500);
  assert.equal(g.past.length, 1);
  g = record(g, "xyz", "type", "code", 2000);
  assert.equal(g.past.length, 2);
});

const CATALOG = new Map<string, NodeType>([
  ["http.request", {
    type: "http.request",
    family: "http",
    description: "",
    configSchema: null,
    custom: false,
    inputs: { url: { type: "string", required: false } },
    outputs: { body: { type: "any" }, status: { type: "number" } },
  }],
  ["transform.json_parse", {
    type: "transform.json_parse",
    family: "transform",
    description: "",
    configSchema: null,
    custom: false,
    inputs: { text: { type: "string" } },
    outputs: { value: { type: "any" } },
  }],
  ["debug.log", {
    type: "debug.log",
    family: "debug",
    description: "",
    configSchema: null,
    custom: false,
    inputs: { value: { type: "any" } },
    outputs: { value: { type: "any" } },
  }],
]);

Deno.test("connectionProblem refuses unknown ports, type mismatches, fed inputs and cycles", () => {
  const model = editorGraph(parseText(FILE).value as Record<string, unknown>, CATALOG);
  assert.equal(
    connectionProblem(model, CATALOG, { node: "fetch", port: "status" }, { node: "$outputs", port: "s" }),
    undefined,
  );
  assert.equal(
    connectionProblem(model, CATALOG, { node: "log", port: "value" }, { node: "fetch", port: "url" }),
    "cycle: fetch -> parse -> log -> fetch",
  );
  assert.match(
    connectionProblem(model, CATALOG, { node: "fetch", port: "nope" }, { node: "log", port: "value" })!,
    /has no output port "nope"/,
  );
  assert.match(
    connectionProblem(model, CATALOG, { node: "fetch", port: "status" }, { node: "parse", port: "x" })!,
    /has no input port "x"/,
  );
  assert.match(
    connectionProblem(model, CATALOG, { node: "fetch", port: "status" }, { node: "fetch", port: "url" })!,
    /type mismatch: "fetch.status" gives number, "fetch.url" takes string/,
  );
  assert.match(
    connectionProblem(model, CATALOG, { node: "fetch", port: "body" }, { node: "log", port: "value" })!,
    /already fed by "parse.value"/,
  );
});

Deno.test("forms: widgets from JSON Schemas, the schema at a path, problem paths", async () => {
  const { fieldKind, fieldsOf, schemaAt, propertiesOf, isExpression } = await import("../ui/src/edit/schema.ts");
  const { parsePath, placeProblems } = await import("../ui/src/edit/problems.ts");
  assert.equal(fieldKind("url", { type: "string" }), "string");
  assert.equal(fieldKind("method", { type: "string", enum: ["GET", "POST"] }), "enum");
  assert.equal(fieldKind("timeoutMs", { type: "integer" }), "duration");
  assert.equal(
    fieldKind("every", { anyOf: [{ type: "string" }, { type: "number" }], description: "How often: 5m" }),
    "duration",
  );
  assert.equal(fieldKind("headers", { type: "object", additionalProperties: { type: "string" } }), "record");
  assert.equal(fieldKind("retry", { type: "object", properties: { a: { type: "number" } } }), "object");
  assert.equal(fieldKind("tags", { type: "array", items: { type: "string" } }), "list");
  assert.equal(fieldKind("value", {}), "json");
  const fields = fieldsOf({
    type: "object",
    properties: { a: { type: "string", default: "x", description: "A" } },
    required: ["a"],
  });
  assert.deepEqual(fields.map((f) => [f.key, f.kind, f.required, f.default, f.description]), [[
    "a",
    "string",
    true,
    "x",
    "A",
  ]]);
  const root = JSON.parse(await Deno.readTextFile(new URL("../schema/workflow.schema.json", import.meta.url)));
  const doc = { nodes: [{ id: "f", type: "http.request", config: {} }] };
  const config = { type: "object", properties: { url: { type: "string" } } };
  assert.deepEqual(schemaAt(root, ["nodes", 0, "config"], doc, () => config), config);
  assert.ok(propertiesOf(root, schemaAt(root, ["nodes", 0], doc, () => undefined)!).some((p) => p.name === "retry"));
  assert.ok(isExpression("{{ $inputs.x }}") && !isExpression("plain"));
  assert.deepEqual(parsePath("nodes[2].config.url"), ["nodes", 2, "config", "url"]);
  assert.deepEqual(parsePath('outputs["a b"]'), ["outputs", "a b"]);
  const placed = placeProblems(
    [{ path: "nodes[1].config.ms", message: "bad" }, { path: "connections[0].to", message: "no port" }],
    parseText(FILE).value,
    [],
  );
  assert.deepEqual(placed.map((p) => [p.node, p.port, p.field]), [["parse", undefined, ["config", "ms"]], [
    "parse",
    "text",
    undefined,
  ]]);
});

Deno.test("a JSON field's templates: the string at the cursor, its characters' places through escapes", async () => {
  const { EditorState } = await import("@codemirror/state");
  const { inTemplate, jsonWithTemplates, templateStringAt } = await import("../ui/src/edit/expr/json_templates.ts");
  const { holdsExpression } = await import("../ui/src/edit/schema.ts");
  const doc = '{\n  "a\\"b": ["x", "say \\"{{ $inputs.x & }}\\""],\n  "{{ k }}": "plain"\n}';
  const state = EditorState.create({ doc, extensions: [jsonWithTemplates()] });
  const at = (s: string) => doc.indexOf(s);
  const found = templateStringAt(state, at("$inputs"))!;
  assert.equal(found.text, 'say "{{ $inputs.x & }}"');
  assert.equal(found.path, 'a"b.1');
  // Each character maps to its place in the text, past the escaped quote.
  assert.equal(doc.slice(found.at[found.text.indexOf("$")], found.at[found.text.indexOf("$")] + 7), "$inputs");
  assert.equal(found.at[found.text.length], at('\\""]') + 2, "the end is before the closing quote");
  assert.equal(templateStringAt(state, at('"x"') + 1), undefined, "a string without {{ }}");
  assert.equal(templateStringAt(state, at("{{ k }}") + 2), undefined, "a property name is no template");
  assert.equal(templateStringAt(state, at("plain")), undefined);
  // Completion is offered inside an open {{ of a string value only.
  assert.ok(inTemplate(state, at("$inputs") + 3));
  assert.ok(!inTemplate(state, at("say") + 1), "before the {{");
  assert.ok(!inTemplate(state, at("plain") + 1));
  assert.ok(holdsExpression({ a: [1, { b: "{{ $x }}" }] }) && !holdsExpression({ a: ["{{"] }));
});
