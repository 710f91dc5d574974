/**
 * Hostile workflow files through the real CLI and a real `flow serve`: a
 * config nested thousands of levels deep, files larger than the size limit
 * (devices and stdin included), bytes that are not UTF-8, numbers out of
 * range, names of Object.prototype members and control characters. Each is
 * refused with one line (exit 2) and never a stack trace; `flow serve` logs
 * it and keeps serving (docs/workflow.md#limits).
 */
import assert from "node:assert/strict";
import { runCli, writeWorkflow } from "./helpers.ts";
import { Served, waitFor, writeFile, writeFiles } from "./serve_helpers.ts";
import { invalidUtf8Offset } from "../src/workflow/load.ts";
import { formatBytes, parseLimit } from "../src/workflow/limits.ts";
import { zodIssues } from "../src/workflow/zod_issues.ts";
import * as z from "zod/mini";

/** A workflow whose one node's config holds `value` nested `depth` levels of arrays deep. */
function deepWorkflow(depth: number, id = "deep"): string {
  const nodes = `[{"id":"a","type":"transform.set","config":{"value":${"[".repeat(depth)}${"]".repeat(depth)}}}]`;
  return `{"id":"${id}","nodes":${nodes},"connections":[],"outputs":{"o":"a.value"}}`;
}

/** The one line a command printed on stderr (fails when there are more, or a stack trace). */
function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, `expected one line on stderr; got:\n${stderr.slice(0, 2000)}`);
  assert.doesNotMatch(stderr, /RangeError|Uncaught|\n\s+at /);
  return lines[0];
}

/** A path `[0]` repeated `n` times. */
const zeros = (n: number) => "[0]".repeat(n);

Deno.test("nesting depth: a config 9,000 levels deep is refused with one line naming the limit and the path", async (t) => {
  const path = await writeWorkflow(deepWorkflow(9000));
  // The top-level object is level 1, nodes 2, the node 3, its config 4, config.value 5: 60 arrays more are allowed.
  const where = `nodes[0].config.value${zeros(60)}`;
  for (const command of ["validate", "run"]) {
    await t.step(`flow ${command}`, async () => {
      const r = await runCli([command, path]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(
        oneLine(r.stderr),
        `${path}: ${where}: nested deeper than the limit of 64 levels of arrays and objects (FLOW_MAX_WORKFLOW_DEPTH)`,
      );
    });
  }
  await t.step("from stdin too", async () => {
    const r = await runCli(["validate", "-"], { stdin: deepWorkflow(9000) });
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), /^<stdin>: nodes\[0\]\.config\.value(\[0\]){60}: nested deeper than the limit/);
  });
  await t.step("a sub-workflow file is checked the same way", async () => {
    const dir = await writeFiles({ "sub.json": deepWorkflow(9000, "sub") });
    await writeFile(dir, "main.json", {
      nodes: [{ id: "s", type: "flow.subworkflow", config: { workflowFile: "sub.json" } }],
      connections: [],
    });
    const r = await runCli(["validate", `${dir}/main.json`]);
    assert.equal(r.code, 2);
    assert.match(
      oneLine(r.stderr),
      /main\.json: nodes\[0\]\.config\.workflowFile: sub\.json: nodes\[0\]\.config\.value(\[0\]){60}: nested deeper/,
    );
  });
});

Deno.test("nesting depth: FLOW_MAX_WORKFLOW_DEPTH sets the limit; up to its ceiling every step copes", async (t) => {
  await t.step("64 levels pass by default, 65 do not", async () => {
    assert.equal((await runCli(["validate", await writeWorkflow(deepWorkflow(60))])).code, 0);
    const r = await runCli(["validate", await writeWorkflow(deepWorkflow(61))]);
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), /limit of 64 levels/);
  });
  await t.step("a higher limit", async () => {
    const path = await writeWorkflow(deepWorkflow(100));
    assert.equal((await runCli(["validate", path])).code, 2);
    const r = await runCli(["validate", path], { env: { FLOW_MAX_WORKFLOW_DEPTH: "200" } });
    assert.equal(r.code, 0, r.stderr);
  });
  await t.step("at the ceiling, 1000: templates, secrets, events and history all walk the value", async () => {
    // 995 levels with a template at the bottom and a secret to redact: every recursive step sees the whole value.
    const value = `${"[".repeat(990)}{"s":"{{ $inputs.x }}"}${"]".repeat(990)}`;
    const path = await writeWorkflow(
      `{"inputs":{"x":{"default":"hush-hush"}},"settings":{"secrets":["SECRET"]},` +
        `"nodes":[{"id":"a","type":"transform.set","config":{"value":${value}}},{"id":"b","type":"debug.log"}],` +
        `"connections":[{"from":"a.value","to":"b.message"}],"outputs":{"o":"a.value"}}`,
    );
    const env = { FLOW_MAX_WORKFLOW_DEPTH: "1000", SECRET: "hush-hush" };
    const r = await runCli(["run", path, "--format", "json"], { env });
    assert.equal(r.code, 0, r.stderr.slice(0, 2000));
    let inner = JSON.parse(r.stdout).outputs.o;
    for (let i = 0; i < 990; i++) inner = inner[0];
    assert.deepEqual(inner, { s: "***" });
  });
  await t.step("a bad value is one line, exit 2", async () => {
    const path = await writeWorkflow(deepWorkflow(1));
    for (const value of ["lots", "0", "1001"]) {
      const r = await runCli(["validate", path], { env: { FLOW_MAX_WORKFLOW_DEPTH: value } });
      assert.equal(r.code, 2);
      assert.equal(
        oneLine(r.stderr),
        `FLOW_MAX_WORKFLOW_DEPTH: expected a whole number from 1 to 1000; got ${JSON.stringify(value)}`,
      );
    }
  });
  await t.step("flow serve, which holds request bodies to it too, stops at start with that line", async () => {
    const dir = await Deno.makeTempDir({ prefix: "flow-limits-serve-" });
    const r = await runCli(["serve", "--port", "0", dir], { env: { FLOW_MAX_WORKFLOW_DEPTH: "lots" } });
    assert.equal(r.code, 2);
    assert.equal(oneLine(r.stderr), 'FLOW_MAX_WORKFLOW_DEPTH: expected a whole number from 1 to 1000; got "lots"');
  });
});

Deno.test("file size: more than the limit is refused while reading, with one line", async (t) => {
  await t.step("flow validate /dev/zero stops at 64 MiB", async () => {
    const r = await runCli(["validate", "/dev/zero"]);
    assert.equal(r.code, 2);
    assert.equal(
      oneLine(r.stderr),
      "/dev/zero: the workflow is larger than the limit of 64 MiB (FLOW_MAX_WORKFLOW_BYTES)",
    );
  });
  await t.step("a regular file is refused by its size, before it is read", async () => {
    const path = await writeWorkflow(JSON.stringify({ nodes: [], connections: [], description: "x".repeat(3000) }));
    const r = await runCli(["run", path], { env: { FLOW_MAX_WORKFLOW_BYTES: "2KiB" } });
    assert.equal(r.code, 2);
    assert.equal(
      oneLine(r.stderr),
      `${path}: the workflow is 3 KiB, larger than the limit of 2 KiB (FLOW_MAX_WORKFLOW_BYTES)`,
    );
    assert.equal((await runCli(["run", path, "--quiet"], { env: { FLOW_MAX_WORKFLOW_BYTES: "4KiB" } })).code, 0);
    // Just over a limit in bytes: the exact size.
    const size = (await Deno.stat(path)).size;
    const over = await runCli(["validate", path], { env: { FLOW_MAX_WORKFLOW_BYTES: String(size - 1) } });
    assert.equal(
      oneLine(over.stderr),
      `${path}: the workflow is ${size} bytes, larger than the limit of ${size - 1} bytes (FLOW_MAX_WORKFLOW_BYTES)`,
    );
  });
  await t.step("stdin", async () => {
    const r = await runCli(["validate", "-"], {
      stdin: JSON.stringify({ nodes: [], connections: [], description: "x".repeat(5000) }),
      env: { FLOW_MAX_WORKFLOW_BYTES: "4096" },
    });
    assert.equal(r.code, 2);
    assert.equal(
      oneLine(r.stderr),
      "<stdin>: the workflow is larger than the limit of 4 KiB (FLOW_MAX_WORKFLOW_BYTES)",
    );
  });
  await t.step("a sub-workflow file", async () => {
    const dir = await writeFiles({ "sub.json": { nodes: [], connections: [], description: "x".repeat(3000) } });
    await writeFile(dir, "main.json", {
      nodes: [{ id: "s", type: "flow.subworkflow", config: { workflowFile: "sub.json" } }],
      connections: [],
    });
    const r = await runCli(["validate", `${dir}/main.json`], { env: { FLOW_MAX_WORKFLOW_BYTES: "2KiB" } });
    assert.equal(r.code, 2);
    assert.match(
      oneLine(r.stderr),
      /main\.json: nodes\[0\]\.config\.workflowFile: sub\.json: the workflow is 3 KiB, larger than the limit of 2 KiB/,
    );
  });
  await t.step("a bad value is one line, exit 2", async () => {
    const path = await writeWorkflow(deepWorkflow(1));
    const r = await runCli(["validate", path], { env: { FLOW_MAX_WORKFLOW_BYTES: "10 MB" } });
    assert.equal(r.code, 2);
    assert.equal(
      oneLine(r.stderr),
      'FLOW_MAX_WORKFLOW_BYTES: expected a size in bytes from 1 to 256 MiB, optionally with KiB, MiB or GiB (e.g. 128MiB); got "10 MB"',
    );
  });
});

Deno.test("text: bytes that are not UTF-8 are refused with their line, column and byte offset", async () => {
  const dir = await writeFiles({});
  const bad = `${dir}/bad.json`;
  const head = new TextEncoder().encode('{\n  "nodes": [],\n  "connections": [],\n  "name": "caf');
  await Deno.writeFile(bad, new Uint8Array([...head, 0xe9, ...new TextEncoder().encode('"\n}\n')]));
  const r = await runCli(["validate", bad]);
  assert.equal(r.code, 2);
  assert.equal(
    oneLine(r.stderr),
    `${bad}:4:15: invalid UTF-8 at byte offset ${head.length} (byte 0xe9); a workflow file must be UTF-8 text`,
  );
  // U+FFFD written as UTF-8 is text like any other.
  const fine = await writeWorkflow('{"nodes": [], "connections": [], "name": "caf\uFFFD é"}');
  assert.equal((await runCli(["validate", fine])).code, 0);
});

Deno.test("invalidUtf8Offset finds the first byte of a sequence that is not UTF-8", () => {
  const at = (...bytes: number[]) => invalidUtf8Offset(new Uint8Array(bytes));
  assert.equal(at(0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80), -1); // A é € 😀
  assert.equal(at(0x41, 0xff), 1);
  assert.equal(at(0xc0, 0x80), 0); // overlong
  assert.equal(at(0xe0, 0x80, 0x80), 0); // overlong
  assert.equal(at(0xed, 0xa0, 0x80), 0); // a surrogate
  assert.equal(at(0xf4, 0x90, 0x80, 0x80), 0); // beyond U+10FFFF
  assert.equal(at(0x41, 0xe2, 0x82), 1); // cut short
  assert.equal(at(0xe2, 0x41, 0x82), 0);
});

Deno.test("numbers: out of range or implied by another bound, one clear line each", async (t) => {
  const check = async (workflow: string, expected: string[]) => {
    const path = await writeWorkflow(workflow);
    const r = await runCli(["validate", path]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split("\n"), expected.map((line) => `${path}: ${line}`));
  };
  const outOfRange = "number out of range: beyond ±1.8e308, the largest a number can be";
  await t.step('"ms": 1e400 is out of range (not "got null")', async () => {
    await check(
      '{"nodes":[{"id":"d","type":"time.delay","config":{"ms":1e400}}],"connections":[]}',
      [`nodes[0].config.ms: ${outOfRange} (it reads as Infinity)`],
    );
  });
  await t.step("anywhere, even where any value is accepted", async () => {
    await check(
      '{"inputs":{"n":{"default":-1e999}},"nodes":[{"id":"l","type":"debug.log","config":{"message":[1,2e308]}}],' +
        '"connections":[]}',
      [
        `inputs.n.default: ${outOfRange} (it reads as -Infinity)`,
        `nodes[0].config.message[1]: ${outOfRange} (it reads as Infinity)`,
      ],
    );
  });
  await t.step("concurrency: 1e20 is one line", async () => {
    await check('{"nodes":[],"connections":[],"settings":{"concurrency":1e20}}', [
      "settings.concurrency: expected <= 10000; got 100000000000000000000",
    ]);
  });
});

Deno.test("zodIssues: several problems of one value are one line", () => {
  const issues = (schema: z.ZodMiniType, value: unknown) => {
    const r = z.object({ v: schema }).safeParse({ v: value }, { reportInput: true });
    assert.ok(!r.success);
    return zodIssues(r.error.issues, ["settings"]);
  };
  const count = z.number().check(z.int(), z.minimum(1), z.maximum(10));
  assert.deepEqual(issues(count, 1e20), [{ path: "settings.v", message: "expected <= 10; got 100000000000000000000" }]);
  assert.deepEqual(issues(count, -1e20), [{
    path: "settings.v",
    message: "expected >= 1; got -100000000000000000000",
  }]);
  const text = z.string().check(z.minLength(3), z.maxLength(1));
  assert.deepEqual(issues(text, "ab"), [{
    path: "settings.v",
    message: 'expected >= 3 in length and <= 1 in length; got "ab"',
  }]);
});

Deno.test("names: Object.prototype members are refused wherever a name becomes a key", async () => {
  const path = await writeWorkflow({
    inputs: { constructor: { required: false } },
    nodes: [
      { id: "toString", type: "transform.set", config: { value: 1 } },
      { id: "s", type: "transform.set", config: { value: 1, ["__proto__"]: { x: 1 } } },
    ],
    connections: [{ from: "s.value", to: "s.hasOwnProperty" }],
    outputs: { ["__proto__"]: "s.value", valueOf: "s.valueOf" },
    settings: { env: ["isPrototypeOf"] },
  });
  // JSON.stringify writes "__proto__" as an own key, as a user would.
  assert.match(await Deno.readTextFile(path), /"__proto__": \{/);
  const r = await runCli(["validate", path]);
  assert.equal(r.code, 2);
  const reserved = (name: string) =>
    `"${name}" cannot be used as a name: every JavaScript object has a property of that name`;
  assert.deepEqual(
    r.stderr.trim().split("\n").sort(),
    [
      `${path}: connections[0].to: ${reserved("hasOwnProperty")}`,
      `${path}: inputs.constructor: ${reserved("constructor")}`,
      `${path}: nodes[0].id: ${reserved("toString")}`,
      `${path}: nodes[1].config.__proto__: ${reserved("__proto__")}`,
      `${path}: outputs.__proto__: ${reserved("__proto__")}`,
      `${path}: outputs.valueOf: ${reserved("valueOf")}`,
      `${path}: outputs.valueOf: node "s" (transform.set) has no output port "valueOf"; outputs: value`,
      `${path}: settings.env[0]: ${reserved("isPrototypeOf")}`,
    ].sort(),
  );
});

// A guard rather than a regression test (Deno keeps "__proto__" keys as data): nothing flow does may change that.
Deno.test("a __proto__ key inside a value stays data through templates and redaction", async () => {
  const path = await writeWorkflow(
    '{"inputs":{"x":{"default":"hush-hush"}},"settings":{"secrets":["SECRET"]},' +
      '"nodes":[{"id":"a","type":"transform.set","config":{"value":{"__proto__":{"polluted":"{{ $inputs.x }}"}}}}],' +
      '"connections":[],"outputs":{"o":"a.value"}}',
  );
  const r = await runCli(["run", path, "--format", "json"], { env: { SECRET: "hush-hush" } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /"__proto__": \{\s*"polluted": "\*\*\*"\s*\}/);
});

Deno.test("NUL and other control characters: refused in names, escaped in every message", async (t) => {
  await t.step("a raw NUL byte is a JSON syntax error with its position", async () => {
    const path = await writeWorkflow('{"nodes": [],\n\u0000"connections": []}');
    const r = await runCli(["validate", path]);
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), new RegExp(`^${path}:2:1: invalid JSON: `));
  });
  await t.step("output names and titles", async () => {
    const path = await writeWorkflow(
      '{"name":"evil\\u001b[2J","nodes":[{"id":"a","name":"two\\nlines","type":"transform.set","config":{"value":1}}],' +
        '"connections":[],"outputs":{"a\\u0000b":"a.value"}}',
    );
    const r = await runCli(["validate", path]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split("\n"), [
      `${path}: name: the name contains a control character; got "evil\\u001b[2J"`,
      `${path}: outputs["a\\u0000b"]: the output name contains a control character; got "a\\u0000b"`,
      `${path}: nodes[0].name: the name contains a control character; got "two\\nlines"`,
    ]);
  });
  await t.step("a path with a NUL in a message", async () => {
    const path = await writeWorkflow('{"imports":["./a\\u0000b.ts"],"nodes":[],"connections":[]}');
    const r = await runCli(["validate", path]);
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), /imports\[0\]: \.\/a\\u0000b\.ts: /);
  });
});

Deno.test("limit helpers", () => {
  assert.equal(parseLimit("V", undefined, 5, 10, false), 5);
  assert.equal(parseLimit("V", " 7 ", 5, 10, false), 7);
  assert.equal(parseLimit("V", "2MiB", 5, 1 << 30, true), 2 * 1024 * 1024);
  assert.equal(parseLimit("V", "3kib", 5, 1 << 30, true), 3072);
  assert.throws(() => parseLimit("V", "11", 5, 10, false), /V: expected a whole number from 1 to 10; got "11"/);
  assert.throws(() => parseLimit("V", "1.5", 5, 10, false), /got "1\.5"/);
  assert.equal(formatBytes(64 * 1024 * 1024), "64 MiB");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(900), "900 bytes");
});

Deno.test("flow serve: a workflow nested too deep or too large is logged in one line; the server goes on", async (t) => {
  const ok = {
    id: "ok",
    nodes: [{ id: "a", type: "transform.set", config: { value: 1 } }],
    connections: [],
    outputs: { o: "a.value" },
  };
  const dir = await writeFiles({ "ok.json": ok });
  await writeFile(dir, "deep.json", deepWorkflow(9000));
  await writeFile(dir, "big.json", { nodes: [], connections: [], description: "x".repeat(100_000) });
  await using server = await Served.start([dir], { env: { FLOW_MAX_WORKFLOW_BYTES: "64KiB" } });
  const deepLine = `${dir}/deep.json: nodes[0].config.value${zeros(60)}: nested deeper than the limit of 64 levels`;
  const runOk = async () => {
    const res = await server.json("/api/v1/workflows/ok/runs?wait=true", { json: {} });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.outputs, { o: 1 });
  };

  await t.step("at start", async () => {
    await server.waitForLog(deepLine);
    await server.waitForLog(
      `${dir}/big.json: the workflow is 97.7 KiB, larger than the limit of 64 KiB (FLOW_MAX_WORKFLOW_BYTES)`,
    );
    assert.doesNotMatch(server.stderr, /RangeError|Uncaught/);
    const { body } = await server.json("/api/v1/workflows");
    const deep = body.workflows.find((w: { file: string }) => w.file === "deep.json");
    assert.equal(deep.valid, false);
    await runOk();
  });

  await t.step("dropped in while serving (hot reload)", async () => {
    await writeFile(dir, "deeper.json", deepWorkflow(20000, "deeper"));
    await server.waitForLog(`${dir}/deeper.json: nodes[0].config.value${zeros(60)}: nested deeper than the limit`);
    await runOk();
  });

  await t.step(
    "POST /api/v1/validate refuses the body before parsing it: 400 TOO_DEEP with the path, not 500",
    async () => {
      const res = await server.fetch("/api/v1/validate", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: deepWorkflow(9000),
      });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        error: {
          code: "TOO_DEEP",
          message: `the JSON body: nodes[0].config.value${zeros(60)}: ` +
            "nested deeper than the limit of 64 levels of arrays and objects (FLOW_MAX_WORKFLOW_DEPTH)",
        },
      });
    },
  );

  await t.step("the server is still up", async () => {
    await waitFor(async () => (await server.json("/api/v1/ready")).status === 200);
    await runOk();
  });
});

Deno.test("input values are held to the same limits: one line, exit 2, instead of a stack trace at the end", async (t) => {
  const path = await writeWorkflow({
    inputs: { x: {}, list: { type: "array", required: false }, n: { type: "number", required: false } },
    nodes: [{ id: "a", type: "time.delay", config: { ms: 0 } }],
    connections: [{ from: "$inputs.x", to: "a.value" }],
    outputs: { o: "a.value" },
  });
  const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
  await t.step("--input-file with a value 200,000 levels deep", async () => {
    const file = await writeWorkflow(`{"x": ${deep(200_000)}}`, "inputs.json");
    for (const format of ["json", "pretty"]) {
      const r = await runCli(["run", path, "--input-file", file, "--format", format]);
      assert.equal(r.code, 2, r.stderr.slice(0, 500));
      assert.equal(
        oneLine(r.stderr),
        `${path}: inputs.x${
          zeros(64)
        }: nested deeper than the limit of 64 levels of arrays and objects (FLOW_MAX_WORKFLOW_DEPTH)`,
      );
    }
  });
  await t.step("--input converted from text", async () => {
    const r = await runCli([
      "run",
      path,
      "--input-json",
      '{"x": 1}',
      "--input",
      `list=${deep(100)}`,
      "--input",
      "n=1e400",
    ]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split("\n"), [
      `${path}: inputs.list${
        zeros(64)
      }: nested deeper than the limit of 64 levels of arrays and objects (FLOW_MAX_WORKFLOW_DEPTH)`,
      `${path}: inputs.n: expected number; got "1e400"`,
    ]);
    const json = await runCli(["run", path, "--input-json", '{"x": 1, "n": -1e400}']);
    assert.equal(json.code, 2);
    assert.equal(
      oneLine(json.stderr),
      `${path}: inputs.n: number out of range: beyond ±1.8e308, the largest a number can be (it reads as -Infinity)`,
    );
  });
});
