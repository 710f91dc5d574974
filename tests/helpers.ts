/**
 * Shared test helpers: run the real CLI as a subprocess, write temporary
 * workflow files, parse NDJSON, and build test node types.
 *
 * The CLI under test is `cli.ts` from this checkout, unless `FLOW_CLI` names
 * another entry: a bundled `.js` file (run with `deno run`) or a compiled binary.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import assert from "node:assert/strict";
import {
  defineNode,
  type FlowEvent,
  Registry,
  runWorkflow,
  validateWorkflow,
  WorkflowValidationError,
} from "../mod.ts";
import { builtinNodes } from "../nodes/mod.ts";
import type { RunOptions, RunResult } from "../src/engine/executor.ts";

/** Repository root. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** The output of one CLI run. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr. */
  stderr: string;
}

/** The command that starts the CLI under test. */
export function cliCommand(): { cmd: string; args: string[] } {
  const entry = Deno.env.get("FLOW_CLI");
  if (entry && !/\.(js|ts|mjs)$/.test(entry)) return { cmd: entry, args: [] };
  // A bundle has no deno.json beside it: give it the unstable flag deno.json sets.
  const unstable = entry ? ["--unstable-worker-options"] : [];
  return { cmd: Deno.execPath(), args: ["run", "--quiet", "-A", ...unstable, entry ?? `${ROOT}cli.ts`] };
}

/** Options of {@linkcode runCli}. */
export interface RunCliOptions {
  /** Text written to stdin. */
  stdin?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/**
 * The state directory CLI subprocesses get unless a test sets its own
 * `FLOW_STATE_DIR`: one temporary directory per test process, so tests never
 * write to the user's history.
 */
export const TEST_STATE_DIR: string = Deno.makeTempDirSync({ prefix: "flow-test-state-" });

/** Runs the real `flow` CLI as a subprocess. */
export async function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const { cmd, args: pre } = cliCommand();
  const child = new Deno.Command(cmd, {
    args: [...pre, ...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: options.cwd,
    env: { NO_COLOR: "1", FLOW_STATE_DIR: TEST_STATE_DIR, ...options.env },
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Starts the real CLI with stdout and stderr piped, for tests that talk to a live process. */
export function spawnCli(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  const { cmd, args: pre } = cliCommand();
  return new Deno.Command(cmd, {
    args: [...pre, ...args],
    env: { NO_COLOR: "1", FLOW_STATE_DIR: TEST_STATE_DIR, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads a text stream until `marker` appears; returns what was read (all of it if the stream ends first). */
export async function readUntil(reader: ReadableStreamDefaultReader<string>, marker: string): Promise<string> {
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  return text;
}

/** Writes a workflow object (or raw text) to a new temporary file and returns its path. */
export async function writeWorkflow(workflow: unknown, name = "wf.json"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "flow-test-" });
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, typeof workflow === "string" ? workflow : JSON.stringify(workflow, null, 2));
  return path;
}

/** Parses NDJSON text, failing on any line that is not a JSON object. */
export function parseNdjson(text: string): FlowEvent[] {
  return text.split("\n").filter((l) => l !== "").map((line, i) => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1} is not JSON: ${line}`);
    }
  });
}

/** Test node types: `test.noop`, `test.sleep` (tracks concurrency), `test.fail`, `test.flaky`, `test.hang`. */
export function testRegistry(): { registry: Registry; stats: { active: number; maxActive: number; calls: number } } {
  const stats = { active: 0, maxActive: 0, calls: 0 };
  const registry = new Registry(builtinNodes);
  registry.register(defineNode({
    type: "test.noop",
    description: "passes in to out",
    inputs: { in: { type: "any", required: false } },
    outputs: { out: { type: "any" } },
    run: ({ inputs }) => ({ out: inputs.in ?? null }),
  }));
  registry.register(defineNode({
    type: "test.sleep",
    description: "sleeps config ms (abortable), counting concurrent runs",
    inputs: { in: { type: "any", required: false } },
    outputs: { out: { type: "any" } },
    config: z.object({ ms: z.number().int().min(0).default(50) }),
    async run({ inputs, config, signal }) {
      stats.calls++;
      stats.active++;
      stats.maxActive = Math.max(stats.maxActive, stats.active);
      try {
        await new Promise((resolve, reject) => {
          const t = setTimeout(resolve, config.ms);
          signal.addEventListener("abort", () => {
            clearTimeout(t);
            reject(signal.reason);
          }, { once: true });
        });
      } finally {
        stats.active--;
      }
      return { out: inputs.in ?? null };
    },
  }));
  registry.register(defineNode({
    type: "test.fail",
    description: "always throws",
    inputs: { in: { type: "any", required: false } },
    outputs: { out: { type: "any" } },
    run() {
      stats.calls++;
      throw new Error("boom");
    },
  }));
  registry.register(defineNode({
    type: "test.flaky",
    description: "fails config.failures times per run, then succeeds",
    inputs: { in: { type: "any", required: false } },
    outputs: { out: { type: "any" } },
    config: z.object({ failures: z.number().int().min(0).default(1) }),
    run({ state, config }) {
      stats.calls++;
      const n = ((state.get("n") as number) ?? 0) + 1;
      state.set("n", n);
      if (n <= config.failures) throw new Error(`flaky failure ${n}`);
      return { out: n };
    },
  }));
  registry.register(defineNode({
    type: "test.hang",
    description: "never settles and ignores its signal",
    inputs: { in: { type: "any", required: false } },
    outputs: { out: { type: "any" } },
    run: () => new Promise(() => {}),
  }));
  return { registry, stats };
}

/** Validates and runs a workflow object with the test registry, collecting events. */
export async function runObject(
  workflow: unknown,
  options: RunOptions & { registry?: Registry } = {},
): Promise<{ result: RunResult; events: FlowEvent[] }> {
  const registry = options.registry ?? testRegistry().registry;
  const compiled = validateWorkflow(workflow, registry);
  const events: FlowEvent[] = [];
  const result = await runWorkflow(compiled, {
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  return { result, events };
}

/** The events of one type, typed. */
export const ofType = <T extends FlowEvent["type"]>(events: FlowEvent[], type: T): Extract<FlowEvent, { type: T }>[] =>
  events.filter((e): e is Extract<FlowEvent, { type: T }> => e.type === type);

/** The `path: message` lines of the WorkflowValidationError that `fn` throws (fails if it throws none). */
export function validationIssues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WorkflowValidationError, `expected a WorkflowValidationError; got ${err}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail("expected a validation error");
}
