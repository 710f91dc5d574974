/**
 * What the editor builds workflows from, through a real `flow serve`:
 * `GET /api/v1/nodes` lists every node type usable there (built-in, the
 * `--nodes` folders, each served workflow's `imports`) with the JSON Schema
 * of its config, as `flow nodes --json` derives it; `GET /api/v1/schema`
 * is `flow schema`; `POST /api/v1/validate` takes unsaved text and places
 * each problem in it (line, column, offset, length).
 */
import assert from "node:assert/strict";
import { fromFileUrl } from "../src/path.ts";
import { runCli } from "./helpers.ts";
import { Served, writeFiles } from "./serve_helpers.ts";

const NODES = fromFileUrl(new URL("./fixtures/nodes/", import.meta.url));
const STATE_NODES = fromFileUrl(new URL("./fixtures/state_nodes", import.meta.url));

type NodeType = { type: string; family: string; custom: boolean; source?: string; configSchema: unknown };

Deno.test({
  name: "GET /api/v1/nodes: built-in, --nodes and imported types with ports and config schema; GET /api/v1/schema",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await writeFiles({
      "imports.json": {
        id: "imports",
        imports: [`${NODES}fetch_text.ts`],
        nodes: [{ id: "f", type: "fx.fetch_text", config: { url: "http://127.0.0.1:1/" } }],
        connections: [],
      },
    });
    await using server = await Served.start([dir, "--nodes", STATE_NODES]);
    assert.equal((await server.json("/api/v1/workflows")).body.workflows[0].valid, true);
    const res = await server.json("/api/v1/nodes");
    assert.equal(res.status, 200);
    const nodes = res.body.nodes as NodeType[];
    const byType = new Map(nodes.map((n) => [n.type, n]));
    assert.deepEqual(nodes.map((n) => n.type), [...nodes.map((n) => n.type)].sort((a, b) => a.localeCompare(b)));
    // Built-ins, each with the config schema flow nodes --json gives.
    const cli = JSON.parse((await runCli(["nodes", "--json"])).stdout) as { type: string; config: unknown }[];
    for (const { type, config } of cli) {
      assert.ok(byType.has(type), type);
      assert.deepEqual(byType.get(type)!.configSchema, config, type);
      assert.equal(byType.get(type)!.custom, false);
    }
    const request = byType.get("http.request")!;
    assert.equal(request.family, "http");
    assert.deepEqual((request as unknown as { inputs: Record<string, unknown> }).inputs.url, {
      type: "string",
      description: "Absolute http(s) URL",
      required: true,
    });
    assert.equal((byType.get("http.webhook") as unknown as { trigger: string }).trigger, "webhook");
    assert.equal((byType.get("control.switch") as unknown as { dynamicOutputs: boolean }).dynamicOutputs, true);
    // Custom: a workflow's imports and the --nodes folder, with where they come from.
    assert.deepEqual(
      { custom: byType.get("fx.fetch_text")!.custom, source: byType.get("fx.fetch_text")!.source },
      { custom: true, source: `${NODES}fetch_text.ts` },
    );
    assert.equal(byType.get("fx.counter")!.custom, true);
    assert.equal(byType.get("fx.counter")!.source, `${STATE_NODES}/counter.ts`);
    assert.equal(byType.get("fx.bump")!.source, `${STATE_NODES}/bump.ts`);

    const schema = await server.json("/api/v1/schema");
    assert.deepEqual(schema.body, JSON.parse((await runCli(["schema"])).stdout));

    // Nothing served yet (a new project): the --nodes folders' types are listed all the same.
    await using empty = await Served.start([await writeFiles({}), "--nodes", STATE_NODES]);
    const types = (await empty.json("/api/v1/nodes")).body.nodes.map((n: NodeType) => n.type);
    assert.ok(types.includes("fx.counter") && types.includes("transform.set"), types.join(" "));
  },
});

Deno.test({
  name: "POST /api/v1/validate with the text: every problem placed in it by line, column, offset and length",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await writeFiles({});
    await using server = await Served.start([dir]);
    const text = `{
  "nodes": [
    { "id": "get", "type": "http.request", "config": { "url": 42 } },
    { "id": "log", "type": "debug.nope" }
  ],
  "connections": [{ "from": "get.body", "to": "missing.in" }],
  "layout": { "get": [0, "x"] }
}`;
    const res = await server.json("/api/v1/validate", { json: { text } });
    assert.equal(res.status, 200);
    assert.equal(res.body.valid, false);
    const at = (path: string) => {
      const e = res.body.errors.find((e: { path: string }) => e.path === path);
      assert.ok(e, `${path} in ${JSON.stringify(res.body.errors)}`);
      return { ...e, text: text.slice(e.offset, e.offset + e.length) };
    };
    const type = at("nodes[1].type");
    assert.deepEqual([type.line, type.column, type.text], [4, 28, '"debug.nope"']);
    assert.equal(at("layout.get[1]").text, '"x"');
    // A syntax error: where the parser stopped.
    const broken = await server.json("/api/v1/validate", { json: { text: '{\n  "nodes": [,]\n}' } });
    assert.deepEqual(broken.body.errors.map((e: { line: number; column: number }) => [e.line, e.column]), [[2, 13]]);
    assert.match(broken.body.errors[0].message, /^invalid JSON/);
    // A valid text; and a parsed workflow as before (no places: there is no text).
    const ok = await server.json("/api/v1/validate", { json: { text: '{"nodes": [], "connections": []}' } });
    assert.deepEqual(ok.body, { valid: true, errors: [], unchecked: [] });
    const parsed = await server.json("/api/v1/validate", {
      json: { nodes: [{ id: "x", type: "nope" }], connections: [] },
    });
    assert.deepEqual(Object.keys(parsed.body.errors[0]), ["path", "message"]);
  },
});
