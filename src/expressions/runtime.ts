/**
 * What the compiled fast path of expressions works with at run time:
 * JSONata's sequences (arrays flagged the way its evaluator flags them), the
 * frames of variables, one evaluation's state with its time limit, and the
 * small helpers of JSONata's evaluator that its package does not export
 * (`isNumeric`, `isDeepEqual`, `fn.boolean`, `fn.append`, ...), ported line
 * for line so that the compiled closures give exactly JSONata's results.
 *
 * @module
 */

/** Any value JSONata handles (ported code reads `.length` and indexes of whatever it gets, as JSONata does). */
// deno-lint-ignore no-explicit-any
export type Any = any;

/** A JSONata sequence: an array with the flags JSONata's evaluator puts on it. */
export type Sequence = Any[] & {
  sequence?: boolean;
  keepSingleton?: boolean;
  cons?: boolean;
  outerWrapper?: boolean;
  tupleStream?: boolean;
};

/** The limits of one evaluation (the same as JSONata's options: `timeout`, `stack`, `sequence`). */
export interface Limits {
  /** Milliseconds an evaluation may take. */
  readonly timeoutMs: number;
  /** The deepest evaluation JSONata allows (the compiler refuses deeper expressions). */
  readonly stack: number;
  /** The longest sequence. */
  readonly sequence: number;
}

/** A compiled node: evaluates against the context `input` in frame `env`. */
export type Fn = (input: Any, env: Frame) => Any;

/**
 * Thrown inside the fast path when it cannot give JSONata's answer by itself
 * (an error JSONata would word, a sequence over the limit): the caller
 * evaluates the expression with JSONata instead.
 */
export class Unanswered extends Error {
  constructor(why: string) {
    super(why);
    this.name = "Unanswered";
  }
}

/**
 * The time limit was reached: JSONata's own error (code D1012), which the
 * caller reports as JSONata's, with the position JSONata would give it (see
 * the compiler's calls and `and`/`or`).
 */
export class EvaluationTimeout extends Error {
  /** JSONata's error code. */
  readonly code = "D1012";
  /** Where in the expression, as JSONata reports it. */
  position?: number;
  constructor(timeoutMs: number) {
    super(`Evaluation timeout after ${timeoutMs} milliseconds. Check for infinite loop`);
    this.name = "EvaluationTimeout";
  }
}

/** Steps between two looks at the clock. */
const TICKS = 1024;

/** One evaluation: its bindings, its root input (`$$`) and its clock. */
export class Run {
  /** Steps left before the clock is read again. */
  budget = TICKS;
  /** When the evaluation must end (performance.now()); 0 until the clock was first read. */
  deadline = 0;
  constructor(
    /** The variables given to the evaluation. */
    readonly bindings: Record<string, unknown> | undefined,
    /** `$$`: the input as given. */
    readonly root: unknown,
    readonly limits: Limits,
  ) {}

  /**
   * Counts `steps` steps of work (an item of a loop, an element of an array
   * built); past the time limit, throws {@linkcode EvaluationTimeout}. The
   * clock is read every thousand steps or so (a reading costs a fraction of
   * a microsecond, as much as a whole small evaluation).
   */
  tick(steps = 1): void {
    if ((this.budget -= steps) > 0) return;
    this.budget = TICKS;
    const now = performance.now();
    // The clock starts at the first reading: the steps before it take microseconds.
    if (this.deadline === 0) this.deadline = now + this.limits.timeoutMs;
    else if (now > this.deadline) throw new EvaluationTimeout(this.limits.timeoutMs);
  }

  #now: Date | undefined;

  /** The time `$now()` and `$millis()` give: the same throughout the evaluation, as in JSONata. */
  now(): Date {
    return this.#now ??= new Date();
  }

  /** A variable no frame binds: `$$`, or one of the evaluation's bindings. */
  global(name: string): unknown {
    if (name === "$") return this.root;
    const b = this.bindings;
    return b !== undefined && b !== null && Object.hasOwn(b, name) ? b[name] : undefined;
  }
}

/** A frame of variables (a block's `:=`, a function's parameters), over its parent's. */
export class Frame {
  /** The variables bound in this frame, when any. */
  vars: Record<string, unknown> | null = null;
  constructor(readonly parent: Frame | null, readonly run: Run) {}

  /** Binds `name` in this frame. */
  bind(name: string, value: unknown): void {
    (this.vars ??= Object.create(null) as Record<string, unknown>)[name] = value;
  }

  /** JSONata's lookup: this frame, its parents, then the evaluation's bindings and `$$`. */
  lookup(name: string): unknown {
    if (this.vars !== null && Object.hasOwn(this.vars, name)) return this.vars[name];
    return this.parent === null ? this.run.global(name) : this.parent.lookup(name);
  }
}

/** JSONata's `createSequence` with the sequence limit (its error is left to JSONata). */
export function limitedSequence(limit: number): (...args: unknown[]) => Sequence {
  return function createSequence(...args: unknown[]): Sequence {
    const s: Sequence = [];
    s.push = function (...items: unknown[]): number {
      if (s.length + items.length > limit) throw new Unanswered("D2015");
      return Array.prototype.push.apply(s, items);
    };
    s.sequence = true;
    if (args.length === 1) s.push(args[0]);
    return s;
  };
}

/** A new, empty sequence (JSONata's `createSequence()`). */
export function sequence(): Sequence {
  const s: Sequence = [];
  s.sequence = true;
  return s;
}

/** A sequence of one value (JSONata's `createSequence(value)`). */
export function sequenceOf(value: unknown): Sequence {
  const s: Sequence = [value];
  s.sequence = true;
  return s;
}

/** Pushes onto a sequence the fast path built, within the sequence limit. */
export function pushLimited(s: Any[], value: unknown, run: Run): void {
  if (s.length >= run.limits.sequence) throw new Unanswered("sequence limit");
  s.push(value);
}

/** JSONata's `isSequence`. */
export function isSequence(value: Any): boolean {
  return value.sequence === true && Array.isArray(value);
}

/**
 * JSONata's `isFunction`: a function, or an object flagged as one of
 * JSONata's (data may carry those flags; JSONata then treats it as a function).
 */
export function isFunction(arg: Any): boolean {
  return (arg && (arg._jsonata_function === true || arg._jsonata_lambda === true)) || typeof arg === "function";
}

/** JSONata's `isNumeric`: a number that is not NaN; an infinite one is an error. */
export function isNumeric(n: unknown): boolean {
  if (typeof n !== "number") return false;
  if (Number.isNaN(n)) return false;
  if (!Number.isFinite(n)) throw new Unanswered("D1001");
  return true;
}

/** JSONata's `isArrayOfNumbers`. */
export function isArrayOfNumbers(arg: unknown): boolean {
  if (!Array.isArray(arg)) return false;
  let ok = true;
  for (const item of arg) if (!isNumeric(item)) ok = false; // every item is checked, as JSONata's filter does
  return ok;
}

/** JSONata's `isArrayOfStrings`. */
export function isArrayOfStrings(arg: unknown): boolean {
  return Array.isArray(arg) && arg.every((item) => typeof item === "string");
}

/** JSONata's `isDeepEqual` (the `=` and `!=` operators). */
export function isDeepEqual(lhs: Any, rhs: Any): boolean {
  if (lhs === rhs) return true;
  if (typeof lhs !== "object" || typeof rhs !== "object" || lhs === null || rhs === null) return false;
  if (Array.isArray(lhs) && Array.isArray(rhs)) {
    if (lhs.length !== rhs.length) return false;
    for (let i = 0; i < lhs.length; i++) if (!isDeepEqual(lhs[i], rhs[i])) return false;
    return true;
  }
  const lkeys = Object.getOwnPropertyNames(lhs).sort();
  const rkeys = Object.getOwnPropertyNames(rhs).sort();
  if (lkeys.length !== rkeys.length) return false;
  for (let i = 0; i < lkeys.length; i++) if (lkeys[i] !== rkeys[i]) return false;
  for (const key of lkeys) if (!isDeepEqual(lhs[key], rhs[key])) return false;
  return true;
}

/** JSONata's `fn.boolean` (the values the fast path meets are never functions). */
export function boolean(arg: Any): boolean | undefined {
  if (arg === undefined) return undefined;
  if (Array.isArray(arg)) {
    if (arg.length === 1) return boolean(arg[0]);
    if (arg.length > 1) return arg.filter((v) => boolean(v)).length > 0;
    return false;
  }
  if (typeof arg === "string") return arg.length > 0;
  if (isNumeric(arg)) return arg !== 0;
  if (arg !== null && typeof arg === "object" && !isFunction(arg)) return Object.keys(arg).length > 0;
  return arg === true;
}

/** `boolean` with no value as false (JSONata's `boolize`, for `and` and `or`). */
export function boolize(value: unknown): boolean {
  return boolean(value) ?? false;
}

/** JSONata's `fn.append` (array constructors, grouping, wildcards). */
export function append(arg1: Any, arg2: Any, run: Run): Any {
  if (arg1 === undefined) return arg2;
  if (arg2 === undefined) return arg1;
  if (!Array.isArray(arg1)) arg1 = sequenceOf(arg1);
  if (!Array.isArray(arg2)) arg2 = [arg2];
  if (arg1.length + arg2.length > run.limits.sequence) throw new Unanswered("D2015");
  return arg1.concat(arg2);
}

/** JSONata's `fn.lookup`: the value of `key`, mapped over arrays. */
export function lookup(input: Any, key: string, run: Run): Any {
  if (Array.isArray(input)) {
    const result = sequence();
    for (let i = 0; i < input.length; i++) {
      run.tick();
      const res = lookup(input[i], key, run);
      if (res === undefined) continue;
      if (Array.isArray(res)) { for (const v of res) pushLimited(result, v, run); }
      else pushLimited(result, res, run);
    }
    return result;
  }
  if (input !== null && typeof input === "object" && Object.hasOwn(input, key) && !isFunction(input)) return input[key];
  return undefined;
}

/**
 * What `evaluate` does to every result in JSONata: an empty sequence is no
 * value, a sequence of one is that value (unless it keeps singletons).
 */
export function collapse(result: Any, keepArray: boolean): Any {
  if (!result || result.sequence !== true || !Array.isArray(result)) return result;
  const s = result as Sequence;
  if (s.tupleStream) return s;
  if (keepArray) s.keepSingleton = true;
  if (s.length === 0) return undefined;
  if (s.length === 1) return s.keepSingleton ? s : s[0];
  return s;
}

/** JSONata's `flatten` (the wildcard's arrays). */
export function flatten(arg: Any, flattened: Any[] = []): Any[] {
  if (Array.isArray(arg)) { for (const item of arg) flatten(item, flattened); }
  else flattened.push(arg);
  return flattened;
}
