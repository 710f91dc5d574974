import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import { builtinRegistry, compileExpression, defineNode, validateWorkflow } from "../mod.ts";
import { parseTemplate } from "../src/expressions/expressions.ts";
import { ofType, runCli, runObject, testRegistry, validationIssues, writeWorkflow } from "./helpers.ts";

/** A workflow with one transform.set node whose value is `value`; output `v`. */
const setWorkflow = (value: unknown, extra: Record<string, unknown> = {}) => ({
  nodes: [{ id: "s", type: "transform.set", config: { value } }],
  connections: [],
  outputs: { v: "s.value" },
  ...extra,
});

Deno.test("templates see $inputs, $node, $env and $execution", async (t) => {
  const env: Record<string, string> = { VISIBLE: "seen", HIDDEN: "must not be seen" };
  const workflow = {
    id: "scopes",
    inputs: { a: { type: "number" }, o: { type: "object" }, opt: { type: "string", required: false } },
    nodes: [
      { id: "src", type: "test.noop", config: { in: { x: 1 } } },
      {
        id: "s",
        type: "transform.set",
        config: {
          constant: 5,
          value: {
            a: "{{ $inputs.a }}",
            o: "{{ $inputs.o }}",
            opt: "{{ $inputs.opt }}",
            node: "{{ $node }}",
            nodeX: "{{ $node.n.x }}",
            dollar: "{{ $.n.x }}",
            constant: "{{ $node.constant }}",
            env: "{{ $env }}",
            visible: "{{ $env.VISIBLE }}",
            hidden: "{{ $env.HIDDEN }}",
            execution: "{{ $execution }}",
          },
        },
      },
    ],
    connections: [{ from: "src.out", to: "s.n" }],
    outputs: { v: "s.value" },
    settings: { env: ["VISIBLE"] },
  };
  const before = Date.now();
  const { result, events } = await runObject(workflow, {
    inputs: { a: 3, o: { k: "v" } },
    executionId: "exec-1",
    getEnv: (name) => env[name],
  });
  const after = Date.now();
  assert.equal(result.status, "success", JSON.stringify(result.error));
  const v = result.outputs.v as Record<string, unknown>;
  const execution = v.execution as { id: string; workflowId: string; startedAt: string };
  await t.step("$inputs: the workflow inputs; an input without a value has none", () => {
    assert.equal(v.a, 3);
    assert.deepEqual(v.o, { k: "v" });
    assert.ok(!("opt" in v));
  });
  await t.step("$node and $: only the connected inputs, by port; config constants are not in it", () => {
    assert.deepEqual(v.node, { n: { x: 1 } });
    assert.equal(v.nodeX, 1);
    assert.equal(v.dollar, 1);
    assert.ok(!("constant" in v));
  });
  await t.step("$env: only the variables listed in settings.env", () => {
    assert.deepEqual(v.env, { VISIBLE: "seen" });
    assert.equal(v.visible, "seen");
    assert.ok(!("hidden" in v), "an undeclared variable has no value even though it is set");
  });
  await t.step("$execution: id, workflowId and startedAt", () => {
    assert.deepEqual(Object.keys(execution).sort(), ["id", "startedAt", "workflowId"]);
    assert.equal(execution.id, "exec-1");
    assert.equal(execution.workflowId, "scopes");
    assert.match(execution.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const started = Date.parse(execution.startedAt);
    assert.ok(started >= before - 1 && started <= after + 1, `${execution.startedAt} is within the run`);
    assert.equal(events[0].executionId, "exec-1");
  });
});

Deno.test("$env with the default getEnv reads the process environment, declared names only", async () => {
  const { result } = await runObject(
    setWorkflow({ path: "{{ $env.PATH }}", home: "{{ $env.HOME }}" }, { settings: { env: ["PATH"] } }),
  );
  assert.deepEqual(result.outputs.v, { path: Deno.env.get("PATH") });
});

Deno.test("$inputs and $execution in a sub-workflow are the sub-workflow's own", async () => {
  const { result } = await runObject({
    id: "parent",
    inputs: { who: { type: "string" } },
    nodes: [{
      id: "sub",
      type: "flow.subworkflow",
      config: {
        who: "child input",
        workflow: {
          id: "child",
          inputs: { who: { type: "string" } },
          nodes: [{
            id: "s",
            type: "transform.set",
            config: { value: "{{ $inputs.who }} in {{ $execution.workflowId }}" },
          }],
          connections: [],
          outputs: { v: "s.value" },
        },
      },
    }],
    connections: [],
    outputs: { v: "sub.v" },
  }, { inputs: { who: "parent input" } });
  assert.deepEqual(result.outputs, { v: "child input in child" });
});

Deno.test("secrets are readable in $env; nodes get the real value, reports get ***", async () => {
  let received: unknown;
  const { registry } = testRegistry();
  registry.register(defineNode({
    type: "test.capture",
    description: "remembers its input",
    inputs: { in: { type: "any" } },
    outputs: { out: { type: "any" } },
    run({ inputs }) {
      received = inputs.in;
      return { out: inputs.in };
    },
  }));
  const { result, events } = await runObject({
    nodes: [{ id: "c", type: "test.capture", config: { in: "token={{ $env.TOKEN }}" } }],
    connections: [],
    outputs: { v: "c.out" },
    settings: { secrets: ["TOKEN"] },
  }, { registry, getEnv: (name) => name === "TOKEN" ? "t0p-s3cret" : undefined });
  assert.equal(received, "token=t0p-s3cret");
  assert.deepEqual(result.outputs, { v: "token=***" });
  assert.ok(!JSON.stringify(events).includes("t0p-s3cret"));
});

Deno.test("template typing: one whole template keeps its type, anything else is text", async (t) => {
  const cases: [string, unknown, unknown][] = [
    ["a number", "{{ 40 + 2 }}", 42],
    ["a string", "{{ 'text' }}", "text"],
    ["a boolean", "{{ 1 = 1 }}", true],
    ["false", "{{ false }}", false],
    ["an object", "{{ {'a': 1, 'b': [true]} }}", { a: 1, b: [true] }],
    ["an array", "{{ [1, 'x'] }}", [1, "x"]],
    ["a JSONata sequence becomes an array", "{{ $inputs.list.v }}", [1, 2]],
    ["text around a template", " {{ 42 }}", " 42"],
    [
      "several templates are joined, non-strings as compact JSON",
      "n={{ 1.5 }} b={{ false }} o={{ {'a': [1]} }} a={{ [1, 'x'] }} s={{ 'str' }}",
      'n=1.5 b=false o={"a":[1]} a=[1,"x"] s=str',
    ],
    ["null and no value become empty text", "a{{ null }}b{{ $inputs.nothing }}c", "abc"],
    ["two templates and nothing else are still text", "{{ 1 }}{{ 2 }}", "12"],
    ["an object constructor ending in }}", "obj {{ {'a': {'b': 1}} }}", 'obj {"a":{"b":1}}'],
    ["a literal {{ written as an expression", "{{ '{{' }} x", "{{ x"],
  ];
  for (const [name, template, expected] of cases) {
    await t.step(`${name}: ${template}`, async () => {
      const { result } = await runObject(
        setWorkflow({ x: template }, { inputs: { list: { type: "array" } } }),
        { inputs: { list: [{ v: 1 }, { v: 2 }] } },
      );
      assert.equal(result.status, "success", JSON.stringify(result.error));
      assert.deepEqual(result.outputs.v, { x: expected });
    });
  }
  await t.step("a single template with null keeps null; with no value the key goes (null in an array)", async () => {
    const { result } = await runObject(setWorkflow({
      isNull: "{{ null }}",
      missing: "{{ $inputs.nothing }}",
      list: ["{{ $inputs.nothing }}", "{{ null }}", "{{ 1 }}"],
    }));
    assert.deepEqual(result.outputs.v, { isNull: null, list: [null, null, 1] });
  });
  await t.step("a whole config value with no value: null for transform.set, CONFIG for a required key", async () => {
    const { result } = await runObject(setWorkflow("{{ $inputs.nothing }}"));
    assert.equal(result.status, "success");
    assert.equal(result.outputs.v, null);
    const delay = await runObject({
      nodes: [{ id: "d", type: "time.delay", config: { ms: "{{ $inputs.nothing }}" } }],
      connections: [],
    });
    assert.equal(delay.result.error?.code, "CONFIG");
    assert.match(delay.result.error!.message, /^nodes\[0\]\.config\.ms: required/);
  });
});

Deno.test("templates are evaluated at any depth of config objects and arrays", async () => {
  const { result } = await runObject(
    setWorkflow({
      a: { b: ["x {{ $inputs.n }}", { c: "{{ $inputs.n * 2 }}", d: ["{{ [$inputs.n] }}", "plain"] }] },
      "key with spaces": "{{ $inputs.n }}",
      untouched: { n: 1, t: true, nul: null, s: "no template" },
    }, { inputs: { n: { type: "number" } } }),
    { inputs: { n: 4 } },
  );
  assert.deepEqual(result.outputs.v, {
    a: { b: ["x 4", { c: 8, d: [[4], "plain"] }] },
    "key with spaces": 4,
    untouched: { n: 1, t: true, nul: null, s: "no template" },
  });
});

Deno.test("templates in input-port constants (http.request url, headers, query)", async (t) => {
  const server = startDemoServer();
  try {
    const wf = (config: Record<string, unknown>) => ({
      inputs: { base: { type: "string" }, id: { type: "number" } },
      nodes: [{ id: "r", type: "http.request", config }, { id: "p", type: "transform.json_parse" }],
      connections: [{ from: "r.body", to: "p.json" }],
      outputs: { body: "p.parsed" },
    });
    await t.step("url built from inputs", async () => {
      const { result } = await runObject(wf({ url: "{{ $inputs.base }}/users/{{ $inputs.id }}" }), {
        inputs: { base: server.url, id: 7 },
      });
      assert.equal(result.status, "success", JSON.stringify(result.error));
      assert.deepEqual(result.outputs.body, { id: 7, name: "user 7", email: "user7@example.test" });
    });
    await t.step("headers and query values; a typed single template in query keeps its number", async () => {
      const { result } = await runObject(
        wf({
          url: "{{ $inputs.base }}/echo",
          method: "POST",
          headers: { "x-user": "user-{{ $inputs.id }}" },
          query: { id: "{{ $inputs.id }}" },
          body: { id: "{{ $inputs.id }}" },
        }),
        { inputs: { base: server.url, id: 7 } },
      );
      assert.equal(result.status, "success", JSON.stringify(result.error));
      const echo = result.outputs.body as { method: string; body: string; headers: Record<string, string> };
      assert.equal(echo.method, "POST");
      assert.equal(echo.headers["x-user"], "user-7");
      assert.equal(echo.body, '{"id":7}');
      assert.equal(server.hits.get("/echo"), 1);
    });
    await t.step("a value that only fails the schema after evaluation fails with CONFIG", async () => {
      const { result } = await runObject(
        wf({ url: "{{ $inputs.base }}/echo", headers: { "x-user": "{{ $inputs.id }}" } }),
        { inputs: { base: server.url, id: 7 } },
      );
      assert.deepEqual(result.error, {
        message: "nodes[0].config.headers.x-user: expected string; got 7",
        code: "CONFIG",
        nodeId: "r",
      });
    });
    await t.step("a connection still wins over a templated constant", async () => {
      const { result } = await runObject({
        inputs: { url: { type: "string" } },
        nodes: [{ id: "r", type: "http.request", config: { url: "{{ 'http://127.0.0.1:1/unused' }}" } }],
        connections: [{ from: "$inputs.url", to: "r.url" }],
        outputs: { status: "r.status" },
      }, { inputs: { url: `${server.url}/zen.json` } });
      assert.deepEqual(result.outputs, { status: 200 });
    });
  } finally {
    await server.close();
  }
});

Deno.test("template syntax errors are validation errors with the path and the position", async (t) => {
  const registry = builtinRegistry();
  await t.step("every bad template is reported at once", () => {
    const issues = validationIssues(() =>
      validateWorkflow({
        nodes: [
          { id: "a", type: "transform.set", config: { value: "{{ $inputs. }}" } },
          { id: "b", type: "transform.set", config: { value: { list: ["ok", "ab {{ 1 + "] } } },
          { id: "c", type: "transform.set", config: { value: "x {{ }}" } },
          { id: "d", type: "transform.set", config: { value: "fine {{ 1 }} then {{ $inputs.a + }}" } },
          { id: "e", type: "http.request", config: { url: "http://x/{{ ) }}" } },
        ],
        connections: [],
      }, registry)
    );
    assert.deepEqual(issues, [
      "nodes[0].config.value: {{ $inputs. }}: syntax error at position 8: Unexpected end of expression",
      'nodes[1].config.value.list[1]: ab {{ 1 + : "{{" at position 4 is never closed by "}}"',
      "nodes[2].config.value: x {{ }}: empty {{ }} at position 3",
      "nodes[3].config.value: {{ $inputs.a + }}: syntax error at position 11: Unexpected end of expression",
      `nodes[4].config.url: {{ ) }}: syntax error at position 1: The symbol ")" cannot be used as a unary operator`,
    ]);
  });
  await t.step("expression fields report the expression and the position", () => {
    const issues = validationIssues(() =>
      validateWorkflow({
        nodes: [
          { id: "i", type: "control.if", config: { condition: "$value >", value: 1 } },
          { id: "m", type: "transform.map", config: { expression: "{{ $item * }}", items: [] } },
        ],
        connections: [],
      }, registry)
    );
    assert.equal(issues.length, 2);
    assert.match(
      issues[0],
      /^nodes\[0\]\.config\.condition: "\$value >": syntax error at position 8: Unexpected end of expression/,
    );
    assert.match(
      issues[1],
      /^nodes\[1\]\.config\.expression: "\{\{ \$item \* \}\}": syntax error at position 7: Unexpected end/,
    );
  });
  await t.step("inline sub-workflow templates are checked too, under the node's path", () => {
    const issues = validationIssues(() =>
      validateWorkflow({
        nodes: [{
          id: "sub",
          type: "flow.subworkflow",
          config: {
            workflow: {
              nodes: [{ id: "s", type: "transform.set", config: { value: "{{ 1 + }}" } }],
              connections: [],
            },
          },
        }],
        connections: [],
      }, registry)
    );
    assert.deepEqual(issues, [
      "nodes[0].config.workflow.nodes[0].config.value: {{ 1 + }}: syntax error at position 3: Unexpected end of expression",
    ]);
  });
  await t.step("flow validate prints FILE: PATH: MESSAGE and exits 2", async () => {
    const file = await writeWorkflow(setWorkflow("{{ $inputs. }}"));
    const r = await runCli(["validate", file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `${file}: nodes[0].config.value: {{ $inputs. }}: syntax error at position 8: Unexpected end of expression\n`,
    );
  });
});

Deno.test("a template that fails at run time fails the node with EXPRESSION, the path and no retry", async (t) => {
  await t.step("an evaluation error", async () => {
    const { result, events } = await runObject({
      nodes: [{
        id: "s",
        type: "transform.set",
        config: { value: { deep: ["ok", "{{ 1 + 'a' }}"] } },
        retry: { maxAttempts: 3, delayMs: 1 },
      }],
      connections: [],
    });
    assert.equal(result.status, "failed");
    assert.deepEqual(result.error, {
      message:
        `nodes[0].config.value.deep[1]: {{ 1 + 'a' }}: The right side of the "+" operator must evaluate to a number (at position 3)`,
      code: "EXPRESSION",
      nodeId: "s",
    });
    assert.equal(ofType(events, "node.started").length, 1, "not retried");
  });
  await t.step("$error() fails on purpose", async () => {
    const { result } = await runObject(setWorkflow("{{ $error('no way') }}"));
    assert.deepEqual(result.error, {
      message: "nodes[0].config.value: {{ $error('no way') }}: no way (at position 7)",
      code: "EXPRESSION",
      nodeId: "s",
    });
  });
  await t.step("returning a function", async () => {
    const { result } = await runObject(setWorkflow("{{ $uppercase }}"));
    assert.deepEqual(result.error, {
      message: "nodes[0].config.value: {{ $uppercase }}: the expression returned a function, not a value",
      code: "EXPRESSION",
      nodeId: "s",
    });
  });
  await t.step("in a sub-workflow the path is the sub-workflow's", async () => {
    const { result, events } = await runObject({
      nodes: [{
        id: "sub",
        type: "flow.subworkflow",
        config: {
          workflow: {
            nodes: [{ id: "x", type: "transform.set", config: { value: "{{ 1 + 'a' }}" } }],
            connections: [],
          },
        },
      }],
      connections: [],
    });
    const failed = ofType(events, "node.failed").find((e) => e.parentNodeId === "sub")!;
    assert.equal(failed.error.code, "EXPRESSION");
    assert.match(failed.error.message, /^nodes\[0\]\.config\.value: \{\{ 1 \+ 'a' \}\}: The right side/);
    assert.equal(result.error?.code, "EXPRESSION");
    assert.match(result.error!.message, /^sub-workflow failed: nodes\[0\]\.config\.value: /);
  });
});

Deno.test("a config that fails its schema only after evaluation fails with CONFIG, not retried", async () => {
  const { result, events } = await runObject({
    nodes: [{ id: "d", type: "time.delay", config: { ms: "{{ 'soon' }}" }, retry: { maxAttempts: 3, delayMs: 1 } }],
    connections: [],
  });
  assert.deepEqual(result.error, {
    message: 'nodes[0].config.ms: expected number; got "soon"',
    code: "CONFIG",
    nodeId: "d",
  });
  assert.equal(ofType(events, "node.started").length, 1);
});

Deno.test("an evaluated constant of the wrong port type fails with INPUT_TYPE", async () => {
  const { result } = await runObject({
    nodes: [{ id: "p", type: "transform.json_parse", config: { json: "{{ 5 }}" } }],
    connections: [],
  });
  assert.deepEqual(result.error, {
    message: 'input "json": expected string; got 5 (config.json)',
    code: "INPUT_TYPE",
    nodeId: "p",
  });
});

Deno.test("expression limits: runaway expressions end with an error instead of hanging", async (t) => {
  await t.step("infinite recursion hits the time limit", async () => {
    const { result } = await runObject(setWorkflow("{{ ($f := function($x) { $f($x) }; $f(1)) }}"));
    assert.equal(result.error?.code, "EXPRESSION");
    assert.match(
      result.error!.message,
      /^nodes\[0\]\.config\.value: .*: Evaluation timeout after 1000 milliseconds\. Check for infinite loop/,
    );
    assert.ok(result.durationMs < 20_000, `took ${result.durationMs} ms`);
  });
  await t.step("deep non-tail recursion hits the stack limit", async () => {
    const { result } = await runObject(
      setWorkflow("{{ ($f := function($x) { $x > 1e9 ? 0 : 1 + $f($x + 1) }; $f(1)) }}"),
    );
    assert.equal(result.error?.code, "EXPRESSION");
    assert.match(result.error!.message, /Stack overflow\. Check for non-terminating recursive function/);
  });
  await t.step("a huge sequence hits the sequence limit", async () => {
    const { result } = await runObject(setWorkflow("{{ $count($map([1..2000000], function($v) { $v })) }}"));
    assert.equal(result.error?.code, "EXPRESSION");
    assert.match(result.error!.message, /The maximum sequence length of 2000000 was exceeded/);
  });
  await t.step("expression fields have the same limits", async () => {
    const e = compileExpression("($f := function($x) { $f($x) }; $f(1))");
    await assert.rejects(e.evaluate({}), /Evaluation timeout after 1000 milliseconds/);
  });
  await t.step("other nodes keep running after a timed-out expression", async () => {
    const { result } = await runObject({
      nodes: [
        { id: "bad", type: "transform.set", config: { value: "{{ ($f := function($x) { $f($x) }; $f(1)) }}" } },
        { id: "good", type: "test.noop", config: { in: "ok" } },
      ],
      connections: [],
      outputs: { good: "good.out" },
      settings: { onError: "continue" },
    });
    assert.deepEqual(result.outputs, { good: "ok" });
    assert.equal(result.error?.nodeId, "bad");
  });
});

Deno.test("expressions cannot reach the runtime", async (t) => {
  const nothing = [
    "Deno",
    "$Deno",
    "globalThis",
    "$globalThis",
    "$process",
    "$eval('Deno')",
    "$eval('globalThis')",
    "constructor",
    "$.constructor",
    "$.__proto__",
    "$string.constructor",
    "$lookup($, 'constructor')",
    "$lookup($inputs, '__proto__')",
    "$inputs.constructor",
    "$$.constructor.constructor('return Deno')()",
  ];
  for (const source of nothing) {
    await t.step(`${source} has no value`, async () => {
      assert.equal(await compileExpression(source).evaluate({ a: 1 }, { inputs: { x: 1 } }), undefined);
    });
  }
  const errors: [string, RegExp][] = [
    ["$string.constructor('return Deno')()", /Attempted to invoke a non-function/],
    ["$require('fs')", /Attempted to invoke a non-function/],
    ["$fetch('http://127.0.0.1:1/')", /Attempted to invoke a non-function/],
    ["$import('data:text/javascript,1')", /Attempted to invoke a non-function/],
    ["$eval('$eval')", /the expression returned a function, not a value/],
  ];
  for (const [source, error] of errors) {
    await t.step(`${source} fails`, async () => {
      await assert.rejects(compileExpression(source).evaluate({ a: 1 }), error);
    });
  }
  await t.step("$eval evaluates JSONata only, with the same scope", async () => {
    assert.equal(await compileExpression("$eval('1 + 1')").evaluate({}), 2);
    assert.equal(await compileExpression("$eval('$inputs.x')").evaluate({}, { inputs: { x: 5 } }), 5);
  });
  await t.step("an object with a __proto__ key does not pollute prototypes", async () => {
    await compileExpression("$merge([{}, {'__proto__': {'polluted': 1}}])").evaluate({});
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  await t.step("a template cannot read undeclared environment variables through any path", async () => {
    const { result } = await runObject(
      setWorkflow({ a: "{{ $env.HOME }}", b: "{{ $lookup($env, 'HOME') }}", c: "{{ $keys($env) }}" }),
      { getEnv: () => "leak" },
    );
    assert.deepEqual(result.outputs.v, {});
  });
});

Deno.test("an expression is compiled once per source", async (t) => {
  await t.step("compileExpression returns the same object for the same source", () => {
    const a = compileExpression("$inputs.a + 1");
    assert.equal(compileExpression("$inputs.a + 1"), a);
    assert.notEqual(compileExpression("$inputs.a + 2"), a);
    assert.equal(a.source, "$inputs.a + 1");
  });
  await t.step("templates share compiled expressions with each other and with expression fields", () => {
    const t1 = parseTemplate("x {{ $inputs.a + 1 }}")!;
    const t2 = parseTemplate("{{  $inputs.a + 1  }}")!;
    assert.equal(t1.parts[1], t2.parts[0]);
    assert.equal(t1.parts[1], compileExpression("$inputs.a + 1"));
  });
  await t.step("validating a workflow twice reuses the compiled templates", () => {
    const wf = setWorkflow("{{ $inputs.zz + 123 }}");
    const first = validateWorkflow(wf, builtinRegistry()).nodes[0].templates[0].template.parts[0];
    const second = validateWorkflow(wf, builtinRegistry()).nodes[0].templates[0].template.parts[0];
    assert.equal(first, second);
    assert.equal(first, compileExpression("$inputs.zz + 123"));
  });
  await t.step("a compiled expression evaluates again with new bindings", async () => {
    const e = compileExpression("$inputs.a * 2");
    assert.equal(await e.evaluate({}, { inputs: { a: 2 } }), 4);
    assert.equal(await e.evaluate({}, { inputs: { a: 5 } }), 10);
  });
});

Deno.test("an expression field accepts the bare expression or one {{ }} around it", async (t) => {
  const run = async (node: Record<string, unknown>, outputs: Record<string, string>) =>
    (await runObject({ nodes: [{ id: "n", ...node }], connections: [], outputs })).result;
  await t.step("control.if", async () => {
    for (const condition of ["$value = 5", "{{ $value = 5 }}"]) {
      const r = await run({ type: "control.if", config: { value: 5, condition } }, { t: "n.true", f: "n.false" });
      assert.deepEqual([r.status, r.outputs], ["success", { t: 5 }], condition);
    }
  });
  await t.step("control.switch", async () => {
    for (const condition of ["$value > 1", "{{ $value > 1 }}"]) {
      const r = await run({ type: "control.switch", config: { value: 5, cases: [{ port: "big", condition }] } }, {
        big: "n.big",
      });
      assert.deepEqual([r.status, r.outputs], ["success", { big: 5 }], condition);
    }
  });
  await t.step("transform.map", async () => {
    for (const expression of ["$item * 10 + $index", "{{ $item * 10 + $index }}"]) {
      const r = await run({ type: "transform.map", config: { items: [1, 2], expression } }, { items: "n.items" });
      assert.deepEqual([r.status, r.outputs], ["success", { items: [10, 21] }], expression);
    }
  });
  await t.step("expression fields see the same scope as templates", async () => {
    const { result } = await runObject({
      id: "fields",
      inputs: { limit: { type: "number" } },
      nodes: [{
        id: "n",
        type: "transform.map",
        config: {
          items: [1, 5],
          expression: "$item > $inputs.limit ? $env.LABEL & ' ' & $execution.workflowId : null",
        },
      }],
      connections: [],
      outputs: { items: "n.items" },
      settings: { env: ["LABEL"] },
    }, { inputs: { limit: 2 }, getEnv: (name) => name === "LABEL" ? "big" : undefined });
    assert.deepEqual(result.outputs, { items: [null, "big fields"] });
  });
});

Deno.test("plain paths ($node.body.name, body.name) give exactly what JSONata gives", async () => {
  const node = {
    body: { name: "x", n: 1, ok: false, none: null, nested: { list: [1, [2, 3]], deep: { v: "d" } } },
    items: [{ name: "a" }, { name: "b" }],
    single: [{ name: "only" }],
    empty: {},
  };
  const bindings = { node, inputs: { id: 7, tags: ["t"] }, env: {} };
  const paths = [
    "$node.body.name",
    "$node.body.n",
    "$node.body.ok",
    "$node.body.none",
    "$node.body.nested",
    "$node.body.nested.list",
    "$node.body.nested.deep.v",
    "$node.items.name", // JSONata maps over the array
    "$node.single.name",
    "$node.missing",
    "$node.body.missing.deeper",
    "$node.body.constructor", // not an own property
    "$node.empty",
    "$inputs.id",
    "$inputs.tags",
    "$inputs",
    "$unbound",
    "$string", // a built-in function: JSONata refuses it
    "body.name", // from the input ($node)
    "items.name",
    "body.nested.deep",
  ];
  for (const path of paths) {
    // In parentheses the same expression is not a plain path, so JSONata evaluates it.
    const [fast, slow] = await Promise.allSettled([
      compileExpression(path).evaluate(node, bindings),
      compileExpression(`(${path})`).evaluate(node, bindings),
    ]);
    assert.deepEqual(
      fast.status === "fulfilled" ? { value: fast.value } : { error: (fast.reason as Error).message },
      slow.status === "fulfilled" ? { value: slow.value } : { error: (slow.reason as Error).message },
      path,
    );
  }
});
