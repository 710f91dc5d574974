/**
 * Reading JSON Schemas (as `zod` writes them) for the editor: which widget a
 * config field gets, its default, help and enum values, and the schema at a
 * path of a document (the code view's completion). No DOM.
 *
 * @module
 */
import type { JsonSchema } from "../api_types.ts";

/** The widget a field gets. */
export type FieldKind =
  | "string"
  | "number"
  | "integer"
  | "boolean"
  | "enum"
  | "duration"
  | "object"
  | "record"
  | "list"
  | "json";

/** One field of an object schema. */
export interface Field {
  /** Property name. */
  key: string;
  /** Its schema. */
  schema: JsonSchema;
  /** Its widget. */
  kind: FieldKind;
  /** Whether the object requires it. */
  required: boolean;
  /** Its description, shown as help. */
  description?: string;
  /** Its default, shown as the placeholder. */
  default?: unknown;
  /** Enum values. */
  options?: unknown[];
}

const obj = (v: unknown): v is JsonSchema => !!v && typeof v === "object" && !Array.isArray(v);

/** The branches of an `anyOf`/`oneOf`, or the schema itself. */
function branches(s: JsonSchema): JsonSchema[] {
  const list = (s.anyOf ?? s.oneOf) as unknown;
  return Array.isArray(list) ? list.filter(obj) : [s];
}

/** Whether a schema describes a duration: a string or a number of milliseconds (`"5m"` or `300000`). */
function isDuration(key: string, s: JsonSchema): boolean {
  const types = branches(s).map((b) => b.type);
  const text = `${s.description ?? ""}`;
  if (types.includes("string") && (types.includes("number") || types.includes("integer"))) {
    return /duration|millisecond|\b\d+\s?(ms|s|m|h)\b/i.test(text);
  }
  return (s.type === "integer" || s.type === "number") && /(Ms|_ms)$/.test(key);
}

/** The widget of a field. */
export function fieldKind(key: string, s: JsonSchema): FieldKind {
  if (isDuration(key, s)) return "duration";
  if (Array.isArray(s.enum)) return s.enum.every((v) => typeof v === "string") ? "enum" : "json";
  const t = s.type;
  if (t === "string" || t === "boolean" || t === "number" || t === "integer") return t;
  if (t === "object") {
    if (obj(s.properties) && Object.keys(s.properties).length) return "object";
    if (obj(s.additionalProperties) && s.additionalProperties.type === "string") return "record";
    return "json";
  }
  if (t === "array" && obj(s.items) && ["string", "number", "integer"].includes(s.items.type as string)) return "list";
  return "json";
}

/** The fields of an object schema, in declared order. */
export function fieldsOf(s: JsonSchema | undefined): Field[] {
  if (!s || !obj(s.properties)) return [];
  const required = new Set(Array.isArray(s.required) ? s.required as string[] : []);
  return Object.entries(s.properties).filter(([, v]) => obj(v)).map(([key, v]) => {
    const schema = v as JsonSchema;
    return {
      key,
      schema,
      kind: fieldKind(key, schema),
      required: required.has(key),
      ...(typeof schema.description === "string" ? { description: schema.description } : {}),
      ...("default" in schema ? { default: schema.default } : {}),
      ...(Array.isArray(schema.enum) ? { options: schema.enum } : {}),
    };
  });
}

/** Whether a value is an expression: a string holding `{{ … }}`. */
export function isExpression(v: unknown): boolean {
  return typeof v === "string" && /\{\{[\s\S]*\}\}/.test(v);
}

/** Whether a value holds an expression: it is one, or (objects, arrays) a value inside it is. */
export function holdsExpression(v: unknown): boolean {
  if (isExpression(v)) return true;
  if (!v || typeof v !== "object") return false;
  return Object.values(v).some(holdsExpression);
}

/** A default shown as a placeholder: strings bare, anything else as JSON. */
export function placeholderOf(v: unknown): string {
  if (v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * The schema that describes the value at `path` of a document, following
 * properties, additionalProperties, items, `$ref` to `$defs` and the first
 * matching branch of `anyOf`/`oneOf`; `config` of a node entry resolves
 * through `configOf` (the node type's config schema).
 */
export function schemaAt(
  root: JsonSchema,
  path: (string | number)[],
  doc: unknown,
  configOf: (type: string) => JsonSchema | undefined,
): JsonSchema | undefined {
  let s: JsonSchema | undefined = root;
  let v: unknown = doc;
  for (let i = 0; i < path.length && s; i++) {
    const key = path[i];
    const parent = v;
    v = v && typeof v === "object" ? (v as Record<string | number, unknown>)[key] : undefined;
    if (key === "config" && obj(parent) && typeof parent.type === "string" && configOf(parent.type)) {
      s = configOf(parent.type);
      continue;
    }
    s = child(resolve(root, s), key);
  }
  return s && resolve(root, s);
}

function resolve(root: JsonSchema, s: JsonSchema): JsonSchema {
  for (let i = 0; i < 8 && typeof s.$ref === "string"; i++) {
    const target = s.$ref.replace(/^#\//, "").split("/").reduce<unknown>(
      (o, k) => (obj(o) ? o[k] : undefined),
      root,
    );
    if (!obj(target)) break;
    s = target;
  }
  return s;
}

function child(s: JsonSchema, key: string | number): JsonSchema | undefined {
  for (const b of branches(s)) {
    if (typeof key === "number" && obj(b.items)) return b.items;
    if (typeof key === "string" && obj(b.properties) && obj(b.properties[key])) return b.properties[key];
    if (typeof key === "string" && obj(b.additionalProperties)) return b.additionalProperties;
  }
  return undefined;
}

/** Property names a schema allows, with their descriptions. */
export function propertiesOf(root: JsonSchema, s: JsonSchema): { name: string; description?: string }[] {
  const out: { name: string; description?: string }[] = [];
  for (const b of branches(resolve(root, s))) {
    if (!obj(b.properties)) continue;
    for (const [name, p] of Object.entries(b.properties)) {
      out.push({ name, ...(obj(p) && typeof p.description === "string" ? { description: p.description } : {}) });
    }
  }
  return out;
}

/** Values a schema allows outright: enum members, booleans. */
export function valuesOf(root: JsonSchema, s: JsonSchema): unknown[] {
  const out: unknown[] = [];
  for (const b of branches(resolve(root, s))) {
    if (Array.isArray(b.enum)) out.push(...b.enum);
    if (b.type === "boolean") out.push(true, false);
  }
  return out;
}
