/**
 * `GET /api/v1/nodes` and `GET /api/v1/schema`: what the editor builds
 * workflows from. Every node type usable here (built-in, the `--nodes`
 * folders, and the `imports` of each served workflow) with its ports and
 * the JSON Schema of its config (the derivation `flow nodes --json` uses),
 * and the workflow file's JSON Schema (`flow schema`).
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type AnyNodeDefinition, configJsonSchema } from "../src/node/mod.ts";
import type { FlowRuntime } from "../src/runtime/service.ts";
import { type CustomType, loadNodeModules } from "../src/sandbox/mod.ts";
import { workflowJsonSchema } from "../src/workflow/mod.ts";
import { ports } from "./describe.ts";
import * as S from "./schemas.ts";

/** A node type as `GET /nodes` lists it. */
export function nodeType(def: AnyNodeDefinition, source?: string): z.infer<typeof S.NodeType> {
  return {
    type: def.type,
    family: def.type.split(".")[0],
    description: def.description,
    inputs: ports(def.inputs),
    outputs: ports(def.outputs),
    ...(def.dynamicInputs ? { dynamicInputs: ports({ any: def.dynamicInputs }).any } : {}),
    ...(def.dynamicOutputs ? { dynamicOutputs: true } : {}),
    configSchema: configJsonSchema(def),
    ...(def.trigger ? { trigger: def.trigger } : {}),
    custom: source !== undefined,
    ...(source !== undefined ? { source } : {}),
  };
}

/**
 * The custom node types of the served workflows (each version keeps those
 * its modules registered), or, when none serves, those of the `--nodes`
 * folders, loaded for the answer and stopped again.
 */
async function customTypes(runtime: FlowRuntime): Promise<CustomType[]> {
  const versions = runtime.catalog.entries().flatMap((e) => e.version ? [e.version] : []);
  if (versions.length > 0 || runtime.nodeDirs.length === 0) return versions.flatMap((v) => v.customTypes);
  try {
    const modules = await loadNodeModules({}, runtime.registry, { dirs: [...runtime.nodeDirs] });
    modules.close();
    return [...modules.sources].map(([type, source]) => ({ def: modules.registry.get(type)!, source }));
  } catch {
    return []; // flow serve reported the folder's problem when it loaded
  }
}

/** The `/api/v1` routes of node types and the workflow schema. */
export function nodeTypeRoutes(api: OpenAPIHono, runtime: FlowRuntime): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/nodes",
      summary: "Every node type usable here (built-in, --nodes, each served workflow's imports): ports, config schema",
      responses: {
        200: {
          content: { "application/json": { schema: z.object({ nodes: z.array(S.NodeType) }) } },
          description: "By type",
        },
        401: { content: { "application/json": { schema: S.ErrorBody } }, description: "Missing or wrong API token" },
      },
    }),
    async (c) => {
      const byType = new Map<string, z.infer<typeof S.NodeType>>();
      for (const def of runtime.registry.list()) byType.set(def.type, nodeType(def));
      for (const { def, source } of await customTypes(runtime)) {
        if (!byType.has(def.type)) byType.set(def.type, nodeType(def, source));
      }
      const nodes = [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
      return c.json({ nodes }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/schema",
      summary: "The JSON Schema of a workflow file (what flow schema prints)",
      responses: {
        200: { content: { "application/json": { schema: S.JsonObject } }, description: "JSON Schema, draft 2020-12" },
        401: { content: { "application/json": { schema: S.ErrorBody } }, description: "Missing or wrong API token" },
      },
    }),
    (c) => c.json(workflowJsonSchema(runtime.registry.list()), 200),
  );
}
