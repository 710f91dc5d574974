/**
 * The fast path of expressions against JSONata: generated expressions and
 * data (tests/expression_gen.ts, seeded), and a fixed corpus of the cases
 * where JSONata's sequences are subtle, each evaluated as a template is
 * (`compileExpression(...).evaluateNow`) and with JSONata alone; values and
 * error messages must be identical.
 *
 * `FLOW_EXPR_CASES` sets the number of generated cases (default 5,000; a
 * nightly-sized run: `FLOW_EXPR_CASES=200000 FLOW_EXPR_SEED=$RANDOM deno
 * test -A tests/expressions_fast_test.ts`), `FLOW_EXPR_SEED` the base seed
 * (default 26), and `FLOW_EXPR_REPLAY` replays the one case a failure
 * printed.
 */
import assert from "node:assert/strict";
import jsonata from "jsonata";
import "../src/expressions/eager.ts";
import createFastCompiler from "../src/expressions/fast.ts";
import { compileExpression, evaluateWithJsonata, EXPRESSION_LIMITS } from "../src/expressions/expressions.ts";
import { type Case, generateCase } from "./expression_gen.ts";
import { runObject } from "./helpers.ts";
import { Served, writeFiles } from "./serve_helpers.ts";

const fast = createFastCompiler(jsonata, EXPRESSION_LIMITS)!;

/** What an evaluation gave: a value or an error message. */
type Outcome = { value: unknown } | { error: string };

async function outcome(evaluate: () => unknown): Promise<Outcome> {
  try {
    return { value: await evaluate() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Whether the fast path compiled the expression and answered it by itself. */
function fastAnswer(c: Case): "outside" | "fallback" | "answered" {
  const form = fast.compile(jsonata(c.expression).ast());
  if (!form) return "outside";
  const { input, bindings } = structuredClone({ input: c.input, bindings: c.bindings });
  try {
    return form(input, bindings) === fast.unanswered ? "fallback" : "answered";
  } catch {
    return "answered";
  }
}

/** Both evaluations of a case; undefined when the expression does not compile. */
async function evaluateBoth(c: Case): Promise<{ now: Outcome; reference: Outcome } | undefined> {
  try {
    compileExpression(c.expression);
  } catch {
    return undefined;
  }
  const a = structuredClone({ input: c.input, bindings: c.bindings });
  const b = structuredClone({ input: c.input, bindings: c.bindings });
  const now = await outcome(() => compileExpression(c.expression).evaluateNow(a.input, a.bindings));
  const reference = await outcome(() => evaluateWithJsonata(c.expression, b.input, b.bindings));
  return { now, reference };
}

function describe(c: Case, got: Outcome, want: Outcome): string {
  return [
    `expression: ${c.expression}`,
    `input: ${JSON.stringify(c.input)}`,
    `bindings: ${JSON.stringify(c.bindings)}`,
    `fast path: ${JSON.stringify(got)}`,
    `JSONata:   ${JSON.stringify(want)}`,
  ].join("\n  ");
}

const SEED = Number(Deno.env.get("FLOW_EXPR_SEED") ?? 26);
const CASES = Number(Deno.env.get("FLOW_EXPR_CASES") ?? 5_000);
const REPLAY = Deno.env.get("FLOW_EXPR_REPLAY");

/** The seed of case `i` of base seed `seed`. */
const caseSeed = (seed: number, i: number) => (Math.imul(seed, 2654435761) + i) >>> 0;

Deno.test(`generated expressions: the fast path gives JSONata's values and errors (seed ${SEED})`, async () => {
  const seeds = REPLAY ? [Number(REPLAY)] : Array.from({ length: CASES }, (_, i) => caseSeed(SEED, i));
  const failures: string[] = [];
  const counts = { outside: 0, fallback: 0, answered: 0, syntax: 0 };
  for (const seed of seeds) {
    const c = generateCase(seed);
    const both = await evaluateBoth(c);
    if (!both) {
      counts.syntax++;
      continue;
    }
    counts[fastAnswer(c)]++;
    try {
      assert.deepStrictEqual(both.now, both.reference);
    } catch {
      failures.push(`case FLOW_EXPR_REPLAY=${seed}:\n  ${describe(c, both.now, both.reference)}`);
      if (failures.length >= 5) break;
    }
  }
  const evaluated = counts.outside + counts.fallback + counts.answered;
  console.log(`seed ${SEED}: ${seeds.length} cases, ${JSON.stringify(counts)}`);
  assert.deepEqual(failures, [], `${failures.length} case(s) differ:\n${failures.join("\n")}`);
  if (!REPLAY) {
    assert.ok(counts.answered > evaluated / 2, `the fast path answered only ${counts.answered} of ${evaluated}`);
  }
});

/** Data for the fixed corpus: a webhook body with the shapes where JSONata's sequences are subtle. */
const BODY = {
  body: {
    name: "Ada",
    n: 3,
    price: 0.1,
    flag: false,
    one: [5],
    empty: [],
    matrix: [[1, 2], [3]],
    tags: ["x", "y"],
    items: [
      { a: 1, b: "p", tags: ["t1"] },
      { a: 2, b: "q", tags: ["t2", "t3"] },
      { a: 3, b: "p" },
    ],
    single: [{ a: 7, b: "s" }],
    odd: { _jsonata_lambda: true, a: 1 },
    flagged: { tupleStream: true, a: 1 },
    wrapped: { outerWrapper: true, "0": "zero" },
  },
};

/** Expressions the fast path must answer by itself, each with JSONata's answer. */
const ANSWERED = [
  "$merge([$node.body, {'greeting': 'hello ' & $node.body.name}])",
  "$node.body.one",
  "$node.body.one[0]",
  "$node.body.single.a",
  "$node.body.single[].a",
  "$node.body.items.a",
  "$node.body.items[].a",
  "$node.body.items.tags",
  "$node.body.items[a > 1].b",
  "$node.body.items[0].b",
  "$node.body.items[-1]",
  "$node.body.items[[0, 2]].a",
  "$node.body.matrix",
  "$node.body.matrix[0]",
  "$node.body.matrix.$",
  "$node.body.empty",
  "$node.body.empty.a",
  "$node.missing + 1",
  "$node.missing & 'x'",
  "$node.missing = 1",
  "$node.missing > 1",
  "$node.body.name & $node.body.n & $node.body.flag & null",
  "$string(0.1 + 0.2)",
  "$string(1e21)",
  "$string(-0)",
  "$string({'a': 1.5, 'b': [1, 'x', null]})",
  "'' & 1.23456789012345678",
  "$node.body.price * 3",
  "$count([])",
  "$count($node.missing)",
  "$sum([])",
  "$max([])",
  "$average($node.body.items.a)",
  "$map([1, 2, 3], function($v, $i, $a){ $v * $i + $count($a) })",
  "$filter($node.body.items, function($v){ $v.a > 1 }).b",
  "$map([1, 2], function($v){ $string() })",
  "$map($node.body.matrix, function($v){ $v })",
  "$map([1, 2], function($v){ $filter([1, 2, 3], function($x){ $x > 5 }) })",
  "$reduce([1, 2, 3], function($a, $b){ $a + $b }, 10)",
  "$sort(['b', 'a', 'c'])",
  "$sort($node.body.items, function($l, $r){ $l.a < $r.a }).a",
  "$each({'a': 1, 'b': 2}, function($v, $k){ $k & '=' & $v })",
  "$sift({'a': 1, 'b': 0, 'c': ''}, function($v){ $v })",
  "$keys($node.body.items)",
  "$lookup($node.body.items, 'a')",
  "$split('a,b,,c', ',')",
  "$split('abc', '')",
  "$split('a,b,c', ',', 2)",
  "$join(['a', 'b'], '-')",
  "$uppercase($node.body.name) & $lowercase('ÄB')",
  "$replace('a-b-c', '-', '+', 1)",
  "$contains($node.body.name, 'd')",
  "$now() = $now()",
  "$exists($node.body.x) or $type(null) = 'null'",
  "($a := 2; $b := $a * 3; [$a, $b])",
  "$node.body.items{b: a}",
  "$node.body.items.{'id': a, 'label': $uppercase(b)}",
  "$node.body.items{b: $sum(a)}",
  "**.a",
  "$node.body.items.*",
  "$node.body.name ? 'yes' : 'no'",
  "$node.body.missing ?? 'default'",
  "$node.body.empty ?: 'empty'",
  "[1..3]",
  "[3..1]",
  "'a' in ['a', 'b']",
  "$node.body.tags[$ = 'y']",
  "$$.body.n",
  "$.body.n",
  "body.n",
  "$node.body.items.a ~> $sum()",
  "$node.body.odd.a",
  "$string($node.body.odd)",
  "($f := $node.body.flagged; $f[0])",
  "($f := $node.body.flagged; $f[a = 1])",
  "$node.body.wrapped.($)",
  "{'1': 1, 'b': 2, '0': 0}",
  "$node.body.empty{'k': 1}",
  "[[1, 2], [3]][0]",
  "[1, [2, 3], []]",
  "$append([1], [[2]])",
  "$distinct([1, 2, 1, [1], [1]])",
  "$zip([1, 2], ['a', 'b'])",
  "$spread({'a': 1, 'b': 2})",
  "$formatNumber(1234.5, '#,##0.00')",
  "$fromMillis(0)",
  "$round(2.5) + $round(3.5) + $round(-0.5)",
  "$number('0x1F') + $number('1e2')",
  "$boolean([0, ''])",
  "$not([])",
  "1 + 'a'",
  "$string(1/0)",
  "-'a'",
  "{'a': 1, 'a': 2}",
  "$number('x')",
  "$sum(['a'])",
  "'a' < 1",
  "{} < 1",
  "$single([1, 2], function($v){ true })",
  "$node.body.missing[]",
  "$map([1, 2], function($v){ $map([3], function($w){ $string() }) })",
  "$map([1, 2], function($v){ $v > 1 ? $string() : $uppercase('a') })",
  "$filter([1, 2, 3], function($v){ $boolean() })",
  "$sort([3, 1, 2], function($a, $b){ $a > $b })",
  "$reduce([1, 2, 3], function($a, $v){ $append($a, $v) }, [])",
  "$map([[1, 2], [3]], function($v){ $v[] })",
  "($f := 1; $map([1, 2], function($v){ $v + $f }))",
  "$map([1, 2], function($x){ ($y := $x * 2; $y + 1) })",
  "$each($node.body.items[0], function($v, $k){ $k })",
  "$node.body.items.$string()",
  "$node.body.items.$keys()",
  "$node.body.tags.$uppercase()",
  "$node.body.items[b = 'p'][-1].a",
  "$node.body.items[0].tags[0]",
  "$node.body.items.tags[0]",
  "$node.body.items.(a * 2)",
  "$node.body.items.[a, b]",
  "[$node.body.items.a]",
  "$node.body.items[a > 1][]",
];

/** Expressions outside the subset (or where JSONata must answer): the answer still must not change. */
const FALLBACK = [
  "$replace('a-b', /-/, '+')",
  "$match('abc', /b/)",
  "$node.body.items^(>a).b",
  "$node.body.items#$i[$i > 0].a",
  "$node.body.items@$it.$it.a",
  "$eval('1 + 2')",
  "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(10))",
  "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(600))",
  "$node.body ~> |items|{'z': true}|",
  "$string(?)",
  "$uppercase",
  "[1..1000001]",
  "$node.body.flagged{'k': a}",
  `${"(".repeat(150)}1${")".repeat(150)}`,
];

/** The fast path's answer for `expression`, or "fallback" when it left it to JSONata. */
function answeredValue(expression: string, input: unknown, b: Record<string, unknown>): unknown {
  const form = fast.compile(jsonata(expression).ast());
  if (!form) return "fallback";
  const v = form(input, b);
  return v === fast.unanswered ? "fallback" : "answered";
}

Deno.test("fixed corpus: JSONata's sequences, undefined values, number formats and errors, on both paths", async (t) => {
  const bindings = (input: unknown) => ({ node: input, inputs: {}, env: {}, execution: { id: "e" } });
  for (const [name, list, answered] of [["answered", ANSWERED, true], ["left to JSONata", FALLBACK, false]] as const) {
    await t.step(name, async () => {
      for (const expression of list) {
        for (const input of [BODY, [BODY, { body: { n: 1 } }]]) {
          const c: Case = { expression, input, bindings: bindings(input) };
          const both = (await evaluateBoth(c))!;
          assert.deepStrictEqual(both.now, both.reference, describe(c, both.now, both.reference));
        }
        if (answered) {
          const how = answeredValue(expression, structuredClone(BODY), bindings(structuredClone(BODY)));
          const errors = "error" in (await evaluateBoth({ expression, input: BODY, bindings: bindings(BODY) }))!.now;
          // An error is JSONata's to word: the fast path hands those over.
          assert.equal(how, errors ? "fallback" : "answered", `${expression}: the fast path did not answer`);
        }
      }
    });
  }
});

Deno.test("the limits hold on the fast path: time (its own error), sequence length and depth (JSONata's)", async () => {
  const b = { node: {} };
  const slow = "$sum($map([1..100000], function($v){ $sum([1..100000]) }))";
  const form = fast.compile(jsonata(slow).ast());
  assert.ok(form, "the fast path compiles the slow expression");
  const started = performance.now();
  const now = await outcome(() => compileExpression(slow).evaluateNow({}, b));
  const took = performance.now() - started;
  assert.deepEqual(now, {
    error: "Evaluation timeout after 1000 milliseconds. Check for infinite loop (at position 10)",
  });
  assert.ok(took >= 1000 && took < 10_000, `the fast path stopped after ${took} ms`);
  const reference = await outcome(() => evaluateWithJsonata(slow, {}, b));
  assert.deepEqual(now, reference);
  // A million items take a few milliseconds, but a loaded machine (CI beside other jobs) can stretch one
  // evaluation past the time limit: an evaluation that timed out is tried again, up to three times.
  const settled = async (evaluate: () => unknown) => {
    for (let i = 0;; i++) {
      const result = await outcome(evaluate);
      if (i === 2 || !/^Evaluation timeout/.test("error" in result ? result.error : "")) return result;
    }
  };
  for (const expression of ["[1..1000001]", "$count([1..1000000])"]) {
    assert.deepStrictEqual(
      await settled(() => compileExpression(expression).evaluateNow({}, b)),
      await settled(() => evaluateWithJsonata(expression, {}, b)),
    );
  }
});

Deno.test("a template's expression is answered without waiting when the fast path can", async () => {
  const webhook = compileExpression("$merge([$node.body, {'greeting': 'hello ' & $node.body.name}])");
  const b = { node: { body: { name: "x", n: 1 } } };
  const value = webhook.evaluateNow(b.node, b);
  assert.ok(!(value instanceof Promise), "answered synchronously");
  assert.deepEqual(value, { name: "x", n: 1, greeting: "hello x" });
  const regex = compileExpression("$replace($node.body.name, /x/, 'y')").evaluateNow(b.node, b);
  assert.ok(regex instanceof Promise, "a regular expression goes to JSONata");
  assert.equal(await regex, "y");
});

Deno.test("expression nodes answer synchronously where they can and wait for JSONata where they must", async () => {
  const workflow = {
    inputs: { v: { type: "any" }, list: { type: "array" } },
    nodes: [
      {
        id: "route",
        type: "control.switch",
        config: {
          cases: [
            { port: "nine", condition: "$contains($string($value), /^9/)" },
            { port: "big", condition: "$value > 10" },
          ],
        },
      },
      { id: "check", type: "control.if", config: { condition: "$match($string($value), /5/) ? true : false" } },
      {
        id: "names",
        type: "transform.map",
        config: { expression: "$item % 2 = 0 ? $item : $replace($string($item), /1/, 'one')" },
      },
    ],
    connections: [
      { from: "$inputs.v", to: "route.value" },
      { from: "$inputs.v", to: "check.value" },
      { from: "$inputs.list", to: "names.items" },
    ],
    outputs: { nine: "route.nine", big: "route.big", other: "route.default", yes: "check.true", names: "names.items" },
  };
  const run = async (v: number) => (await runObject(workflow, { inputs: { v, list: [1, 2, 3, 11] } })).result;
  const fifty = await run(50);
  assert.equal(fifty.status, "success", JSON.stringify(fifty.error));
  assert.deepEqual(fifty.outputs, { big: 50, yes: 50, names: ["one", 2, "3", "oneone"] });
  assert.deepEqual((await run(95)).outputs, { nine: 95, yes: 95, names: ["one", 2, "3", "oneone"] });
  assert.deepEqual((await run(7)).outputs, { other: 7, names: ["one", 2, "3", "oneone"] });
});

Deno.test("flow serve: a webhook that reshapes its body with one expression answers as JSONata would", async () => {
  const workflow = (id: string, value: string) => ({
    id,
    nodes: [
      { id: "hook", type: "http.webhook", config: { path: id, respond: "node" } },
      { id: "set", type: "transform.set", config: { value } },
      { id: "reply", type: "http.respond" },
    ],
    connections: [{ from: "hook.body", to: "set.body" }, { from: "set.value", to: "reply.body" }],
  });
  const dir = await writeFiles({
    "greet.json": workflow("greet", "{{ $merge([$node.body, {'greeting': 'hello ' & $node.body.name}]) }}"),
    "regex.json": workflow("regex", "{{ $merge([$node.body, {'greeting': $replace($node.body.name, /x/, 'y')}]) }}"),
    "broken.json": workflow("broken", "{{ $node.body.n + 'a' }}"),
  });
  await using server = await Served.start([dir, "--no-history"]);
  const post = { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"x","n":1}' };
  const greet = await server.json("/hooks/greet", post);
  assert.equal(greet.status, 200);
  assert.deepEqual(greet.body, { name: "x", n: 1, greeting: "hello x" });
  assert.equal(greet.headers.get("content-type"), "application/json");
  assert.match(greet.headers.get("x-flow-execution-id") ?? "", /^[0-9a-f-]{36}$/);
  const regex = await server.json("/hooks/regex", post);
  assert.deepEqual(regex.body, { name: "x", n: 1, greeting: "y" }, "JSONata answers what the fast path does not");
  const broken = await server.json("/hooks/broken", post);
  assert.equal(broken.status, 500);
  assert.equal(broken.body.error.code, "EXPRESSION");
  assert.match(broken.body.error.message, /The right side of the "\+" operator must evaluate to a number/);
});
