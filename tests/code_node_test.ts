/**
 * `code.function`: a TypeScript body run in a Worker with exactly the
 * permissions its config grants; syntax errors at validation with their
 * place in the source; console.log as node.log; ports and types; limits.
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers.ts";
import { failure, issuesIn, outputsOf, runIn, tempDir, writeIn } from "./system_helpers.ts";

const code = (source: string, config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  id: "c",
  type: "code.function",
  config: { source, ...config },
  ...extra,
});

/** A local HTTP server answering "pong", for the net checks. */
function pongServer(): { url: string; port: number; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("pong"));
  const port = server.addr.port;
  return { url: `http://127.0.0.1:${port}/`, port, close: () => server.shutdown() };
}

Deno.test("code.function runs TypeScript with its inputs; console.log becomes node.log", async (t) => {
  const dir = await tempDir();

  await t.step("types stripped, inputs in, outputs out, logs", async () => {
    const { result, events } = await runIn(dir, {
      nodes: [
        { id: "n", type: "transform.set", config: { value: [3, 4] } },
        code(
          "interface Pair { a: number; b: number }\nenum Op { Sum = 'sum' }\n" +
            "const [a, b] = inputs.xs as number[];\n" +
            "const p: Pair = { a, b };\n" +
            "console.log('pair', p);\n" +
            "ctx.log.warn(`node ${ctx.nodeId}`);\n" +
            "return { [Op.Sum]: p.a + p.b, product: a * b };",
          { inputs: ["xs"], outputs: { sum: "number", product: "number" } },
        ),
      ],
      connections: [{ from: "n.value", to: "c.xs" }],
      outputs: { sum: "c.sum", product: "c.product" },
    });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    assert.deepEqual(result.outputs, { sum: 7, product: 12 });
    const logs = events.filter((e) => e.type === "node.log").map((e) => e.type === "node.log" && [e.level, e.message]);
    assert.deepEqual(logs, [["info", "pair { a: 3, b: 4 }"], ["warn", "node c"]]);
  });

  await t.step("ctx.store keeps state across runs; ctx.signal is there", async () => {
    const wf = {
      nodes: [code(
        "const n = ((await ctx.store.get('n')) ?? 0) + 1;\nawait ctx.store.set('n', n);\n" +
          "return { n, aborted: ctx.signal.aborted };",
      )],
      connections: [],
    };
    await runIn(dir, wf);
    const { events } = await runIn(dir, wf);
    assert.deepEqual(outputsOf(events, "c"), { n: 2, aborted: false });
  });

  await t.step(
    "declared ports are enforced: undeclared input, wrong input type, undeclared or mistyped output",
    async () => {
      const issues = await issuesIn(dir, {
        nodes: [code("return {};", { inputs: { a: "number" }, b: 1 })],
        connections: [],
      });
      assert.deepEqual(issues, ['nodes[0]: input port "b" is not declared in config.inputs (a)']);
      const { result } = await runIn(dir, {
        settings: { onError: "continue" },
        nodes: [
          { id: "in", type: "code.function", config: { source: "return {};", inputs: { a: "number" }, a: "x" } },
          { id: "extra", type: "code.function", config: { source: "return { y: 1 };", outputs: ["x"] } },
          { id: "typed", type: "code.function", config: { source: "return { x: 'a' };", outputs: { x: "number" } } },
          { id: "scalar", type: "code.function", config: { source: "return 5;" } },
        ],
        connections: [],
      });
      assert.deepEqual(failure(result, "in"), { code: "INPUT_TYPE", message: 'input "a": expected number; got "x"' });
      assert.deepEqual(failure(result, "extra"), {
        code: "BAD_OUTPUT",
        message: 'returned output "y", which config.outputs does not declare (x)',
      });
      assert.deepEqual(failure(result, "typed"), {
        code: "BAD_OUTPUT",
        message: 'output "x": expected number; got "a"',
      });
      assert.deepEqual(failure(result, "scalar"), {
        code: "BAD_OUTPUT",
        message: "returned 5; return an object of outputs",
      });
    },
  );

  await t.step("an error thrown says where in the source", async () => {
    const { result } = await runIn(dir, {
      nodes: [code("const a = 1;\nconst o: any = undefined;\n  return { x: o.deep };")],
      connections: [],
    });
    assert.deepEqual(failure(result, "c"), {
      code: "NODE_ERROR",
      message: "Cannot read properties of undefined (reading 'deep') (line 3)",
    });
  });
});

Deno.test("code.function: a syntax error is a validation error at its line and column in the source", async () => {
  const dir = await tempDir();
  const issues = await issuesIn(dir, {
    nodes: [
      code("const a: number = 1;\nconst b = a +;\nreturn { b };"),
      { id: "escape", type: "code.function", config: { source: "}); Deno.exit(3); (async function () {" } },
    ],
    connections: [],
  });
  assert.deepEqual(issues, [
    "nodes[0].config.source: syntax error at line 2, column 14 of the source: Unexpected token",
    "nodes[1].config.source: syntax error at line 1, column 1 of the source: Single function literal required",
  ]);
  // Through the CLI: exit 2, before anything runs.
  const file = await writeIn(dir, { nodes: [code("return {")], connections: [] }, "syntax.json");
  const r = await runCli(["run", file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nodes\[0\]\.config\.source: syntax error at line 1, column \d+ of the source: /);
});

Deno.test("code.function is denied what it is not granted: files, the network, programs, the environment", async (t) => {
  const dir = await tempDir();
  const server = pongServer();
  try {
    await t.step("nothing granted", async () => {
      const { result } = await runIn(dir, {
        settings: { onError: "continue" },
        nodes: [
          code("return { t: await Deno.readTextFile('/etc/passwd') };", {}, { id: "read" }),
          code(`return { t: await (await fetch(${JSON.stringify(server.url)})).text() };`, {}, { id: "net" }),
          code("const o = await new Deno.Command('echo', { args: ['x'] }).output();\nreturn {};", {}, { id: "run" }),
          code("return { home: Deno.env.get('HOME') };", {}, { id: "env" }),
          code("await Deno.writeTextFile('x.txt', 'x');\nreturn {};", {}, { id: "write" }),
        ],
        connections: [],
      });
      const denied = (id: string, what: string) => {
        const error = failure(result, id);
        assert.equal(error.code, "PERMISSION_DENIED", `${id}: ${error.message}`);
        assert.match(
          error.message,
          new RegExp(`^Requires ${what} access to .*\\(grant it in the node's config\\.permissions\\)$`),
        );
      };
      denied("read", "read");
      denied("net", "net");
      denied("run", "run");
      denied("env", "env");
      denied("write", "write");
    });

    await t.step("what its config grants (within the workflow's), and only that", async () => {
      await Deno.writeTextFile(`${dir}/allowed.txt`, "allowed");
      const { result, events } = await runIn(dir, {
        settings: {
          onError: "continue",
          permissions: { read: ["./allowed.txt", "/etc/passwd"], net: [`127.0.0.1:${server.port}`], run: ["echo"] },
        },
        nodes: [
          code(
            "const text = await Deno.readTextFile(`${ctx.dir}/allowed.txt`);\n" +
              `const pong = await (await fetch(${JSON.stringify(server.url)})).text();\n` +
              "const out = new TextDecoder().decode((await new Deno.Command('echo', { args: ['hi'] }).output()).stdout);\n" +
              "return { text, pong, out };",
            { permissions: { read: ["./allowed.txt"], net: [`127.0.0.1:${server.port}`], run: ["echo"] } },
          ),
          code(
            "return { t: await Deno.readTextFile('/etc/passwd') };",
            { permissions: { read: ["./allowed.txt"] } },
            { id: "other" },
          ),
        ],
        connections: [],
      });
      assert.ok(result.nodes.find((n) => n.id === "c")?.status === "completed", JSON.stringify(result.nodes));
      assert.deepEqual(outputsOf(events, "c").pong, "pong");
      assert.deepEqual(outputsOf(events, "c").out, "hi\n");
      assert.deepEqual(outputsOf(events, "c").text, "allowed", "its grants resolve against the workflow's folder");
      // The workflow grants /etc/passwd, but this node's config does not: the node gets only its own grants.
      assert.equal(failure(result, "other").code, "PERMISSION_DENIED");
    });
  } finally {
    await server.close();
  }
});

Deno.test("code.function: a function stuck in a loop is stopped by its timeout; the next run works", async () => {
  const dir = await tempDir();
  const { result } = await runIn(dir, {
    nodes: [code("if (ctx.attempt === 1) while (true) {}\nreturn { attempt: ctx.attempt };", {}, {
      // The second attempt waits for the stuck Worker to be stopped (1 s) and a new one to start: room for a loaded machine.
      timeoutMs: 3000,
      retry: { maxAttempts: 2, delayMs: 50 },
    })],
    connections: [],
    outputs: { attempt: "c.attempt" },
  });
  assert.equal(result.status, "success", JSON.stringify(result.error));
  assert.deepEqual(result.outputs, { attempt: 2 });
});
