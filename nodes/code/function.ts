/**
 * `code.function`: runs the body of an async TypeScript or JavaScript
 * function in a Deno Worker of its own, with exactly the permissions its
 * config grants (a subset of the workflow's `settings.permissions`). It is a
 * sandboxed custom node made from the workflow file: the same Worker
 * machinery (`src/sandbox/host.ts`) runs it, with the same time limits and
 * the same memory limit (its Worker runs in a sandbox process shared with the
 * code nodes of the same grants).
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { NodeError } from "../../src/errors.ts";
import { untemplated } from "../../src/expressions/expressions.ts";
import {
  defineNode,
  type NodeContext,
  type PermissionName,
  type PermissionNeed,
  type Ports,
  type SetupInfo,
} from "../../src/node/node.ts";
import { ID_PATTERN, PORT_TYPES, type PortType } from "../../src/workflow/format.ts";
import { fitsPortType, preview } from "../../src/workflow/values.ts";
import type { NodeModuleHost } from "../../src/sandbox/host.ts";
import { compileSource, loadTypeStripper } from "./source.ts";

const NAMES: readonly PermissionName[] = ["run", "read", "write", "net", "env"];

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() => {
  const name = z.string().check(z.regex(ID_PATTERN, {
    error: (iss) => `expected a port name matching [A-Za-z_][A-Za-z0-9_-]*; got ${JSON.stringify(iss.input)}`,
  }));
  const ports = () => z.union([z.array(name), z.record(name, z.enum(PORT_TYPES))]);
  const grant = () => z.optional(z.union([z.boolean(), z.array(z.string().check(z.minLength(1)))]));
  return z.object({
    source: described(
      untemplated(z.string()),
      "The body of an async function: inputs (its input ports) and ctx (log, signal, store) are in scope; " +
        "it returns the object of its output ports. TypeScript types are stripped, not checked",
    ),
    inputs: described(z.optional(untemplated(ports())), "Input ports: a list of names, or names and types"),
    outputs: described(z.optional(untemplated(ports())), "Output ports: a list of names, or names and types"),
    permissions: described(
      z.optional(
        untemplated(z.strictObject({ run: grant(), read: grant(), write: grant(), net: grant(), env: grant() })),
      ),
      "What the function may reach: a part of the workflow's settings.permissions; nothing by default",
    ),
  });
});

type Config = z.output<ReturnType<typeof configSchema>>;

/** The declared ports as `{ name: type }` (a list of names: type any); undefined when not declared. */
function declared(ports: Config["inputs"]): Record<string, PortType> | undefined {
  if (ports === undefined) return undefined;
  if (Array.isArray(ports)) return Object.fromEntries(ports.map((p) => [p, "any" as const]));
  return ports;
}

/** What validation made of the config: the declared ports. */
interface Prepared {
  inputs?: Record<string, PortType>;
  outputs?: Record<string, PortType>;
}

/** The `code.function` node type. */
export default defineNode({
  type: "code.function",
  description: "Runs config.source, the body of an async TypeScript/JavaScript function, in a sandboxed Worker",
  inputs: {},
  dynamicInputs: { type: "any", description: "The input ports config.inputs declares, as inputs.NAME" },
  outputs: {},
  get config() {
    return configSchema();
  },
  dynamicOutputs(_config, prepared) {
    const outputs = (prepared as Prepared | undefined)?.outputs;
    if (!outputs) return undefined;
    return Object.fromEntries(Object.entries(outputs).map(([name, type]) => [name, { type }])) as Ports;
  },
  prepare(config, tools): Prepared {
    const compiled = compileSource(config.source);
    if ("error" in compiled) {
      const { line, column, message } = compiled.error;
      tools.issue("source", `syntax error at line ${line}, column ${column} of the source: ${message}`);
    }
    return { inputs: declared(config.inputs), outputs: declared(config.outputs) };
  },
  checkInputs(ports, prepared) {
    const inputs = (prepared as Prepared | undefined)?.inputs;
    if (!inputs) return [];
    return ports.filter((p) => !Object.hasOwn(inputs, p)).map((p) =>
      `input port "${p}" is not declared in config.inputs` +
      (Object.keys(inputs).length ? ` (${Object.keys(inputs).join(", ")})` : " (which declares none)")
    );
  },
  needs(config) {
    return grantsWanted(config.permissions);
  },
  async setup(config, info) {
    return await startWorker(config, info);
  },
  dispose(instance) {
    (instance as NodeModuleHost | undefined)?.close();
  },
  async run(ctx) {
    const prepared = ctx.prepared as Prepared;
    checkInputs(ctx.inputs, prepared.inputs);
    // Without a version that set it up (a library run without instances), the run sets up its own.
    const own = ctx.instance
      ? undefined
      : await startWorker(ctx.config, { workflowId: "", nodeId: ctx.nodeId, permissions: ctx.permissions });
    const host = (ctx.instance as NodeModuleHost | undefined) ?? own!;
    try {
      const outputs = await host.definitions[0].run(ctx as NodeContext<never, unknown>);
      return checkOutputs(outputs as Record<string, unknown>, prepared.outputs);
    } finally {
      own?.close();
    }
  },
});

/** The grants the config asks for, one need per entry. */
function grantsWanted(permissions: Config["permissions"]): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  for (const name of NAMES) {
    const grant = permissions?.[name];
    if (grant === true) needs.push({ permission: name, value: true, field: ["permissions", name] });
    else if (Array.isArray(grant)) {
      grant.forEach((value, k) => needs.push({ permission: name, value, field: ["permissions", name, k] }));
    }
  }
  return needs;
}

/** Starts the node's Worker with exactly its grants (paths resolved against the workflow's folder). */
async function startWorker(config: Config, info: SetupInfo): Promise<NodeModuleHost> {
  for (const need of grantsWanted(config.permissions)) {
    info.permissions.check(need.permission, need.value, `permissions.${need.permission}`);
  }
  await loadTypeStripper();
  const compiled = compileSource(config.source);
  if ("error" in compiled) throw new Error(`syntax error in the source: ${compiled.error.message}`);
  const p = config.permissions ?? {};
  const paths = (grant: boolean | string[] | undefined) =>
    Array.isArray(grant) ? grant.map((path) => info.permissions.resolve(path)) : grant;
  const run = Array.isArray(p.run)
    ? p.run.map((cmd) => /[\\/]/.test(cmd) ? info.permissions.resolve(cmd) : cmd)
    : p.run;
  const { NodeModuleHost } = await import("../../src/sandbox/host.ts");
  return await NodeModuleHost.load({
    path: info.permissions.base,
    label: `code.function "${info.nodeId}"`,
    permissions: { run, read: paths(p.read), write: paths(p.write), net: p.net, env: p.env },
    code: compiled.body,
  });
}

/** Declared input types hold, as for any node's ports. */
function checkInputs(inputs: Record<string, unknown>, types: Record<string, PortType> | undefined): void {
  if (!types) return;
  for (const [name, value] of Object.entries(inputs)) {
    const type = types[name];
    if (type && value !== undefined && !fitsPortType(type, value)) {
      throw new NodeError(`input "${name}": expected ${type}; got ${preview(value)}`, {
        code: "INPUT_TYPE",
        retryable: false,
      });
    }
  }
}

/** The function's result, when it returns only declared outputs of their declared types. */
function checkOutputs(
  outputs: Record<string, unknown> | undefined,
  types: Record<string, PortType> | undefined,
): Record<string, unknown> {
  const result = outputs ?? {};
  if (!types) return result;
  for (const [name, value] of Object.entries(result)) {
    const type = types[name];
    const problem = type === undefined
      ? `returned output "${name}", which config.outputs does not declare (${Object.keys(types).join(", ") || "none"})`
      : value !== undefined && !fitsPortType(type, value)
      ? `output "${name}": expected ${type}; got ${preview(value)}`
      : undefined;
    if (problem) throw new NodeError(problem, { code: "BAD_OUTPUT", retryable: false });
  }
  return result;
}
