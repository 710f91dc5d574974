/**
 * Tests of `src/validate/validate.ts`: every check `validateWorkflow` makes, with the
 * exact message of each issue, all issues reported at once; the compiled
 * result; and `resolveInputs`.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import {
  builtinRegistry,
  type CompiledWorkflow,
  defineNode,
  parseWorkflowText,
  Registry,
  resolveInputs,
  runWorkflow,
  validateWorkflow,
  WorkflowValidationError,
} from "../mod.ts";
import type { ValidationIssue } from "../src/errors.ts";
import { testRegistry } from "./helpers.ts";

const FILE = "wf.json";
const METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";

/** Built-in types plus a few shapes the built-ins do not have. */
function registry(): Registry {
  return builtinRegistry()
    .register(defineNode({
      type: "test.source",
      description: "no inputs",
      inputs: {},
      outputs: { out: { type: "any" } },
      run: () => ({ out: 1 }),
    }))
    .register(defineNode({
      type: "test.sink",
      description: "no outputs",
      inputs: { in: { type: "any" } },
      outputs: {},
      run: () => ({}),
    }))
    .register(defineNode({
      type: "test.pass",
      description: "optional input",
      inputs: { in: { type: "any", required: false } },
      outputs: { out: { type: "any" } },
      run: ({ inputs }) => ({ out: inputs.in }),
    }))
    .register(defineNode({
      type: "test.typed",
      description: "typed ports; n is a port and a config key",
      inputs: {
        n: { type: "number" },
        s: { type: "string", required: false },
        flag: { type: "boolean", required: false },
        list: { type: "array", required: false },
      },
      outputs: { out: { type: "any" } },
      config: z.object({ n: z.number().int().optional(), mode: z.enum(["fast", "slow"]).default("fast") }),
      run: ({ inputs }) => ({ out: inputs.n }),
    }))
    .register(defineNode({
      type: "test.collect",
      description: "dynamic inputs and a config schema",
      inputs: {},
      dynamicInputs: { type: "any" },
      outputs: { all: { type: "object" } },
      config: z.object({ mode: z.enum(["all", "first"]).default("all") }),
      run: ({ inputs }) => ({ all: { ...inputs } }),
    }))
    .register(defineNode({
      type: "test.bare",
      description: "no ports, no config",
      inputs: {},
      outputs: {},
      run: () => ({}),
    }));
}

/** The WorkflowValidationError validating `raw` throws. */
function invalid(
  raw: unknown,
  reg: Registry = registry(),
  options: { file?: string } = { file: FILE },
): WorkflowValidationError {
  try {
    validateWorkflow(raw, reg, options);
  } catch (err) {
    if (err instanceof WorkflowValidationError) return err;
    throw err;
  }
  assert.fail("expected the workflow to be invalid");
}

/** Asserts validating `raw` reports exactly these `[path, message]` issues, in order, and the matching message. */
function assertIssues(raw: unknown, expected: [string, string][], reg?: Registry): WorkflowValidationError {
  const err = invalid(raw, reg);
  assert.deepEqual(err.issues, expected.map(([path, message]): ValidationIssue => ({ path, message })));
  assert.equal(
    err.message,
    expected.map(([path, message]) => (path ? `${FILE}: ${path}: ${message}` : `${FILE}: ${message}`)).join("\n"),
  );
  assert.equal(err.file, FILE);
  return err;
}

/** A debug.log node whose message is a config constant, so it needs no connection. */
function log(id: string, extra: Record<string, unknown> = {}) {
  return { id, type: "debug.log", config: { message: id }, ...extra };
}

/** Slots without their specs, for comparisons. */
function slots(compiled: CompiledWorkflow, id: string) {
  return compiled.nodes.find((n) => n.id === id)!.slots.map(({ port, source, required }) => ({
    port,
    source,
    required,
  }));
}

Deno.test("validateWorkflow: a valid workflow compiles", async (t) => {
  const workflow = {
    id: "demo",
    inputs: { url: { type: "string", default: "http://example.test/" }, extra: { type: "number", required: false } },
    nodes: [
      {
        id: "fetch",
        type: "http.request",
        config: { method: "POST", headers: { accept: "application/json" } },
        retry: { maxAttempts: 3, delayMs: 10 },
        timeoutMs: 1000,
      },
      { id: "parse", type: "transform.json_parse", onError: "continue" },
      { id: "log", type: "debug.log", config: { level: "warn" } },
    ],
    connections: [
      { from: "$inputs.url", to: "fetch.url" },
      { from: "fetch.body", to: "parse.json" },
      { from: "parse.parsed", to: "log.message" },
    ],
    outputs: { result: "parse.parsed", url: "$inputs.url" },
    settings: { concurrency: 4 },
  };
  const compiled = validateWorkflow(workflow, registry(), { file: "dir/demo.json" });

  await t.step("ids, order, file and the workflow as parsed", () => {
    assert.equal(compiled.id, "demo");
    assert.equal(compiled.file, "dir/demo.json");
    assert.deepEqual(compiled.workflow, workflow);
    assert.deepEqual(compiled.nodes.map((n) => [n.index, n.id, n.type]), [
      [0, "fetch", "http.request"],
      [1, "parse", "transform.json_parse"],
      [2, "log", "debug.log"],
    ]);
    assert.deepEqual(compiled.order, [0, 1, 2]);
    assert.equal(compiled.nodes[0].def, registry().get("http.request"));
  });

  await t.step("config parsed by the type's schema, defaults applied", () => {
    assert.deepEqual(compiled.nodes[0].config, {
      method: "POST",
      headers: { accept: "application/json" },
      failOnStatus: true,
    });
    assert.deepEqual(compiled.nodes[1].config, {});
    assert.deepEqual(compiled.nodes[2].config, { level: "warn" });
  });

  await t.step("slots: connections first, then config constants", () => {
    assert.deepEqual(slots(compiled, "fetch"), [
      { port: "url", source: { kind: "input", name: "url" }, required: true },
      { port: "method", source: { kind: "const", value: "POST" }, required: false },
      { port: "headers", source: { kind: "const", value: { accept: "application/json" } }, required: false },
    ]);
    assert.deepEqual(slots(compiled, "parse"), [
      { port: "json", source: { kind: "node", node: 0, port: "body" }, required: true },
    ]);
    assert.equal(compiled.nodes[1].slots[0].spec, registry().get("transform.json_parse")!.inputs.json);
  });

  await t.step("outgoing edges and upstream counts", () => {
    assert.deepEqual(compiled.nodes[0].outgoing, [{ port: "body", to: 1, slot: 0 }]);
    assert.deepEqual(compiled.nodes[1].outgoing, [{ port: "parsed", to: 2, slot: 0 }]);
    assert.deepEqual(compiled.nodes[2].outgoing, []);
    assert.deepEqual(compiled.nodes.map((n) => n.upstreamCount), [0, 1, 1]);
  });

  await t.step("retry, timeout and error policy per node", () => {
    assert.deepEqual(compiled.nodes[0].retry, { maxAttempts: 3, delayMs: 10 });
    assert.equal(compiled.nodes[0].timeoutMs, 1000);
    assert.equal(compiled.nodes[1].retry, undefined);
    assert.deepEqual(compiled.nodes.map((n) => n.onError), ["stop", "continue", "stop"]);
  });

  await t.step("outputs and settings", () => {
    assert.deepEqual(compiled.outputs, [
      { name: "result", source: { kind: "node", node: 1, port: "parsed" } },
      { name: "url", source: { kind: "input", name: "url" } },
    ]);
    assert.deepEqual(compiled.settings, {
      onError: "stop",
      maxWorkflowRetries: 1,
      concurrency: 4,
      timeoutMs: undefined,
      env: [],
      secrets: [],
      lock: false,
    });
  });

  await t.step("the empty workflow", () => {
    const empty = validateWorkflow({ nodes: [], connections: [] }, new Registry());
    assert.equal(empty.id, "workflow");
    assert.deepEqual(empty.nodes, []);
    assert.deepEqual(empty.order, []);
    assert.deepEqual(empty.outputs, []);
    assert.deepEqual(empty.settings, {
      onError: "stop",
      maxWorkflowRetries: 1,
      concurrency: 16,
      timeoutMs: undefined,
      env: [],
      secrets: [],
      lock: false,
    });
  });

  await t.step("settings onError continue becomes each node's default", () => {
    const c = validateWorkflow({
      nodes: [log("a"), log("b", { onError: "stop" })],
      connections: [],
      settings: { onError: "continue", maxWorkflowRetries: 0, lock: true, timeoutMs: 500 },
    }, registry());
    assert.deepEqual(c.nodes.map((n) => n.onError), ["continue", "stop"]);
    assert.deepEqual(c.settings, {
      onError: "continue",
      maxWorkflowRetries: 0,
      concurrency: 16,
      timeoutMs: 500,
      env: [],
      secrets: [],
      lock: true,
    });
  });

  await t.step("settings onError retry leaves nodes on stop", () => {
    const c = validateWorkflow({ nodes: [log("a")], connections: [], settings: { onError: "retry" } }, registry());
    assert.equal(c.nodes[0].onError, "stop");
    assert.equal(c.settings.onError, "retry");
  });

  await t.step("the workflow id falls back to the file name, then to 'workflow'", () => {
    const wf = { nodes: [], connections: [] };
    const id = (file?: string) => validateWorkflow(wf, registry(), { file }).id;
    assert.equal(id("flows/nightly-sync.json"), "nightly-sync");
    assert.equal(id("C:\\flows\\Nightly.JSON"), "Nightly");
    assert.equal(id("my flow.v2.json"), "my_flow_v2");
    assert.equal(id("2024-report.json"), "workflow");
    assert.equal(id(undefined), "workflow");
    assert.equal(validateWorkflow({ ...wf, id: "explicit" }, registry(), { file: "other.json" }).id, "explicit");
  });

  await t.step("nodes are ordered so every connection points forward, ties in file order", () => {
    const c = validateWorkflow({
      nodes: [{ id: "last", type: "test.sink" }, log("first"), log("other"), { id: "mid", type: "test.pass" }],
      connections: [{ from: "mid.out", to: "last.in" }, { from: "first.message", to: "mid.in" }],
    }, registry());
    // "other" is ready as soon as "first" is, and comes before "mid" in the file.
    assert.deepEqual(c.order.map((i) => c.nodes[i].id), ["first", "other", "mid", "last"]);
  });

  await t.step("validation does not modify its input", () => {
    const raw = JSON.parse(JSON.stringify(workflow));
    validateWorkflow(raw, registry());
    assert.deepEqual(raw, workflow);
  });
});

Deno.test("validateWorkflow: the error", async (t) => {
  await t.step("a WorkflowValidationError with issues, file and one line per issue", () => {
    const err = invalid({ nodes: [{ id: "a", type: "nope.nope" }], connections: [], bogus: 1 });
    assert.ok(err instanceof Error);
    assert.equal(err.name, "WorkflowValidationError");
    assert.equal(err.file, FILE);
    assert.deepEqual(err.issues, [
      { path: "bogus", message: "unknown key" },
      { path: "nodes[0].type", message: 'unknown node type "nope.nope"; run `flow nodes` to list types' },
    ]);
    assert.equal(
      err.message,
      'wf.json: bogus: unknown key\nwf.json: nodes[0].type: unknown node type "nope.nope"; run `flow nodes` to list types',
    );
  });

  await t.step("without a file the lines have no prefix", () => {
    const err = invalid({ nodes: [{ id: "a", type: "nope.nope" }], connections: [], bogus: 1 }, registry(), {});
    assert.equal(err.file, undefined);
    assert.equal(
      err.message,
      'bogus: unknown key\nnodes[0].type: unknown node type "nope.nope"; run `flow nodes` to list types',
    );
  });

  await t.step("JSON syntax errors from parseWorkflowText have the same type, with line and column", () => {
    let err: unknown;
    try {
      parseWorkflowText('{\n  "nodes": [],\n  "connections": [,]\n}', FILE);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof WorkflowValidationError);
    assert.deepEqual(err.issues, [{ path: "", message: "invalid JSON: Unexpected token ','", line: 3, column: 19 }]);
    assert.equal(err.message, "wf.json:3:19: invalid JSON: Unexpected token ','");
  });
});

Deno.test("validateWorkflow: schema errors carry the JSON path", async (t) => {
  await t.step("the documented example: an enum value in a node's config", () => {
    assertIssues({
      nodes: [
        log("a"),
        log("b"),
        { id: "fetch", type: "http.request", config: { url: "http://x.test", method: "FETCH" } },
      ],
      connections: [],
    }, [["nodes[2].config.method", `expected one of ${METHODS}; got "FETCH"`]]);
  });

  await t.step("the file is not an object", () => {
    assertIssues([], [["", "expected object; got []"]]);
    assertIssues(null, [["", "expected object; got null"]]);
    assertIssues("workflow", [["", 'expected object; got "workflow"']]);
    assertIssues(undefined, [["", "required (object)"]]);
  });

  await t.step("missing nodes and connections", () => {
    assertIssues({}, [["nodes", "required (array)"], ["connections", "required (array)"]]);
    assertIssues({ nodes: [] }, [["connections", "required (array)"]]);
    assertIssues({ connections: [] }, [["nodes", "required (array)"]]);
  });

  await t.step("nodes and connections of the wrong type", () => {
    assertIssues({ nodes: {}, connections: "none" }, [
      ["nodes", "expected array; got {}"],
      ["connections", 'expected array; got "none"'],
    ]);
    assertIssues({ nodes: [5, null], connections: ["a.b -> c.d"] }, [
      ["nodes[0]", "expected object; got 5"],
      ["nodes[1]", "expected object; got null"],
      ["connections[0]", 'expected object; got "a.b -> c.d"'],
    ]);
  });

  await t.step("node fields", () => {
    assertIssues({ nodes: [{ type: "debug.log" }, { id: "b" }, { id: 7, type: 8 }], connections: [] }, [
      ["nodes[0].id", "required (string)"],
      ["nodes[1].type", "required (string)"],
      ["nodes[2].id", "expected string; got 7"],
      ["nodes[2].type", "expected string; got 8"],
    ]);
    assertIssues({
      nodes: [log("a", { name: 5, description: false, timeoutMs: 0, onError: "retry", config: [] })],
      connections: [],
    }, [
      ["nodes[0].name", "expected string; got 5"],
      ["nodes[0].description", "expected string; got false"],
      ["nodes[0].config", "expected record; got []"],
      ["nodes[0].timeoutMs", "expected >= 1; got 0"],
      ["nodes[0].onError", 'expected one of stop, continue; got "retry"'],
      ["nodes[0]", 'required input "message" of "a" (debug.log) is not connected and has no config value'],
    ]);
    assertIssues({ nodes: [log("a", { timeoutMs: 2.5 })], connections: [] }, [
      ["nodes[0].timeoutMs", "expected int; got 2.5"],
    ]);
  });

  await t.step("an empty type is reported once, by the schema", () => {
    assertIssues({ nodes: [{ id: "a", type: "" }], connections: [] }, [
      ["nodes[0].type", 'expected >= 1 in length; got ""'],
    ]);
  });

  await t.step("bad id patterns", () => {
    assertIssues({
      id: "1st-flow",
      nodes: [log("9lives"), log("has space"), log("dot.ted"), log("ok-id_2"), log("")],
      connections: [],
    }, [
      ["id", 'expected an id matching [A-Za-z_][A-Za-z0-9_-]*; got "1st-flow"'],
      ["nodes[0].id", 'expected an id matching [A-Za-z_][A-Za-z0-9_-]*; got "9lives"'],
      ["nodes[1].id", 'expected an id matching [A-Za-z_][A-Za-z0-9_-]*; got "has space"'],
      ["nodes[2].id", 'expected an id matching [A-Za-z_][A-Za-z0-9_-]*; got "dot.ted"'],
      ["nodes[4].id", 'expected an id matching [A-Za-z_][A-Za-z0-9_-]*; got ""'],
    ]);
  });

  await t.step("bad input names", () => {
    assertIssues({ inputs: { "1st": {}, "ok": {} }, nodes: [], connections: [] }, [
      ['inputs["1st"]', 'Invalid key in record; got "1st"'],
    ]);
  });

  await t.step("malformed connection endpoints are reported once each", () => {
    assertIssues({
      inputs: { x: {} },
      nodes: [log("a"), { id: "b", type: "debug.log" }],
      connections: [
        { from: "a", to: "b.message" },
        { from: "a.message.extra", to: "b" },
        { from: "a.message", to: "$inputs.x" },
        { from: "$inputs", to: "b.message.x" },
        { from: 5, to: "b.message" },
        { to: "b.message" },
      ],
    }, [
      ["connections[0].from", 'expected "nodeId.port" or "$inputs.NAME"; got "a"'],
      ["connections[1].from", 'expected "nodeId.port" or "$inputs.NAME"; got "a.message.extra"'],
      ["connections[1].to", 'expected "nodeId.port"; got "b"'],
      ["connections[2].to", 'expected "nodeId.port"; got "$inputs.x"'],
      ["connections[3].from", 'expected "nodeId.port" or "$inputs.NAME"; got "$inputs"'],
      ["connections[3].to", 'expected "nodeId.port"; got "b.message.x"'],
      ["connections[4].from", "expected string; got 5"],
      ["connections[5].from", "required (string)"],
    ]);
  });

  await t.step("unknown keys (typos) at every level", () => {
    assertIssues({
      $schema: "../schema/workflow.schema.json",
      nmae: "typo",
      inputs: { x: { type: "string", defualt: "a" } },
      nodes: [log("a", { confg: {}, retries: 2 })],
      connections: [{ from: "a.message", to: "b.message", label: "x" }],
      connectons: [],
      settings: { concurency: 2 },
    }, [
      // Keys inside a value come before unknown keys of the value itself.
      ["inputs.x.defualt", "unknown key"],
      ["nodes[0].confg", "unknown key"],
      ["nodes[0].retries", "unknown key"],
      ["connections[0].label", "unknown key"],
      ["settings.concurency", "unknown key"],
      ["nmae", "unknown key"],
      ["connectons", "unknown key"],
      ["connections[0].to", 'unknown node "b"'],
    ]);
  });

  await t.step("a typo for connections also leaves connections missing", () => {
    assertIssues({ nodes: [], connectons: [] }, [["connections", "required (array)"], ["connectons", "unknown key"]]);
  });

  await t.step("bad retry values", () => {
    assertIssues({
      nodes: [
        log("a", { retry: { maxAttempts: 0, delayMs: -1, multiplier: 0.5, maxDelayMs: 1.5, jitter: "yes" } }),
        log("b", { retry: {} }),
        log("c", { retry: { maxAttempts: 1001 } }),
        log("d", { retry: { maxAttempts: 2.5 } }),
        log("e", { retry: { maxAttempts: "3" } }),
        log("f", { retry: 3 }),
        log("g", { retry: { maxAttempts: 2, backoff: "exp" } }),
      ],
      connections: [],
    }, [
      ["nodes[0].retry.maxAttempts", "expected >= 1; got 0"],
      ["nodes[0].retry.delayMs", "expected >= 0; got -1"],
      ["nodes[0].retry.multiplier", "expected >= 1; got 0.5"],
      ["nodes[0].retry.maxDelayMs", "expected int; got 1.5"],
      ["nodes[0].retry.jitter", 'expected boolean; got "yes"'],
      ["nodes[1].retry.maxAttempts", "required (number)"],
      ["nodes[2].retry.maxAttempts", "expected <= 1000; got 1001"],
      ["nodes[3].retry.maxAttempts", "expected int; got 2.5"],
      ["nodes[4].retry.maxAttempts", 'expected number; got "3"'],
      ["nodes[5].retry", "expected object; got 3"],
      ["nodes[6].retry.backoff", "unknown key"],
    ]);
  });

  await t.step("good retry values pass", () => {
    const c = validateWorkflow({
      nodes: [log("a", { retry: { maxAttempts: 1000, delayMs: 0, multiplier: 1, maxDelayMs: 0, jitter: true } })],
      connections: [],
    }, registry());
    assert.deepEqual(c.nodes[0].retry, { maxAttempts: 1000, delayMs: 0, multiplier: 1, maxDelayMs: 0, jitter: true });
  });

  await t.step("bad settings and input declarations", () => {
    assertIssues({
      inputs: { a: { type: "text" }, b: 5, c: { required: "yes", description: 1 } },
      nodes: [],
      connections: [],
      settings: { onError: "explode", maxWorkflowRetries: 101, concurrency: 0, timeoutMs: 0, lock: "yes" },
    }, [
      ["inputs.a.type", 'expected one of string, number, boolean, object, array, any; got "text"'],
      ["inputs.b", "expected object; got 5"],
      ["inputs.c.description", "expected string; got 1"],
      ["inputs.c.required", 'expected boolean; got "yes"'],
      ["settings.onError", 'expected one of stop, continue, retry; got "explode"'],
      ["settings.maxWorkflowRetries", "expected <= 100; got 101"],
      ["settings.concurrency", "expected >= 1; got 0"],
      ["settings.timeoutMs", "expected >= 1; got 0"],
      ["settings.lock", 'expected boolean; got "yes"'],
    ]);
    assertIssues({ nodes: [], connections: [], settings: { concurrency: 10001 } }, [
      ["settings.concurrency", "expected <= 10000; got 10001"],
    ]);
  });

  await t.step("long values are shortened in messages", () => {
    const long = "x".repeat(100);
    assertIssues({ nodes: [], connections: [], settings: { onError: long } }, [
      ["settings.onError", `expected one of stop, continue, retry; got "${"x".repeat(58)}…`],
    ]);
  });
});

Deno.test("validateWorkflow: node ids and types", async (t) => {
  await t.step("duplicate node ids name the first use", () => {
    assertIssues({ nodes: [log("a"), log("b"), log("a"), log("a")], connections: [] }, [
      ["nodes[2].id", 'duplicate node id "a" (first used at nodes[0])'],
      ["nodes[3].id", 'duplicate node id "a" (first used at nodes[0])'],
    ]);
  });

  await t.step("ids are case-sensitive: a and A are different nodes", () => {
    validateWorkflow({ nodes: [log("a"), log("A")], connections: [] }, registry());
  });

  await t.step("unknown node types list close matches", () => {
    assertIssues({
      nodes: [
        { id: "a", type: "http.reqest" },
        { id: "b", type: "request" },
        { id: "c", type: "json" },
        { id: "d", type: "HTTP.Request" },
        { id: "e", type: "spreadsheet.frobnicate" },
      ],
      connections: [],
    }, [
      ["nodes[0].type", 'unknown node type "http.reqest"; did you mean http.request?'],
      ["nodes[1].type", 'unknown node type "request"; did you mean http.request?'],
      ["nodes[2].type", 'unknown node type "json"; did you mean transform.json_parse, transform.json_stringify?'],
      ["nodes[3].type", 'unknown node type "HTTP.Request"; did you mean http.request?'],
      ["nodes[4].type", 'unknown node type "spreadsheet.frobnicate"; run `flow nodes` to list types'],
    ]);
  });

  await t.step("types registered later are known", () => {
    const reg = registry();
    const raw = { nodes: [{ id: "a", type: "custom.thing" }], connections: [] };
    assertIssues(raw, [["nodes[0].type", 'unknown node type "custom.thing"; run `flow nodes` to list types']], reg);
    reg.register(defineNode({ type: "custom.thing", description: "", inputs: {}, outputs: {}, run: () => ({}) }));
    validateWorkflow(raw, reg);
  });

  await t.step("a node of unknown type causes no follow-on errors about its config or connections", () => {
    assertIssues({
      nodes: [{ id: "a", type: "http.reqest", config: { whatever: 1 } }, { id: "b", type: "debug.log" }],
      connections: [{ from: "a.body", to: "b.message" }, { from: "b.message", to: "a.anything" }],
    }, [["nodes[0].type", 'unknown node type "http.reqest"; did you mean http.request?']]);
  });
});

Deno.test("validateWorkflow: connections", async (t) => {
  const base = {
    inputs: { url: { type: "string" }, token: { type: "string", required: false } },
    nodes: [{ id: "fetch", type: "http.request" }, { id: "log", type: "debug.log" }],
  };

  await t.step("a connection to or from an unknown node", () => {
    assertIssues({
      ...base,
      connections: [
        { from: "$inputs.url", to: "fetch.url" },
        { from: "fetch.body", to: "lgo.message" },
        { from: "nowhere.out", to: "log.message" },
      ],
    }, [
      ["connections[1].to", 'unknown node "lgo"; did you mean log?'],
      ["connections[2].from", 'unknown node "nowhere"'],
    ]);
  });

  await t.step("unknown node ids suggest ids differing in case, order or last letter", () => {
    assertIssues({
      nodes: [log("fetch_user"), { id: "sink", type: "test.sink" }, { id: "sink2", type: "test.sink" }],
      connections: [
        { from: "Fetch_User.message", to: "sink.in" },
        { from: "fetch_usre.message", to: "sink2.in" },
      ],
    }, [
      ["connections[0].from", 'unknown node "Fetch_User"; did you mean fetch_user?'],
      ["connections[1].from", 'unknown node "fetch_usre"; did you mean fetch_user?'],
    ]);
  });

  await t.step("an unknown output port lists the outputs", () => {
    assertIssues({
      ...base,
      connections: [{ from: "$inputs.url", to: "fetch.url" }, { from: "fetch.text", to: "log.message" }],
    }, [[
      "connections[1].from",
      'node "fetch" (http.request) has no output port "text"; outputs: status, headers, body',
    ]]);
  });

  await t.step("an unknown output port on a node with no outputs", () => {
    assertIssues({
      nodes: [{ id: "s", type: "test.sink", config: { in: 1 } }, { id: "t", type: "test.pass" }],
      connections: [{ from: "s.out", to: "t.in" }],
    }, [["connections[0].from", 'node "s" (test.sink) has no output port "out"; outputs: (none)']]);
  });

  await t.step("an unknown input port lists the inputs", () => {
    assertIssues({
      ...base,
      connections: [
        { from: "$inputs.url", to: "fetch.url" },
        { from: "fetch.body", to: "log.msg" },
        { from: "fetch.status", to: "log.message" },
      ],
    }, [["connections[1].to", 'node "log" (debug.log) has no input port "msg"; inputs: message']]);
  });

  await t.step("an input port on a node with no inputs", () => {
    assertIssues({
      nodes: [{ id: "src", type: "test.source" }, { id: "other", type: "test.source" }],
      connections: [{ from: "src.out", to: "other.in" }],
    }, [["connections[0].to", 'node "other" (test.source) has no input port "in"; inputs: (none)']]);
  });

  await t.step("an unknown $inputs.NAME lists the declared inputs", () => {
    assertIssues({
      ...base,
      connections: [{ from: "$inputs.uri", to: "fetch.url" }, { from: "fetch.body", to: "log.message" }],
    }, [["connections[0].from", 'unknown workflow input "uri"; declared: url, token']]);
  });

  await t.step("$inputs.NAME when the workflow declares no inputs", () => {
    assertIssues({
      nodes: [{ id: "log", type: "debug.log" }],
      connections: [{ from: "$inputs.message", to: "log.message" }],
    }, [["connections[0].from", 'unknown workflow input "message"; the workflow declares no inputs']]);
  });

  await t.step("names of Object.prototype members are not ports or inputs", () => {
    assertIssues({
      nodes: [log("a"), { id: "b", type: "debug.log" }, { id: "c", type: "debug.log" }, log("d")],
      connections: [
        { from: "$inputs.constructor", to: "b.message" },
        { from: "a.toString", to: "c.message" },
        { from: "a.message", to: "d.hasOwnProperty" },
      ],
    }, [
      ["connections[0].from", 'unknown workflow input "constructor"; the workflow declares no inputs'],
      ["connections[1].from", 'node "a" (debug.log) has no output port "toString"; outputs: message'],
      ["connections[2].to", 'node "d" (debug.log) has no input port "hasOwnProperty"; inputs: message'],
    ]);
  });

  await t.step("an input port fed by two connections", () => {
    assertIssues({
      nodes: [log("a"), log("b"), log("c"), { id: "sink", type: "debug.log" }],
      connections: [
        { from: "a.message", to: "sink.message" },
        { from: "b.message", to: "sink.message" },
        { from: "c.message", to: "sink.message" },
      ],
    }, [
      [
        "connections[1].to",
        'input port "sink.message" is already fed by connections[0]; an input takes one connection (use flow.merge to combine)',
      ],
      [
        "connections[2].to",
        'input port "sink.message" is already fed by connections[0]; an input takes one connection (use flow.merge to combine)',
      ],
    ]);
  });

  await t.step("the same connection written twice also feeds the port twice", () => {
    assertIssues({
      nodes: [log("a"), { id: "b", type: "debug.log" }],
      connections: [{ from: "a.message", to: "b.message" }, { from: "a.message", to: "b.message" }],
    }, [[
      "connections[1].to",
      'input port "b.message" is already fed by connections[0]; an input takes one connection (use flow.merge to combine)',
    ]]);
  });

  await t.step("a node with dynamic inputs takes any port names, each once", () => {
    const c = validateWorkflow({
      nodes: [log("a"), log("b"), { id: "m", type: "test.collect" }],
      connections: [{ from: "a.message", to: "m.first" }, { from: "b.message", to: "m.second" }],
    }, registry());
    assert.deepEqual(slots(c, "m"), [
      { port: "first", source: { kind: "node", node: 0, port: "message" }, required: true },
      { port: "second", source: { kind: "node", node: 1, port: "message" }, required: true },
    ]);
    assertIssues({
      nodes: [log("a"), log("b"), { id: "m", type: "test.collect" }],
      connections: [{ from: "a.message", to: "m.x" }, { from: "b.message", to: "m.x" }],
    }, [[
      "connections[1].to",
      'input port "m.x" is already fed by connections[0]; an input takes one connection (use flow.merge to combine)',
    ]]);
  });

  await t.step("flow.merge takes any port names, each once", () => {
    const c = validateWorkflow({
      nodes: [log("a"), log("b"), { id: "m", type: "flow.merge" }],
      connections: [{ from: "a.message", to: "m.first" }, { from: "b.message", to: "m.second" }],
    }, registry());
    assert.deepEqual(c.nodes[2].slots.map((s) => [s.port, s.source]), [
      ["first", { kind: "node", node: 0, port: "message" }],
      ["second", { kind: "node", node: 1, port: "message" }],
    ]);
    assertIssues({
      nodes: [log("a"), log("b"), { id: "m", type: "flow.merge" }],
      connections: [{ from: "a.message", to: "m.x" }, { from: "b.message", to: "m.x" }],
    }, [[
      "connections[1].to",
      'input port "m.x" is already fed by connections[0]; an input takes one connection (use flow.merge to combine)',
    ]]);
  });

  await t.step("one output may feed many inputs", () => {
    const c = validateWorkflow({
      nodes: [log("a"), { id: "b", type: "debug.log" }, { id: "c", type: "debug.log" }],
      connections: [{ from: "a.message", to: "b.message" }, { from: "a.message", to: "c.message" }],
    }, registry());
    assert.deepEqual(c.nodes[0].outgoing, [{ port: "message", to: 1, slot: 0 }, { port: "message", to: 2, slot: 0 }]);
  });

  await t.step("a connection from a bad source still connects its input: no 'not connected' error", () => {
    assertIssues({
      nodes: [log("a"), { id: "b", type: "debug.log" }, { id: "c", type: "debug.log" }, { id: "d", type: "debug.log" }],
      connections: [
        { from: "a.nope", to: "b.message" },
        { from: "ghost.message", to: "c.message" },
        { from: "a", to: "d.message" },
      ],
    }, [
      ["connections[2].from", 'expected "nodeId.port" or "$inputs.NAME"; got "a"'],
      ["connections[0].from", 'node "a" (debug.log) has no output port "nope"; outputs: message'],
      ["connections[1].from", 'unknown node "ghost"'],
    ]);
  });
});

Deno.test("validateWorkflow: required inputs", async (t) => {
  await t.step("required inputs left unconnected", () => {
    assertIssues({
      nodes: [
        { id: "fetch", type: "http.request" },
        { id: "parse", type: "transform.json_parse" },
        { id: "t", type: "test.typed" },
      ],
      connections: [],
    }, [
      ["nodes[0]", 'required input "url" of "fetch" (http.request) is not connected and has no config value'],
      ["nodes[1]", 'required input "json" of "parse" (transform.json_parse) is not connected and has no config value'],
      ["nodes[2]", 'required input "n" of "t" (test.typed) is not connected and has no config value'],
    ]);
  });

  await t.step("optional inputs may stay unconnected", () => {
    const c = validateWorkflow({
      nodes: [{ id: "p", type: "test.pass" }, { id: "d", type: "time.delay", config: { ms: 0 } }],
      connections: [],
    }, registry());
    assert.deepEqual(slots(c, "p"), []);
    assert.deepEqual(slots(c, "d"), []);
  });

  await t.step("a config constant under the port name satisfies a required input", () => {
    const c = validateWorkflow({
      nodes: [
        { id: "fetch", type: "http.request", config: { url: "http://example.test/" } },
        { id: "parse", type: "transform.json_parse", config: { json: '{"a": 1}' } },
        { id: "log", type: "debug.log", config: { message: { any: ["value"] } } },
      ],
      connections: [],
    }, registry());
    assert.deepEqual(slots(c, "fetch"), [
      { port: "url", source: { kind: "const", value: "http://example.test/" }, required: true },
      { port: "method", source: { kind: "const", value: "GET" }, required: false },
    ]);
    assert.deepEqual(slots(c, "parse"), [{
      port: "json",
      source: { kind: "const", value: '{"a": 1}' },
      required: true,
    }]);
    assert.deepEqual(slots(c, "log"), [
      { port: "message", source: { kind: "const", value: { any: ["value"] } }, required: true },
    ]);
    // Input constants that are not config schema keys are not part of the parsed config.
    assert.deepEqual(c.nodes[1].config, {});
    assert.deepEqual(c.nodes[2].config, { level: "info" });
  });

  await t.step("a null constant counts as a value", () => {
    const c = validateWorkflow({
      nodes: [{ id: "log", type: "debug.log", config: { message: null } }],
      connections: [],
    }, registry());
    assert.deepEqual(slots(c, "log"), [{ port: "message", source: { kind: "const", value: null }, required: true }]);
  });

  await t.step("a connection wins over a config constant for the same port", () => {
    const c = validateWorkflow({
      inputs: { url: { type: "string" } },
      nodes: [
        { id: "fetch", type: "http.request", config: { url: "http://from-config.test/", method: "PUT" } },
        { id: "src", type: "debug.log", config: { message: "DELETE" } },
        { id: "log", type: "debug.log", config: { message: "from config" } },
      ],
      connections: [
        { from: "$inputs.url", to: "fetch.url" },
        { from: "src.message", to: "fetch.method" },
        { from: "fetch.body", to: "log.message" },
      ],
    }, registry());
    assert.deepEqual(slots(c, "fetch"), [
      { port: "url", source: { kind: "input", name: "url" }, required: true },
      { port: "method", source: { kind: "node", node: 1, port: "message" }, required: false },
    ]);
    assert.deepEqual(slots(c, "log"), [
      { port: "message", source: { kind: "node", node: 0, port: "body" }, required: true },
    ]);
    // The config still holds what the file says; the slot decides the input value.
    assert.equal((c.nodes[0].config as { method: string }).method, "PUT");
  });

  await t.step("with dynamic inputs, config schema keys stay config and other keys are input constants", () => {
    const c = validateWorkflow({
      nodes: [{ id: "m", type: "test.collect", config: { mode: "first", extra: 5 } }, {
        id: "d",
        type: "test.collect",
      }],
      connections: [],
    }, registry());
    assert.deepEqual(c.nodes[0].config, { mode: "first" });
    assert.deepEqual(slots(c, "m"), [{ port: "extra", source: { kind: "const", value: 5 }, required: true }]);
    // The schema default is not an input either.
    assert.deepEqual(c.nodes[1].config, { mode: "all" });
    assert.deepEqual(slots(c, "d"), []);
    assertIssues({ nodes: [{ id: "m", type: "test.collect", config: { mode: "last" } }], connections: [] }, [
      ["nodes[0].config.mode", 'expected one of all, first; got "last"'],
    ]);
  });

  await t.step("a schema default for an input port is a constant a connection overrides", () => {
    const c = validateWorkflow({
      nodes: [{ id: "m", type: "debug.log", config: { message: "POST" } }, {
        id: "f",
        type: "http.request",
        config: { url: "http://x.test/" },
      }],
      connections: [{ from: "m.message", to: "f.method" }],
    }, registry());
    assert.deepEqual(slots(c, "f"), [
      { port: "method", source: { kind: "node", node: 0, port: "message" }, required: false },
      { port: "url", source: { kind: "const", value: "http://x.test/" }, required: true },
    ]);
  });

  await t.step("at run time the connected value reaches the node, not the config constant", async () => {
    const { registry: reg } = testRegistry();
    const compiled = validateWorkflow({
      nodes: [
        { id: "src", type: "debug.log", config: { message: "from connection" } },
        { id: "dst", type: "debug.log", config: { message: "from config" } },
        { id: "alone", type: "debug.log", config: { message: "from config" } },
      ],
      connections: [{ from: "src.message", to: "dst.message" }],
      outputs: { dst: "dst.message", alone: "alone.message" },
    }, reg);
    const result = await runWorkflow(compiled);
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs, { dst: "from connection", alone: "from config" });
  });
});

Deno.test("validateWorkflow: config against the node type's schema", async (t) => {
  await t.step("unknown config keys list the keys the type takes", () => {
    assertIssues({
      nodes: [
        { id: "f", type: "http.request", config: { url: "http://x.test/", methd: "GET", timeout: 5 } },
        { id: "p", type: "transform.json_parse", config: { json: "1", strict: true } },
        { id: "l", type: "debug.log", config: { message: "m", levle: "warn" } },
        { id: "b", type: "test.bare", config: { anything: 1 } },
      ],
      connections: [],
    }, [
      [
        "nodes[0].config.methd",
        "unknown config key for http.request; expected one of url, method, headers, query, body, failOnStatus",
      ],
      [
        "nodes[0].config.timeout",
        "unknown config key for http.request; expected one of url, method, headers, query, body, failOnStatus",
      ],
      ["nodes[1].config.strict", "unknown config key for transform.json_parse; expected one of json"],
      ["nodes[2].config.levle", "unknown config key for debug.log; expected one of level, message"],
      ["nodes[3].config.anything", "unknown config key for test.bare"],
    ]);
  });

  await t.step("Object.prototype member names are unknown config keys too", () => {
    assertIssues({
      nodes: [{ id: "f", type: "http.request", config: { url: "http://x.test/", toString: 1, constructor: {} } }],
      connections: [],
    }, [
      [
        "nodes[0].config.toString",
        "unknown config key for http.request; expected one of url, method, headers, query, body, failOnStatus",
      ],
      [
        "nodes[0].config.constructor",
        "unknown config key for http.request; expected one of url, method, headers, query, body, failOnStatus",
      ],
    ]);
  });

  await t.step("wrong types, enums and ranges", () => {
    assertIssues({
      nodes: [
        {
          id: "f",
          type: "http.request",
          config: { url: 5, method: "get", headers: { accept: 1 }, query: { q: [1] }, failOnStatus: "no" },
        },
        { id: "d", type: "time.delay", config: { ms: -1 } },
        { id: "d2", type: "time.delay", config: { ms: "10" } },
        { id: "d3", type: "time.delay" },
        { id: "i", type: "debug.inspect", config: { value: 1, maxChars: 5 } },
        { id: "l", type: "debug.log", config: { message: "m", level: "verbose" } },
        { id: "s", type: "transform.json_stringify", config: { value: 1, indent: 11 } },
      ],
      connections: [],
    }, [
      ["nodes[0].config.url", "expected string; got 5"],
      ["nodes[0].config.method", `expected one of ${METHODS}; got "get"`],
      ["nodes[0].config.headers.accept", "expected string; got 1"],
      ["nodes[0].config.query.q", "expected string, number or boolean; got [1]"],
      ["nodes[0].config.failOnStatus", 'expected boolean; got "no"'],
      ["nodes[1].config.ms", "expected >= 0; got -1"],
      ["nodes[2].config.ms", 'expected number; got "10"'],
      ["nodes[3].config.ms", "required (number)"],
      ["nodes[4].config.maxChars", "expected >= 10; got 5"],
      ["nodes[5].config.level", 'expected one of debug, info, warn, error; got "verbose"'],
      ["nodes[6].config.indent", "expected <= 10; got 11"],
    ]);
  });

  await t.step("a config constant must fit its input port's type", () => {
    assertIssues({
      nodes: [
        { id: "p", type: "transform.json_parse", config: { json: { already: "parsed" } } },
        { id: "t", type: "test.typed", config: { n: 1, s: 5, flag: "true", list: {} } },
      ],
      connections: [],
    }, [
      ["nodes[0].config.json", 'expected string; got {"already":"parsed"}'],
      ["nodes[1].config.s", "expected string; got 5"],
      ["nodes[1].config.flag", 'expected boolean; got "true"'],
      ["nodes[1].config.list", "expected array; got {}"],
    ]);
  });

  await t.step("a key that is a port and a schema key is checked once, by the schema", () => {
    assertIssues({ nodes: [{ id: "t", type: "test.typed", config: { n: "1" } }], connections: [] }, [
      ["nodes[0].config.n", 'expected number; got "1"'],
    ]);
    assertIssues({ nodes: [{ id: "t", type: "test.typed", config: { n: 1.5 } }], connections: [] }, [
      ["nodes[0].config.n", "expected int; got 1.5"],
    ]);
    const c = validateWorkflow(
      { nodes: [{ id: "t", type: "test.typed", config: { n: 2 } }], connections: [] },
      registry(),
    );
    assert.deepEqual(c.nodes[0].config, { n: 2, mode: "fast" });
    assert.deepEqual(slots(c, "t"), [{ port: "n", source: { kind: "const", value: 2 }, required: true }]);
  });
});

Deno.test("validateWorkflow: cycles", async (t) => {
  const pass = (id: string) => ({ id, type: "test.pass" });

  await t.step("a cycle is named in connection direction", () => {
    assertIssues({
      nodes: [pass("a"), pass("b"), pass("c")],
      connections: [{ from: "a.out", to: "b.in" }, { from: "b.out", to: "c.in" }, { from: "c.out", to: "a.in" }],
    }, [["connections", "cycle: a -> b -> c -> a"]]);
  });

  await t.step("the cycle starts at the node that comes first in the file", () => {
    assertIssues({
      nodes: [pass("z"), pass("y"), pass("x")],
      connections: [{ from: "x.out", to: "z.in" }, { from: "z.out", to: "y.in" }, { from: "y.out", to: "x.in" }],
    }, [["connections", "cycle: z -> y -> x -> z"]]);
  });

  await t.step("a self-loop", () => {
    assertIssues({ nodes: [pass("a"), pass("loop")], connections: [{ from: "loop.out", to: "loop.in" }] }, [
      ["connections", "cycle: loop -> loop"],
    ]);
  });

  await t.step("two separate cycles are both named", () => {
    assertIssues({
      nodes: [pass("a"), pass("b"), pass("start"), pass("c"), pass("d"), pass("e")],
      connections: [
        { from: "a.out", to: "b.in" },
        { from: "b.out", to: "a.in" },
        { from: "c.out", to: "d.in" },
        { from: "d.out", to: "e.in" },
        { from: "e.out", to: "c.in" },
        { from: "start.out", to: "c.x" },
      ],
    }, [
      ["connections[5].to", 'node "c" (test.pass) has no input port "x"; inputs: in'],
      ["connections", "cycle: a -> b -> a"],
      ["connections", "cycle: c -> d -> e -> c"],
    ]);
  });

  await t.step("a cycle through a node with several inputs", () => {
    assertIssues({
      nodes: [log("seed"), { id: "m", type: "flow.merge" }, { id: "l", type: "debug.log" }],
      connections: [
        { from: "seed.message", to: "m.seed" },
        { from: "l.message", to: "m.back" },
        { from: "m.merged", to: "l.message" },
      ],
    }, [["connections", "cycle: m -> l -> m"]]);
  });

  await t.step("cycles are found even when other connections are broken", () => {
    assertIssues({
      nodes: [pass("a"), pass("b")],
      connections: [{ from: "a.out", to: "b.in" }, { from: "b.out", to: "a.in" }, { from: "a.nope", to: "b.in" }],
    }, [
      ["connections[2].from", 'node "a" (test.pass) has no output port "nope"; outputs: out'],
      [
        "connections[2].to",
        'input port "b.in" is already fed by connections[0]; an input takes one connection (use flow.merge to combine)',
      ],
      ["connections", "cycle: a -> b -> a"],
    ]);
  });
});

Deno.test("validateWorkflow: workflow outputs", async (t) => {
  await t.step("outputs pointing to unknown nodes, ports or inputs", () => {
    assertIssues({
      inputs: { x: {} },
      nodes: [log("a")],
      connections: [],
      outputs: { o1: "b.message", o2: "a.msg", o3: "$inputs.y", o4: "a.message", o5: "$inputs.x", o6: "a.toString" },
    }, [
      ["outputs.o1", 'unknown node "b"'],
      ["outputs.o2", 'node "a" (debug.log) has no output port "msg"; outputs: message'],
      ["outputs.o3", 'unknown workflow input "y"; declared: x'],
      ["outputs.o6", 'node "a" (debug.log) has no output port "toString"; outputs: message'],
    ]);
  });

  await t.step("malformed outputs are reported once, by the schema", () => {
    assertIssues({
      nodes: [log("a")],
      connections: [],
      outputs: { o1: "a", o2: 5, o3: "a.message.x" },
    }, [
      ["outputs.o1", 'expected "nodeId.port" or "$inputs.NAME"; got "a"'],
      ["outputs.o2", "expected string; got 5"],
      ["outputs.o3", 'expected "nodeId.port" or "$inputs.NAME"; got "a.message.x"'],
    ]);
    assertIssues({ nodes: [], connections: [], outputs: [] }, [["outputs", "expected record; got []"]]);
  });

  await t.step("valid outputs compile to node and input sources in file order", () => {
    const c = validateWorkflow({
      inputs: { x: { type: "number", default: 1 } },
      nodes: [log("a"), log("b")],
      connections: [],
      outputs: { fromB: "b.message", x: "$inputs.x", fromA: "a.message" },
    }, registry());
    assert.deepEqual(c.outputs, [
      { name: "fromB", source: { kind: "node", node: 1, port: "message" } },
      { name: "x", source: { kind: "input", name: "x" } },
      { name: "fromA", source: { kind: "node", node: 0, port: "message" } },
    ]);
  });
});

Deno.test("validateWorkflow: several errors in one file are all reported together", async (t) => {
  await t.step("from the schema, the registry, the wiring and the graph", () => {
    const err = assertIssues({
      id: "bad flow",
      inputs: { url: { type: "string" } },
      nodes: [
        { id: "fetch", type: "http.request", config: { method: "FETCH" }, retry: { maxAttempts: 0 } },
        { id: "parse", type: "transform.jsonparse" },
        { id: "log", type: "debug.log" },
        { id: "log", type: "debug.log", config: { message: "dup" } },
        { id: "a", type: "test.pass" },
        { id: "b", type: "test.pass" },
      ],
      connections: [
        { from: "$inputs.uri", to: "fetch.url" },
        { from: "fetch.body", to: "parse.json" },
        { from: "fetch.bdy", to: "log.message" },
        { from: "a.out", to: "b.in" },
        { from: "b.out", to: "a.in" },
      ],
      outputs: { result: "parse.parsed", missing: "nope.out" },
    }, [
      ["id", 'expected an id matching [A-Za-z_][A-Za-z0-9_-]*; got "bad flow"'],
      ["nodes[0].retry.maxAttempts", "expected >= 1; got 0"],
      // The closest first; transform.csv_parse (issue 25) is within the registry's distance too.
      [
        "nodes[1].type",
        'unknown node type "transform.jsonparse"; did you mean transform.json_parse, transform.csv_parse?',
      ],
      ["nodes[3].id", 'duplicate node id "log" (first used at nodes[2])'],
      ["nodes[0].config.method", `expected one of ${METHODS}; got "FETCH"`],
      ["connections[0].from", 'unknown workflow input "uri"; declared: url'],
      ["connections[2].from", 'node "fetch" (http.request) has no output port "bdy"; outputs: status, headers, body'],
      ["outputs.missing", 'unknown node "nope"'],
      ["connections", "cycle: a -> b -> a"],
    ]);
    assert.equal(err.message.split("\n").length, 9);
    for (const line of err.message.split("\n")) assert.match(line, /^wf\.json: \S+: \S/);
  });

  await t.step("a workflow parsed from text reports its problems with the file name", () => {
    const text = JSON.stringify({
      nodes: [{ id: "f", type: "http.reqest" }, { id: "l", type: "debug.log" }],
      connections: [{ from: "f.body", to: "l.msg" }],
    });
    const err = invalid(parseWorkflowText(text, "flows/x.json"), registry(), { file: "flows/x.json" });
    assert.equal(
      err.message,
      [
        'flows/x.json: nodes[0].type: unknown node type "http.reqest"; did you mean http.request?',
        'flows/x.json: connections[0].to: node "l" (debug.log) has no input port "msg"; inputs: message',
        'flows/x.json: nodes[1]: required input "message" of "l" (debug.log) is not connected and has no config value',
      ].join("\n"),
    );
  });
});

Deno.test("validateWorkflow: large workflows", async (t) => {
  await t.step("a 100k-node chain validates in seconds", () => {
    const n = 100_000;
    const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: "test.pass" }));
    // Written backwards: each node feeds the one before it in the file.
    const connections = Array.from({ length: n - 1 }, (_, i) => ({ from: `n${i + 1}.out`, to: `n${i}.in` }));
    const t0 = performance.now();
    const c = validateWorkflow({ nodes, connections }, registry());
    assert.ok(performance.now() - t0 < 10_000);
    assert.equal(c.order[0], n - 1);
    assert.equal(c.order[n - 1], 0);
    assert.equal(c.nodes[0].upstreamCount, 1);
  });

  await t.step("a 100k-node cycle is reported", () => {
    const n = 100_000;
    const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: "test.pass" }));
    const connections = Array.from({ length: n }, (_, i) => ({ from: `n${i}.out`, to: `n${(i + 1) % n}.in` }));
    const err = invalid({ nodes, connections });
    assert.equal(err.issues.length, 1);
    assert.match(err.issues[0].message, /^cycle: n0 -> n1 -> n2 -> .* -> n99999 -> n0$/);
  });
});

Deno.test("resolveInputs", async (t) => {
  const compiled = validateWorkflow(
    {
      inputs: {
        count: { type: "number" },
        verbose: { type: "boolean", default: false },
        options: { type: "object", required: false },
        tags: { type: "array", required: false },
        name: { type: "string", default: "world" },
        raw: {},
        anyTyped: { type: "any", required: false },
      },
      nodes: [],
      connections: [],
    },
    registry(),
    { file: "in.json" },
  );

  /** The WorkflowValidationError resolveInputs throws. */
  function rejected(given: Record<string, unknown>, c: CompiledWorkflow = compiled): WorkflowValidationError {
    try {
      resolveInputs(c, given);
    } catch (err) {
      if (err instanceof WorkflowValidationError) return err;
      throw err;
    }
    assert.fail("expected resolveInputs to throw");
  }

  await t.step("defaults apply; optional inputs without a value are left out", () => {
    assert.deepEqual(resolveInputs(compiled, { count: 1, raw: "r" }), {
      count: 1,
      verbose: false,
      name: "world",
      raw: "r",
    });
  });

  await t.step("a given value overrides the default", () => {
    const v = resolveInputs(compiled, { count: 1, raw: 0, verbose: true, name: "flow" });
    assert.equal(v.verbose, true);
    assert.equal(v.name, "flow");
  });

  await t.step("strings from the command line are converted to the declared type", () => {
    assert.deepEqual(
      resolveInputs(compiled, {
        count: "42",
        verbose: "true",
        options: '{"deep": {"a": [1, 2]}}',
        tags: '["a", "b"]',
        name: "123",
        raw: "true",
        anyTyped: "{}",
      }),
      {
        count: 42,
        verbose: true,
        options: { deep: { a: [1, 2] } },
        tags: ["a", "b"],
        name: "123",
        raw: "true",
        anyTyped: "{}",
      },
    );
  });

  await t.step("number strings", () => {
    const count = (s: string) => resolveInputs(compiled, { count: s, raw: 1 }).count;
    assert.equal(count("0"), 0);
    assert.equal(count("-3"), -3);
    assert.equal(count(" 1.5 "), 1.5);
    assert.equal(count("1e3"), 1000);
  });

  await t.step("boolean strings: only true and false", () => {
    assert.equal(resolveInputs(compiled, { count: 1, raw: 1, verbose: "false" }).verbose, false);
    for (const s of ["TRUE", "1", "yes", ""]) {
      assert.deepEqual(rejected({ count: 1, raw: 1, verbose: s }).issues, [
        { path: "inputs.verbose", message: `expected boolean; got ${JSON.stringify(s)}` },
      ]);
    }
  });

  await t.step("values that cannot be converted", () => {
    const err = rejected({ count: "abc", raw: 1, options: "{bad json", tags: '{"not": "an array"}' });
    assert.deepEqual(err.issues, [
      { path: "inputs.count", message: 'expected number; got "abc"' },
      { path: "inputs.options", message: 'expected object; got "{bad json"' },
      { path: "inputs.tags", message: 'expected array; got {"not":"an array"}' },
    ]);
    assert.equal(
      err.message,
      [
        'in.json: inputs.count: expected number; got "abc"',
        'in.json: inputs.options: expected object; got "{bad json"',
        'in.json: inputs.tags: expected array; got {"not":"an array"}',
      ].join("\n"),
    );
    for (const s of ["", "  ", "Infinity", "NaN", "1,5", "12px"]) {
      assert.deepEqual(rejected({ count: s, raw: 1 }).issues, [
        { path: "inputs.count", message: `expected number; got ${JSON.stringify(s)}` },
      ], s);
    }
    assert.deepEqual(rejected({ count: 1, raw: 1, options: "[1]" }).issues, [
      { path: "inputs.options", message: "expected object; got [1]" },
    ]);
    assert.deepEqual(rejected({ count: 1, raw: 1, options: "null" }).issues, [
      { path: "inputs.options", message: "expected object; got null" },
    ]);
  });

  await t.step("typed values (from --input-json) are checked, not converted", () => {
    assert.deepEqual(
      resolveInputs(compiled, { count: 7, raw: null, options: { a: 1 }, tags: [], verbose: true }),
      { count: 7, raw: null, options: { a: 1 }, tags: [], verbose: true, name: "world" },
    );
    assert.deepEqual(rejected({ count: true, raw: 1, name: 5, options: [], tags: {} }).issues, [
      { path: "inputs.count", message: "expected number; got true" },
      { path: "inputs.options", message: "expected object; got []" },
      { path: "inputs.tags", message: "expected array; got {}" },
      { path: "inputs.name", message: "expected string; got 5" },
    ]);
  });

  await t.step("required inputs without a value", () => {
    const err = rejected({});
    assert.deepEqual(err.issues, [
      { path: "inputs.count", message: "required input has no value and no default; pass --input count=..." },
      { path: "inputs.raw", message: "required input has no value and no default; pass --input raw=..." },
    ]);
    assert.equal(
      err.message,
      "in.json: inputs.count: required input has no value and no default; pass --input count=...\n" +
        "in.json: inputs.raw: required input has no value and no default; pass --input raw=...",
    );
    assert.deepEqual(rejected({ count: undefined, raw: 1 }).issues, [
      { path: "inputs.count", message: "required input has no value and no default; pass --input count=..." },
    ]);
  });

  await t.step("unknown inputs are reported with the declared names", () => {
    assert.deepEqual(rejected({ count: 1, raw: 1, cout: 2 }).issues, [
      { path: "inputs.cout", message: "unknown input; declared: count, verbose, options, tags, name, raw, anyTyped" },
    ]);
  });

  await t.step("Object.prototype member names are unknown inputs", () => {
    assert.deepEqual(rejected({ count: 1, raw: 1, constructor: "x", toString: "y" }).issues, [
      {
        path: "inputs.constructor",
        message: "unknown input; declared: count, verbose, options, tags, name, raw, anyTyped",
      },
      {
        path: "inputs.toString",
        message: "unknown input; declared: count, verbose, options, tags, name, raw, anyTyped",
      },
    ]);
  });

  await t.step("a workflow without inputs", () => {
    const none = validateWorkflow({ nodes: [], connections: [] }, registry());
    assert.deepEqual(resolveInputs(none, {}), {});
    const err = rejected({ x: "1" }, none);
    assert.deepEqual(err.issues, [{ path: "inputs.x", message: "unknown input; the workflow declares no inputs" }]);
    assert.equal(err.message, "inputs.x: unknown input; the workflow declares no inputs");
  });

  await t.step("every problem is reported at once", () => {
    const err = rejected({ verbose: "maybe", extra: 1 });
    assert.deepEqual(err.issues.map((i) => i.path), ["inputs.extra", "inputs.count", "inputs.verbose", "inputs.raw"]);
  });

  await t.step("resolved values feed $inputs connections at run time", async () => {
    const c = validateWorkflow({
      inputs: { n: { type: "number" } },
      nodes: [{ id: "l", type: "debug.log" }],
      connections: [{ from: "$inputs.n", to: "l.message" }],
      outputs: { n: "l.message", direct: "$inputs.n" },
    }, testRegistry().registry);
    const result = await runWorkflow(c, { inputs: resolveInputs(c, { n: "12" }) });
    assert.equal(result.status, "success");
    assert.deepEqual(result.outputs, { n: 12, direct: 12 });
  });
});
