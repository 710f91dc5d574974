/**
 * The workflow file format: zod schemas that are the single source for the
 * TypeScript types, the error messages of invalid files and the published
 * JSON Schema. They are built on first use ({@linkcode workflowSchemas}):
 * a valid file is checked by `workflow_shape.ts` without them.
 *
 * @module
 */
import * as z from "zod/mini";
import { toJSONSchema } from "zod/mini";
import { described, type SchemaOutput } from "./zod.ts";
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_WORKFLOW_RETRIES, RETRY_DEFAULTS } from "../defaults.ts";

/** Node ids, port ids and input names: `[A-Za-z_][A-Za-z0-9_-]*`. */
export const ID_PATTERN: RegExp = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** A connection end: `nodeId.port` or `$inputs.NAME`. */
export const ENDPOINT_PATTERN: RegExp = /^(\$inputs|[A-Za-z_][A-Za-z0-9_-]*)\.[A-Za-z_][A-Za-z0-9_-]*$/;
/** A connection target: `nodeId.port`. */
export const TO_PATTERN: RegExp = /^[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*$/;
/** An environment variable name. */
export const ENV_NAME_PATTERN: RegExp = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The value types a port or workflow input can declare. */
export const PORT_TYPES = ["string", "number", "boolean", "object", "array", "any"] as const;

/** What happens when a node fails after its retries. */
export const ON_ERROR = ["stop", "continue", "retry"] as const;

const int = (min: number, max?: number) =>
  z.number().check(z.int(), z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)]));

/** Builds the schemas (see {@linkcode workflowSchemas}). */
function build() {
  const id = z.string().check(z.regex(ID_PATTERN, {
    error: (iss) => `expected an id matching [A-Za-z_][A-Za-z0-9_-]*; got ${JSON.stringify(iss.input)}`,
  }));
  const endpoint = z.string().check(z.regex(ENDPOINT_PATTERN, {
    error: (iss) => `expected "nodeId.port" or "$inputs.NAME"; got ${JSON.stringify(iss.input)}`,
  }));
  const input = z.strictObject({
    type: described(z.optional(z.enum(PORT_TYPES)), "Value type; default any"),
    description: z.optional(z.string()),
    default: described(z.optional(z.unknown()), "Used when no value is given"),
    required: described(z.optional(z.boolean()), "Default: true when there is no default"),
  });
  const retry = z.strictObject({
    maxAttempts: described(int(1, 1000), "Total attempts, including the first"),
    delayMs: described(z.optional(int(0)), `Delay before the 2nd attempt; default ${RETRY_DEFAULTS.delayMs}`),
    multiplier: described(
      z.optional(z.number().check(z.minimum(1))),
      `Backoff factor; default ${RETRY_DEFAULTS.multiplier}`,
    ),
    maxDelayMs: described(z.optional(int(0)), `Cap on one delay; default ${RETRY_DEFAULTS.maxDelayMs}`),
    jitter: described(
      z.optional(z.boolean()),
      `Randomise each delay between 50% and 100%; default ${RETRY_DEFAULTS.jitter}`,
    ),
  });
  const node = z.strictObject({
    id,
    type: z.string().check(z.minLength(1)),
    name: z.optional(z.string()),
    description: z.optional(z.string()),
    config: z.optional(z.record(z.string(), z.unknown())),
    retry: z.optional(retry),
    timeoutMs: z.optional(int(1)),
    onError: z.optional(z.enum(["stop", "continue"])),
  });
  const connection = z.strictObject({
    from: endpoint,
    to: z.string().check(z.regex(TO_PATTERN, {
      error: (iss) => `expected "nodeId.port"; got ${JSON.stringify(iss.input)}`,
    })),
  });
  const envName = z.string().check(z.regex(ENV_NAME_PATTERN, {
    error: (iss) => `expected an environment variable name; got ${JSON.stringify(iss.input)}`,
  }));
  const grant = () => z.union([z.boolean(), z.array(z.string())]);
  const permissions = z.strictObject({
    net: described(z.optional(grant()), "Hosts it may reach (host or host:port), or true"),
    read: described(z.optional(grant()), "Paths it may read, or true"),
    write: described(z.optional(grant()), "Paths it may write, or true"),
    env: described(z.optional(grant()), "Environment variables it may read, or true"),
  });
  const settings = z.strictObject({
    env: described(
      z.optional(z.array(envName)),
      "The only environment variables expressions may read ($env.NAME)",
    ),
    secrets: described(
      z.optional(z.array(envName)),
      "Environment variables whose values are replaced by *** in every event, log, output and error",
    ),
    onError: described(z.optional(z.enum(ON_ERROR)), "stop (default), continue or retry"),
    maxWorkflowRetries: described(
      z.optional(int(0, 100)),
      `For onError retry; default ${DEFAULT_MAX_WORKFLOW_RETRIES}`,
    ),
    concurrency: described(z.optional(int(1, 10000)), `Nodes running at once; default ${DEFAULT_CONCURRENCY}`),
    timeoutMs: described(z.optional(int(1)), "Whole-run timeout"),
    lock: described(z.optional(z.boolean()), "Refuse to start while another run of this workflow id is alive"),
    history: described(z.optional(z.boolean()), "Record executions in the history store; default true"),
    permissions: described(
      z.optional(z.extend(permissions, { run: described(z.optional(grant()), "Programs it may run, or true") })),
      "What the nodes that touch the system (code, exec, file, sql, email) may reach; nothing by default",
    ),
  });
  const importEntry = z.union([
    z.string().check(z.minLength(1)),
    z.strictObject({ path: z.string().check(z.minLength(1)), permissions: z.optional(permissions) }),
  ]);
  const position = z.tuple([z.number(), z.number()]);
  const layout = described(
    z.optional(z.record(z.string(), position)),
    "Where the editor draws each node: node id -> [x, y], canvas coordinates of its top-left corner. " +
      "Ignored when running; not part of the workflow's hash; kept as the last property",
  );
  const workflow = z.strictObject({
    $schema: z.optional(z.string()),
    id: z.optional(id),
    name: z.optional(z.string()),
    description: z.optional(z.string()),
    inputs: z.optional(z.record(
      z.string().check(z.regex(ID_PATTERN, {
        error: (iss) => `input names match [A-Za-z_][A-Za-z0-9_-]*; got ${JSON.stringify(iss.input)}`,
      })),
      input,
    )),
    imports: described(z.optional(z.array(importEntry)), "Custom node modules, run sandboxed in Workers"),
    nodes: z.array(node),
    connections: z.array(connection),
    outputs: z.optional(z.record(z.string(), endpoint)),
    settings: z.optional(settings),
    layout,
  });
  return { workflow, node, connection, settings, input, retry, importEntry, layout };
}

/**
 * The schemas of the workflow file and its parts.
 *
 * @internal The zod schemas themselves; the types below ({@linkcode Workflow}...) are the API.
 */
export type WorkflowSchemas = ReturnType<typeof build>;

let schemas: WorkflowSchemas | undefined;

/** The zod schemas of the workflow file, built on the first call. */
export function workflowSchemas(): WorkflowSchemas {
  return schemas ??= build();
}

/** A workflow as read from its file (after schema validation). */
export type Workflow = SchemaOutput<WorkflowSchemas["workflow"]>;
/** One node entry of a workflow. */
export type WorkflowNode = SchemaOutput<WorkflowSchemas["node"]>;
/** One connection of a workflow. */
export type Connection = SchemaOutput<WorkflowSchemas["connection"]>;
/** Retry policy of a node. */
export type RetryPolicy = SchemaOutput<WorkflowSchemas["retry"]>;
/** Workflow settings. */
export type Settings = SchemaOutput<WorkflowSchemas["settings"]>;
/** A workflow input declaration. */
export type InputDecl = SchemaOutput<WorkflowSchemas["input"]>;
/** One entry of `imports`. */
export type ImportEntry = SchemaOutput<WorkflowSchemas["importEntry"]>;
/** The `layout` block: node id -> `[x, y]`. */
export type Layout = NonNullable<SchemaOutput<WorkflowSchemas["layout"]>>;
/** `settings.permissions` as written. */
export type DeclaredPermissions = NonNullable<Settings["permissions"]>;
/** One of the port value types. */
export type PortType = typeof PORT_TYPES[number];

/** A node type as the JSON Schema names it: an editor offers it, with its description, where a node's type goes. */
export interface SchemaNodeType {
  /** The type, e.g. `http.request`. */
  type: string;
  /** What it does, one line. */
  description?: string;
}

/**
 * The JSON Schema (draft 2020-12) of the workflow file, generated from the
 * same zod schema that validates it (`flow schema` prints it). With
 * `nodeTypes` (the built-in ones, as the CLI and the server give them), a
 * node's `type` lists them by type with their descriptions for editors to offer,
 * and still accepts any other type (a custom node's): what validates does
 * not change.
 *
 * @example
 * ```ts
 * import { workflowJsonSchema } from "./format.ts";
 * await Deno.writeTextFile("workflow.schema.json", JSON.stringify(workflowJsonSchema(), null, 2));
 * ```
 */
export function workflowJsonSchema(nodeTypes: readonly SchemaNodeType[] = []): Record<string, unknown> {
  const schema = toJSONSchema(workflowSchemas().workflow, { io: "input", unrepresentable: "any" }) as Record<
    string,
    // deno-lint-ignore no-explicit-any
    any
  >;
  const type = schema.properties?.nodes?.items?.properties?.type;
  if (type && nodeTypes.length > 0) {
    type.anyOf = [
      // By type: the same schema whichever order the caller's registry lists them in.
      ...[...nodeTypes].sort((a, b) => a.type < b.type ? -1 : a.type > b.type ? 1 : 0)
        .map((t) => ({ const: t.type, ...(t.description ? { description: t.description } : {}) })),
      { description: "A custom node's type (from imports or --nodes)" },
    ];
  }
  return { ...schema, title: "flow workflow" };
}
