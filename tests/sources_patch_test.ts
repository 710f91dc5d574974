/**
 * JSON Patch (RFC 6902) on a workflow file's text (`src/sources/patch.ts`):
 * every operation gives the value RFC 6902 says, and every byte it does not
 * need to change stays as it was: lines around an edit, one-line objects,
 * CRLF line ends, tab indents, a minified file, a byte order mark. The
 * layout block stays last and is written one node a line. A patch that does
 * not apply names the operation.
 */
import assert from "node:assert/strict";
import { SourceError } from "../src/sources/errors.ts";
import { applyPatch, MAX_PATCH_OPERATIONS, type PatchOperation } from "../src/sources/patch.ts";

const FILE = `{
  "id": "orders",
  "nodes": [
    { "id": "fetch", "type": "http.request", "config": { "url": "https://example.com/a" } },
    {
      "id": "pick",
      "type": "transform.pick",
      "config": {
        "paths": ["a", "b"]
      }
    }
  ],
  "connections": [
    { "from": "fetch.body", "to": "pick.value" }
  ],
  "settings": {
    "timeoutMs": 1000
  }
}
`;

/** The lines of `after` that differ from `before` (the edit is one block: common head and tail cut off). */
function changed(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split("\n"), b = after.split("\n");
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { removed: a.slice(head, a.length - tail), added: b.slice(head, b.length - tail) };
}

const patch = (ops: PatchOperation[], text = FILE) => applyPatch(text, ops);

Deno.test("each operation gives RFC 6902's value and changes only its own lines", () => {
  const cases: [PatchOperation[], { removed: string[]; added: string[] }][] = [
    [[{ op: "replace", path: "/nodes/0/config/url", value: "https://example.com/b" }], {
      removed: ['    { "id": "fetch", "type": "http.request", "config": { "url": "https://example.com/a" } },'],
      added: ['    { "id": "fetch", "type": "http.request", "config": { "url": "https://example.com/b" } },'],
    }],
    [[{ op: "replace", path: "/settings/timeoutMs", value: 5000 }], {
      removed: ['    "timeoutMs": 1000'],
      added: ['    "timeoutMs": 5000'],
    }],
    // A new item among one-line siblings is one line too; the one before only gets its comma.
    [[{ op: "add", path: "/connections/-", value: { from: "pick.value", to: "fetch.url" } }], {
      removed: ['    { "from": "fetch.body", "to": "pick.value" }'],
      added: ['    { "from": "fetch.body", "to": "pick.value" },', '    { "from": "pick.value", "to": "fetch.url" }'],
    }],
    [[{ op: "add", path: "/settings/concurrency", value: 4 }], {
      removed: ['    "timeoutMs": 1000'],
      added: ['    "timeoutMs": 1000,', '    "concurrency": 4'],
    }],
    [[{ op: "remove", path: "/connections/0" }], {
      removed: ['  "connections": [', '    { "from": "fetch.body", "to": "pick.value" }', "  ],"],
      added: ['  "connections": [],'],
    }],
    [[{ op: "remove", path: "/nodes/0" }], {
      removed: ['    { "id": "fetch", "type": "http.request", "config": { "url": "https://example.com/a" } },'],
      added: [],
    }],
    [[{ op: "add", path: "/nodes/1/config/paths/1", value: "z" }], {
      removed: ['        "paths": ["a", "b"]'],
      added: ['        "paths": ["a", "z", "b"]'],
    }],
  ];
  for (const [ops, expected] of cases) {
    const after = patch(ops);
    assert.deepEqual(changed(FILE, after), expected, JSON.stringify(ops));
    JSON.parse(after);
  }
  // RFC 6902's values, whatever the layout.
  const value = (ops: PatchOperation[]) => JSON.parse(patch(ops));
  assert.deepEqual(value([{ op: "move", from: "/nodes/0", path: "/nodes/-" }]).nodes.map((n: { id: string }) => n.id), [
    "pick",
    "fetch",
  ]);
  assert.deepEqual(value([{ op: "copy", from: "/settings", path: "/nodes/0/config/copy" }]).nodes[0].config.copy, {
    timeoutMs: 1000,
  });
  assert.deepEqual(value([{ op: "test", path: "/nodes/1/config/paths", value: ["a", "b"] }]), JSON.parse(FILE));
  assert.equal(value([{ op: "add", path: "/id", value: "other" }]).id, "other", "add replaces a property that exists");
  assert.deepEqual(value([{ op: "replace", path: "", value: { a: 1 } }]), { a: 1 });
  assert.deepEqual(value([{ op: "test", path: "/settings", value: { timeoutMs: 1000 } }]).settings, {
    timeoutMs: 1000,
  });
  // Operations apply in order, each to the result of the one before.
  assert.deepEqual(
    value([
      { op: "add", path: "/outputs", value: {} },
      { op: "add", path: "/outputs/picked", value: "pick.value" },
      { op: "move", from: "/outputs/picked", path: "/outputs/result" },
    ]).outputs,
    { result: "pick.value" },
  );
});

Deno.test("a value inserted over several lines is indented like its siblings", () => {
  const after = patch([{ op: "add", path: "/nodes/1/config/options", value: { deep: { list: [1] } } }]);
  assert.deepEqual(changed(FILE, after).added, [
    '        "paths": ["a", "b"],',
    '        "options": {',
    '          "deep": {',
    '            "list": [',
    "              1",
    "            ]",
    "          }",
    "        }",
  ]);
  const emptied = patch([{ op: "add", path: "/inputs", value: {} }, {
    op: "add",
    path: "/inputs/n",
    value: { type: "number" },
  }]);
  assert.ok(emptied.includes('\n  "inputs": {\n    "n": {\n      "type": "number"\n    }\n  }\n}\n'), emptied);
});

Deno.test("the file's own line ends, indent, one-line form and byte order mark are kept", () => {
  const crlf = FILE.replaceAll("\n", "\r\n");
  const a = patch([{ op: "add", path: "/settings/lock", value: true }], crlf);
  assert.ok(a.includes('"timeoutMs": 1000,\r\n    "lock": true\r\n  }'), JSON.stringify(a));
  assert.ok(!/[^\r]\n/.test(a), "every line ends in CRLF");
  const tabs = FILE.replace(/^( +)/gm, (s) => "\t".repeat(s.length / 2));
  const b = patch([{ op: "add", path: "/description", value: { x: 1 } }], tabs);
  assert.ok(b.endsWith('\t},\n\t"description": {\n\t\t"x": 1\n\t}\n}\n'), JSON.stringify(b));
  const minified = JSON.stringify(JSON.parse(FILE));
  const c = patch(
    [{ op: "add", path: "/layout", value: { fetch: [1, 2] } }, { op: "remove", path: "/settings" }],
    minified,
  );
  assert.equal(c, minified.replace(/,"settings":\{"timeoutMs":1000\}\}$/, ',"layout":{"fetch":[1,2]}}'));
  const bom = "\ufeff" + FILE;
  assert.equal(patch([{ op: "replace", path: "/id", value: "x" }], bom), bom.replace('"orders"', '"x"'));
});

Deno.test("the layout block stays last, one node a line: moving a node changes its line only", () => {
  const laid = patch([{ op: "add", path: "/layout", value: { fetch: [0, 0], pick: [240, 0] } }]);
  assert.deepEqual(changed(FILE, laid), {
    removed: [],
    added: ["  },", '  "layout": {', '    "fetch": [0, 0],', '    "pick": [240, 0]'],
  });
  // A new property of the workflow goes before the layout block.
  const described = patch([{ op: "add", path: "/description", value: "d" }], laid);
  assert.match(described, /"timeoutMs": 1000\n {2}\},\n {2}"description": "d",\n {2}"layout": \{/);
  // The editor moves one node (a patch as a client sends it: the pair replaced).
  const moved = patch([{ op: "replace", path: "/layout/pick", value: [260, 40] }], laid);
  assert.deepEqual(changed(laid, moved), { removed: ['    "pick": [240, 0]'], added: ['    "pick": [260, 40]'] });
  // A node added to the layout, and one removed: their lines only.
  const added = patch([{ op: "add", path: "/layout/log", value: [480, 0] }], laid);
  assert.deepEqual(changed(laid, added), {
    removed: ['    "pick": [240, 0]'],
    added: ['    "pick": [240, 0],', '    "log": [480, 0]'],
  });
  const removed = patch([{ op: "remove", path: "/layout/fetch" }], laid);
  assert.deepEqual(changed(laid, removed), { removed: ['    "fetch": [0, 0],'], added: [] });
  // An inline sub-workflow's layout block is written the same way, last in its own object.
  const inline = patch([
    {
      op: "add",
      path: "/nodes/1/config/workflow",
      value: { nodes: [], connections: [] },
    },
    { op: "add", path: "/nodes/1/config/workflow/layout", value: { a: [1, 2] } },
    {
      op: "add",
      path: "/nodes/1/config/workflow/outputs",
      value: {},
    },
  ]);
  const workflow = JSON.parse(inline).nodes[1].config.workflow;
  assert.deepEqual(Object.keys(workflow), ["nodes", "connections", "outputs", "layout"]);
  assert.match(inline, /"layout": \{\n {12}"a": \[1, 2\]\n {10}\}/);
});

Deno.test("a patch that does not apply names its operation; nothing else is accepted either", () => {
  const fails = (ops: PatchOperation[], message: RegExp, code = "PATCH_FAILED", text = FILE) => {
    assert.throws(() => applyPatch(text, ops), (err: unknown) => {
      assert.ok(err instanceof SourceError);
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    });
  };
  fails(
    [{ op: "test", path: "/id", value: "orders" }, { op: "replace", path: "/nodes/7/config/url", value: "x" }],
    /^operation 1 \(replace "\/nodes\/7\/config\/url"\): the path does not exist: the array at \/nodes has 2 items$/,
  );
  fails(
    [{ op: "remove", path: "/settings/retries" }],
    /^operation 0 \(remove "\/settings\/retries"\): the path does not exist$/,
  );
  fails(
    [{ op: "add", path: "/missing/key", value: 1 }],
    /^operation 0 \(add "\/missing\/key"\): the path does not exist: no "missing" in the object at the top$/,
  );
  fails([{ op: "add", path: "/nodes/3", value: 1 }], /operation 0 .*the array has 2 items/);
  fails([{ op: "add", path: "/nodes/x", value: 1 }], /"x" is not an index of the array at \/nodes/);
  fails(
    [{ op: "test", path: "/id", value: "x" }],
    /^operation 0 \(test "\/id"\): test failed: the value is "orders", not "x"$/,
  );
  fails([{ op: "move", from: "/nodes", path: "/nodes/0/x" }], /a value cannot be moved into itself/);
  fails([{ op: "copy", from: "/nope", path: "/x" }], /^operation 0 \(copy "\/x"\): from: the path does not exist/);
  fails([{ op: "add", path: "id", value: 1 }], /a path is a JSON Pointer, starting with "\/"/);
  fails([{ op: "add", path: "/a~2", value: 1 }], /"~" in a path is "~0" or "~1"/);
  fails([{ op: "remove", path: "" }], /the whole document cannot be removed/);
  fails([{ op: "add", path: "/id/x", value: 1 }], /the value at \/id is a string, not an object or an array/);
  fails([], /not valid JSON/, "NOT_JSON", '{"nodes": [,]}');
  fails([], /not valid JSON/, "NOT_JSON", '{"nodes": [], // comment\n}');
  const many = Array.from(
    { length: MAX_PATCH_OPERATIONS + 1 },
    () => ({ op: "test" as const, path: "/id", value: "orders" }),
  );
  fails(many, /at most 10000 operations; got 10001/);
});

Deno.test("pointers: ~1 and ~0 escape / and ~; a __proto__ key stays a key", () => {
  const text = '{\n  "a/b": 1,\n  "c~d": 2\n}\n';
  assert.equal(patch([{ op: "replace", path: "/a~1b", value: 3 }], text), text.replace(": 1", ": 3"));
  assert.equal(patch([{ op: "remove", path: "/c~0d" }], text), '{\n  "a/b": 1\n}\n');
  const proto = '{\n  "x": { "__proto__": { "polluted": true } }\n}\n';
  const copied = patch([{ op: "copy", from: "/x", path: "/y" }], proto);
  assert.deepEqual(Object.keys(JSON.parse(copied).y), ["__proto__"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
