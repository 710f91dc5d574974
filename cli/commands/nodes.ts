/**
 * `flow nodes [FILE]`: lists the node types (built-in, a workflow's imports,
 * `--nodes` folders) as a table or as JSON.
 *
 * @module
 */
import { configJsonSchema } from "../../src/node/mod.ts";
import { loadNodeModules } from "../../src/sandbox/mod.ts";
import { builtinRegistry } from "../../nodes/mod.ts";
import type { Invocation } from "../commands.ts";
import { ExitCode } from "../exit_codes.ts";
import { readWorkflowArg } from "../load.ts";
import { stdout } from "../output.ts";
import { renderTable } from "../table.ts";

/** Runs `flow nodes`; resolves to the exit code. */
export default async function nodes({ args, options }: Invocation): Promise<number> {
  const file = args.file as string | undefined;
  const raw = file === undefined ? {} : await readWorkflowArg(file);
  const modules = await loadNodeModules(raw, builtinRegistry(), { file, dirs: options.nodes as string[] });
  modules.close();
  const defs = modules.registry.list();
  if (options.json) {
    const list = defs.map((d) => ({
      type: d.type,
      source: modules.sources.get(d.type) ?? "built-in",
      description: d.description,
      inputs: d.inputs,
      ...(d.dynamicInputs ? { dynamicInputs: d.dynamicInputs } : {}),
      outputs: d.outputs,
      config: configJsonSchema(d),
    }));
    stdout.write(JSON.stringify(list, null, 2) + "\n");
    return ExitCode.Success;
  }
  const ports = (p: Record<string, { type: string; required?: boolean }>, dyn?: { type: string }) =>
    [
      ...Object.entries(p).map(([k, s]) => `${k}${s.required === false ? "?" : ""}: ${s.type}`),
      ...(dyn ? [`*: ${dyn.type}`] : []),
    ].join("\n") || "-";
  const rows = [["type", "description", "inputs", "outputs"]];
  for (const d of defs) {
    const source = modules.sources.get(d.type);
    rows.push([
      source ? `${d.type}\n${breakPath(`(${source})`, 24)}` : d.type,
      d.description,
      ports(d.inputs, d.dynamicInputs),
      ports(d.outputs),
    ]);
  }
  stdout.write(await renderTable(rows, { widths: [26, 44, 22, 20], rowLines: true }) + "\n");
  return ExitCode.Success;
}

/** A path broken into lines of at most `width` characters, after a `/` where it can: shown whole in a narrow column. */
function breakPath(path: string, width: number): string {
  const lines: string[] = [];
  let rest = path;
  while (rest.length > width) {
    const cut = rest.lastIndexOf("/", width - 1);
    const at = cut > 0 ? cut + 1 : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  return [...lines, rest].join("\n");
}
