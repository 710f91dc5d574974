/**
 * Types of the editor's API (`/api/v1/nodes`, `/validate`, `/session`),
 * from the server's own zod schemas (types only: no zod reaches the
 * browser), in a module without the DOM so that modules without one (and
 * their Deno tests) can use them.
 *
 * @module
 */
import type { z } from "@hono/zod-openapi";
import type {
  LocatedIssue,
  NodeType as NodeTypeSchema,
  PortInfo,
  SessionInfo,
  ValidateResult,
} from "../../server/schemas.ts";

/** A port of a node type. */
export type PortSpec = z.infer<typeof PortInfo>;

/** A JSON Schema (as `zod` writes them). */
export type JsonSchema = Record<string, unknown>;

/** A node type usable on this server (`GET /api/v1/nodes`). */
export type NodeType = z.infer<typeof NodeTypeSchema>;

/** A problem of a workflow text, where the validator found it. */
export type Problem = z.infer<typeof LocatedIssue>;

/** The result of validating a text. */
export type Validation = z.infer<typeof ValidateResult>;

/** Who the console is signed in as (`GET /api/v1/session`). */
export type Session = z.infer<typeof SessionInfo>;
