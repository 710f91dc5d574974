/**
 * The starter workflow: what `flow init` writes, and what the editor's
 * `POST /api/v1/workflows` writes for a new file given no text. One
 * definition, so both start from the same file, in the same key order.
 *
 * @module
 */

/**
 * A workflow id made from a name (a folder or a file name): characters an
 * id cannot hold become `-`, and it starts with a letter or `_`;
 * `my-workflow` when nothing is left.
 *
 * @example
 * ```ts
 * import { idFromName } from "./starter.ts";
 * idFromName("2 Orders.v2"); // "Orders-v2"
 * ```
 */
export function idFromName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "-").replace(/^[^A-Za-z_]+/, "") || "my-workflow";
}

/**
 * The starter workflow with an id: an input, a delay and a log, their
 * connections, an output and settings; `$schema` first when a schema
 * reference is given (editors then validate and complete the file).
 *
 * @example
 * ```ts
 * import { starterWorkflow } from "./starter.ts";
 * starterWorkflow("hello", "./workflow.schema.json").nodes.length; // 2
 * ```
 */
export function starterWorkflow(id: string, schema?: string) {
  return {
    ...(schema === undefined ? {} : { $schema: schema }),
    id,
    name: "Starter workflow",
    inputs: { message: { type: "string", default: "hello from flow" } },
    nodes: [
      { id: "wait", type: "time.delay", config: { ms: 100 } },
      { id: "log", type: "debug.log" },
    ],
    connections: [
      { from: "$inputs.message", to: "wait.value" },
      { from: "wait.value", to: "log.message" },
    ],
    outputs: { message: "log.message" },
    settings: { onError: "stop", timeoutMs: 60000 },
  };
}

/**
 * A value as a new workflow file is written: pretty-printed with two
 * spaces, ending with a line break.
 *
 * @example
 * ```ts
 * import { fileText, starterWorkflow } from "./starter.ts";
 * fileText(starterWorkflow("hello")).startsWith('{\n  "id": "hello"'); // true
 * ```
 */
export function fileText(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}
