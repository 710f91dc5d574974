/**
 * The workflow file format: zod schemas that are the single source for the
 * TypeScript types, runtime validation and the published JSON Schema.
 *
 * @module
 */
import { z } from "zod";

/** Node ids, port ids and input names: `[A-Za-z_][A-Za-z0-9_-]*`. */
export const ID_PATTERN: RegExp = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** A connection end: `nodeId.port` or `$inputs.NAME`. */
export const ENDPOINT_PATTERN: RegExp = /^(\$inputs|[A-Za-z_][A-Za-z0-9_-]*)\.[A-Za-z_][A-Za-z0-9_-]*$/;

const id = z.string().regex(ID_PATTERN, {
  error: (iss) => `expected an id matching [A-Za-z_][A-Za-z0-9_-]*; got ${JSON.stringify(iss.input)}`,
});
const endpoint = z.string().regex(ENDPOINT_PATTERN, {
  error: (iss) => `expected "nodeId.port" or "$inputs.NAME"; got ${JSON.stringify(iss.input)}`,
});

/** The value types a port or workflow input can declare. */
export const PORT_TYPES = ["string", "number", "boolean", "object", "array", "any"] as const;

/** A workflow input declaration. */
export const InputDeclSchema = z.strictObject({
  type: z.enum(PORT_TYPES).optional().describe("Value type; default any"),
  description: z.string().optional(),
  default: z.unknown().optional().describe("Used when no value is given"),
  required: z.boolean().optional().describe("Default: true when there is no default"),
});

/** Retry policy for one node: exponential backoff with optional jitter. */
export const RetrySchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(1000).describe("Total attempts, including the first"),
  delayMs: z.number().int().min(0).optional().describe("Delay before the 2nd attempt; default 200"),
  multiplier: z.number().min(1).optional().describe("Backoff factor; default 2"),
  maxDelayMs: z.number().int().min(0).optional().describe("Cap on one delay; default 30000"),
  jitter: z.boolean().optional().describe("Randomise each delay between 50% and 100%; default false"),
});

/** What happens when a node fails after its retries. */
export const ON_ERROR = ["stop", "continue", "retry"] as const;

/** One node of the workflow. */
export const NodeSchema = z.strictObject({
  id,
  type: z.string().min(1),
  name: z.string().optional(),
  description: z.string().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  retry: RetrySchema.optional(),
  timeoutMs: z.number().int().min(1).optional(),
  onError: z.enum(["stop", "continue"]).optional(),
});

/** A connection from an output port (or workflow input) to an input port. */
export const ConnectionSchema = z.strictObject({
  from: endpoint,
  to: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*$/, {
    error: (iss) => `expected "nodeId.port"; got ${JSON.stringify(iss.input)}`,
  }),
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: (iss) => `expected an environment variable name; got ${JSON.stringify(iss.input)}`,
});

/** Workflow-wide settings. */
export const SettingsSchema = z.strictObject({
  env: z.array(envName).optional().describe("The only environment variables expressions may read ($env.NAME)"),
  secrets: z.array(envName).optional().describe(
    "Environment variables whose values are replaced by *** in every event, log, output and error",
  ),
  onError: z.enum(ON_ERROR).optional().describe("stop (default), continue or retry"),
  maxWorkflowRetries: z.number().int().min(0).max(100).optional().describe("For onError retry; default 1"),
  concurrency: z.number().int().min(1).max(10000).optional().describe("Nodes running at once; default 16"),
  timeoutMs: z.number().int().min(1).optional().describe("Whole-run timeout"),
  lock: z.boolean().optional().describe("Refuse to start while another run of this workflow id is alive"),
  history: z.boolean().optional().describe("Record executions in the history store; default true"),
});

const grant = z.union([z.boolean(), z.array(z.string())]);

/** Deno permissions granted to one custom node module. */
export const PermissionsSchema = z.strictObject({
  net: grant.optional().describe("Hosts it may reach (host or host:port), or true"),
  read: grant.optional().describe("Paths it may read, or true"),
  write: grant.optional().describe("Paths it may write, or true"),
  env: grant.optional().describe("Environment variables it may read, or true"),
});

/** A custom node module to load: a path relative to the workflow file, with its permissions. */
export const ImportSchema = z.union([
  z.string().min(1),
  z.strictObject({ path: z.string().min(1), permissions: PermissionsSchema.optional() }),
]);

/** The workflow file. */
export const WorkflowSchema = z.strictObject({
  $schema: z.string().optional(),
  id: id.optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  inputs: z.record(
    z.string().regex(ID_PATTERN, {
      error: (iss) => `input names match [A-Za-z_][A-Za-z0-9_-]*; got ${JSON.stringify(iss.input)}`,
    }),
    InputDeclSchema,
  ).optional(),
  imports: z.array(ImportSchema).optional().describe("Custom node modules, run sandboxed in Workers"),
  nodes: z.array(NodeSchema),
  connections: z.array(ConnectionSchema),
  outputs: z.record(z.string(), endpoint).optional(),
  settings: SettingsSchema.optional(),
});

/** A workflow as read from its file (after schema validation). */
export type Workflow = z.infer<typeof WorkflowSchema>;
/** One node entry of a workflow. */
export type WorkflowNode = z.infer<typeof NodeSchema>;
/** One connection of a workflow. */
export type Connection = z.infer<typeof ConnectionSchema>;
/** Retry policy of a node. */
export type RetryPolicy = z.infer<typeof RetrySchema>;
/** Workflow settings. */
export type Settings = z.infer<typeof SettingsSchema>;
/** A workflow input declaration. */
export type InputDecl = z.infer<typeof InputDeclSchema>;
/** One entry of `imports`. */
export type ImportEntry = z.infer<typeof ImportSchema>;
/** One of the port value types. */
export type PortType = typeof PORT_TYPES[number];

/**
 * The JSON Schema (draft 2020-12) of the workflow file, generated from the
 * same zod schema that validates it (`flow schema` prints it).
 *
 * @example
 * ```ts
 * import { workflowJsonSchema } from "./workflow.ts";
 * await Deno.writeTextFile("workflow.schema.json", JSON.stringify(workflowJsonSchema(), null, 2));
 * ```
 */
export function workflowJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(WorkflowSchema, { io: "input", unrepresentable: "any" }),
    title: "flow workflow",
  };
}
