import assert from "node:assert/strict";
import { copyJson, fitsPortType, formatPath, preview, typeName } from "../src/workflow/values.ts";

Deno.test("typeName names JSON types", () => {
  assert.deepEqual([null, [], {}, "s", 1, true].map(typeName), [
    "null",
    "array",
    "object",
    "string",
    "number",
    "boolean",
  ]);
});

Deno.test("fitsPortType", () => {
  assert.ok(fitsPortType("any", undefined));
  assert.ok(fitsPortType("object", { a: 1 }));
  assert.ok(!fitsPortType("object", [1]), "an array is not an object");
  assert.ok(!fitsPortType("object", null));
  assert.ok(fitsPortType("array", []));
  assert.ok(!fitsPortType("number", NaN), "NaN is not a JSON number");
  assert.ok(!fitsPortType("number", Infinity));
  assert.ok(fitsPortType("string", ""));
  assert.ok(!fitsPortType("boolean", "true"));
});

Deno.test("formatPath writes JSON paths as people read them", () => {
  assert.equal(formatPath(["nodes", 2, "config", "method"]), "nodes[2].config.method");
  assert.equal(formatPath(["inputs", "a b"]), 'inputs["a b"]');
  assert.equal(formatPath([0, "x"]), "[0].x");
  assert.equal(formatPath([]), "");
});

Deno.test("preview shortens long values and survives cycles", () => {
  assert.equal(preview("FETCH"), '"FETCH"');
  assert.equal(preview(undefined), "undefined");
  assert.equal(preview("x".repeat(100)).length, 60);
  assert.ok(preview("x".repeat(100)).endsWith("…"));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(preview(cyclic), "[object Object]");
});

Deno.test("copyJson copies a config deeply, keeps a __proto__ key as data and clones what is not JSON", () => {
  const config = JSON.parse('{"a": {"b": [1, {"c": "x"}]}, "__proto__": {"polluted": true}, "n": null}');
  const copy = copyJson(config);
  assert.deepEqual(copy, config);
  copy.a.b[1].c = "changed";
  assert.equal(config.a.b[1].c, "x", "the original is untouched");
  assert.ok(Object.hasOwn(copy, "__proto__"), "__proto__ stays an own key");
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const date = new Date(0);
  const withDate = copyJson({ when: date });
  assert.ok(withDate.when instanceof Date && withDate.when !== date && withDate.when.getTime() === 0);
});
