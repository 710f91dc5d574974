/**
 * Tests of `src/node/registry.ts`: registering node types, refusing duplicates,
 * listing, cloning, and "did you mean" suggestions.
 */
import assert from "node:assert/strict";
import { type AnyNodeDefinition, builtinNodes, builtinRegistry, defineNode, Registry } from "../mod.ts";
import { testRegistry } from "./helpers.ts";

/** A minimal node type. */
function nodeType(type: string, description = "test type"): AnyNodeDefinition {
  return defineNode({ type, description, inputs: {}, outputs: { out: { type: "any" } }, run: () => ({ out: type }) });
}

const BUILTIN_TYPES = [
  "code.function",
  "control.if",
  "control.loop",
  "control.switch",
  "debug.inspect",
  "debug.log",
  "email.send",
  "exec.command",
  "file.list",
  "file.read",
  "file.write",
  "flow.merge",
  "flow.subworkflow",
  "http.request",
  "http.respond",
  "http.webhook",
  "sql.query",
  "state.get",
  "state.set",
  "time.cron",
  "time.delay",
  "time.interval",
  "transform.csv_parse",
  "transform.csv_stringify",
  "transform.json_parse",
  "transform.json_stringify",
  "transform.map",
  "transform.pick",
  "transform.set",
];

Deno.test("Registry: register, get, has, list", async (t) => {
  await t.step("an empty registry", () => {
    const r = new Registry();
    assert.deepEqual(r.list(), []);
    assert.equal(r.has("debug.log"), false);
    assert.equal(r.get("debug.log"), undefined);
    assert.deepEqual(r.suggest("debug.log"), []);
  });

  await t.step("register adds a type and returns the registry for chaining", () => {
    const r = new Registry();
    const a = nodeType("a.one"), b = nodeType("b.two");
    assert.equal(r.register(a).register(b), r);
    assert.equal(r.has("a.one"), true);
    assert.equal(r.has("b.two"), true);
    assert.equal(r.get("a.one"), a);
    assert.equal(r.get("b.two"), b);
  });

  await t.step("lookups are exact: case and whitespace matter", () => {
    const r = new Registry([nodeType("a.one")]);
    assert.equal(r.has("A.ONE"), false);
    assert.equal(r.has(" a.one"), false);
    assert.equal(r.has("a"), false);
    assert.equal(r.get("a.on"), undefined);
  });

  await t.step("names of Object.prototype members are not types", () => {
    const r = new Registry([nodeType("a.one")]);
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      assert.equal(r.has(name), false, name);
      assert.equal(r.get(name), undefined, name);
    }
  });

  await t.step("the constructor registers every definition given", () => {
    const defs = [nodeType("x.b"), nodeType("x.a")];
    const r = new Registry(defs);
    assert.equal(r.get("x.a"), defs[1]);
    assert.equal(r.get("x.b"), defs[0]);
  });

  await t.step("list is sorted by type name whatever the registration order", () => {
    const r = new Registry([nodeType("z.last"), nodeType("a.first"), nodeType("m.middle"), nodeType("a.alpha")]);
    assert.deepEqual(r.list().map((d) => d.type), ["a.alpha", "a.first", "m.middle", "z.last"]);
  });

  await t.step("list returns a new array each time", () => {
    const r = new Registry([nodeType("a.one")]);
    const listed = r.list();
    listed.pop();
    assert.equal(r.list().length, 1);
  });
});

Deno.test("Registry: duplicate registration throws", async (t) => {
  await t.step("register of a taken name throws and keeps the first definition", () => {
    const first = nodeType("dup.type", "first");
    const r = new Registry([first]);
    assert.throws(() => r.register(nodeType("dup.type", "second")), {
      name: "Error",
      message: 'node type "dup.type" is already registered',
    });
    assert.equal(r.get("dup.type"), first);
    assert.equal(r.list().length, 1);
  });

  await t.step("registering the very same definition twice also throws", () => {
    const def = nodeType("same.def");
    const r = new Registry([def]);
    assert.throws(() => r.register(def), { message: 'node type "same.def" is already registered' });
  });

  await t.step("duplicates in the constructor list throw", () => {
    assert.throws(() => new Registry([nodeType("a.one"), nodeType("b.two"), nodeType("a.one")]), {
      message: 'node type "a.one" is already registered',
    });
  });

  await t.step("a built-in type cannot be replaced", () => {
    const r = builtinRegistry();
    assert.throws(() => r.register(nodeType("http.request")), {
      message: 'node type "http.request" is already registered',
    });
  });

  await t.step("names differing only in case are different types", () => {
    const r = new Registry([nodeType("Case.Type")]);
    r.register(nodeType("case.type"));
    assert.deepEqual(r.list().map((d) => d.type).sort(), ["Case.Type", "case.type"]);
  });
});

Deno.test("Registry: clone", async (t) => {
  await t.step("a clone has the same definitions", () => {
    const r = new Registry([nodeType("a.one"), nodeType("b.two")]);
    const c = r.clone();
    assert.notEqual(c, r);
    assert.deepEqual(c.list(), r.list());
    assert.equal(c.get("a.one"), r.get("a.one"));
  });

  await t.step("adding to a clone leaves the original alone, and the other way round", () => {
    const r = new Registry([nodeType("a.one")]);
    const c = r.clone();
    c.register(nodeType("c.three"));
    assert.equal(c.has("c.three"), true);
    assert.equal(r.has("c.three"), false);
    r.register(nodeType("r.four"));
    assert.equal(r.has("r.four"), true);
    assert.equal(c.has("r.four"), false);
  });

  await t.step("a clone still refuses names it inherited", () => {
    const c = new Registry([nodeType("a.one")]).clone();
    assert.throws(() => c.register(nodeType("a.one")), { message: 'node type "a.one" is already registered' });
  });
});

Deno.test("builtinRegistry and testRegistry", async (t) => {
  await t.step("builtinRegistry holds exactly the built-in types", () => {
    const r = builtinRegistry();
    assert.deepEqual(r.list().map((d) => d.type), BUILTIN_TYPES);
    assert.deepEqual(builtinNodes.map((d) => d.type).sort(), BUILTIN_TYPES);
    for (const def of builtinNodes) assert.equal(r.get(def.type), def);
  });

  await t.step("every built-in definition is well formed", () => {
    for (const def of builtinRegistry().list()) {
      assert.match(def.type, /^[a-z]+\.[a-z_]+$/, def.type);
      assert.ok(def.description.length > 0, `${def.type} has a description`);
      assert.equal(typeof def.run, "function");
      for (const spec of [...Object.values(def.inputs), ...Object.values(def.outputs)]) {
        assert.ok(
          ["string", "number", "boolean", "object", "array", "any"].includes((spec as { type: string }).type),
        );
      }
    }
  });

  await t.step("each call returns a fresh registry", () => {
    const a = builtinRegistry(), b = builtinRegistry();
    assert.notEqual(a, b);
    a.register(nodeType("custom.one"));
    assert.equal(a.has("custom.one"), true);
    assert.equal(b.has("custom.one"), false);
    assert.equal(builtinRegistry().has("custom.one"), false);
  });

  await t.step("testRegistry adds the test types to the built-ins", () => {
    const { registry } = testRegistry();
    for (const type of BUILTIN_TYPES) assert.equal(registry.has(type), true, type);
    for (const type of ["test.noop", "test.sleep", "test.fail", "test.flaky", "test.hang"]) {
      assert.equal(registry.has(type), true, type);
    }
    assert.equal(builtinRegistry().has("test.noop"), false);
  });
});

Deno.test("Registry.suggest", async (t) => {
  const r = builtinRegistry();

  await t.step("typos in the name", () => {
    assert.deepEqual(r.suggest("http.reqest"), ["http.request"]);
    assert.deepEqual(r.suggest("htp.request"), ["http.request"]);
    assert.deepEqual(r.suggest("debug.lgo"), ["debug.log"]);
    assert.deepEqual(r.suggest("flow.merg"), ["flow.merge"]);
    assert.deepEqual(r.suggest("time.dealy"), ["time.delay"]);
    // The closest first (csv_parse is three edits away).
    assert.deepEqual(r.suggest("transform.jsonparse"), ["transform.json_parse", "transform.csv_parse"]);
  });

  await t.step("case does not matter", () => {
    assert.deepEqual(r.suggest("HTTP.REQUEST"), ["http.request"]);
    assert.deepEqual(r.suggest("Debug.Log"), ["debug.log"]);
  });

  await t.step("the name without its family, or with the wrong family", () => {
    assert.deepEqual(r.suggest("request"), ["http.request"]);
    assert.deepEqual(r.suggest("log"), ["debug.log"]);
    assert.deepEqual(r.suggest("merge"), ["flow.merge"]);
    assert.deepEqual(r.suggest("json_parse"), ["transform.json_parse"]);
    assert.deepEqual(r.suggest("core.delay"), ["time.delay"]);
    assert.deepEqual(r.suggest("net.request"), ["http.request"]);
    assert.deepEqual(r.suggest("database.query"), ["sql.query"]);
  });

  await t.step("part of a name matches every type containing it, best first then by name", () => {
    assert.deepEqual(r.suggest("json"), ["transform.json_parse", "transform.json_stringify"]);
    assert.deepEqual(r.suggest("debug"), ["debug.inspect", "debug.log"]);
    assert.deepEqual(r.suggest("http"), ["http.request", "http.respond", "http.webhook"]);
  });

  await t.step("an exact match is suggested first", () => {
    const reg = new Registry([nodeType("a.bc"), nodeType("a.bd"), nodeType("a.b")]);
    assert.deepEqual(reg.suggest("a.b"), ["a.b", "a.bc", "a.bd"]);
  });

  await t.step("closer names come before farther ones", () => {
    const reg = new Registry([nodeType("text.upperx"), nodeType("text.upper"), nodeType("text.lower")]);
    assert.deepEqual(reg.suggest("text.uper"), ["text.upper", "text.upperx", "text.lower"]);
  });

  await t.step("max limits the number of suggestions; the default is 3", () => {
    const reg = new Registry(["x.item1", "x.item2", "x.item3", "x.item4", "x.item5"].map((n) => nodeType(n)));
    assert.deepEqual(reg.suggest("x.item"), ["x.item1", "x.item2", "x.item3"]);
    assert.deepEqual(reg.suggest("x.item", 5), ["x.item1", "x.item2", "x.item3", "x.item4", "x.item5"]);
    assert.deepEqual(reg.suggest("x.item", 1), ["x.item1"]);
    assert.deepEqual(reg.suggest("x.item", 0), []);
  });

  await t.step("nothing close gives no suggestions", () => {
    assert.deepEqual(r.suggest("zzzzzzzz"), []);
    assert.deepEqual(r.suggest("x.y"), []);
    assert.deepEqual(r.suggest("database.vacuum"), []);
  });

  await t.step("an empty name gives no suggestions", () => {
    assert.deepEqual(r.suggest(""), []);
  });

  await t.step("long names tolerate more typos than short ones", () => {
    const reg = new Registry([nodeType("ab.cd"), nodeType("transform.json_stringify")]);
    // Three edits on a 24-character name (limit 8) are still close.
    assert.deepEqual(reg.suggest("transfrm.jsn_strngify"), ["transform.json_stringify"]);
    // Three edits on a 5-character name (limit 2) are not.
    assert.deepEqual(reg.suggest("xy.zd"), []);
    // Two edits are.
    assert.deepEqual(reg.suggest("xb.cd"), ["ab.cd"]);
  });

  await t.step("suggests only registered names", () => {
    const reg = new Registry([nodeType("only.one")]);
    assert.deepEqual(reg.suggest("http.reqest"), []);
    reg.register(nodeType("http.request"));
    assert.deepEqual(reg.suggest("http.reqest"), ["http.request"]);
  });
});
