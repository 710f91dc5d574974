/**
 * The compiler of the fast path: JSONata's AST (`jsonata(source).ast()`)
 * into synchronous JavaScript closures, one per node, that do what
 * JSONata's evaluator does for that node (its functions are ported here one
 * by one, in the same order of steps, so sequences, undefined values and
 * singleton arrays come out as JSONata makes them). The subset: paths (with
 * predicates, wildcards, `[]`), literals, arithmetic, comparisons, `and`,
 * `or`, `in`, `&`, `..`, conditions, `??`, `?:`, blocks with `:=`,
 * object and array constructors, grouping, `~>` into a function call, and
 * calls of the built-in functions of `functions.ts` (lambdas
 * only as the function argument of `$map`, `$filter`, `$reduce`, `$sort`,
 * ...). Anything else (regular expressions, user-defined functions as
 * values, partial application, `%`, `@`, `#`, `^( )`, transforms) is
 * refused at compile time, and JSONata evaluates the expression.
 *
 * @module
 */
import type { FastFunction } from "./functions.ts";
import {
  type Any,
  append,
  boolean,
  boolize,
  collapse,
  EvaluationTimeout,
  flatten,
  type Fn,
  Frame,
  isArrayOfNumbers,
  isDeepEqual,
  isFunction,
  isNumeric,
  isSequence,
  type Limits,
  lookup,
  pushLimited,
  Run,
  type Sequence,
  sequence,
  sequenceOf,
  Unanswered,
} from "./runtime.ts";

/** A node of JSONata's AST after its post-parse stage (the fields the compiler reads). */
export interface AstNode {
  type: string;
  value?: Any;
  steps?: AstNode[];
  stages?: { type: string; expr: AstNode }[];
  predicate?: { type: string; expr: AstNode }[];
  group?: { lhs: [AstNode, AstNode][] };
  lhs?: Any;
  rhs?: AstNode;
  expression?: AstNode;
  expressions?: AstNode[];
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  procedure?: AstNode;
  arguments?: AstNode[];
  body?: AstNode;
  thunk?: boolean;
  signature?: unknown;
  keepArray?: boolean;
  keepSingletonArray?: boolean;
  consarray?: boolean;
  [flag: string]: unknown;
}

/** A compiled expression: the value for `input` and `bindings`, or `unanswered` when JSONata must answer. */
export type FastExpression = (input: unknown, bindings: Record<string, unknown> | undefined) => unknown;

/** Thrown while compiling: the expression is outside the fast path's subset. */
class Outside extends Error {}

function outside(what: string): never {
  throw new Outside(what);
}

/**
 * The deepest AST the compiler takes. JSONata counts nested evaluations
 * against its stack limit (500); without recursion (the subset has none),
 * an AST this deep stays far below it, so neither path can overflow.
 */
const MAX_DEPTH = 100;

/** Flags of the tuple streams behind `@`, `#` and `%`, which the subset does not have. */
const TUPLE_FLAGS = ["tuple", "focus", "index", "ancestor", "seekingParent", "errors"];

/** Compile modes: in the tail of a lambda's body (where JSONata defers calls), as a statement (`:=` allowed). */
const TAIL = 1, STATEMENT = 2;

/** Node types whose value is never a sequence: the collapse of sequences is skipped for them. */
const SCALAR_BINARY = new Set(["+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "&", "and", "or", "in"]);

/**
 * A call JSONata defers in the tail of a lambda's body (its tail-call
 * thunk): the lambda runs it once its body returns, with no collapse of
 * sequences and with the context JSONata gives it there.
 */
class TailCall {
  constructor(
    readonly call: (input: Any, env: Frame, context: unknown) => Any,
    readonly input: Any,
    readonly env: Frame,
  ) {}
  fire(context: unknown): Any {
    return this.call(this.input, this.env, context);
  }
}

/** What the compiler needs from the functions side. */
export interface CompilerTools {
  /** The built-in functions the fast path calls, by name. */
  functions: Map<string, FastFunction>;
  /** Whether JSONata has a built-in of that name (a variable of that name is its function). */
  isBuiltin(name: string): boolean;
  /** The evaluation limits. */
  limits: Limits;
  /** What a compiled expression returns when JSONata must answer. */
  unanswered: symbol;
}

/**
 * Compiles a JSONata AST; undefined when it is outside the subset. The
 * expression returns `tools.unanswered` when JSONata must evaluate it after
 * all (an error, which JSONata words, or a binding that hides a built-in
 * function), and throws only `EvaluationTimeout`.
 */
export function compileAst(ast: AstNode, tools: CompilerTools): FastExpression | undefined {
  const compiler = new Compiler(tools, localNames(ast));
  let body: Fn;
  try {
    body = compiler.compile(ast, 0, STATEMENT);
  } catch (err) {
    if (err instanceof Outside) return undefined;
    throw err;
  }
  const calls = [...compiler.calls];
  const { limits, unanswered } = tools;
  return (input, bindings) => {
    if (bindings) { for (const name of calls) if (Object.hasOwn(bindings, name)) return unanswered; }
    const run = new Run(bindings, input, limits);
    let context: Any = input;
    if (Array.isArray(input) && !isSequence(input)) {
      context = sequenceOf(input);
      context.outerWrapper = true;
    }
    try {
      return body(context, new Frame(null, run));
    } catch (err) {
      if (err instanceof EvaluationTimeout) throw err;
      return unanswered;
    }
  };
}

/** The names a frame may bind: function parameters and `:=` targets, anywhere in the expression. */
function localNames(ast: AstNode): Set<string> {
  const names = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) return v.forEach(visit);
    const node = v as AstNode;
    if (node.type === "bind" && node.lhs?.type === "variable") names.add(node.lhs.value);
    if (node.type === "lambda" && Array.isArray(node.arguments)) {
      for (const a of node.arguments) if (a?.type === "variable") names.add(a.value as string);
    }
    for (const key of Object.keys(node)) if (key !== "value") visit((node as Record<string, unknown>)[key]);
  };
  visit(ast);
  return names;
}

class Compiler {
  /** The built-in functions the expression calls: a binding of the same name would hide them. */
  readonly calls = new Set<string>();

  constructor(readonly tools: CompilerTools, readonly locals: Set<string>) {}

  /** JSONata's `evaluate` of one node: its value, its predicates, its grouping, the collapse of sequences. */
  compile(node: AstNode, depth: number, mode = 0): Fn {
    if (depth > MAX_DEPTH) outside("too deep");
    if (node === null || typeof node !== "object") outside("not a node");
    for (const flag of TUPLE_FLAGS) if (node[flag] !== undefined) outside(flag);
    let f = this.value(node, depth + 1, mode);
    const predicates = node.predicate;
    const group = node.type !== "path" ? node.group : undefined;
    // A condition or block in the tail of a lambda may give a deferred call, which JSONata would filter as a value.
    if ((predicates || group) && mode & TAIL && (node.type === "condition" || node.type === "block")) {
      outside("filtered tail call");
    }
    if (predicates) {
      const filters = predicates.map((p) => this.filter(p, depth + 1));
      const value = f;
      f = (input, env) => {
        let result = value(input, env);
        for (const filter of filters) result = filter(result, env);
        return result;
      };
    }
    if (group) {
      const grouping = this.group(group.lhs, depth + 1);
      const value = f;
      f = (input, env) => grouping(value(input, env), env);
    }
    const scalar = node.type === "string" || node.type === "number" || node.type === "value" ||
      node.type === "unary" || (node.type === "binary" && SCALAR_BINARY.has(node.value));
    if (scalar && !predicates && !group) return f;
    const keep = node.keepArray === true;
    const value = f;
    return (input, env) => collapse(value(input, env), keep);
  }

  /** The value of a node before predicates, grouping and collapse. */
  value(node: AstNode, depth: number, mode: number): Fn {
    switch (node.type) {
      case "path":
        return this.path(node, depth);
      case "binary":
        return this.binary(node, depth);
      case "unary":
        return this.unary(node, depth);
      case "name": {
        const key = String(node.value);
        return (input, env) => lookup(input, key, env.run);
      }
      case "string":
      case "number":
      case "value": {
        const literal = node.value;
        return () => literal;
      }
      case "wildcard":
        return (input, env) => wildcard(input, env.run);
      case "descendant":
        return (input, env) => descendants(input, env.run);
      case "variable":
        return this.variable(String(node.value));
      case "condition":
        return this.condition(node, depth, mode & TAIL);
      case "block":
        return this.block(node, depth, mode & TAIL);
      case "bind":
        if (!(mode & STATEMENT)) outside("bind outside a statement");
        return this.bind(node, depth);
      case "function":
        return this.call(node, depth, undefined, false);
      case "apply":
        return this.apply(node, depth);
      case "lambda":
        if (node.thunk === true && mode & TAIL && node.body?.type === "function") {
          return this.call(node.body, depth, undefined, true);
        }
        return outside("function value");
      default:
        return outside(node.type);
    }
  }

  /** A variable: `$` is the context, `$$` the input, others the frames' or the bindings'. */
  variable(name: string): Fn {
    if (name === "") return (input) => input && input.outerWrapper ? input[0] : input;
    if (name === "$") return (_input, env) => env.run.root;
    if (this.tools.isBuiltin(name)) outside("a built-in function as a value");
    if (this.locals.has(name)) return (_input, env) => env.lookup(name);
    return (_input, env) => env.run.global(name);
  }

  /** `cond ? then : else` (also `??` and `?:`, which the parser writes as conditions). */
  condition(node: AstNode, depth: number, tail: number): Fn {
    const test = this.compile(node.condition!, depth);
    const then = this.compile(node.then!, depth, tail);
    const otherwise = node.else === undefined ? undefined : this.compile(node.else, depth, tail);
    if (!otherwise) return (input, env) => boolean(test(input, env)) ? then(input, env) : undefined;
    return (input, env) => boolean(test(input, env)) ? then(input, env) : otherwise(input, env);
  }

  /** `( a; b; c )`: in a frame of its own when it binds variables. */
  block(node: AstNode, depth: number, tail: number): Fn {
    const list = node.expressions ?? [];
    const parts = list.map((e, i) => this.compile(e, depth, STATEMENT | (i === list.length - 1 ? tail : 0)));
    const binds = list.some((e) => e.type === "bind");
    return (input, env) => {
      const frame = binds ? new Frame(env, env.run) : env;
      let result: Any;
      for (const part of parts) result = part(input, frame);
      return result;
    };
  }

  /** `$name := value`, in the frame it is evaluated in. */
  bind(node: AstNode, depth: number): Fn {
    const target = node.lhs as AstNode;
    if (target?.type !== "variable") outside("bind target");
    const name = String(target.value);
    if (name === "" || name === "$" || this.tools.isBuiltin(name)) outside("bind of a reserved name");
    const value = this.compile(node.rhs!, depth);
    return (input, env) => {
      const v = value(input, env);
      env.bind(name, v);
      return v;
    };
  }

  /** A path (JSONata's `evaluatePath`): a plain path of names is read directly while it meets objects. */
  path(node: AstNode, depth: number): Fn {
    const steps = node.steps ?? [];
    if (steps.length === 0) outside("empty path");
    const last = steps.length - 1;
    const fns = steps.map((s, i) => this.step(s, depth, i === last, i === 0 && s.consarray === true));
    const firstIsVariable = steps[0].type === "variable";
    const keepSingleton = node.keepSingletonArray === true;
    const group = node.group ? this.group(node.group.lhs, depth) : undefined;
    const generic: Fn = (input, env) => {
      let inputSequence: Any = Array.isArray(input) && !firstIsVariable ? input : sequenceOf(input);
      let result: Any;
      for (let i = 0; i < fns.length; i++) {
        result = fns[i](inputSequence, env);
        if (result === undefined || result.length === 0) break;
        inputSequence = result;
      }
      if (keepSingleton) {
        if (Array.isArray(result) && (result as Sequence).cons && !(result as Sequence).sequence) {
          result = sequenceOf(result);
        }
        result.keepSingleton = true;
      }
      return group ? group(result, env) : result;
    };
    return this.plainPath(node, generic) ?? generic;
  }

  /**
   * The common path `$var.a.b` or `a.b` (names only, no predicates or flags)
   * as direct property reads: the same value as the generic path while each
   * step meets a plain object; an array anywhere (which JSONata maps over)
   * hands the input to the generic path.
   */
  plainPath(node: AstNode, generic: Fn): Fn | undefined {
    const steps = node.steps!;
    if (node.keepSingletonArray || node.group) return undefined;
    const plain = (s: AstNode) =>
      !s.stages && !s.predicate && !s.group && !s.keepArray && !s.consarray &&
      TUPLE_FLAGS.every((f) => s[f] === undefined);
    if (!steps.every(plain)) return undefined;
    const [first, ...rest] = steps;
    if (!rest.every((s) => s.type === "name")) return undefined;
    const keys = rest.map((s) => String(s.value));
    let start: Fn;
    if (first.type === "name") {
      keys.unshift(String(first.value));
      start = (input) => input;
    } else if (first.type === "variable") {
      start = this.variable(String(first.value));
    } else return undefined;
    const relative = first.type === "name";
    return (input, env) => {
      if (relative && Array.isArray(input)) return generic(input, env);
      let v = start(input, env);
      for (let i = 0; i < keys.length; i++) {
        if (v === null || typeof v !== "object") return undefined;
        if (Array.isArray(v)) return generic(input, env);
        if (!Object.hasOwn(v, keys[i]) || isFunction(v)) return undefined;
        v = v[keys[i]];
      }
      return Array.isArray(v) ? generic(input, env) : v;
    };
  }

  /** One step of a path over the input sequence (JSONata's `evaluateStep`), flattening one level. */
  step(node: AstNode, depth: number, lastStep: boolean, consFirst: boolean): (input: Any, env: Frame) => Any {
    if (node.type === "sort") outside("order-by");
    const value = this.compile(node, depth);
    if (consFirst) return value;
    const stages = (node.stages ?? []).map((s) => {
      if (s.type !== "filter") outside(`stage ${s.type}`);
      return this.filter(s, depth);
    });
    return (input, env) => {
      const run = env.run;
      const result: Any[] = [];
      for (let i = 0; i < input.length; i++) {
        run.tick();
        let res = value(input[i], env);
        for (const stage of stages) res = stage(res, env);
        if (res !== undefined) result.push(res);
      }
      if (lastStep && result.length === 1 && Array.isArray(result[0]) && !isSequence(result[0])) return result[0];
      const out = sequence();
      for (const res of result) {
        if (!Array.isArray(res) || (res as Sequence).cons) pushLimited(out, res, run);
        else for (let k = 0; k < res.length; k++) pushLimited(out, res[k], run);
      }
      return out;
    };
  }

  /** A predicate `[...]` (JSONata's `evaluateFilter`): an index, or a test of each item. */
  filter(stage: { expr: AstNode }, depth: number): (input: Any, env: Frame) => Any {
    const predicate = stage.expr;
    if (predicate.type === "number") {
      const n = Math.floor(predicate.value);
      return (input) => {
        const flagged = input && input.tupleStream;
        if (!Array.isArray(input)) input = sequenceOf(input);
        const index = n < 0 ? input.length + n : n;
        const item = input[index];
        if (item !== undefined && Array.isArray(item)) return item;
        const results = item === undefined ? sequence() : sequenceOf(item);
        if (flagged) results.tupleStream = true;
        return results;
      };
    }
    const test = this.compile(predicate, depth);
    return (input, env) => {
      const run = env.run;
      const results = sequence();
      // JSONata reads the flag of its tuple streams from whatever it filters, data included.
      if (input && input.tupleStream) results.tupleStream = true;
      if (!Array.isArray(input)) input = sequenceOf(input);
      for (let index = 0; index < input.length; index++) {
        run.tick();
        const item = input[index];
        let res = test(item, env);
        if (isNumeric(res)) res = [res];
        if (isArrayOfNumbers(res)) {
          for (const r of res) {
            let ii = Math.floor(r);
            if (ii < 0) ii = input.length + ii;
            if (ii === index) pushLimited(results, item, run);
          }
        } else if (boolean(res)) pushLimited(results, item, run);
      }
      return results;
    };
  }

  /** Binary operators (JSONata's `evaluateBinary` and the functions it calls). */
  binary(node: AstNode, depth: number): Fn {
    const op = String(node.value);
    const l = this.compile(node.lhs as AstNode, depth);
    const r = this.compile(node.rhs!, depth);
    switch (op) {
      case "and":
      case "or": {
        const and = op === "and";
        const position = node.position as number | undefined;
        return (input, env) => {
          const left = boolize(l(input, env));
          if (left !== and) return left;
          try {
            return boolize(r(input, env));
          } catch (err) {
            // JSONata gives the operator's position to an error of its right side.
            if (err instanceof EvaluationTimeout) err.position = position;
            throw err;
          }
        };
      }
      case "+":
      case "-":
      case "*":
      case "/":
      case "%":
        return arithmetic(op, l, r);
      case "=":
      case "!=": {
        const equal = op === "=";
        return (input, env) => {
          const a = l(input, env), b = r(input, env);
          return a === undefined || b === undefined ? false : isDeepEqual(a, b) === equal;
        };
      }
      case "<":
      case "<=":
      case ">":
      case ">=":
        return comparison(op, l, r);
      case "&":
        return this.concat(l, r);
      case "..":
        return (input, env) => range(l(input, env), r(input, env), env.run);
      case "in":
        return (input, env) => includes(l(input, env), r(input, env));
      default:
        return outside(`operator ${op}`);
    }
  }

  /** `&`: both sides as strings (JSONata's `$string`), no value as "". */
  concat(l: Fn, r: Fn): Fn {
    const string = this.tools.functions.get("string") ?? outside("no $string");
    const text = (v: unknown, run: Run): string =>
      v === undefined ? "" : typeof v === "string" ? v : string.call([v], run);
    return (input, env) => {
      const a = l(input, env), b = r(input, env);
      return text(a, env.run).concat(text(b, env.run));
    };
  }

  /** `-x`, array constructors and object constructors. */
  unary(node: AstNode, depth: number): Fn {
    if (node.value === "-") {
      const operand = this.compile(node.expression!, depth);
      return (input, env) => {
        const v = operand(input, env);
        if (v === undefined) return undefined;
        if (isNumeric(v)) return -v;
        throw new Unanswered("D1002");
      };
    }
    if (node.value === "{") return this.group(node.lhs as [AstNode, AstNode][], depth);
    if (node.value !== "[") outside(`unary ${node.value}`);
    const items = (node.expressions ?? []).map((e) => this.compile(e, depth));
    const nested = (node.expressions ?? []).map((e) => e.value === "[");
    const cons = node.consarray === true;
    return (input, env) => {
      // JSONata appends each item with `fn.append` (a concat); pushing gives the same plain array.
      const result: Any[] = [];
      const limit = env.run.limits.sequence;
      for (let i = 0; i < items.length; i++) {
        const v = items[i](input, env);
        if (v === undefined) continue;
        if (nested[i] || !Array.isArray(v)) {
          if (!nested[i] && result.length + 1 > limit) throw new Unanswered("D2015");
          result.push(v);
        } else {
          if (result.length + v.length > limit) throw new Unanswered("D2015");
          for (let k = 0; k < v.length; k++) result.push(v[k]);
        }
      }
      if (cons) Object.defineProperty(result, "cons", { enumerable: false, configurable: false, value: true });
      return result;
    };
  }

  /** Object constructors and grouping (JSONata's `evaluateGroupExpression`, without tuple streams). */
  group(pairs: [AstNode, AstNode][], depth: number): (input: Any, env: Frame) => Any {
    const keys = pairs.map((p) => this.compile(p[0], depth));
    const values = pairs.map((p) => this.compile(p[1], depth));
    const generic = (input: Any, env: Frame): Any => {
      const run = env.run;
      const groups: Record<string, { data: Any; exprIndex: number }> = Object.create(null);
      // JSONata takes data flagged as a tuple stream for one: left to it.
      if (input && input.tupleStream) throw new Unanswered("tuple stream");
      if (!Array.isArray(input)) input = sequenceOf(input);
      // As JSONata does, even to an empty array of the data (which later parts of the expression then see).
      if (input.length === 0) input.push(undefined);
      for (let i = 0; i < input.length; i++) {
        run.tick();
        const item = input[i];
        for (let p = 0; p < keys.length; p++) {
          const key = keys[p](item, env);
          if (key === undefined) continue;
          if (typeof key !== "string") throw new Unanswered("T1003");
          if (key === "_jsonata_lambda" || key === "_jsonata_function") throw new Unanswered("D1013");
          const entry = groups[key];
          if (entry === undefined) groups[key] = { data: item, exprIndex: p };
          else if (entry.exprIndex !== p) throw new Unanswered("D1009");
          else entry.data = append(entry.data, item, run);
        }
      }
      const result: Record<string, unknown> = Object.create(null);
      for (const key of Object.keys(groups)) {
        const entry = groups[key];
        const v = values[entry.exprIndex](entry.data, env);
        if (v !== undefined) result[key] = v;
      }
      return result;
    };
    return this.literalKeys(pairs, values, generic) ?? generic;
  }

  /**
   * An object constructor whose keys are distinct string literals, over a
   * context that is not an array (one group): each value evaluated once in
   * the context, in the order JSONata's grouping gives the keys.
   */
  literalKeys(
    pairs: [AstNode, AstNode][],
    values: Fn[],
    generic: (input: Any, env: Frame) => Any,
  ): ((input: Any, env: Frame) => Any) | undefined {
    const literal = (k: AstNode) => k.type === "string" && k.predicate === undefined && k.group === undefined;
    if (!pairs.every((p) => literal(p[0]))) return undefined;
    const keys = pairs.map((p) => String(p[0].value));
    if (new Set(keys).size !== keys.length || keys.some((k) => k.startsWith("_jsonata_") || k === "__proto__")) {
      return undefined;
    }
    const order = Object.keys(Object.fromEntries(keys.map((k) => [k, true])));
    const index = order.map((k) => keys.indexOf(k));
    return (input, env) => {
      if (Array.isArray(input) || (input && input.tupleStream)) return generic(input, env);
      // A plain object where JSONata makes one without a prototype: nothing in JSONata reads an object's
      // prototype (lookups are own properties only), and a plain object is cheaper to build and to read.
      const result: Record<string, unknown> = {};
      for (let j = 0; j < order.length; j++) {
        const v = values[index[j]](input, env);
        if (v !== undefined) result[order[j]] = v;
      }
      return result;
    };
  }

  /** A function call: a built-in of the fast path, its arguments evaluated in order (JSONata's `evaluateFunction`). */
  call(node: AstNode, depth: number, applyTo: Fn | undefined, tail: boolean): Fn {
    const procedure = node.procedure;
    if (procedure?.type !== "variable" || procedure.predicate || procedure.group || procedure.keepArray) {
      outside("procedure");
    }
    const name = String(procedure.value);
    if (this.locals.has(name)) outside("a local function");
    const fn = this.tools.functions.get(name) ?? outside(`function $${name}`);
    this.calls.add(name);
    const shift = applyTo ? 1 : 0;
    const args = (node.arguments ?? []).map((a, k) => {
      if (a.type !== "lambda" || a.thunk) return this.compile(a, depth);
      if (fn.functionParam !== k + shift) outside(`a function passed to $${name}`);
      // In a tail call JSONata passes the lambda itself, which its $sort cannot call.
      if (tail && name === "sort") outside("$sort in a tail call");
      return this.lambda(a, depth, !tail);
    });
    const lambdas = (node.arguments ?? []).map((a) => a.type === "lambda" && !a.thunk);
    const position = node.position as number | undefined;
    const procedurePosition = procedure.position as number | undefined;
    const invoke = (input: Any, env: Frame, context: unknown): Any => {
      // JSONata marks the function with the call's position: a tail call before its arguments, others after.
      if (tail) fn.position = procedurePosition;
      const values: Any[] = [];
      if (applyTo) values.push(applyTo(input, env));
      for (let k = 0; k < args.length; k++) {
        const v = args[k](input, env);
        // JSONata wraps a function-like value in a closure of its own: left to JSONata.
        if (!lambdas[k] && v !== null && typeof v === "object" && isFunction(v)) throw new Unanswered("function data");
        values.push(v);
      }
      if (!tail) fn.position = position;
      const validated = fn.validate(values, context);
      try {
        return fn.call(validated, env.run);
      } catch (err) {
        if (err instanceof EvaluationTimeout) {
          if (fn.position) err.position = fn.position;
          if (!tail && !err.position) err.position = position;
        }
        throw err;
      }
    };
    if (tail) return (input, env) => new TailCall(invoke, input, env);
    return (input, env) => invoke(input, env, input);
  }

  /** `x ~> $f(args)`: `$f(x, args)`. */
  apply(node: AstNode, depth: number): Fn {
    if (node.rhs?.type !== "function") outside("~> into something other than a call");
    return this.call(node.rhs, depth, this.compile(node.lhs as AstNode, depth), false);
  }

  /**
   * A lambda written as an argument of `$map`, `$filter`, ...: a function
   * with JSONata's arity that evaluates its body in a frame of its
   * parameters, over the context it was written in. `wrapped`: JSONata
   * wraps it in a closure (an argument of an ordinary call), which changes
   * the context of a tail call in its body (none there, else its own).
   */
  lambda(node: AstNode, depth: number, wrapped: boolean): Fn {
    if (node.signature !== undefined) outside("lambda signature");
    const params = (node.arguments ?? []).map((a) => {
      if (a.type !== "variable" || a.value === "" || a.value === "$") outside("parameter");
      return String(a.value);
    });
    const body = this.compile(node.body!, depth, TAIL | STATEMENT);
    const arity = params.length;
    return (input, env) => {
      const f = (...args: Any[]): Any => {
        const frame = new Frame(env, env.run);
        const vars: Record<string, unknown> = Object.create(null);
        for (let i = 0; i < params.length; i++) vars[params[i]] = args[i];
        frame.vars = vars;
        const result = body(input, frame);
        return result instanceof TailCall ? result.fire(wrapped ? null : input) : result;
      };
      return Object.assign(f, { arity });
    };
  }
}

/** `+ - * / %` (JSONata's `evaluateNumericExpression`). */
function arithmetic(op: string, l: Fn, r: Fn): Fn {
  const operands = (input: Any, env: Frame): [number, number] | undefined => {
    const a = l(input, env), b = r(input, env);
    if (a !== undefined && !isNumeric(a)) throw new Unanswered("T2001");
    if (b !== undefined && !isNumeric(b)) throw new Unanswered("T2002");
    return a === undefined || b === undefined ? undefined : [a, b];
  };
  switch (op) {
    case "+":
      return (input, env) => {
        const o = operands(input, env);
        return o && o[0] + o[1];
      };
    case "-":
      return (input, env) => {
        const o = operands(input, env);
        return o && o[0] - o[1];
      };
    case "*":
      return (input, env) => {
        const o = operands(input, env);
        return o && o[0] * o[1];
      };
    case "/":
      return (input, env) => {
        const o = operands(input, env);
        return o && o[0] / o[1];
      };
    default:
      return (input, env) => {
        const o = operands(input, env);
        return o && o[0] % o[1];
      };
  }
}

/** `< <= > >=` (JSONata's `evaluateComparisonExpression`). */
function comparison(op: string, l: Fn, r: Fn): Fn {
  const test = op === "<"
    ? (a: Any, b: Any) => a < b
    : op === "<="
    ? (a: Any, b: Any) => a <= b
    : op === ">"
    ? (a: Any, b: Any) => a > b
    : (a: Any, b: Any) => a >= b;
  return (input, env) => {
    const a = l(input, env), b = r(input, env);
    const ta = typeof a, tb = typeof b;
    const comparableA = ta === "undefined" || ta === "string" || ta === "number";
    const comparableB = tb === "undefined" || tb === "string" || tb === "number";
    if (!comparableA || !comparableB) throw new Unanswered("T2010");
    if (ta === "undefined" || tb === "undefined") return undefined;
    if (ta !== tb) throw new Unanswered("T2009");
    return test(a, b);
  };
}

/** `a..b` (JSONata's `evaluateRangeExpression`). */
function range(lhs: Any, rhs: Any, run: Run): Any {
  if (lhs !== undefined && !Number.isInteger(lhs)) throw new Unanswered("T2003");
  if (rhs !== undefined && !Number.isInteger(rhs)) throw new Unanswered("T2004");
  if (lhs === undefined || rhs === undefined || lhs > rhs) return undefined;
  const size = rhs - lhs + 1;
  if (size > 1e7 || size > run.limits.sequence) throw new Unanswered("D2014/D2015");
  run.tick(size);
  const result: Sequence = new Array(size);
  for (let item = lhs, index = 0; item <= rhs; item++, index++) result[index] = item;
  result.sequence = true;
  return result;
}

/** `a in b` (JSONata's `evaluateIncludesExpression`). */
function includes(lhs: Any, rhs: Any): boolean {
  if (lhs === undefined || rhs === undefined) return false;
  if (!Array.isArray(rhs)) rhs = [rhs];
  for (let i = 0; i < rhs.length; i++) if (rhs[i] === lhs) return true;
  return false;
}

/** `*` (JSONata's `evaluateWildcard`). */
function wildcard(input: Any, run: Run): Any {
  let results: Any = sequence();
  if (Array.isArray(input) && (input as Sequence).outerWrapper && input.length > 0) input = input[0];
  if (input !== null && typeof input === "object" && !isFunction(input)) {
    for (const key of Object.keys(input)) {
      run.tick();
      const value = input[key];
      if (Array.isArray(value)) results = append(results, flatten(value), run);
      else pushLimited(results, value, run);
    }
  }
  return results;
}

/** `**` (JSONata's `evaluateDescendants`). */
function descendants(input: Any, run: Run): Any {
  if (input === undefined) return undefined;
  const results = sequence();
  const recurse = (v: Any): void => {
    run.tick();
    if (!Array.isArray(v)) pushLimited(results, v, run);
    if (Array.isArray(v)) { for (const member of v) recurse(member); }
    else if (v !== null && typeof v === "object" && !isFunction(v)) {
      for (const key of Object.keys(v)) {
        recurse(v[key]);
      }
    }
  };
  recurse(input);
  return results.length === 1 ? results[0] : results;
}
