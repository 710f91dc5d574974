/**
 * Small helpers about JSON values: their type names, port type checks, short
 * previews for messages, JSON paths and copies.
 *
 * @module
 */
import type { PortType } from "./format.ts";

/** The JSON type name of a value: string, number, boolean, null, array, object (or the JS type). */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Whether `value` fits a port type. */
export function fitsPortType(type: PortType, value: unknown): boolean {
  switch (type) {
    case "any":
      return true;
    case "object":
      return typeName(value) === "object";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    default:
      return typeName(value) === type;
  }
}

/** A short JSON preview of a value for error messages (at most `max` characters). */
export function preview(value: unknown, max = 60): string {
  let s: string;
  try {
    // Not JSON.stringify's "null" for Infinity; a long string is cut before it is quoted.
    if (typeof value === "number" && !Number.isFinite(value)) return String(value);
    if (typeof value === "string" && value.length > max) value = value.slice(0, max);
    s = value === undefined ? "undefined" : JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

/** Formats a path like `["nodes", 2, "config", "method"]` as `nodes[2].config.method`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) {
      out += out === "" ? key : `.${key}`;
    } else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/**
 * Parses a path written by {@linkcode formatPath} back into its keys and
 * indexes; what follows a part it cannot read is left out (a path such as
 * `--nodes` gives `[]`).
 *
 * @example
 * ```ts
 * import { parsePath } from "./values.ts";
 * parsePath('nodes[2].config["a.b"]'); // ["nodes", 2, "config", "a.b"]
 * ```
 */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const part = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  let rest = path;
  while (rest !== "") {
    const m = part.exec(rest);
    if (!m || (m[1] !== undefined && out.length === 0 && rest.startsWith("."))) break;
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : JSON.parse(m[3])));
    rest = rest.slice(m[0].length);
  }
  return out;
}

/**
 * A deep copy of JSON data, such as a node's config as the workflow file
 * gives it: for the small configs templates are applied to at each attempt,
 * many times cheaper than `structuredClone`, which it falls back to for
 * anything that is not a plain object, an array or a primitive.
 */
export function copyJson<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyJson) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = copyJson((value as Record<string, unknown>)[key]);
    if (key === "__proto__") {
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    } else out[key] = v;
  }
  return out as T;
}
