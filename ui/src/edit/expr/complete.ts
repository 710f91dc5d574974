/**
 * What an expression field can complete at the cursor, from the node's
 * expression context (`GET /api/v1/workflows/{id}/nodes/{node}/context`):
 * `$inputs.NAME`, `$node.PORT` and the fields inside them (from the shape of
 * the recorded or pinned value, else the declared type), `$env.NAME`,
 * `$execution`, the variables a node type binds (`$value`, `$item`), and
 * JSONata's built-in functions with their signatures. No DOM, no CodeMirror.
 *
 * @module
 */
import type { ExpressionContextT } from "../../../../server/editor_schemas.ts";
import { preview } from "../../format.ts";
import { BUILTINS } from "./builtins.ts";

/** A shape as the context gives it. */
interface Shape {
  type?: string;
  fields?: Record<string, Shape>;
  items?: Shape;
  length?: number;
}

/** One completion. */
export interface Offer {
  /** The text inserted (and shown). */
  label: string;
  /** A short detail: a type or a signature. */
  detail?: string;
  /** A longer description: a value's preview, a function's doc. */
  info?: string;
  /** `variable`, `property` or `function`. */
  type: "variable" | "property" | "function";
  /** What is inserted, when it is not the label. */
  apply?: string;
}

/** The variables a node type binds for its whole-expression field, and their values in a preview. */
export function typeVariables(nodeType: string | undefined, ctx: ExpressionContextT | undefined): {
  shapes: Record<string, Shape>;
  bindings: Record<string, unknown>;
} {
  const port = (name: string) => ctx?.node[name];
  if (nodeType === "control.if") {
    const p = port("value");
    return {
      shapes: { value: (p?.shape as Shape | undefined) ?? { type: "any" } },
      bindings: p && p.value !== undefined ? { value: p.value } : {},
    };
  }
  if (nodeType === "transform.map") {
    const p = port("items");
    const items = Array.isArray(p?.value) ? p.value as unknown[] : undefined;
    return {
      shapes: { item: (p?.shape as Shape | undefined)?.items ?? { type: "any" }, index: { type: "number" } },
      bindings: items?.length ? { item: items[0], index: 0 } : {},
    };
  }
  return { shapes: {}, bindings: {} };
}

/** The shape at `path` inside `shape` (arrays are looked through, as JSONata maps paths over them). */
function shapeAt(shape: Shape | undefined, path: string[]): Shape | undefined {
  let s = shape;
  for (const part of path) {
    while (s?.type === "array" && s.items) s = s.items;
    s = s?.fields?.[part];
  }
  while (s?.type === "array" && s.items) s = s.items;
  return s;
}

/** The value at `path` inside `value`, for a preview in completion (first item of arrays). */
function valueAt(value: unknown, path: string[]): unknown {
  let v = value;
  for (const part of path) {
    while (Array.isArray(v)) v = v[0];
    v = v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
  }
  return v;
}

function fieldsOffers(shape: Shape | undefined, value: unknown): Offer[] {
  return Object.entries(shape?.fields ?? {}).map(([name, s]) => {
    const v = valueAt(value, [name]);
    return {
      label: name,
      type: "property",
      detail: s.type === "array" && s.length !== undefined ? `array(${s.length})` : s.type ?? "any",
      ...(v !== undefined ? { info: preview(v, 200) } : {}),
    };
  });
}

/**
 * The completions for `before` (the text before the cursor): where the
 * replaced word starts (an offset into `before`) and the offers, or
 * undefined when the cursor is not after a `$` name or a path.
 */
export function completeAt(
  before: string,
  ctx: ExpressionContextT | undefined,
  nodeType?: string,
): { from: number; offers: Offer[] } | undefined {
  const m = /\$([A-Za-z_]\w*)?((?:\.[A-Za-z_]\w*)*)\.([A-Za-z_]\w*)?$|\$([A-Za-z_]\w*)?$/.exec(before);
  if (!m) return undefined;
  const vars = typeVariables(nodeType, ctx);
  if (m[4] !== undefined || /\$$/.test(before)) {
    // A variable or function name after `$`.
    const word = m[4] ?? "";
    const from = before.length - word.length;
    const offers: Offer[] = [
      { label: "inputs", type: "variable", detail: "workflow inputs" },
      { label: "node", type: "variable", detail: "this node's input ports" },
      { label: "env", type: "variable", detail: "settings.env and settings.secrets" },
      { label: "execution", type: "variable", detail: "id, workflowId, startedAt" },
      ...Object.entries(vars.shapes).map(([name, s]): Offer => ({
        label: name,
        type: "variable",
        detail: s.type ?? "any",
      })),
      ...BUILTINS.map((b): Offer => ({
        label: b.name,
        type: "function",
        detail: `$${b.name}${b.params}`,
        info: b.info,
        apply: `${b.name}(`,
      })),
    ];
    return { from, offers: offers.filter((o) => o.label.toLowerCase().startsWith(word.toLowerCase())) };
  }
  const root = m[1] ?? "";
  const path = (m[2] ?? "").split(".").filter(Boolean);
  const word = m[3] ?? "";
  const from = before.length - word.length;
  const filter = (offers: Offer[]) => ({
    from,
    offers: offers.filter((o) => o.label.toLowerCase().startsWith(word.toLowerCase())),
  });
  const ports = (record: ExpressionContextT["node"] | undefined) => {
    if (!record) return [];
    if (path.length === 0) {
      return Object.entries(record).map(([name, p]): Offer => ({
        label: name,
        type: "property",
        detail: `${p.shape.type ?? p.declared ?? "any"} · ${p.source}${p.from ? ` · from ${p.from}` : ""}`,
        ...(p.value !== undefined ? { info: preview(p.value, 200) } : {}),
      }));
    }
    const p = record[path[0]];
    if (!p) return [];
    const inner = path.slice(1);
    return fieldsOffers(shapeAt(p.shape as Shape, inner), valueAt(p.value, inner));
  };
  switch (root) {
    case "node":
      return filter(ports(ctx?.node));
    case "inputs":
      return filter(ports(ctx?.inputs));
    case "env":
      return filter(
        path.length ? [] : (ctx?.env ?? []).map((e): Offer => ({
          label: e.name,
          type: "property",
          detail: `${e.secret ? "secret (*** in previews)" : "env"}${e.set ? "" : ", not set"}`,
        })),
      );
    case "execution":
      return filter(
        path.length ? [] : ["id", "workflowId", "startedAt"].map((label): Offer => ({
          label,
          type: "property",
          detail: "string",
        })),
      );
    default: {
      const shape = vars.shapes[root];
      if (!shape) return undefined;
      return filter(fieldsOffers(shapeAt(shape, path), valueAt(vars.bindings[root], path)));
    }
  }
}
