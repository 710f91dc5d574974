/**
 * What the database drivers return, as plain JSON for a node's outputs.
 *
 * @module
 */

type Base64 = { toBase64(): string };

/**
 * A value a driver returned, as plain JSON: a date as its ISO text, bytes
 * (`bytea`, `BLOB`) as base64, a 64-bit integer as a number when it is safe
 * and as text when not, `NaN` and the infinities as text; arrays and
 * objects deeply.
 *
 * @example
 * ```ts
 * import { toJsonValue } from "./values.ts";
 * toJsonValue(new Date(0)); // "1970-01-01T00:00:00.000Z"
 * toJsonValue(2n ** 60n); // "1152921504606846976"
 * ```
 */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : String(value);
    case "object":
      break;
    default:
      return String(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return (value as unknown as Base64).toBase64();
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v);
  return out;
}

/** A row as a plain object of JSON values (drivers give objects without a prototype, dates, bytes). */
export function toJsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in row) out[key] = toJsonValue(row[key]);
  return out;
}
