/**
 * Safe expressions: JSONata (never `eval`), compiled once and cached, with
 * time, depth and size limits on every evaluation; and `{{ expression }}`
 * templates inside config strings.
 *
 * JSONata itself is loaded on demand ({@linkcode loadExpressionEngine}):
 * most workflows have no expression, and loading it costs tens of
 * milliseconds of start-up time. `mod.ts` loads it at once, so the library's
 * synchronous API always has it; the CLI loads it when a workflow needs it.
 *
 * Evaluation takes the quickest way that gives JSONata's answer: a plain
 * path is read from the data; an expression within the fast path's subset
 * runs as synchronous JavaScript compiled from JSONata's AST
 * (`fast.ts`, loaded with JSONata); anything else, and any
 * evaluation the fast path cannot finish by itself (an error, which JSONata
 * words), goes to JSONata's asynchronous evaluator.
 *
 * @module
 */
import type jsonataModule from "jsonata";
import type createFastCompiler from "./fast.ts";
import type { FastCompiler } from "./fast.ts";
import * as z from "zod/mini";
import type { $ZodType } from "zod/v4/core";
import type { ZodSchema } from "../workflow/zod.ts";
import type { ZodType } from "zod";

type Jsonata = typeof jsonataModule;
let jsonata: Jsonata | undefined;
let fast: FastCompiler | undefined;

/**
 * Thrown when an expression is compiled before JSONata was loaded. Callers
 * that validate a workflow asynchronously catch it, call
 * {@linkcode loadExpressionEngine} and validate again.
 */
export class ExpressionEngineNotLoaded extends Error {
  constructor() {
    super("the JSONata expression engine is not loaded: await loadExpressionEngine() first");
    this.name = "ExpressionEngineNotLoaded";
  }
}

/** Loads JSONata and the fast path (once); expressions compile synchronously afterwards. */
export async function loadExpressionEngine(): Promise<void> {
  if (jsonata) return;
  const [engine, compiler] = await Promise.all([import("jsonata"), import("./fast.ts")]);
  jsonata ??= engine.default;
  fast ??= compiler.default(engine.default, EXPRESSION_LIMITS);
}

/**
 * Installs an already imported JSONata and, when given, the fast path's
 * compiler (how `mod.ts` loads them eagerly).
 */
export function useExpressionEngine(engine: Jsonata, createFast?: typeof createFastCompiler): void {
  jsonata = engine;
  fast = createFast?.(engine, EXPRESSION_LIMITS);
}

/** A compiled JSONata expression. */
export interface Expression {
  /** The expression source (without `{{ }}`). */
  readonly source: string;
  /** Evaluates against `input` (`$`) with variables (`{ inputs: ... }` is `$inputs`). */
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
  /**
   * Like {@linkcode Expression.evaluate}, without waiting when it need not:
   * the value itself when a plain path or the fast path gives it (errors are
   * thrown), else a Promise of it from JSONata's evaluator. A value is
   * plain JSON, never a Promise, so `instanceof Promise` tells them apart.
   */
  evaluateNow(input: unknown, bindings?: Record<string, unknown>): unknown;
}

/** Limits applied to every evaluation. */
export const EXPRESSION_LIMITS = { timeoutMs: 1000, stack: 500, sequence: 1_000_000 } as const;

/** A JSONata syntax error, with the position inside the expression. */
export class ExpressionSyntaxError extends Error {
  /**
   * 1-based character position of the error, when known: inside the
   * expression, or, from {@linkcode parseTemplate}, inside the whole string.
   */
  readonly position?: number;
  constructor(message: string, position?: number) {
    super(message);
    this.name = "ExpressionSyntaxError";
    this.position = position;
  }
}

const cache = new Map<string, Expression>();

/**
 * Compiles a JSONata expression (cached by source). Throws an
 * {@linkcode ExpressionSyntaxError} saying where the syntax error is.
 *
 * @example
 * ```ts
 * import { compileExpression } from "./expressions.ts";
 * const e = compileExpression("$sum(items.price)");
 * await e.evaluate({ items: [{ price: 2 }, { price: 3 }] }); // 5
 * ```
 */
export function compileExpression(source: string): Expression {
  let compiled = cache.get(source);
  if (compiled) return compiled;
  if (!jsonata) throw new ExpressionEngineNotLoaded();
  let expr: ReturnType<Jsonata>;
  try {
    expr = jsonataExpression(jsonata, source);
  } catch (err) {
    const e = err as { message?: string; position?: number };
    const where = typeof e.position === "number" ? ` at position ${e.position}` : "";
    throw new ExpressionSyntaxError(`syntax error${where}: ${e.message ?? String(err)}`, e.position);
  }
  compiled = compiledExpression(source, expr, fast);
  if (cache.size > 10_000) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

/** JSONata's compiled form of `source`, under {@linkcode EXPRESSION_LIMITS}. */
function jsonataExpression(engine: Jsonata, source: string): ReturnType<Jsonata> {
  return engine(source, {
    timeout: EXPRESSION_LIMITS.timeoutMs,
    stack: EXPRESSION_LIMITS.stack,
    sequence: EXPRESSION_LIMITS.sequence,
  });
}

/**
 * Evaluates `source` with JSONata's evaluator alone (no plain path, no fast
 * path), under the same limits and with the same conversion of results and
 * errors: what every evaluation gave before the fast path, and the reference
 * the fast path is tested against (tests/expressions_fast_test.ts).
 */
export async function evaluateWithJsonata(
  source: string,
  input: unknown,
  bindings?: Record<string, unknown>,
): Promise<unknown> {
  if (!jsonata) throw new ExpressionEngineNotLoaded();
  return await runJsonata(jsonataExpression(jsonata, source), input, bindings);
}

/** Evaluates with JSONata's evaluator: the result as plain JSON, an error as users see it. */
async function runJsonata(
  expr: ReturnType<Jsonata>,
  input: unknown,
  bindings: Record<string, unknown> | undefined,
): Promise<unknown> {
  let value: unknown;
  try {
    value = await expr.evaluate(input, bindings);
  } catch (err) {
    throw jsonataError(err);
  }
  return toJson(value);
}

/** An {@linkcode Expression} that tries the plain path, then the fast path, then JSONata. */
function compiledExpression(source: string, expr: ReturnType<Jsonata>, compiler: FastCompiler | undefined): Expression {
  const path = simplePath(source);
  const fastForm = compiler?.compile(expr.ast());
  const unanswered = compiler?.unanswered;
  const evaluateNow = (input: unknown, bindings?: Record<string, unknown>): unknown => {
    if (path) {
      const found = followPath(path, input, bindings);
      if (found !== undefined) return toJson(found);
    }
    if (fastForm) {
      let value: unknown;
      try {
        value = fastForm(input, bindings);
      } catch (err) {
        throw jsonataError(err);
      }
      if (value !== unanswered) return toJson(value);
    }
    return runJsonata(expr, input, bindings);
  };
  return {
    source,
    evaluateNow,
    evaluate(input, bindings) {
      try {
        return Promise.resolve(evaluateNow(input, bindings));
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

/** A JSONata evaluation error as users see it: JSONata's message and the position in the expression. */
function jsonataError(err: unknown): Error {
  const e = err as { message?: string; position?: number };
  const where = typeof e.position === "number" && e.position > 0 ? ` (at position ${e.position})` : "";
  return new Error(`${e.message ?? String(err)}${where}`);
}

/** A path of plain names from a variable (`$node.body.name`) or from the input (`body.name`). */
interface SimplePath {
  /** The variable's name, or undefined for the input. */
  variable?: string;
  /** The property names, in order. */
  keys: string[];
}

const SIMPLE_PATH = /^(\$?)([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/;
const NOT_NAMES = new Set(["and", "or", "in", "true", "false", "null", "function"]);

/** The expression as a {@linkcode SimplePath}, when it is one. */
function simplePath(source: string): SimplePath | undefined {
  const m = SIMPLE_PATH.exec(source);
  if (!m) return undefined;
  const names = [m[2], ...m[3].split(".").slice(1)];
  if (names.some((n) => NOT_NAMES.has(n))) return undefined;
  return m[1] ? { variable: names[0], keys: names.slice(1) } : { keys: names };
}

/**
 * The fast path for a {@linkcode SimplePath}: follows own properties of plain
 * objects, where JSONata would return the same value. Undefined whenever
 * JSONata's answer could differ (an array on the way, which JSONata maps
 * over; a missing name; an unbound variable, which may be a built-in
 * function): JSONata evaluates those.
 */
function followPath(path: SimplePath, input: unknown, bindings: Record<string, unknown> | undefined): unknown {
  let v: unknown = path.variable === undefined
    ? input
    : bindings && Object.hasOwn(bindings, path.variable)
    ? bindings[path.variable]
    : undefined;
  for (const key of path.keys) {
    if (v === null || typeof v !== "object" || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
    const o = v as Record<string, unknown>;
    // An object flagged as one of JSONata's functions has no properties to JSONata.
    if (o._jsonata_lambda === true || o._jsonata_function === true) return undefined;
    v = o[key];
  }
  return Array.isArray(v) ? undefined : v;
}

/** Converts a JSONata result to plain JSON (sequences to arrays); rejects functions. */
function toJson(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === "function") throw new Error("the expression returned a function, not a value");
  if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`the expression returned ${value}`);
  if (typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(toJson);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const j = toJson((value as Record<string, unknown>)[k]);
    if (j !== undefined) out[k] = j;
  }
  return out;
}

/** A string with `{{ }}` templates: literal text and expressions, in order. */
export interface Template {
  /** The original string. */
  readonly source: string;
  /** Literal strings and compiled expressions. */
  readonly parts: readonly (string | Expression)[];
  /** True when the string is exactly one template: the result keeps the expression's type. */
  readonly single: boolean;
}

/**
 * Parses `{{ expression }}` templates in a string. Returns undefined when the
 * string has none. Throws {@linkcode ExpressionSyntaxError} (message starting
 * with the template text) on a bad expression.
 *
 * @example
 * ```ts
 * import { evaluateTemplate, parseTemplate } from "./expressions.ts";
 * const t = parseTemplate("https://api.test/users/{{ $inputs.id }}")!;
 * await evaluateTemplate(t, { inputs: { id: 7 } }); // "https://api.test/users/7"
 * ```
 */
export function parseTemplate(text: string): Template | undefined {
  if (!text.includes("{{")) return undefined;
  const parts: (string | Expression)[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    if (open === -1) {
      parts.push(text.slice(i));
      break;
    }
    if (open > i) parts.push(text.slice(i, open));
    // The closing "}}" is the first one after which the inside compiles
    // (JSONata object constructors may themselves end in "}}").
    let close = text.indexOf("}}", open + 2);
    if (close === -1) {
      throw new ExpressionSyntaxError(`${text}: "{{" at position ${open + 1} is never closed by "}}"`, open + 1);
    }
    if (text.slice(open + 2, close).trim() === "") {
      throw new ExpressionSyntaxError(`${text}: empty {{ }} at position ${open + 1}`, open + 1);
    }
    let expr: Expression | undefined;
    let firstError: unknown;
    while (close !== -1) {
      try {
        expr = compileExpression(text.slice(open + 2, close).trim());
        break;
      } catch (err) {
        if (err instanceof ExpressionEngineNotLoaded) throw err;
        firstError ??= err;
        const next = text.indexOf("}}", close + 1);
        if (next === -1) break;
        close = next;
      }
    }
    if (!expr) {
      const raw = text.slice(open + 2, text.indexOf("}}", open + 2));
      const inner = raw.trim();
      // The position inside the whole string: where the expression starts, plus its own position.
      const at = (firstError as ExpressionSyntaxError).position;
      const position = at === undefined ? undefined : open + 2 + (raw.length - raw.trimStart().length) + at;
      throw new ExpressionSyntaxError(`{{ ${inner} }}: ${(firstError as Error).message}`, position);
    }
    parts.push(expr);
    i = close + 2;
  }
  return { source: text, parts, single: parts.length === 1 && typeof parts[0] !== "string" };
}

/** Evaluates a template: the value itself for a single template, else a joined string. */
export async function evaluateTemplate(template: Template, bindings: Record<string, unknown>): Promise<unknown> {
  return await evaluateTemplateNow(template, bindings);
}

/**
 * {@linkcode evaluateTemplate} without waiting when it need not: the value
 * itself when every expression in the template gives it synchronously (see
 * {@linkcode Expression.evaluateNow}), else a Promise of it.
 */
export function evaluateTemplateNow(template: Template, bindings: Record<string, unknown>): unknown {
  const input = bindings.node ?? null;
  if (template.single) return (template.parts[0] as Expression).evaluateNow(input, bindings);
  let out = "";
  for (let i = 0; i < template.parts.length; i++) {
    const part = template.parts[i];
    if (typeof part === "string") {
      out += part;
      continue;
    }
    const value = part.evaluateNow(input, bindings);
    if (value instanceof Promise) return finishTemplate(template, bindings, i, out, value);
    out += templateText(value);
  }
  return out;
}

/** The rest of a text template once part `i` needs JSONata's evaluator: `out` is the text so far. */
async function finishTemplate(
  template: Template,
  bindings: Record<string, unknown>,
  i: number,
  out: string,
  pending: Promise<unknown>,
): Promise<string> {
  out += templateText(await pending);
  for (const part of template.parts.slice(i + 1)) {
    out += typeof part === "string" ? part : templateText(await part.evaluate(bindings.node ?? null, bindings));
  }
  return out;
}

/** A value inside a text template: a string as is, no value or null as nothing, else compact JSON. */
function templateText(v: unknown): string {
  return v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
}

const expressionSchemas = new WeakSet<object>();

/**
 * Marks a schema in `set`. zod's `.describe()` and `.meta()` return a copy that
 * shares the schema's definition object, so the definition is marked too.
 */
function mark(set: WeakSet<object>, schema: $ZodType): void {
  set.add(schema);
  set.add(schema._zod.def);
}

/** Whether `schema` (or a copy of it, see {@linkcode mark}) is marked in `set`. */
function marked(set: WeakSet<object>, schema: { _zod?: { def?: object } }): boolean {
  return set.has(schema) || (schema._zod?.def !== undefined && set.has(schema._zod.def));
}

/** A schema of classic zod (`import { z } from "zod"`), with its methods (`.optional()`...). */
export type ClassicZodType = ZodType;

/**
 * The zod schema of a config field holding an expression: a string in the
 * file, an {@linkcode Expression} in `run`. A schema of classic zod, so that
 * `expression().optional()` works there too.
 */
export type ExpressionSchema = ClassicZodType & {
  readonly _zod: { readonly output: Expression; readonly input: string };
};

/**
 * A config field holding a JSONata expression, compiled at validation time
 * (a syntax error is a validation error with its position). Accepts the bare
 * expression or one `{{ }}` around it. Evaluate it with `ctx.evaluate`.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { expression } from "./expressions.ts";
 * const config = z.object({ condition: expression() });
 * ```
 */
export function expression(): ExpressionSchema {
  const compile: z.ZodMiniTransform<Expression, string> = z.transform((text: string, payload) => {
    const m = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(text);
    try {
      return compileExpression((m ? m[1] : text).trim());
    } catch (err) {
      if (err instanceof ExpressionEngineNotLoaded) throw err;
      const message = `${JSON.stringify(text)}: ${(err as Error).message}`;
      payload.issues.push({ code: "custom", message, input: text, inst: compile });
      return z.NEVER;
    }
  });
  const schema = z.pipe(z.string(), compile);
  mark(expressionSchemas, schema);
  return schema as unknown as ExpressionSchema;
}

/** Whether a zod schema (or the inner schema of an optional/default wrapper) is an {@linkcode expression}. */
export function isExpressionSchema(schema: unknown): boolean {
  let s = schema as { _zod?: { def?: { innerType?: unknown } } } | undefined;
  for (let i = 0; s && i < 8; i++) {
    if (marked(expressionSchemas, s)) return true;
    s = s._zod?.def?.innerType as typeof s;
  }
  return false;
}

const untemplatedSchemas = new WeakSet<object>();

/**
 * Marks a config field whose strings are left as written: `{{ }}` inside it
 * is not evaluated by the engine (e.g. an inline sub-workflow, evaluated when
 * it runs).
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { untemplated } from "./expressions.ts";
 * const config = z.object({ workflow: untemplated(z.record(z.string(), z.unknown())) });
 * ```
 */
export function untemplated<T extends ZodSchema>(schema: T): T {
  mark(untemplatedSchemas, schema);
  return schema;
}

/** Whether a schema (through optional/default wrappers) is {@linkcode untemplated} or an {@linkcode expression}. */
export function skipsTemplates(schema: unknown): boolean {
  if (isExpressionSchema(schema)) return true;
  let s = schema as { _zod?: { def?: { innerType?: unknown } } } | undefined;
  for (let i = 0; s && i < 8; i++) {
    if (marked(untemplatedSchemas, s)) return true;
    s = s._zod?.def?.innerType as typeof s;
  }
  return false;
}

/** The schema of `key` inside `schema` (object shape, array element, record value), through wrappers. */
export function childSchema(schema: unknown, key: string | number): unknown {
  let s = schema as { _zod?: { def?: Record<string, unknown> } } | undefined;
  for (let i = 0; s && i < 8; i++) {
    const def = s._zod?.def;
    if (!def) return undefined;
    if (def.type === "object") return (def.shape as Record<string, unknown>)[key];
    if (def.type === "array") return def.element;
    if (def.type === "record") return def.valueType;
    s = def.innerType as typeof s;
  }
  return undefined;
}
