/**
 * Which functions of a bundle a typical short `flow` command runs: the bundle
 * is run on a small workflow with V8's function events logged
 * (`--log-function-events`), and the functions of the bundle's own script
 * that ran are read back from the log. `eager_compile.ts` has V8 compile
 * them with the bundle.
 *
 * The commands profiled: a recorded `flow run --quiet` of a 3-node workflow
 * on a history that already exists (the first run, which creates it, is not
 * counted), the same run with its pretty output, a run of the workflow with
 * a template (`{{ }}`) in its last node, and `flow validate`.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import type { CompiledRange } from "./eager_compile.ts";

/**
 * The workflow `deno task cold-start` measures and the bundle is profiled on:
 * three connected nodes, no network.
 */
export const WORKFLOW = {
  id: "cold-start",
  name: "cold start",
  inputs: { greeting: { type: "string", default: "hello" } },
  nodes: [
    { id: "wait", type: "time.delay", config: { ms: 0 } },
    { id: "log", type: "debug.log" },
    { id: "json", type: "transform.json_stringify" },
  ],
  connections: [
    { from: "$inputs.greeting", to: "wait.value" },
    { from: "wait.value", to: "log.message" },
    { from: "log.message", to: "json.value" },
  ],
  outputs: { json: "json.json" },
};

/** {@linkcode WORKFLOW} with a JSONata expression in its last node: the run loads JSONata. */
export const EXPRESSION_WORKFLOW = {
  ...WORKFLOW,
  id: "cold-start-expression",
  nodes: [
    ...WORKFLOW.nodes.slice(0, 2),
    { id: "shout", type: "transform.set", config: { value: "{{ $uppercase($inputs.greeting) }}" } },
  ],
  connections: [...WORKFLOW.connections.slice(0, 2), { from: "log.message", to: "shout.after" }],
  outputs: { shout: "shout.value" },
};

/** The V8 function events that name a function a command needed. */
const EVENTS = new Set(["parse-function", "first-execution"]);

/** The profiled commands, after a first run that creates the history. */
const COMMANDS = [
  ["run", "wf.json", "--quiet"],
  ["run", "wf.json"],
  ["run", "expression.json", "--quiet"],
  ["validate", "wf.json"],
];

/**
 * The functions of `bundle`'s own script in a V8 log that V8 compiled as they
 * were first called (`parse-function`), or that ran (`first-execution`, which
 * V8 logs only for some).
 */
export function ranFunctions(log: string, bundle: string): CompiledRange[] {
  const ids = new Set<string>();
  const ranges: CompiledRange[] = [];
  for (const line of log.split("\n")) {
    const fields = line.split(",");
    if (fields[0] === "script-details" && fields[2] === bundle) ids.add(fields[1]);
    else if (fields[0] === "function" && EVENTS.has(fields[1]) && ids.has(fields[2])) {
      ranges.push({ start: Number(fields[3]), end: Number(fields[4]) });
    }
  }
  return ranges;
}

/**
 * Runs the bundle in `code` (in `dir`, a scratch folder) on the profiled
 * commands and returns the functions of it that ran. Throws with one line
 * when a command fails.
 */
export async function profileBundle(code: string, dir: string, flags: string[]): Promise<CompiledRange[]> {
  const bundle = `${dir}/flow.js`;
  await Deno.writeTextFile(bundle, code);
  await Deno.writeTextFile(`${dir}/wf.json`, JSON.stringify(WORKFLOW));
  await Deno.writeTextFile(`${dir}/expression.json`, JSON.stringify(EXPRESSION_WORKFLOW));
  const url = pathToFileURL(bundle).href;
  const seen = new Map<string, CompiledRange>();
  for (const [i, args] of [COMMANDS[0], ...COMMANDS].entries()) {
    const log = `${dir}/v8-${i}.log`;
    const v8 = `--v8-flags=--log-function-events,--logfile=${log},--no-logfile-per-isolate`;
    const { code: status, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...flags, v8, bundle, ...args],
      cwd: dir,
      env: { FLOW_STATE_DIR: `${dir}/state`, NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (status !== 0) {
      const first = new TextDecoder().decode(stderr).trim().split("\n")[0];
      throw new Error(`profiling the bundle: flow ${args.join(" ")} exited ${status}: ${first}`);
    }
    if (i === 0) continue; // the run that created the history
    for (const range of ranFunctions(await Deno.readTextFile(log), url)) seen.set(`${range.start}:${range.end}`, range);
  }
  if (seen.size === 0) {
    throw new Error("profiling the bundle: V8 logged no function of it: update scripts/compile_profile.ts");
  }
  return [...seen.values()];
}
