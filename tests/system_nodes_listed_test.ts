/**
 * The nodes that touch the system (issue 25) are listed wherever node types
 * are: the `flow nodes` table, `flow nodes --json` with their config
 * schemas, `GET /api/v1/nodes` with their families, and the console's node
 * palette in a real browser, and the workflow's JSON Schema.
 *
 * @module
 */
import assert from "node:assert/strict";
import { hasChromium, launchChromium } from "./browser.ts";
import { runCli } from "./helpers.ts";
import { Served, writeFiles } from "./serve_helpers.ts";
import { openEditor } from "./ui_editor.ts";

/** Each new type and its family. */
const NEW_TYPES: Record<string, string> = {
  "code.function": "code",
  "exec.command": "exec",
  "file.read": "file",
  "file.write": "file",
  "file.list": "file",
  "sql.query": "sql",
  "email.send": "email",
  "transform.csv_parse": "transform",
  "transform.csv_stringify": "transform",
};

/** `type` as a regular expression that matches only it. */
const exactly = (type: string) => new RegExp(`(^|[^\\w.])${type.replace(".", "\\.")}($|[^\\w.])`, "m");

Deno.test("the new nodes are in flow nodes, flow nodes --json (with config schemas), GET /api/v1/nodes and the JSON Schema", async () => {
  const table = await runCli(["nodes"]);
  assert.equal(table.code, 0, table.stderr);
  for (const type of Object.keys(NEW_TYPES)) assert.match(table.stdout, exactly(type), `${type} in flow nodes`);
  const json = await runCli(["nodes", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const listed = new Map((JSON.parse(json.stdout) as { type: string; config?: { properties?: object } }[]).map((n) => [
    n.type,
    n,
  ]));
  for (const type of Object.keys(NEW_TYPES)) {
    assert.ok(listed.get(type)?.config?.properties, `${type} in flow nodes --json, with its config schema`);
  }
  await using server = await Served.start([await writeFiles({})]);
  const res = await server.json("/api/v1/nodes");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const api = new Map(
    (res.body.nodes as { type: string; family: string; configSchema?: object }[]).map((n) => [n.type, n]),
  );
  for (const [type, family] of Object.entries(NEW_TYPES)) {
    assert.equal(api.get(type)?.family, family, `${type} in GET /api/v1/nodes, family ${family}`);
    assert.ok(api.get(type)?.configSchema, `${type}: its config schema, for the console's form`);
  }
  // The workflow's JSON Schema (flow schema, flow init's copy, GET /api/v1/schema) offers them to editors.
  const published = JSON.parse((await runCli(["schema"])).stdout);
  const served = (await server.json("/api/v1/schema")).body;
  for (const schema of [published, served]) {
    const offered = new Map(
      (schema.properties.nodes.items.properties.type.anyOf as { const?: string; description?: string }[])
        .map((b) => [b.const, b.description]),
    );
    for (const type of Object.keys(NEW_TYPES)) assert.ok(offered.get(type), `${type} in the JSON Schema, described`);
  }
});

Deno.test({
  name: "the console's node palette offers the new nodes, each under its family",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await writeFiles({
      "one.json": { id: "one", nodes: [{ id: "a", type: "transform.set", config: { value: 1 } }], connections: [] },
    });
    await using server = await Served.start([dir]);
    await using browser = await launchChromium();
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await openEditor(page, server.url, "one.json");
    const palette = page.getByRole("complementary", { name: "Node palette" });
    for (const [type, family] of Object.entries(NEW_TYPES)) {
      const item = palette.locator(`[data-type="${type}"]`);
      assert.equal(await item.count(), 1, `${type} in the palette`);
      assert.match(await item.getAttribute("class") ?? "", new RegExp(`\\bfamily-${family}\\b`), `${type}: ${family}`);
    }
  },
});
