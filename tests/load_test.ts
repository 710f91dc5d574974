/**
 * Tests of `src/workflow/load.ts`: parsing workflow JSON text (syntax errors with line
 * and column, one line each) and reading workflow files.
 */
import assert from "node:assert/strict";
import { builtinRegistry, loadWorkflow, validateWorkflow, WorkflowValidationError } from "../mod.ts";
import { parseWorkflowText, readWorkflowFile } from "../src/workflow/load.ts";
import { ROOT } from "./helpers.ts";

/** The error `f` throws, checked to be a WorkflowValidationError. */
function syntaxError(f: () => unknown): WorkflowValidationError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof WorkflowValidationError, `expected a WorkflowValidationError, got ${err}`);
    return err;
  }
  assert.fail("expected a WorkflowValidationError");
}

/** Asserts `text` fails to parse with exactly one issue: line, column and message. */
function assertSyntaxError(text: string, line: number, column: number, message: string): void {
  const err = syntaxError(() => parseWorkflowText(text, "wf.json"));
  assert.deepEqual(err.issues, [{ path: "", message: `invalid JSON: ${message}`, line, column }]);
  assert.equal(err.message, `wf.json:${line}:${column}: invalid JSON: ${message}`);
  assert.equal(err.file, "wf.json");
}

/** The character at a 1-based line and column, to check positions point at the fault. */
function charAt(text: string, line: number, column: number): string | undefined {
  return text.split("\n")[line - 1]?.[column - 1];
}

async function withTempDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "flow-load-test-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseWorkflowText: valid JSON", async (t) => {
  await t.step("returns the parsed value", () => {
    const text = '{"nodes": [{"id": "a", "type": "debug.log"}], "connections": []}';
    assert.deepEqual(parseWorkflowText(text, "wf.json"), {
      nodes: [{ id: "a", type: "debug.log" }],
      connections: [],
    });
  });

  await t.step("any JSON value parses; the shape is validation's job", () => {
    assert.deepEqual(parseWorkflowText("[1, 2]"), [1, 2]);
    assert.equal(parseWorkflowText("null"), null);
    assert.equal(parseWorkflowText(' "x" '), "x");
  });

  await t.step("a byte order mark is skipped", () => {
    assert.deepEqual(parseWorkflowText('\ufeff{"nodes": [], "connections": []}'), { nodes: [], connections: [] });
  });

  await t.step("CRLF line endings and surrounding whitespace are fine", () => {
    assert.deepEqual(parseWorkflowText('\r\n{\r\n  "a": 1\r\n}\r\n\r\n'), { a: 1 });
  });

  await t.step("duplicate keys keep the last value (JSON.parse semantics)", () => {
    assert.deepEqual(parseWorkflowText('{"a": 1, "a": 2}'), { a: 2 });
  });
});

Deno.test("parseWorkflowText: syntax errors carry line and column", async (t) => {
  await t.step("trailing comma after the last connection", () => {
    const text = [
      "{",
      '  "nodes": [{ "id": "a", "type": "debug.log" }],',
      '  "connections": [',
      '    { "from": "a.message", "to": "b.message" },',
      "  ]",
      "}",
    ].join("\n");
    assertSyntaxError(text, 5, 3, "Unexpected token ']'");
    assert.equal(charAt(text, 5, 3), "]");
  });

  await t.step("trailing comma after the last property", () => {
    const text = '{\n  "nodes": [],\n  "connections": [],\n}';
    assertSyntaxError(text, 4, 1, "Expected double-quoted property name");
    assert.equal(charAt(text, 4, 1), "}");
  });

  await t.step("an array element missing between commas", () => {
    const text = '{\n  "nodes": [,]\n}';
    assertSyntaxError(text, 2, 13, "Unexpected token ','");
  });

  await t.step("a missing comma between properties", () => {
    const text = '{\n  "nodes": []\n  "connections": []\n}';
    assertSyntaxError(text, 3, 3, "Expected ',' or '}' after property value");
    assert.equal(charAt(text, 3, 3), '"');
  });

  await t.step("a missing comma between array elements", () => {
    assertSyntaxError('{"nodes": [{} {}]}', 1, 15, "Expected ',' or ']' after array element");
  });

  await t.step("an unquoted key", () => {
    assertSyntaxError("{\n  nodes: []\n}", 2, 3, "Expected property name or '}'");
  });

  await t.step("single-quoted strings", () => {
    const text = '{"nodes": [], "connections": [], "id": \'x\'}';
    assertSyntaxError(text, 1, 40, "Unexpected token '''");
    assert.equal(charAt(text, 1, 40), "'");
  });

  await t.step("a misspelt literal at the end of a line: the message stays on one line", () => {
    const text = '{\n  "lock": tru\n}';
    assertSyntaxError(text, 2, 14, "Unexpected token '\\n'");
  });

  await t.step("a misspelt literal in the middle of a line", () => {
    assertSyntaxError('{"settings": {"lock": nul, "x": 1}}', 1, 26, "Unexpected token ','");
  });

  await t.step("a number starting with a dot", () => {
    assertSyntaxError('{"timeoutMs": .5}', 1, 15, "Unexpected token '.'");
  });

  await t.step("a number with a leading zero", () => {
    assertSyntaxError('{"timeoutMs": 01}', 1, 16, "Unexpected number");
  });

  await t.step("a bad escape in a string", () => {
    const text = '{\n  "name": "a\\qb"\n}';
    assertSyntaxError(text, 2, 14, "Bad escaped character");
    assert.equal(charAt(text, 2, 14), "q");
  });

  await t.step("a raw tab in a string", () => {
    assertSyntaxError('{"name": "a\tb"}', 1, 12, "Bad control character in string literal");
  });

  await t.step("a raw newline in a string", () => {
    assertSyntaxError('{\n  "name": "a\nb"\n}', 2, 13, "Bad control character in string literal");
  });

  await t.step("text after the JSON value", () => {
    assertSyntaxError('{"nodes": [], "connections": []}\n}', 2, 1, "Unexpected non-whitespace character after JSON");
    assertSyntaxError("{} {}", 1, 4, "Unexpected non-whitespace character after JSON");
  });

  await t.step("not JSON at all", () => {
    // "n" could start null, so the "o" is what is unexpected.
    assertSyntaxError("nodes: []", 1, 2, "Unexpected token 'o'");
    assertSyntaxError("<workflow/>", 1, 1, "Unexpected token '<'");
  });

  await t.step("a non-ASCII character where a value belongs", () => {
    assertSyntaxError('{"a": "x",\n "b": é}', 2, 7, "Unexpected token 'é'");
  });

  await t.step("a long line: the quoted context is dropped and the column is exact", () => {
    const text =
      '{"nodes": [{"id": "a", "type": "debug.log", "config": {"message": "hello there"},}], "connections": []}';
    const column = text.indexOf(",}") + 2;
    assertSyntaxError(text, 1, column, "Expected double-quoted property name");
    const text2 = `{"nodes": [${'"padding", '.repeat(5)}], "connections": []}`;
    assertSyntaxError(text2, 1, text2.indexOf("]") + 1, "Unexpected token ']'");
  });

  await t.step("text that looks like a position inside the quoted context is not taken for one", () => {
    const text = '{"name": "at position 3 (line 9 column 9)", "x": [1,]}';
    assertSyntaxError(text, 1, text.indexOf(",]") + 2, "Unexpected token ']'");
  });

  await t.step("CRLF line endings: lines count by LF, columns do not include the CR", () => {
    const text = '{\r\n  "nodes": [],\r\n  "connections": ]\r\n}';
    assertSyntaxError(text, 3, 18, "Unexpected token ']'");
  });

  await t.step("a byte order mark does not shift columns", () => {
    // Columns count from the first character after the mark.
    assertSyntaxError('\ufeff{"nodes": [1,]}', 1, 14, "Unexpected token ']'");
    assertSyntaxError('\ufeff{"nodes": 1,}', 1, 13, "Expected double-quoted property name");
    assertSyntaxError('\ufeff{\n"nodes": 1,}', 2, 12, "Expected double-quoted property name");
  });

  await t.step("deeply nested arrays", () => {
    const text = "[".repeat(5000) + "1," + "]".repeat(5000);
    assertSyntaxError(text, 1, 5003, "Unexpected token ']'");
  });
});

Deno.test("parseWorkflowText: text that ends too early", async (t) => {
  await t.step("empty text", () => {
    assertSyntaxError("", 1, 1, "Unexpected end of JSON input");
  });

  await t.step("only whitespace: the position is the end", () => {
    assertSyntaxError("\n\n  ", 3, 3, "Unexpected end of JSON input");
  });

  await t.step("an unclosed object reports the end of the text", () => {
    assertSyntaxError('{\n  "nodes": [],\n  "connections": []\n', 4, 1, "Expected ',' or '}' after property value");
  });

  await t.step("an unclosed array", () => {
    assertSyntaxError('{\n  "nodes": [\n', 3, 1, "Unexpected end of JSON input");
  });

  await t.step("an unterminated string", () => {
    assertSyntaxError('{"name": "abc', 1, 14, "Unterminated string");
  });

  await t.step("a truncated literal", () => {
    assertSyntaxError('{"lock": tr', 1, 12, "Unexpected end of JSON input");
  });
});

Deno.test("parseWorkflowText: error shape", async (t) => {
  await t.step("without a file name the location reads <workflow>", () => {
    const err = syntaxError(() => parseWorkflowText("{,}"));
    assert.equal(err.message, "<workflow>:1:2: invalid JSON: Expected property name or '}'");
    assert.equal(err.file, undefined);
    assert.equal(err.name, "WorkflowValidationError");
    assert.ok(err instanceof Error);
  });

  await t.step("every syntax error is one issue on one line, pointing inside the text", () => {
    const texts = [
      "{",
      "}",
      "[1,]",
      '{"a":\n\n tru\n}',
      '{"a": "b\nc"}',
      '{"a": 1}}',
      '{"a": [1, 2, 3, ], "b": "a long string that makes V8 quote only part of it"}',
      '{"a": "\\u12"}',
      '{"a": -}',
      '{"a": 1e}',
      "\t\r\n",
    ];
    for (const text of texts) {
      const err = syntaxError(() => parseWorkflowText(text, "wf.json"));
      assert.equal(err.issues.length, 1, JSON.stringify(text));
      assert.ok(!err.message.includes("\n"), `one line: ${JSON.stringify(err.message)}`);
      assert.match(err.message, /^wf\.json:\d+:\d+: invalid JSON: \S/);
      assert.doesNotMatch(err.message, /is not valid JSON|at position/);
      const { line, column } = err.issues[0];
      const lines = text.split("\n");
      assert.ok(line! >= 1 && line! <= lines.length, `line ${line} of ${JSON.stringify(text)}`);
      assert.ok(column! >= 1 && column! <= lines[line! - 1].length + 1, `column ${column} of ${JSON.stringify(text)}`);
    }
  });
});

Deno.test("readWorkflowFile", async (t) => {
  await t.step("reads and parses a file", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/wf.json`;
      const workflow = { id: "from_file", nodes: [], connections: [] };
      await Deno.writeTextFile(path, JSON.stringify(workflow, null, 2));
      assert.deepEqual(await readWorkflowFile(path), workflow);
    });
  });

  await t.step("a file with a byte order mark and CRLF line endings", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/bom.json`;
      await Deno.writeTextFile(path, '\ufeff{\r\n  "nodes": [],\r\n  "connections": []\r\n}\r\n');
      assert.deepEqual(await readWorkflowFile(path), { nodes: [], connections: [] });
    });
  });

  await t.step("a syntax error names the file, line and column", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/broken.json`;
      await Deno.writeTextFile(path, '{\n  "nodes": [],\n  "connections": [],\n}\n');
      const err = await readWorkflowFile(path).then(() => undefined, (e) => e);
      assert.ok(err instanceof WorkflowValidationError);
      assert.equal(err.file, path);
      assert.deepEqual(err.issues, [
        { path: "", message: "invalid JSON: Expected double-quoted property name", line: 4, column: 1 },
      ]);
      assert.equal(err.message, `${path}:4:1: invalid JSON: Expected double-quoted property name`);
    });
  });

  await t.step("a missing file", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/missing.json`;
      const err = await readWorkflowFile(path).then(() => undefined, (e) => e);
      assert.ok(err instanceof WorkflowValidationError);
      assert.deepEqual(err.issues, [{ path: "", message: "cannot read workflow: file not found" }]);
      assert.equal(err.message, `${path}: cannot read workflow: file not found`);
      assert.equal(err.file, path);
    });
  });

  await t.step("a directory", async () => {
    await withTempDir(async (dir) => {
      const err = await readWorkflowFile(dir).then(() => undefined, (e) => e);
      assert.ok(err instanceof WorkflowValidationError);
      assert.equal(err.issues.length, 1);
      assert.match(err.message, new RegExp(`^${RegExp.escape(dir)}: cannot read workflow: \\S.*$`));
      assert.equal(err.issues[0].line, undefined);
    });
  });

  await t.step("an empty file", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/empty.json`;
      await Deno.writeTextFile(path, "");
      await assert.rejects(readWorkflowFile(path), {
        name: "WorkflowValidationError",
        message: `${path}:1:1: invalid JSON: Unexpected end of JSON input`,
      });
    });
  });

  await t.step("the example workflows read and validate with the built-in nodes", async () => {
    for (const name of ["linear", "fanout", "continue", "retry"]) {
      const path = `${ROOT}examples/${name}.json`;
      const raw = await readWorkflowFile(path);
      const compiled = validateWorkflow(raw, builtinRegistry(), { file: path });
      assert.equal(compiled.id, name);
      assert.equal(compiled.file, path);
      assert.ok(compiled.nodes.length > 0);
    }
  });
});

Deno.test({
  name: "readWorkflowFile: no read permission",
  permissions: { read: false },
  async fn() {
    const err = await readWorkflowFile("/some/wf.json").then(() => undefined, (e) => e);
    assert.ok(err instanceof WorkflowValidationError);
    assert.equal(err.issues.length, 1);
    assert.match(err.message, /^\/some\/wf\.json: cannot read workflow: .*read access/);
  },
});

Deno.test("loadWorkflow and validateWorkflow (the library) keep the limits too", async (t) => {
  await t.step("loadWorkflow stops reading /dev/zero at the size limit", async () => {
    await assert.rejects(loadWorkflow("/dev/zero", builtinRegistry()), {
      name: "WorkflowValidationError",
      message: "/dev/zero: the workflow is larger than the limit of 64 MiB (FLOW_MAX_WORKFLOW_BYTES)",
    });
  });
  await t.step("validateWorkflow refuses a value nested too deep, given as an object", () => {
    let value: unknown = [];
    for (let i = 0; i < 10_000; i++) value = [value];
    const raw = { nodes: [{ id: "a", type: "transform.set", config: { value } }], connections: [] };
    assert.throws(() => validateWorkflow(raw, builtinRegistry()), {
      name: "WorkflowValidationError",
      message: `nodes[0].config.value${"[0]".repeat(60)}: nested deeper than the limit of 64 levels of arrays ` +
        "and objects (FLOW_MAX_WORKFLOW_DEPTH)",
    });
  });
  await t.step("validateWorkflow refuses numbers that are not finite", () => {
    const raw = { nodes: [{ id: "d", type: "time.delay", config: { ms: Infinity } }], connections: [] };
    assert.throws(() => validateWorkflow(raw, builtinRegistry()), {
      message: "nodes[0].config.ms: number out of range: beyond ±1.8e308, the largest a number can be (it reads as " +
        "Infinity)",
    });
  });
});
