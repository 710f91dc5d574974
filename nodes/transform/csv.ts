/**
 * CSV for `transform.csv_parse` and `transform.csv_stringify`: the parser
 * and writer (Papa Parse, loaded on first use: a run that reads no CSV does
 * not pay for it; a lazy part of the single-file bundle), and how values
 * are cast and written.
 *
 * @module
 */
import { NodeError } from "../../src/errors.ts";

/** Papa Parse's API, as these nodes use it. */
export type Papa = typeof import("papaparse");

let papa: Promise<Papa> | undefined;

/** Papa Parse, imported on first use. */
export function loadPapa(): Promise<Papa> {
  return papa ??= import("papaparse").then((m) => (m.default ?? m) as Papa);
}

/** A number as JSON writes one: no leading zeros (`007` is a code, not 7), no `1.`, no `.5`, no `+1`. */
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * A CSV field as `cast` makes it: `true` and `false` (any case) as
 * booleans, a number written as JSON writes one as a number (unless it is
 * an integer too large to be exact), anything else the text it was.
 *
 * @example
 * ```ts
 * import { castField } from "./csv.ts";
 * castField("42"); // 42
 * castField("007"); // "007"
 * castField("FALSE"); // false
 * ```
 */
export function castField(field: string): string | number | boolean {
  const lower = field.length === 4 || field.length === 5 ? field.toLowerCase() : "";
  if (lower === "true") return true;
  if (lower === "false") return false;
  if (!NUMBER.test(field)) return field;
  const n = Number(field);
  if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n) && !/[.eE]/.test(field))) return field;
  return n;
}

/** A value as a CSV field: text as it is, numbers and booleans as text, null as empty, objects as JSON. */
export function fieldText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A `BAD_INPUT` or `CSV_PARSE` error: the input does not fit, and will not on another attempt. */
export function csvError(message: string, code: "CSV_PARSE" | "BAD_INPUT"): NodeError {
  return new NodeError(message, { code, retryable: false });
}
