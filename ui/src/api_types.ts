/**
 * Types of the editor's API (`/api/v1/nodes`, `/validate`, `/session`): no
 * DOM, so that modules without one (and their Deno tests) can use them.
 *
 * @module
 */

/** A port of a node type. */
export interface PortSpec {
  /** Value type, e.g. `string`, `any`. */
  type: string;
  /** What it carries. */
  description?: string;
  /** Input ports: whether the node needs it (default true). */
  required?: boolean;
}

/** A JSON Schema (as `zod` writes them). */
export type JsonSchema = Record<string, unknown>;

/** A node type usable on this server (`GET /api/v1/nodes`). */
export interface NodeType {
  /** Type name, e.g. `http.request`. */
  type: string;
  /** Its family, e.g. `http`. */
  family: string;
  /** What it does. */
  description: string;
  /** Input ports. */
  inputs: Record<string, PortSpec>;
  /** Output ports. */
  outputs: Record<string, PortSpec>;
  /** The JSON Schema of its config. */
  configSchema?: JsonSchema;
  /** Whether it comes from `--nodes` or a workflow's `imports`. */
  custom?: boolean;
  /** The module of a custom type. */
  source?: string;
  /** Input ports of any name are taken (their spec, or true). */
  dynamicInputs?: PortSpec | boolean;
  /** Output ports depend on config. */
  dynamicOutputs?: boolean;
}

/** A problem of a workflow text, where the validator found it. */
export interface Problem {
  /** Where, e.g. `nodes[2].config.url`. */
  path: string;
  /** What is wrong. */
  message: string;
  /** 1-based line in the text, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** Offset in the text, when known. */
  offset?: number;
  /** Length of the range, when known. */
  length?: number;
}

/** The result of validating a text. */
export interface Validation {
  /** Whether it is valid. */
  valid: boolean;
  /** Every problem. */
  errors: Problem[];
}

/** Who the console is signed in as. */
export interface Session {
  /** Whether this request carried a valid session cookie or token. */
  authenticated: boolean;
  /** admin (read and write) or read; null without a session. */
  role: "admin" | "read" | null;
  /** Whether the server needs a token. */
  tokenRequired: boolean;
  /** Whether the server refuses file writes (`--read-only`). */
  readOnly: boolean;
}
