/**
 * JSONata's built-in functions for the fast path of expressions. Functions
 * that JSONata implements synchronously are JSONata's own (taken from its
 * evaluator, with their signatures, see {@linkcode builtinLookup}); the few
 * it implements asynchronously because they may call a function or a regular
 * expression (`$map`, `$filter`, `$reduce`, `$sort`, `$split`, ...) are
 * ported line for line as synchronous functions, for the cases the fast path
 * handles (string separators and patterns, lambdas written in place).
 *
 * @module
 */
import type jsonataModule from "jsonata";
import {
  type Any,
  boolean,
  isArrayOfNumbers,
  isArrayOfStrings,
  isFunction,
  limitedSequence,
  type Limits,
  pushLimited,
  type Run,
  sequence,
  Unanswered,
} from "./runtime.ts";

/** A built-in function as JSONata's evaluator holds it. */
interface FunctionDefinition {
  implementation: (this: unknown, ...args: Any[]) => Any;
  signature?: { definition?: string; validate(args: Any[], context: unknown): Any[] };
}

/** A function of the fast path, called by name from a compiled expression. */
export interface FastFunction {
  /** JSONata's signature check: the arguments completed (context, arrays) or an error. */
  validate(args: Any[], context: unknown): Any[];
  /** Calls it with validated arguments. */
  call(args: Any[], run: Run): Any;
  /** The position of the parameter that takes a function (a lambda written in place), if any. */
  readonly functionParam?: number;
  /**
   * The position of its latest call in the expression: JSONata keeps it on
   * the function itself and gives it to an error (the time limit) that
   * leaves the function.
   */
  position?: number;
}

/** A function value the fast path passes to `$map` and the like: a lambda, with JSONata's arity. */
export type Callable = ((...args: Any[]) => Any) & { arity: number };

/**
 * Finds JSONata's built-in functions: a frame of a JSONata evaluation, read
 * through its `__evaluate_entry` hook, which the evaluator calls before its
 * first `await` (so synchronously). Undefined when that fails (then the fast
 * path stays off and JSONata evaluates everything).
 */
export function builtinLookup(jsonata: typeof jsonataModule): ((name: string) => unknown) | undefined {
  let frame: { lookup(name: string): unknown } | undefined;
  try {
    const probe = jsonata("0");
    probe.assign(
      Symbol.for("jsonata.__evaluate_entry") as unknown as string,
      (_e: unknown, _i: unknown, env: never) => {
        frame ??= env;
      },
    );
    probe.evaluate(null).catch(() => {});
  } catch {
    return undefined;
  }
  const found = frame;
  if (!found || typeof found.lookup !== "function") return undefined;
  return (name) => found.lookup(name);
}

/** JSONata's functions that are synchronous there: called as they are. */
const SYNCHRONOUS = [
  "sum",
  "count",
  "max",
  "min",
  "average",
  "string",
  "substring",
  "substringBefore",
  "substringAfter",
  "lowercase",
  "uppercase",
  "length",
  "trim",
  "pad",
  "join",
  "formatNumber",
  "formatBase",
  "formatInteger",
  "parseInteger",
  "number",
  "floor",
  "ceil",
  "round",
  "abs",
  "sqrt",
  "power",
  "random",
  "boolean",
  "not",
  "zip",
  "keys",
  "lookup",
  "append",
  "exists",
  "spread",
  "merge",
  "reverse",
  "error",
  "assert",
  "type",
  "shuffle",
  "distinct",
  "base64encode",
  "base64decode",
  "encodeUrlComponent",
  "encodeUrl",
  "decodeUrlComponent",
  "decodeUrl",
  "toMillis",
  "fromMillis",
  "clone",
];

/**
 * The functions of the fast path, by name (without `$`). Built from
 * JSONata's own definitions; a name missing from JSONata is left out.
 */
export function fastFunctions(lookup: (name: string) => unknown, limits: Limits): Map<string, FastFunction> {
  const table = new Map<string, FastFunction>();
  const def = (name: string) => lookup(name) as FunctionDefinition | undefined;
  const focus = new Focus(limits);
  for (const name of SYNCHRONOUS) {
    const d = def(name);
    if (!d || typeof d.implementation !== "function") continue;
    const implementation = d.implementation;
    table.set(name, {
      validate: validator(d),
      call: (args, run) => {
        run.tick(work(args));
        focus.run = run;
        return implementation.apply(focus, args);
      },
    });
  }
  const fromMillis = def("fromMillis")?.implementation;
  const ported: Record<string, [(args: Any[], run: Run) => Any, number?]> = {
    now: [(args, run) => fromMillis!.call(focus, run.now().getTime(), args[0], args[1])],
    millis: [(_args, run) => run.now().getTime()],
    map: [(args, run) => map(args[0], args[1], run), 1],
    filter: [(args, run) => filter(args[0], args[1], run), 1],
    single: [(args) => single(args[0], args[1]), 1],
    reduce: [(args) => reduce(args[0], args[1], args[2]), 1],
    each: [(args, run) => each(args[0], args[1], run), 1],
    sift: [(args) => sift(args[0], args[1]), 1],
    sort: [(args) => sort(args[0], args[1]), 1],
    split: [(args) => split(args[0], args[1], args[2])],
    contains: [(args) => contains(args[0], args[1])],
    replace: [(args) => replace(args[0], args[1], args[2], args[3])],
  };
  for (const [name, [call, functionParam]] of Object.entries(ported)) {
    const d = def(name);
    if (!d || (name === "now" && !fromMillis)) continue;
    table.set(name, { validate: validator(d), call, functionParam });
  }
  return table;
}

/**
 * What JSONata's built-in functions get as `this`: sequences within the
 * limit, the options, and the evaluation's time (for `$toMillis` with a
 * picture). One for all calls: an evaluation runs to its end without
 * yielding, so `run` is the evaluation of the current call.
 */
class Focus {
  run: Run | undefined;
  readonly input = undefined;
  readonly options: { sequence: number };
  readonly createSequence: (...args: unknown[]) => unknown[];
  readonly environment: { readonly timestamp: Date | undefined };
  constructor(limits: Limits) {
    this.options = { sequence: limits.sequence };
    this.createSequence = limitedSequence(limits.sequence);
    const now = () => this.run?.now();
    this.environment = {
      get timestamp() {
        return now();
      },
    };
  }
}

/**
 * JSONata's signature check of a function, with a shortcut: when every
 * argument is given in the type its parameter takes as it is (no context
 * to fill in, no value to wrap in an array), JSONata's check would return
 * the arguments unchanged (padded with no value for optional ones left out),
 * so that is done without running it. Anything else goes to JSONata's check.
 */
function validator(d: FunctionDefinition): FastFunction["validate"] {
  const signature = d.signature;
  if (!signature) return (args) => args;
  const params = signature.definition === undefined ? undefined : signatureParams(signature.definition);
  if (!params) return (args, context) => signature.validate(args, context);
  return (args, context) => quickValidate(params, args) ?? signature.validate(args, context);
}

/** One parameter of a signature: the symbols it takes (JSONata's `getSymbol`, `m` for no value). */
interface Param {
  symbols: string;
  optional: boolean;
  context: boolean;
  array: boolean;
  subtype?: string;
}

/**
 * The parameters of a signature definition such as `<s-nn?:s>` (JSONata's
 * `parseSignature`), or undefined for the forms the shortcut leaves to
 * JSONata (`+`, parameterised choices, unknown symbols).
 */
function signatureParams(definition: string): Param[] | undefined {
  const params: Param[] = [];
  const param = (symbols: string, array = false) => params.push({ symbols, optional: false, context: false, array });
  for (let i = 1; i < definition.length; i++) {
    const c = definition[i];
    const prev = params[params.length - 1];
    if (c === ":" || c === ">") break;
    if ("snblo".includes(c)) param(c + "m");
    else if (c === "a") param("asnblfom", true);
    else if (c === "f") param("f");
    else if (c === "j") param("asnblom");
    else if (c === "x") param("asnblfom");
    else if (c === "-" && prev) prev.context = prev.optional = true;
    else if (c === "?" && prev) prev.optional = true;
    else if (c === "(") {
      const end = definition.indexOf(")", i);
      const choice = definition.slice(i + 1, end);
      if (end < 0 || choice.includes("<") || choice.includes("(")) return undefined;
      param(choice + "m");
      i = end;
    } else if (c === "<" && prev && (prev.symbols === "f" || prev.array)) {
      let depth = 1, end = i;
      while (depth > 0 && ++end < definition.length) {
        if (definition[end] === "<") depth++;
        else if (definition[end] === ">") depth--;
      }
      prev.subtype = definition.slice(i + 1, end);
      i = end;
    } else return undefined;
  }
  return params;
}

/** The arguments as JSONata's check would return them, when the shortcut applies; else undefined. */
function quickValidate(params: Param[], args: Any[]): Any[] | undefined {
  if (args.length > params.length) return undefined;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (i >= args.length) {
      if (!p.optional || p.context) return undefined;
      continue;
    }
    const arg = args[i];
    const symbol = symbolOf(arg);
    if (!p.symbols.includes(symbol)) return undefined;
    if (p.array) {
      if (symbol !== "a" && symbol !== "m") return undefined;
      if (symbol === "a" && p.subtype !== undefined) {
        if (p.subtype.length !== 1) return undefined;
        for (const item of arg) if (symbolOf(item) !== p.subtype) return undefined;
      }
    }
  }
  if (args.length === params.length) return args;
  const padded = args.slice();
  while (padded.length < params.length) padded.push(undefined);
  return padded;
}

/** JSONata's `getSymbol`: the signature symbol of a value. */
function symbolOf(value: Any): string {
  if (isFunction(value)) return "f";
  switch (typeof value) {
    case "string":
      return "s";
    case "number":
      return "n";
    case "boolean":
      return "b";
    case "object":
      return value === null ? "l" : Array.isArray(value) ? "a" : "o";
    default:
      return "m";
  }
}

/** About how much work a call over `args` is, for the time limit: the length of its arrays. */
function work(args: Any[]): number {
  let n = 1;
  for (const arg of args) if (Array.isArray(arg)) n += arg.length;
  return n;
}

/** JSONata's `hofFuncArgs`: the value, then its position and the whole, as far as the function takes them. */
function hofArgs(func: Callable, value: unknown, position: unknown, whole: unknown): unknown[] {
  const args = [value];
  if (func.arity >= 2) args.push(position);
  if (func.arity >= 3) args.push(whole);
  return args;
}

/** `$map`. */
function map(arr: Any[] | undefined, func: Callable, run: Run): Any {
  if (arr === undefined) return undefined;
  const result = sequence();
  for (let i = 0; i < arr.length; i++) {
    run.tick();
    const res = func(...hofArgs(func, arr[i], i, arr));
    if (res !== undefined) pushLimited(result, res, run);
  }
  return result;
}

/** `$filter`. */
function filter(arr: Any[] | undefined, func: Callable, run: Run): Any {
  if (arr === undefined) return undefined;
  const result = sequence();
  for (let i = 0; i < arr.length; i++) {
    run.tick();
    const entry = arr[i];
    if (boolean(func(...hofArgs(func, entry, i, arr)))) pushLimited(result, entry, run);
  }
  return result;
}

/** `$single`: its errors (none or several matches) are left to JSONata. */
function single(arr: Any[] | undefined, func: Callable | undefined): Any {
  if (arr === undefined) return undefined;
  let found = false;
  let result: unknown;
  for (let i = 0; i < arr.length; i++) {
    const entry = arr[i];
    const positive = func === undefined ? true : boolean(func(...hofArgs(func, entry, i, arr)));
    if (!positive) continue;
    if (found) throw new Unanswered("D3138");
    result = entry;
    found = true;
  }
  if (!found) throw new Unanswered("D3139");
  return result;
}

/** `$reduce` (JSONata's `foldLeft`). */
function reduce(seq: Any[] | undefined, func: Callable, init: unknown): Any {
  if (seq === undefined) return undefined;
  const arity = func.arity;
  if (arity < 2) throw new Unanswered("D3050");
  let result: unknown;
  let index: number;
  if (init === undefined && seq.length > 0) {
    result = seq[0];
    index = 1;
  } else {
    result = init;
    index = 0;
  }
  while (index < seq.length) {
    const args = [result, seq[index]];
    if (arity >= 3) args.push(index);
    if (arity >= 4) args.push(seq);
    result = func(...args);
    index++;
  }
  return result;
}

/** `$each`. */
function each(obj: Any, func: Callable, run: Run): Any {
  const result = sequence();
  for (const key of keysOf(obj)) {
    const val = func(...hofArgs(func, obj[key], key, obj));
    if (val !== undefined) pushLimited(result, val, run);
  }
  return result;
}

/** `$sift`. */
function sift(arg: Any, func: Callable): Any {
  const result: Record<string, unknown> = Object.create(null);
  for (const item of keysOf(arg)) {
    const entry = arg[item];
    if (boolean(func(...hofArgs(func, entry, item, arg)))) result[item] = entry;
  }
  return keysOf(result).length === 0 ? undefined : result;
}

/** JSONata's `utils.keys`. */
function keysOf(arg: unknown): string[] {
  return typeof arg === "object" && arg !== null ? Object.keys(arg) : [];
}

/**
 * `$sort`: JSONata's stable merge sort, with a loop where JSONata recurses
 * (the comparator's answer is taken as JavaScript truth, as JSONata's `if` does).
 */
function sort(arr: Any[] | undefined, comparator: Callable | undefined): Any {
  if (arr === undefined) return undefined;
  if (arr.length <= 1) return arr;
  let comp: (a: unknown, b: unknown) => unknown;
  if (comparator === undefined) {
    if (!isArrayOfNumbers(arr) && !isArrayOfStrings(arr)) throw new Unanswered("D3070");
    comp = (a, b) => (a as number) > (b as number);
  } else comp = comparator;
  const merge = (left: Any[], right: Any[]): Any[] => {
    const merged: Any[] = [];
    let l = 0, r = 0;
    while (l < left.length && r < right.length) {
      if (comp(left[l], right[r])) merged.push(right[r++]);
      else merged.push(left[l++]);
    }
    while (l < left.length) merged.push(left[l++]);
    while (r < right.length) merged.push(right[r++]);
    return merged;
  };
  const msort = (array: Any[]): Any[] => {
    if (array.length <= 1) return array;
    const middle = Math.floor(array.length / 2);
    return merge(msort(array.slice(0, middle)), msort(array.slice(middle)));
  };
  return msort(arr);
}

/** `$split` with a string separator (a regular expression is left to JSONata). */
function split(str: string | undefined, separator: unknown, limit: number | undefined): Any {
  if (str === undefined) return undefined;
  if (limit! < 0) throw new Unanswered("D3020");
  if (limit !== undefined && !(limit > 0)) return [];
  if (typeof separator !== "string") throw new Unanswered("regex separator");
  return str.split(separator, limit);
}

/** `$contains` with a string (a regular expression is left to JSONata). */
function contains(str: string | undefined, token: unknown): Any {
  if (str === undefined || token === undefined) return undefined;
  if (typeof token !== "string") throw new Unanswered("regex token");
  return str.indexOf(token) !== -1;
}

/** `$replace` of a string by a string (regular expressions and functions are left to JSONata). */
function replace(str: string | undefined, pattern: unknown, replacement: unknown, limit: number | undefined): Any {
  if (str === undefined) return undefined;
  if (pattern === "") throw new Unanswered("D3010");
  if (limit! < 0) throw new Unanswered("D3011");
  if (typeof pattern !== "string" || typeof replacement !== "string") throw new Unanswered("regex or function");
  if (limit !== undefined && !(limit > 0)) return str;
  let result = "";
  let position = 0;
  let count = 0;
  let index = str.indexOf(pattern, position);
  while (index !== -1 && (limit === undefined || count < limit)) {
    result += str.substring(position, index) + replacement;
    position = index + pattern.length;
    count++;
    index = str.indexOf(pattern, position);
  }
  return result + str.substring(position);
}
