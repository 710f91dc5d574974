/**
 * The editor's test loop from the command line: `flow run --use-pins` finds
 * the pins `flow serve` keeps (the same store) and does not call the pinned
 * node, a plain `flow run` does; `flow runs` hides editor runs unless asked
 * (`--trigger editor`, `--trigger all`); an editor run cannot be resumed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers.ts";
import { Served, writeFiles } from "./serve_helpers.ts";

Deno.test({
  name: "flow run --use-pins uses the pins flow serve keeps; flow runs hides editor runs; editor runs are not resumed",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const hits = new Map<string, number>();
    const local = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const path = new URL(req.url).pathname;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      return Response.json({ real: path });
    });
    const base = `http://127.0.0.1:${local.addr.port}`;
    const dir = await writeFiles({
      "pinned.json": {
        id: "pinned",
        nodes: [
          { id: "paid", type: "http.request", config: { url: `${base}/paid` } },
          { id: "show", type: "transform.set", config: { value: "got {{ $node.text }}" } },
        ],
        connections: [{ from: "paid.body", to: "show.text" }],
        outputs: { shown: "show.value" },
      },
    });
    const file = `${dir}/pinned.json`;
    const stateDir = await Deno.makeTempDir({ prefix: "flow-editor-cli-" });
    const env = { FLOW_STATE_DIR: stateDir };
    try {
      await using server = await Served.start([dir], { stateDir });
      const pin = await server.json("/api/v1/workflows/pinned/pins/paid", {
        method: "PUT",
        json: { outputs: { status: 200, headers: {}, body: "PINNED" } },
      });
      assert.equal(pin.status, 200, JSON.stringify(pin.body));

      await t.step("flow run --use-pins: the pinned node is not called, its pin flows on", async () => {
        const r = await runCli(["run", file, "--use-pins", "-f", "json"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout).outputs, { shown: "got PINNED" });
        assert.equal(hits.get("/paid"), undefined, "not called");
        assert.match(r.stderr, /--use-pins: not calling paid \(pinned\)/);
        const pretty = await runCli(["run", file, "--use-pins"], { env });
        assert.match(pretty.stdout, /paid\s+pinned/);
      });

      await t.step("flow run without it never uses pins", async () => {
        const r = await runCli(["run", file, "-f", "json"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout).outputs, { shown: 'got {"real":"/paid"}' });
        assert.equal(hits.get("/paid"), 1);
      });

      await t.step("flow runs hides editor runs unless asked", async () => {
        const editor = await server.json("/api/v1/workflows/pinned/editor-runs?wait=true", { json: {} });
        assert.equal(editor.status, 200, JSON.stringify(editor.body));
        assert.equal(hits.get("/paid"), 1, "the editor run used the pin");
        const list = async (...args: string[]) => {
          const r = await runCli(["runs", "-f", "json", ...args], { env });
          assert.equal(r.code, 0, r.stderr);
          return (JSON.parse(r.stdout) as { trigger: string }[]).map((x) => x.trigger);
        };
        assert.deepEqual(await list(), ["cli", "cli", "cli"]);
        assert.deepEqual(await list("--trigger", "editor"), ["editor"]);
        assert.deepEqual(await list("--trigger", "all"), ["editor", "cli", "cli", "cli"]);
        assert.deepEqual(await list("-t", "editor", "-t", "cli"), ["editor", "cli", "cli", "cli"]);
        const bad = await runCli(["runs", "--trigger", "bogus"], { env });
        assert.equal(bad.code, 2);
        const table = await runCli(["runs", "--status", "failed"], { env });
        assert.equal(table.stdout, "no failed executions recorded\n", "nothing hidden: no editor run failed");
      });

      await t.step("an editor run cannot be resumed", async () => {
        const runs = await runCli(["runs", "-f", "json", "--trigger", "editor"], { env });
        const [{ executionId }] = JSON.parse(runs.stdout) as { executionId: string }[];
        const r = await runCli(["resume", executionId], { env });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /is an editor run \(a test\); it cannot be resumed/);
      });
    } finally {
      await local.shutdown();
    }
  },
});
