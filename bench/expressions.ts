/**
 * Expressions: the fast path against JSONata on a fixed set of expressions
 * of the kinds workflows use, over a webhook-like body. For each: the time
 * of one evaluation by JSONata's evaluator (compiled once, awaited; without
 * the conversion of its result to JSON that flow adds) and as flow evaluates
 * it now (`Expression.evaluateNow`, conversion included: a plain path or the
 * fast path, synchronously, or JSONata when the expression is outside the
 * fast path), and which of those answered. Both give the same value
 * (checked before timing).
 *
 * Run: `deno task bench:expressions [--rounds N] [--ms M]` (each figure:
 * the median of N rounds of about M ms each; defaults 5 and 200).
 *
 * @module
 */
import { parseArgs } from "node:util";
import assert from "node:assert/strict";
import jsonata from "jsonata";
import "../src/expressions/eager.ts";
import { compileExpression, evaluateWithJsonata, EXPRESSION_LIMITS } from "../src/expressions/expressions.ts";

/** The fixed set: what workflows mostly write, and one expression outside the fast path. */
const EXPRESSIONS = [
  "$merge([$node.body, {'greeting': 'hello ' & $node.body.name}])",
  "$node.body.name",
  "'hello ' & $node.body.name",
  "$node.body.n * 2 + 1",
  "$node.body.n > 0 and $node.body.name != ''",
  "$node.body.items[price > 10].name",
  "$sum($node.body.items.price)",
  "$count($node.body.items)",
  "$map($node.body.items, function($v){ $v.price * $v.qty })",
  "$filter($node.body.items, function($v){ $v.price > 10 }).name",
  "{'id': $node.body.id, 'label': $uppercase($node.body.name), 'total': $sum($node.body.items.price)}",
  "$node.body.items.{'name': name, 'cost': price * qty}",
  "$join($node.body.tags, ', ')",
  "$split($node.body.csv, ',')",
  "$string($node.body.n) & ' items'",
  "$exists($node.body.missing) ? 'yes' : 'no'",
  "$keys($node.body)",
  "$node.body.items{name: price}",
  "$sort($node.body.items, function($a, $b){ $a.price > $b.price }).name",
  "$reduce($node.body.items.price, function($a, $b){ $a + $b })",
  "$number($node.body.amount) * 1.2",
  "$replace($node.body.name, /a/, 'b')",
];

const body = {
  id: 42,
  name: "Ada Lovelace",
  n: 3,
  amount: "12.50",
  csv: "a,b,c,d",
  tags: ["new", "vip", "eu"],
  items: Array.from({ length: 10 }, (_, i) => ({ name: `item ${i}`, price: 5 + i * 2, qty: 1 + (i % 3) })),
};
const bindings = {
  node: { body },
  inputs: {},
  env: {},
  execution: { id: "e", workflowId: "w", startedAt: "2026-01-01T00:00:00.000Z" },
};

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "5" }, ms: { type: "string", default: "200" } },
});

/** Microseconds per call of `f` (awaited when it returns a Promise): the median of the rounds. */
async function time(f: () => unknown): Promise<number> {
  const rounds: number[] = [];
  let n = 1;
  for (const start = performance.now(); performance.now() - start < 20; n *= 2) {
    for (let i = 0; i < n; i++) await f(); // warm-up, and a count that fills about a round
  }
  const perRound = Math.max(1, Math.round(n * Number(flags.ms) / 40));
  for (let r = 0; r < Number(flags.rounds); r++) {
    const t0 = performance.now();
    for (let i = 0; i < perRound; i++) {
      const v = f();
      if (v instanceof Promise) await v;
    }
    rounds.push((performance.now() - t0) * 1000 / perRound);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)];
}

/** Which way flow answers `source`: synchronously (a plain path or the fast path) or with JSONata. */
function answeredBy(source: string): string {
  const now = compileExpression(source).evaluateNow(bindings.node, bindings);
  return now instanceof Promise ? "JSONata" : "fast path";
}

async function main() {
  console.log("| expression | JSONata µs | flow now µs | speed-up | answered by |");
  console.log("|---|---|---|---|---|");
  for (const source of EXPRESSIONS) {
    const expression = compileExpression(source);
    const reference = jsonata(source, {
      timeout: EXPRESSION_LIMITS.timeoutMs,
      stack: EXPRESSION_LIMITS.stack,
      sequence: EXPRESSION_LIMITS.sequence,
    });
    assert.deepStrictEqual(
      await expression.evaluateNow(bindings.node, bindings),
      await evaluateWithJsonata(source, bindings.node, bindings),
      source,
    );
    const slow = await time(() => reference.evaluate(bindings.node, bindings));
    const now = await time(() => expression.evaluateNow(bindings.node, bindings));
    console.log(
      `| \`${source.replaceAll("|", "\\|")}\` | ${slow.toFixed(1)} | ${now.toFixed(2)} | ${
        (slow / now).toFixed(1)
      }x | ${answeredBy(source)} |`,
    );
  }
}

if (import.meta.main) await main();
