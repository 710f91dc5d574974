/**
 * Limits on workflow files (docs/workflow.md#limits): the largest file flow
 * reads, and the deepest nesting of arrays and objects it accepts. Reading
 * stops at the size limit; the depth (and that every number is finite) is
 * the first thing validation checks, iteratively (`screenWorkflow` in
 * `workflow_shape.ts`), so no later step, recursive or not, ever sees a
 * value that could overflow the stack.
 *
 * The depth limit holds for every JSON value flow takes in, not only files:
 * input values, request and webhook bodies, `--trigger-data`, the text
 * `transform.json_parse` parses ({@linkcode jsonTooDeepAt} checks text
 * before it is parsed).
 *
 * @module
 */
import { type ValidationIssue, WorkflowValidationError } from "../errors.ts";
import { formatPath } from "./values.ts";

/** The largest workflow file read, in bytes, unless `FLOW_MAX_WORKFLOW_BYTES` sets another: 64 MiB. */
export const DEFAULT_MAX_WORKFLOW_BYTES = 64 * 1024 * 1024;
/** The highest `FLOW_MAX_WORKFLOW_BYTES` accepted: 256 MiB (a JavaScript string holds at most about 512 MiB). */
export const MAX_WORKFLOW_BYTES_CEILING = 256 * 1024 * 1024;
/** The deepest nesting of arrays and objects, unless `FLOW_MAX_WORKFLOW_DEPTH` sets another: 64. */
export const DEFAULT_MAX_WORKFLOW_DEPTH = 64;
/** The highest `FLOW_MAX_WORKFLOW_DEPTH` accepted: 1000 (deeper values could overflow the stack). */
export const MAX_WORKFLOW_DEPTH_CEILING = 1000;

/** The limits in force (see {@linkcode workflowLimits}). */
export interface WorkflowLimits {
  /** The largest workflow file, in bytes. */
  maxBytes: number;
  /** The deepest nesting of arrays and objects; the file's top-level object is level 1. */
  maxDepth: number;
}

const BYTES_VAR = "FLOW_MAX_WORKFLOW_BYTES";
const DEPTH_VAR = "FLOW_MAX_WORKFLOW_DEPTH";
const UNITS: Record<string, number> = { "": 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/**
 * The limits in force: `FLOW_MAX_WORKFLOW_BYTES` and `FLOW_MAX_WORKFLOW_DEPTH`
 * where set (and readable), else the defaults. A bad value is a
 * {@linkcode WorkflowValidationError} naming the variable.
 *
 * @example
 * ```ts
 * import { workflowLimits } from "./limits.ts";
 * workflowLimits(); // { maxBytes: 67108864, maxDepth: 64 } unless the variables are set
 * ```
 */
export function workflowLimits(): WorkflowLimits {
  return {
    maxBytes: parseLimit(BYTES_VAR, envValue(BYTES_VAR), DEFAULT_MAX_WORKFLOW_BYTES, MAX_WORKFLOW_BYTES_CEILING, true),
    maxDepth: parseLimit(DEPTH_VAR, envValue(DEPTH_VAR), DEFAULT_MAX_WORKFLOW_DEPTH, MAX_WORKFLOW_DEPTH_CEILING, false),
  };
}

/** A variable's value; undefined when unset, empty, or not readable (no prompt for a permission). */
export function envValue(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A limit from its variable's text: a whole number from `floor` (1 unless
 * given) to `ceiling` (for sizes, optionally with a KiB, MiB or GiB suffix);
 * `fallback` when unset.
 */
export function parseLimit(
  name: string,
  text: string | undefined,
  fallback: number,
  ceiling: number,
  size: boolean,
  floor = 1,
): number {
  if (text === undefined) return fallback;
  const m = (size ? /^\s*(\d+)\s*([kmg]ib)?\s*$/i : /^\s*(\d+)\s*$/).exec(text);
  const value = m ? Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()] : NaN;
  if (!(value >= floor && value <= ceiling)) {
    const from = floor === 1 ? "1" : size ? formatBytes(floor, true) : String(floor);
    const what = size
      ? `a size in bytes from ${from} to ${formatBytes(ceiling, true)}, optionally with KiB, MiB or GiB (e.g. 128MiB)`
      : `a whole number from ${from} to ${ceiling}`;
    throw new WorkflowValidationError([{
      path: "",
      message: `${name}: expected ${what}; got ${JSON.stringify(text)}`,
    }]);
  }
  return value;
}

/**
 * A size for messages: `64 MiB`, `1.5 KiB`, `900 bytes`; with `exact`, in
 * a unit only when it divides the size (`1500 bytes`).
 */
export function formatBytes(bytes: number, exact = false): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= size && (!exact || bytes % size === 0)) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * The error for a workflow larger than `maxBytes`: its size when known
 * (a regular file), else only that it holds more (a device, a pipe).
 */
export function tooLargeError(file: string | undefined, maxBytes: number, size?: number): WorkflowValidationError {
  const limit = formatBytes(maxBytes, true);
  // The size rounded, unless it would read as the limit itself or the limit is in bytes.
  const exact = size === undefined || limit.endsWith(" bytes") || formatBytes(size) === limit;
  const shown = size === undefined ? "" : exact ? `${size} bytes` : formatBytes(size);
  const what = size === undefined ? "is larger than" : `is ${shown}, larger than`;
  return new WorkflowValidationError([{
    path: "",
    message: `the workflow ${what} the limit of ${limit} (${BYTES_VAR})`,
  }], file);
}

/**
 * Checks a parsed workflow file before anything else reads it: arrays and
 * objects nested at most `maxDepth` levels (the file's top-level value is
 * level 1), and every number finite (JSON text such as `1e400` parses as
 * Infinity). Throws a {@linkcode WorkflowValidationError} naming each place
 * (the first too deep in each branch). One iterative pass: nothing
 * recurses, however deep the value. (Validation runs it through
 * `screenWorkflow`, which checks a well-formed file in its shape check.)
 *
 * @example
 * ```ts
 * import { checkWorkflowValue } from "./limits.ts";
 * checkWorkflowValue({ nodes: [], connections: [] }); // fine
 * checkWorkflowValue({ a: [[[]]] }, "wf.json", 3); // throws: wf.json: a[0][0]: nested deeper than ... 3 levels ...
 * ```
 */
export function checkWorkflowValue(value: unknown, file?: string, maxDepth?: number): void {
  const issues = limitIssues(value, [], maxDepth);
  if (issues.length) throw new WorkflowValidationError(issues, file);
}

/**
 * The problems of a value with the limits on depth and numbers (none when
 * it keeps them), each at its path under `base`; the value itself is level 1.
 *
 * @example
 * ```ts
 * import { limitIssues } from "./limits.ts";
 * limitIssues({ n: Infinity }, ["inputs", "x"]); // [{ path: "inputs.x.n", message: "number out of range: ..." }]
 * ```
 */
export function limitIssues(value: unknown, base: (string | number)[], maxDepth?: number): ValidationIssue[] {
  maxDepth ??= workflowLimits().maxDepth;
  return exceedsLimits(value, 1, maxDepth) ? findProblems(value, maxDepth, base) : [];
}

/** Whether a number is not finite (Infinity, -Infinity or NaN). */
const notFinite = (v: number) => v === Infinity || v === -Infinity || v !== v;

/**
 * Whether a value nests deeper than `maxDepth` or holds a number that is not
 * finite, `depth` being the level it has itself when it is an array or an
 * object (the quick pass: a stack of its own, no paths).
 *
 * @example
 * ```ts
 * import { exceedsLimits } from "./limits.ts";
 * exceedsLimits([[1]], 1, 2); // false
 * exceedsLimits([[[1]]], 1, 2); // true
 * exceedsLimits({ n: Infinity }, 1, 64); // true
 * ```
 */
export function exceedsLimits(root: unknown, depth: number, maxDepth: number): boolean {
  if (typeof root !== "object" || root === null) return typeof root === "number" && notFinite(root);
  if (depth > maxDepth) return true;
  const stack: object[] = [root];
  const depths: number[] = [depth];
  while (stack.length > 0) {
    const value = stack.pop() as Record<string, unknown>;
    const depth = depths.pop()!;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (typeof item === "object") {
          if (item === null) continue;
          if (depth >= maxDepth) return true;
          stack.push(item);
          depths.push(depth + 1);
        } else if (typeof item === "number" && notFinite(item)) return true;
      }
    } else {
      for (const key in value) {
        const item = value[key];
        if (typeof item === "object") {
          if (item === null) continue;
          if (depth >= maxDepth) return true;
          stack.push(item);
          depths.push(depth + 1);
        } else if (typeof item === "number" && notFinite(item)) return true;
      }
    }
  }
  return false;
}

/**
 * Every problem, with its path (only called when there is one). It recurses,
 * but never deeper than `maxDepth + 1` levels: it stops where a branch gets
 * too deep.
 */
function findProblems(root: unknown, maxDepth: number, base: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const path: (string | number)[] = [...base];
  const visit = (value: unknown, depth: number) => {
    if (typeof value === "number" && notFinite(value)) {
      issues.push({
        path: formatPath(path),
        message: value !== value
          ? "expected a number; got NaN"
          : `number out of range: beyond ±1.8e308, the largest a number can be (it reads as ${value})`,
      });
    }
    if (typeof value !== "object" || value === null) return;
    if (depth > maxDepth) {
      issues.push({
        path: formatPath(path),
        message: `nested deeper than the limit of ${maxDepth} levels of arrays and objects (${DEPTH_VAR})`,
      });
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        visit(value[i], depth + 1);
        path.pop();
      }
    } else {
      for (const key in value) {
        path.push(key);
        visit((value as Record<string, unknown>)[key], depth + 1);
        path.pop();
      }
    }
  };
  visit(root, 1);
  return issues;
}

/**
 * Where JSON text nests deeper than `maxDepth` levels of arrays and objects:
 * the offset (in UTF-16 code units) of the first `[` or `{` too deep, or -1.
 * One pass over the text, strings skipped, before any parsing: `JSON.parse`
 * of a megabyte of `[` takes a second and hundreds of megabytes, and every
 * recursive step after it could overflow the stack. The text need not be
 * valid JSON (the parser reports what is wrong with it).
 *
 * @example
 * ```ts
 * import { jsonTooDeepAt } from "./limits.ts";
 * jsonTooDeepAt('{"a":[1]}', 2); // -1
 * jsonTooDeepAt('{"a":[[1]]}', 2); // 6
 * jsonTooDeepAt('["[[[["]', 2); // -1: brackets in strings do not count
 * ```
 */
export function jsonTooDeepAt(text: string, maxDepth: number): number {
  if (text.length <= maxDepth) return -1; // too short to hold maxDepth + 1 brackets
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = stringEnd(text, i);
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

/** The offset of the quote that ends the string opened at `open` (the text's length when none does). */
function stringEnd(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * The message of JSON text nested too deep (see {@linkcode jsonTooDeepAt}):
 * what, the JSON path of the first value too deep, and the limit with its
 * variable, as for a workflow file.
 *
 * @example
 * ```ts
 * import { tooDeepMessage } from "./limits.ts";
 * tooDeepMessage("the JSON body", '{"a":[[1]]}', 6, 2);
 * // "the JSON body: a[0]: nested deeper than the limit of 2 levels of arrays and objects (FLOW_MAX_WORKFLOW_DEPTH)"
 * ```
 */
export function tooDeepMessage(what: string, text: string, at: number, maxDepth: number): string {
  const path = jsonPathAt(text, at);
  return `${what}: ${
    path ? `${path}: ` : ""
  }nested deeper than the limit of ${maxDepth} levels of arrays and objects ` +
    `(${DEPTH_VAR})`;
}

/** One open array (the index of its current item) or object (the key of its current member) in {@linkcode jsonPathAt}. */
type Frame = { index: number } | { key: string; expectKey: boolean };

/**
 * The JSON path (`a.b[2]`) of the value that starts at offset `at` of JSON
 * text, walking the text up to there (iteratively; only called for a message).
 */
function jsonPathAt(text: string, at: number): string {
  const stack: Frame[] = [];
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x22) {
      const end = stringEnd(text, i);
      if (top && "key" in top && top.expectKey) top.key = stringValue(text.slice(i, end + 1));
      i = end;
    } else if (c === 0x5b) stack.push({ index: 0 });
    else if (c === 0x7b) stack.push({ key: "", expectKey: true });
    else if (c === 0x5d || c === 0x7d) stack.pop();
    else if (c === 0x2c && top) {
      if ("index" in top) top.index++;
      else top.expectKey = true;
    } else if (c === 0x3a && top && "key" in top) top.expectKey = false;
  }
  return formatPath(stack.map((f) => "index" in f ? f.index : f.key));
}

/** A JSON string literal's value (the literal as is when it is not valid). */
function stringValue(literal: string): string {
  try {
    return JSON.parse(literal);
  } catch {
    return literal.slice(1, -1);
  }
}
