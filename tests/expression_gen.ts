/**
 * A seeded generator of JSONata expressions and data for the differential
 * test of the fast path (tests/expressions_fast_test.ts): mostly the subset
 * the fast path compiles (paths, predicates, operators, constructors,
 * built-in functions, lambdas passed to `$map` and the like), with some
 * constructs outside it, over data shaped like workflow data (objects,
 * arrays of objects, nested and empty arrays, odd numbers and strings).
 *
 * @module
 */

/** A seeded pseudo-random source (mulberry32): the same seed gives the same cases. */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A number in [0, 1). */
  next(): number {
    let t = this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** One generated case: an expression, and the input and bindings it is evaluated with (as a template is). */
export interface Case {
  expression: string;
  input: unknown;
  bindings: Record<string, unknown>;
}

const KEYS = ["a", "b", "c", "name", "items", "n", "s", "flag", "tags", "price"];
const STRINGS = ["", "a", "b", "x,y", "Hello", "42", "3.5", "true", "a b", "é", "-1", "1e3", "A,B,C"];
const NUMBERS = [0, 1, 2, 3, -1, 0.5, 1.5, -2.25, 10, 100, 0.1, 1e21, 7, 0.30000000000000004];

/** Random JSON data, `depth` levels deep at most. */
export function data(r: Random, depth = 3): unknown {
  const roll = r.int(depth > 0 ? 10 : 5);
  switch (roll) {
    case 0:
      return r.pick(NUMBERS);
    case 1:
      return r.pick(STRINGS);
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return r.int(20) - 5;
    case 4:
      return r.pick(STRINGS) + r.pick(STRINGS);
    case 5:
    case 6:
    case 7:
      return object(r, depth - 1);
    default: {
      const n = r.pick([0, 1, 1, 2, 3, 4]);
      const objects = r.chance(0.5);
      return Array.from({ length: n }, () => objects ? object(r, depth - 1) : data(r, depth - 1));
    }
  }
}

function object(r: Random, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = r.int(5);
  for (let i = 0; i < n; i++) out[r.pick(KEYS)] = data(r, depth);
  return out;
}

/** Bindings as a template sees them, with `$node` (the input) and some of the extra variables. */
function bindings(r: Random): Record<string, unknown> {
  const b: Record<string, unknown> = {
    node: object(r, 3),
    inputs: object(r, 2),
    env: { API: "key", EMPTY: "" },
    execution: { id: "e1", workflowId: "wf", startedAt: "2026-01-02T03:04:05.000Z" },
  };
  if (r.chance(0.4)) b.value = data(r, 2);
  if (r.chance(0.3)) {
    b.item = data(r, 2);
    b.index = r.int(5);
  }
  return b;
}

/** Built-in functions the generator calls, with how many arguments they take (min, max). */
const FUNCTIONS: [string, number, number][] = [
  ["sum", 1, 1],
  ["count", 1, 1],
  ["max", 1, 1],
  ["min", 1, 1],
  ["average", 1, 1],
  ["string", 0, 2],
  ["substring", 2, 3],
  ["substringBefore", 1, 2],
  ["substringAfter", 1, 2],
  ["lowercase", 0, 1],
  ["uppercase", 0, 1],
  ["length", 0, 1],
  ["trim", 0, 1],
  ["pad", 2, 3],
  ["contains", 1, 2],
  ["split", 1, 3],
  ["join", 1, 2],
  ["replace", 2, 4],
  ["number", 0, 1],
  ["abs", 1, 1],
  ["floor", 1, 1],
  ["ceil", 1, 1],
  ["round", 1, 2],
  ["power", 2, 2],
  ["sqrt", 1, 1],
  ["boolean", 0, 1],
  ["not", 0, 1],
  ["exists", 1, 1],
  ["keys", 0, 1],
  ["lookup", 1, 2],
  ["append", 2, 2],
  ["spread", 0, 1],
  ["merge", 1, 1],
  ["reverse", 1, 1],
  ["distinct", 1, 1],
  ["type", 1, 1],
  ["zip", 1, 3],
  ["formatNumber", 2, 2],
  ["formatBase", 1, 2],
  ["base64encode", 0, 1],
  ["encodeUrlComponent", 0, 1],
  ["fromMillis", 1, 2],
  ["toMillis", 1, 1],
  ["sort", 1, 1],
  ["error", 0, 1],
  ["assert", 1, 2],
  ["clone", 1, 1],
];

/** Higher-order functions and the parameters of the lambda they take. */
const HIGHER_ORDER: [string, string[][]][] = [
  ["map", [["$v"], ["$v", "$i"], ["$v", "$i", "$a"]]],
  ["filter", [["$v"], ["$v", "$i"]]],
  ["reduce", [["$acc", "$v"], ["$acc", "$v", "$i"], ["$x"]]],
  ["sort", [["$l", "$r"]]],
  ["each", [["$v"], ["$v", "$k"]]],
  ["sift", [["$v"], ["$v", "$k"]]],
  ["single", [["$v"]]],
];

/**
 * Constructs outside the fast path's subset (JSONata must still answer them
 * through the fallback). No regular expression: inside `??` or `?:` one
 * sends JSONata 2.2.2 into a loop that no time limit stops (its parser
 * copies the left side through JSON, which turns the RegExp into `{}`); the
 * fixed corpus has them.
 */
const OUTSIDE = [
  "$eval('1 + 1')",
  "$string(?)",
  "$node.items@$i.a",
  "$node.items#$i.a",
  "$node.items^(a)",
  "$node ~> |a|{'z': 1}|",
  "(function($x){ $x * 2 })(3)",
  "($f := function($x){ $x + 1 }; $f(2))",
  "$node.a.%.b",
  "$uppercase",
];

/** Generates expressions; `vars` are the variables in scope. */
class Generator {
  constructor(readonly r: Random) {}

  expression(depth: number, vars: string[]): string {
    const r = this.r;
    if (depth <= 0) return r.chance(0.6) ? this.path(0, vars) : this.literal();
    switch (r.int(16)) {
      case 0:
      case 1:
      case 2:
        return this.path(depth, vars);
      case 3:
        return this.literal();
      case 4:
      case 5:
        return this.binary(depth, vars);
      case 6:
        return this.condition(depth, vars);
      case 7:
        return this.block(depth, vars);
      case 8:
        return this.array(depth, vars);
      case 9:
        return this.object(depth, vars);
      case 10:
      case 11:
        return this.call(depth, vars);
      case 12:
        return this.higherOrder(depth, vars);
      case 13:
        return `(${this.expression(depth - 1, vars)} ~> $${
          r.pick(["string", "uppercase", "count", "sum", "keys", "exists", "type", "join"])
        }())`;
      case 14:
        return r.chance(0.5) ? `-(${this.expression(depth - 1, vars)})` : `$not(${this.expression(depth - 1, vars)})`;
      default:
        return r.chance(0.15) ? r.pick(OUTSIDE) : this.path(depth, vars);
    }
  }

  literal(): string {
    const r = this.r;
    switch (r.int(4)) {
      case 0:
        return String(r.pick(NUMBERS.filter((n) => n >= 0 && n < 1e20)));
      case 1:
        return JSON.stringify(r.pick(STRINGS));
      case 2:
        return r.pick(["true", "false", "null"]);
      default:
        return `'${r.pick(STRINGS).replaceAll("'", "")}'`;
    }
  }

  path(depth: number, vars: string[]): string {
    const r = this.r;
    const starts = ["$node", "$node", "$inputs", "$", "$$", "$value", "$item", "$execution", "$env", ...vars, ...vars];
    let out = r.chance(0.25) ? r.pick(KEYS) : r.pick(starts);
    const steps = r.int(4);
    for (let i = 0; i < steps; i++) {
      const roll = r.int(20);
      if (roll < 13) out += `.${r.pick(KEYS)}`;
      else if (roll === 13) out += ".*";
      else if (roll === 14) out += `."${r.pick(KEYS)}"`;
      else if (roll === 15 && depth > 0) out += `.(${this.expression(depth - 1, vars)})`;
      else if (roll === 16 && depth > 0) out += `.$string()`;
      else if (roll === 17 && depth > 0) out += `.[${r.pick(KEYS)}, ${r.pick(KEYS)}]`;
      else if (roll === 18 && depth > 0) out += `.{'${r.pick(KEYS)}': ${r.pick(KEYS)}}`;
      else out += `.${r.pick(KEYS)}`;
      if (r.chance(0.2)) out += this.predicate(depth, vars);
    }
    if (r.chance(0.05)) out = `**.${r.pick(KEYS)}`;
    if (r.chance(0.05) && depth > 0) out += `{${r.pick(KEYS)}: ${r.pick(KEYS)}}`;
    return out;
  }

  predicate(depth: number, vars: string[]): string {
    const r = this.r;
    switch (r.int(7)) {
      case 0:
        return "[0]";
      case 1:
        return "[-1]";
      case 2:
        return `[${r.int(3)}]`;
      case 3:
        return "[]";
      case 4:
        return `[${r.pick(KEYS)} ${r.pick(["=", ">", "<", "!="])} ${this.literal()}]`;
      case 5:
        return `[${r.pick(KEYS)}]`;
      default:
        return depth > 0 ? `[${this.expression(depth - 1, vars)}]` : "[0]";
    }
  }

  binary(depth: number, vars: string[]): string {
    const op = this.r.pick([
      "+",
      "-",
      "*",
      "/",
      "%",
      "=",
      "!=",
      "<",
      "<=",
      ">",
      ">=",
      "and",
      "or",
      "&",
      "&",
      "in",
      "..",
    ]);
    const l = this.expression(depth - 1, vars), rhs = this.expression(depth - 1, vars);
    if (op === "..") return `[${this.r.int(4)}..${this.r.int(6)}]`;
    return `(${l} ${op} ${rhs})`;
  }

  condition(depth: number, vars: string[]): string {
    const r = this.r;
    const [a, b, c] = [0, 1, 2].map(() => this.expression(depth - 1, vars));
    switch (r.int(4)) {
      case 0:
        return `(${a} ? ${b} : ${c})`;
      case 1:
        return `(${a} ? ${b})`;
      case 2:
        return `(${a} ?? ${b})`;
      default:
        return `(${a} ?: ${b})`;
    }
  }

  block(depth: number, vars: string[]): string {
    const name = this.r.pick(["$x", "$y", "$total"]);
    const value = this.expression(depth - 1, vars);
    const inner = [...vars, name];
    return `(${name} := ${value}; ${this.expression(depth - 1, inner)})`;
  }

  array(depth: number, vars: string[]): string {
    const n = this.r.int(4);
    const items = Array.from({ length: n }, () => this.expression(depth - 1, vars));
    if (this.r.chance(0.2)) items.push(`[${this.expression(depth - 1, vars)}]`);
    return `[${items.join(", ")}]`;
  }

  object(depth: number, vars: string[]): string {
    const r = this.r;
    const n = r.int(4);
    const pairs = Array.from({ length: n }, () => {
      const key = r.chance(0.85) ? `'${r.pick([...KEYS, "1", "0", "z"])}'` : this.expression(depth - 1, vars);
      return `${key}: ${this.expression(depth - 1, vars)}`;
    });
    return `{${pairs.join(", ")}}`;
  }

  call(depth: number, vars: string[]): string {
    const [name, min, max] = this.r.pick(FUNCTIONS);
    const n = min + this.r.int(max - min + 1);
    const args = Array.from({ length: n }, (_, i) => this.argument(name, i, depth, vars));
    return `$${name}(${args.join(", ")})`;
  }

  /** An argument: often of the type the function takes, to get past its signature. */
  argument(name: string, index: number, depth: number, vars: string[]): string {
    const r = this.r;
    if (r.chance(0.5)) return this.expression(depth - 1, vars);
    if (name === "formatNumber" && index === 1) return r.pick(["'#,##0.00'", "'0'", "'#.#'"]);
    if (name === "fromMillis" && index === 1) return r.pick(["'[Y0001]-[M01]'", "'[H01]:[m01]'"]);
    if (["split", "join", "contains", "substringBefore", "substringAfter", "replace"].includes(name) && index > 0) {
      return JSON.stringify(r.pick([",", "a", " ", "x", ""]));
    }
    if (["sum", "max", "min", "average", "count", "reverse", "distinct", "zip", "sort"].includes(name)) {
      return r.chance(0.5) ? `[${[1, 2, 3].map(() => r.pick(NUMBERS)).join(", ")}]` : `$node.${r.pick(KEYS)}`;
    }
    if (name === "merge") return `[${this.object(depth - 1, vars)}, $node.${r.pick(KEYS)}]`;
    return r.chance(0.5) ? `$node.${r.pick(KEYS)}` : this.literal();
  }

  higherOrder(depth: number, vars: string[]): string {
    const r = this.r;
    const [name, paramLists] = r.pick(HIGHER_ORDER);
    const params = r.pick(paramLists);
    const body = this.expression(depth - 1, [...vars, ...params]);
    const subject = name === "each" || name === "sift"
      ? r.pick(["$node", "$node.a", "$inputs", `{'a': 1, 'b': ${this.literal()}}`])
      : r.chance(0.5)
      ? `$node.${r.pick(KEYS)}`
      : r.pick(["[1, 2, 3]", "[3, 1, 2]", "['b', 'a']", "$node.items", "[]", "[{'a': 2}, {'a': 1}]"]);
    const fn = `function(${params.join(", ")}){ ${body} }`;
    if (r.chance(0.15)) return `(${subject} ~> $${name}(${fn}))`;
    return `$${name}(${subject}, ${fn})`;
  }
}

/**
 * Data shaped like a webhook's or an API's: a body with a name, numbers,
 * tags and items, where a value is sometimes missing, null or of another type.
 */
export function shapedData(r: Random): Record<string, unknown> {
  const odd = (v: unknown) => r.chance(0.08) ? r.pick([null, "7", true, [v], {}]) : v;
  const item = () => {
    const o: Record<string, unknown> = {};
    if (r.chance(0.9)) o.a = odd(r.int(10) - 2);
    if (r.chance(0.8)) o.b = odd(r.pick(STRINGS));
    if (r.chance(0.8)) o.price = odd(r.pick(NUMBERS.filter((n) => n < 1e20)));
    if (r.chance(0.4)) o.tags = Array.from({ length: r.int(3) }, () => r.pick(STRINGS));
    if (r.chance(0.2)) o.nested = { a: r.int(5), b: r.pick(STRINGS) };
    return o;
  };
  const body: Record<string, unknown> = {};
  if (r.chance(0.9)) body.name = odd(r.pick(STRINGS));
  if (r.chance(0.9)) body.n = odd(r.int(12) - 3);
  if (r.chance(0.7)) body.price = odd(r.pick(NUMBERS.filter((n) => n < 1e20)));
  if (r.chance(0.6)) body.flag = odd(r.chance(0.5));
  if (r.chance(0.7)) body.tags = odd(Array.from({ length: r.int(4) }, () => r.pick(STRINGS)));
  if (r.chance(0.85)) body.items = odd(Array.from({ length: r.pick([0, 1, 1, 2, 3, 5]) }, item));
  return { body, ...(r.chance(0.3) ? { extra: item() } : {}) };
}

/** The type of value an expression of the typed generator should give. */
type Kind = "number" | "string" | "boolean" | "array" | "object" | "item";

/** A variable in scope of the typed generator, with the kind of value it holds. */
type Var = [name: string, kind: Kind];

/**
 * Expressions built to fit the shaped data: mostly well-typed (so they
 * give values, not type errors), sometimes not.
 */
class TypedGenerator {
  constructor(readonly r: Random) {}

  of(kind: Kind, depth: number, vars: Var[]): string {
    const r = this.r;
    const own = vars.filter((v) => v[1] === kind).map((v) => v[0]);
    if (own.length && r.chance(0.3)) return r.pick(own);
    if (depth <= 0 || r.chance(0.25)) return this.leaf(kind, vars);
    switch (kind) {
      case "number":
        return this.number(depth, vars);
      case "string":
        return this.string(depth, vars);
      case "boolean":
        return this.boolean(depth, vars);
      case "array":
        return this.array(depth, vars);
      default:
        return this.object(depth, vars);
    }
  }

  any(depth: number, vars: Var[]): string {
    return this.of(this.r.pick(["number", "string", "boolean", "array", "object"] as const), depth, vars);
  }

  leaf(kind: Kind, vars: Var[]): string {
    const r = this.r;
    const item = vars.filter((v) => v[1] === "item").map((v) => v[0]);
    const base = item.length && r.chance(0.5) ? r.pick(item) : "$node.body.items[" + r.int(3) + "]";
    switch (kind) {
      case "number":
        return r.pick([
          "$node.body.n",
          "$node.body.price",
          `${base}.a`,
          `${base}.price`,
          String(r.int(10)),
          "1.5",
          "$count($node.body.items)",
          "$sum($node.body.items.a)",
        ]);
      case "string":
        return r.pick(["$node.body.name", `${base}.b`, "'x'", '""', "$node.body.tags[0]", "$execution.id", "$env.API"]);
      case "boolean":
        return r.pick(["$node.body.flag", "true", "false", `$exists(${base}.a)`]);
      case "array":
        return r.pick([
          "$node.body.items",
          "$node.body.tags",
          "$node.body.items.a",
          "$node.body.items.b",
          "[1, 2, 3]",
          "[]",
          "$node.body.items.tags",
        ]);
      case "item":
      case "object":
        return r.pick(["$node.body", base, "$node.body.items[0]", "{}", "$node.extra", "$"]);
    }
  }

  number(depth: number, vars: Var[]): string {
    const r = this.r;
    const n = () => this.of("number", depth - 1, vars);
    switch (r.int(9)) {
      case 0:
        return `(${n()} ${r.pick(["+", "-", "*", "/", "%"])} ${n()})`;
      case 1:
        return `$${r.pick(["sum", "max", "min", "average", "count"])}(${this.of("array", depth - 1, vars)})`;
      case 2:
        return `$${r.pick(["abs", "floor", "ceil", "round", "sqrt"])}(${n()})`;
      case 3:
        return `$length(${this.of("string", depth - 1, vars)})`;
      case 4:
        return `$number(${r.pick(["'12'", "'3.5'", "'-1e2'", "'x'", "true", n()])})`;
      case 5:
        return `(${this.of("boolean", depth - 1, vars)} ? ${n()} : ${n()})`;
      case 6:
        return `$reduce(${this.of("array", depth - 1, vars)}, function($acc, $v){ $acc + ($v.a ? $v.a : 1) }, 0)`;
      case 7:
        return `-${n()}`;
      default:
        return `$round(${n()}, ${r.int(3)})`;
    }
  }

  string(depth: number, vars: Var[]): string {
    const r = this.r;
    const s = () => this.of("string", depth - 1, vars);
    switch (r.int(9)) {
      case 0:
        return `(${s()} & ${this.any(depth - 1, vars)})`;
      case 1:
        return `$string(${this.any(depth - 1, vars)})`;
      case 2:
        return `$${r.pick(["uppercase", "lowercase", "trim", "base64encode", "encodeUrlComponent"])}(${s()})`;
      case 3:
        return `$substring(${s()}, ${r.int(4) - 1}${r.chance(0.5) ? `, ${r.int(4)}` : ""})`;
      case 4:
        return `$join(${this.of("array", depth - 1, vars)}, '${r.pick([",", " ", ""])}')`;
      case 5:
        return `$replace(${s()}, '${r.pick(["a", ",", "x"])}', '${r.pick(["-", "", "$0"])}')`;
      case 6:
        return `$pad(${s()}, ${r.int(8) - 4}, '${r.pick(["*", "", "ab"])}')`;
      case 7:
        return `$formatNumber(${this.of("number", depth - 1, vars)}, '${r.pick(["#,##0.00", "0", "0.0#"])}')`;
      default:
        return `(${this.of("boolean", depth - 1, vars)} ? ${s()} : ${s()})`;
    }
  }

  boolean(depth: number, vars: Var[]): string {
    const r = this.r;
    switch (r.int(7)) {
      case 0:
        return `(${this.of("number", depth - 1, vars)} ${r.pick(["<", "<=", ">", ">=", "=", "!="])} ${
          this.of("number", depth - 1, vars)
        })`;
      case 1:
        return `(${this.of("string", depth - 1, vars)} ${r.pick(["=", "!=", "<", ">"])} ${
          this.of("string", depth - 1, vars)
        })`;
      case 2:
        return `(${this.of("boolean", depth - 1, vars)} ${r.pick(["and", "or"])} ${this.any(depth - 1, vars)})`;
      case 3:
        return `$contains(${this.of("string", depth - 1, vars)}, '${r.pick(["a", "x", ""])}')`;
      case 4:
        return `(${this.of("string", depth - 1, vars)} in ${this.of("array", depth - 1, vars)})`;
      case 5:
        return `$${r.pick(["boolean", "not", "exists"])}(${this.any(depth - 1, vars)})`;
      default:
        return `(${this.any(depth - 1, vars)} = ${this.any(depth - 1, vars)})`;
    }
  }

  array(depth: number, vars: Var[]): string {
    const r = this.r;
    const arr = () => this.of("array", depth - 1, vars);
    const inner: Var[] = [...vars, ["$v", "item"], ["$i", "number"]];
    switch (r.int(12)) {
      case 0:
        return `$map(${arr()}, function($v, $i){ ${this.any(depth - 1, inner)} })`;
      case 1:
        return `$filter(${arr()}, function($v){ ${this.of("boolean", depth - 1, inner)} })`;
      case 2:
        return `$split(${this.of("string", depth - 1, vars)}, '${r.pick([",", " ", "", "a"])}'${
          r.chance(0.3) ? `, ${r.int(3)}` : ""
        })`;
      case 3:
        return `$keys(${this.of("object", depth - 1, vars)})`;
      case 4:
        return `$sort(${arr()}, function($l, $r){ $l.a > $r.a })`;
      case 5:
        return `$append(${arr()}, ${this.any(depth - 1, vars)})`;
      case 6:
        return `$node.body.items[${this.of("boolean", depth - 1, [...vars])}]`;
      case 7:
        return `$node.body.items[a ${r.pick([">", "<", "="])} ${r.int(6)}].${r.pick(["a", "b", "price"])}`;
      case 8:
        return `[${this.any(depth - 1, vars)}, ${this.any(depth - 1, vars)}]`;
      case 9:
        return `$${r.pick(["reverse", "distinct"])}(${arr()})`;
      case 10:
        return `$node.body.items.{'id': a, 'label': $uppercase(b)}`;
      default:
        return `[${r.int(3)}..${r.int(5) + 1}]`;
    }
  }

  object(depth: number, vars: Var[]): string {
    const r = this.r;
    switch (r.int(6)) {
      case 0:
        return `{'k': ${this.any(depth - 1, vars)}, 'n': ${this.of("number", depth - 1, vars)}}`;
      case 1:
        return `$merge([${this.of("object", depth - 1, vars)}, {'greeting': 'hello ' & ${
          this.of("string", depth - 1, vars)
        }}])`;
      case 2:
        return `$lookup(${this.of("object", depth - 1, vars)}, '${r.pick(["a", "b", "name", "items"])}')`;
      case 3:
        return `$node.body.items{b: a}`;
      case 4:
        return `$sift(${this.of("object", depth - 1, vars)}, function($v, $k){ $k != 'a' })`;
      default:
        return `($o := ${this.of("object", depth - 1, vars)}; $merge([$o, {'count': $count($keys($o))}]))`;
    }
  }
}

/** The case of `seed`: its expression (about `depth` levels deep) and data, from one of the two generators. */
export function generateCase(seed: number, depth = 3): Case {
  const r = new Random(seed);
  if (r.chance(0.5)) {
    const node = shapedData(r);
    const b: Record<string, unknown> = {
      node,
      inputs: { id: r.int(5) },
      env: { API: "key" },
      execution: { id: "e1", workflowId: "wf", startedAt: "2026-01-02T03:04:05.000Z" },
    };
    const expression = new TypedGenerator(r).any(1 + r.int(depth + 1), []);
    return { expression, input: node, bindings: b };
  }
  const b = bindings(r);
  const expression = new Generator(r).expression(1 + r.int(depth), []);
  const input = r.chance(0.9) ? b.node : r.chance(0.5) ? [b.node, object(r, 2)] : data(r, 1);
  if (input !== b.node) b.node = input;
  return { expression, input, bindings: b };
}
