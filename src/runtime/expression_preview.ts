/**
 * What the editor needs to write expressions: the data a node's expressions
 * see (`$node`, `$inputs`, `$env`, `$execution`) taken from pins and recorded
 * runs, the shape of that data for completion, and a live preview that
 * evaluates an expression or a `{{ }}` template with the same engine and the
 * same limits as a run (`compileExpression`, `evaluateTemplate`).
 *
 * A preview never sees a secret: a variable of `settings.secrets` is bound as
 * `***` (so no expression can reveal part of it), recorded data was redacted
 * when it was recorded, and the result and any error are redacted again.
 *
 * @module
 */
import { secretRedactor } from "../engine/redact.ts";
import {
  compileExpression,
  evaluateTemplate,
  ExpressionSyntaxError,
  loadExpressionEngine,
  parseTemplate,
} from "../expressions/expressions.ts";
import type { CompiledNode, CompiledWorkflow } from "../validate/validate.ts";
import { typeName } from "../workflow/values.ts";
import type { RecordedData } from "./node_data.ts";

/** The largest preview result: 1 MiB of JSON text. */
export const MAX_PREVIEW_BYTES = 1024 * 1024;

/** What secrets are bound as in previews (and redacted to everywhere). */
export const REDACTED = "***";

/** The shape of a value, for completion: its type and, for objects and arrays, what is inside. */
export interface Shape {
  /** `string`, `number`, `boolean`, `null`, `object`, `array` or `any` (unknown). */
  type: string;
  /** An object's fields. */
  fields?: Record<string, Shape>;
  /** An array's items (the shape of its first item). */
  items?: Shape;
  /** An array's length. */
  length?: number;
}

/** Where the data of a binding comes from. */
export type BindingSource = "given" | "pin" | "recorded" | "declared" | "none";

/** One port of `$node` (or one workflow input of `$inputs`) as completion sees it. */
export interface PortContext {
  /** The value (when known). */
  value?: unknown;
  /** Its shape: from the value, else from the declared type. */
  shape: Shape;
  /** Where the value comes from. */
  source: BindingSource;
  /** With `recorded`: the execution it was recorded in. */
  executionId?: string;
  /** `$node`: the upstream node and port (`fetch.body`) or workflow input (`$inputs.id`) it comes from. */
  from?: string;
  /** Declared type. */
  declared?: string;
  /** `$inputs`: the input's description. */
  description?: string;
}

/** Everything a node's expressions can use, for completion and previews. */
export interface ExpressionContext {
  /** The node (undefined: a workflow-level context, no `$node`). */
  nodeId?: string;
  /** `$node`: each connected input port. */
  node: Record<string, PortContext>;
  /** `$inputs`: each declared workflow input. */
  inputs: Record<string, PortContext>;
  /** `$env`: each declared name; secrets are bound as `***`. */
  env: { name: string; secret: boolean; set: boolean }[];
  /** `$execution`'s fields. */
  execution: { id: string; workflowId: string; startedAt: string };
}

/** A preview request. */
export interface PreviewRequest {
  /** A whole expression (optionally inside one `{{ }}`), as in `control.if`'s `condition`. */
  expression?: string;
  /** A string with `{{ }}` templates, as in any config string. */
  template?: string;
  /** Values to use instead of the recorded ones: `node` (`$node` and `$`), `inputs`, and any other variable. */
  bindings?: Record<string, unknown>;
}

/** A preview's result: a value, or an error with its position. */
export interface PreviewResult {
  /** The value (absent when there is an error; `null` when the expression gave nothing). */
  value?: unknown;
  /** Why there is no value. */
  error?: {
    /** `SYNTAX` (with its position), `EVALUATION` (it failed or timed out when evaluated) or `TOO_LARGE`. */
    code: "SYNTAX" | "EVALUATION" | "TOO_LARGE";
    /** One line. */
    message: string;
    /** 1-based character position in the text sent, when known. */
    position?: number;
  };
}

/** The data of a node's expressions, from pins and recorded runs (see the module doc). */
export function expressionContext(
  compiled: CompiledWorkflow,
  node: CompiledNode | undefined,
  data: { recorded: RecordedData; pins: ReadonlyMap<string, Record<string, unknown>> },
  getEnv: (name: string) => string | undefined,
): ExpressionContext {
  const redact = secretRedactor(compiled, getEnv) ?? (<T>(v: T) => v);
  const inputs: Record<string, PortContext> = {};
  const recordedInputs = data.recorded.inputs ?? {};
  for (const [name, decl] of Object.entries(compiled.workflow.inputs ?? {})) {
    const known = Object.hasOwn(recordedInputs, name);
    const value = known ? recordedInputs[name] : decl.default;
    inputs[name] = {
      ...(value !== undefined
        ? { value: redact(value), shape: shapeOf(value) }
        : { shape: { type: decl.type ?? "any" } }),
      source: known ? "recorded" : value !== undefined ? "declared" : "none",
      ...(decl.type ? { declared: decl.type } : {}),
      ...(decl.description ? { description: decl.description } : {}),
    } as PortContext;
  }
  const ports: Record<string, PortContext> = {};
  for (const slot of node?.slots ?? []) {
    const src = slot.source;
    if (src.kind === "const") continue;
    const declared = slot.spec.type ?? "any";
    if (src.kind === "input") {
      const input = inputs[src.name];
      const { description: _, ...port } = input ?? { shape: { type: declared }, source: "none" };
      ports[slot.port] = { ...port, from: `$inputs.${src.name}`, declared };
      continue;
    }
    const up = compiled.nodes[src.node];
    const pin = data.pins.get(up.id);
    const recorded = data.recorded.nodes.get(up.id);
    const value = pin ? pin[src.port] : recorded?.outputs?.[src.port];
    ports[slot.port] = {
      ...(value !== undefined ? { value: redact(value), shape: shapeOf(value) } : { shape: { type: declared } }),
      source: value === undefined ? "declared" : pin ? "pin" : "recorded",
      ...(value !== undefined && !pin && recorded ? { executionId: recorded.executionId } : {}),
      from: `${up.id}.${src.port}`,
      declared,
    };
  }
  const { env, secrets } = compiled.settings;
  return {
    ...(node ? { nodeId: node.id } : {}),
    node: ports,
    inputs,
    env: [
      ...env.filter((n) => !secrets.includes(n)).map((name) => ({
        name,
        secret: false,
        set: getEnv(name) !== undefined,
      })),
      ...secrets.map((name) => ({ name, secret: true, set: getEnv(name) !== undefined })),
    ],
    execution: { id: "preview", workflowId: compiled.id, startedAt: new Date().toISOString() },
  };
}

/** The bindings of a preview: the context's values, secrets as `***`, overridden by those given. */
export function previewBindings(
  context: ExpressionContext,
  getEnv: (name: string) => string | undefined,
  given: Record<string, unknown> = {},
): Record<string, unknown> {
  const values = (ports: Record<string, PortContext>) => {
    const out: Record<string, unknown> = {};
    for (const [name, p] of Object.entries(ports)) if (p.value !== undefined) out[name] = p.value;
    return out;
  };
  const env: Record<string, string> = {};
  for (const { name, secret } of context.env) {
    const v = getEnv(name);
    if (v !== undefined) env[name] = secret ? REDACTED : v;
  }
  return { inputs: values(context.inputs), node: values(context.node), env, execution: context.execution, ...given };
}

/**
 * Evaluates a preview with the same engine and limits as a run; the result
 * and errors redacted. Never throws for a bad expression: the error is in
 * the result, with its position for a syntax error.
 *
 * @example
 * ```ts
 * import { evaluatePreview } from "./expression_preview.ts";
 * await evaluatePreview({ expression: "$node.n * 2" }, { node: { n: 21 } }, (v) => v); // { value: 42 }
 * ```
 */
export async function evaluatePreview(
  request: PreviewRequest,
  bindings: Record<string, unknown>,
  redact: <T>(value: T) => T,
): Promise<PreviewResult> {
  await loadExpressionEngine();
  let value: unknown;
  try {
    if (request.expression !== undefined) {
      const { source, offset } = unwrap(request.expression);
      let expr;
      try {
        expr = compileExpression(source);
      } catch (err) {
        throw shifted(err, offset);
      }
      value = await expr.evaluate(bindings.node ?? null, bindings);
    } else {
      const template = parseTemplate(request.template ?? "");
      value = template ? await evaluateTemplate(template, bindings) : request.template;
    }
  } catch (err) {
    const message = redact((err as Error).message ?? String(err));
    if (err instanceof ExpressionSyntaxError) {
      return { error: { code: "SYNTAX", message, ...(err.position ? { position: err.position } : {}) } };
    }
    return { error: { code: "EVALUATION", message } };
  }
  const shown = redact(value ?? null);
  const bytes = new TextEncoder().encode(JSON.stringify(shown)).length;
  if (bytes > MAX_PREVIEW_BYTES) {
    return {
      error: {
        code: "TOO_LARGE",
        message: `the result is ${bytes} bytes of JSON; a preview shows at most ${MAX_PREVIEW_BYTES}`,
      },
    };
  }
  return { value: shown };
}

/** A whole expression without one `{{ }}` around it (as `expression()` fields accept), and where it starts. */
function unwrap(text: string): { source: string; offset: number } {
  const m = /^(\s*\{\{)([\s\S]*)\}\}\s*$/.exec(text);
  const inner = m ? m[2] : text;
  const lead = inner.length - inner.trimStart().length;
  return { source: inner.trim(), offset: (m ? m[1].length : 0) + lead };
}

/** A syntax error's position moved by `offset` characters (into the text sent). */
function shifted(err: unknown, offset: number): unknown {
  if (!(err instanceof ExpressionSyntaxError) || err.position === undefined || offset === 0) return err;
  return new ExpressionSyntaxError(
    err.message.replace(/at position \d+/, `at position ${err.position + offset}`),
    err.position + offset,
  );
}

/**
 * The shape of a value, at most 6 levels deep and 200 fields per object.
 *
 * @example
 * ```ts
 * import { shapeOf } from "./expression_preview.ts";
 * shapeOf({ id: 1, tags: ["a"] }); // { type: "object", fields: { id: { type: "number" }, tags: { type: "array", length: 1, items: { type: "string" } } } }
 * ```
 */
export function shapeOf(value: unknown, depth = 6): Shape {
  const type = typeName(value);
  if (depth <= 0) return { type };
  if (type === "array") {
    const list = value as unknown[];
    return { type, length: list.length, ...(list.length ? { items: shapeOf(list[0], depth - 1) } : {}) };
  }
  if (type === "object") {
    const fields: Record<string, Shape> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, 200)) {
      fields[k] = shapeOf(v, depth - 1);
    }
    return { type, fields };
  }
  return { type };
}
