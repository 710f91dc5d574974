/**
 * `exec.command`: runs a program (no shell unless asked) and outputs what
 * it wrote and its exit code.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode, type PermissionNeed } from "../../src/node/node.ts";
import { NodeError } from "../../src/errors.ts";
import { ENV_NAME_PATTERN } from "../../src/workflow/format.ts";

/** Default of `maxOutputBytes`: 1 MiB of stdout, and as much of stderr. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() => {
  const envName = z.string().check(z.regex(ENV_NAME_PATTERN, {
    error: (iss) => `expected an environment variable name; got ${JSON.stringify(iss.input)}`,
  }));
  return z.object({
    command: described(
      z.string().check(z.minLength(1)),
      "The program: a name looked up on PATH, or a path (relative to the workflow file's folder); " +
        "with shell, the script. Needs settings.permissions.run",
    ),
    args: described(
      z._default(z.array(z.union([z.string(), z.number(), z.boolean()])), []),
      "Its arguments, numbers and booleans as text (with shell: the script's $1, $2, ...)",
    ),
    shell: described(
      z._default(z.union([z.boolean(), z.string().check(z.minLength(1))]), false),
      'Run command as a script of this shell (true: "sh"), which settings.permissions.run must list',
    ),
    cwd: described(z.optional(z.string()), "Working directory, relative to the workflow file's folder (the default)"),
    env: described(
      z._default(z.record(envName, z.union([z.string(), z.literal(true)])), {}),
      "Its only environment variables: a value, or true to pass flow's own (needs settings.permissions.env)",
    ),
    timeoutMs: described(
      z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(2_147_483_647))),
      "Kill its process group after this long (TIMEOUT)",
    ),
    allowExitCodes: described(
      z._default(z.array(z.number().check(z.int())), [0]),
      "Exit codes that succeed; default [0]",
    ),
    maxOutputBytes: described(
      z._default(z.number().check(z.int(), z.minimum(0), z.maximum(2 ** 30)), DEFAULT_MAX_OUTPUT_BYTES),
      "Bytes kept of stdout, and of stderr; the rest is cut (truncated: true); default 1 MiB",
    ),
  });
});

type Config = z.output<ReturnType<typeof configSchema>>;

/** The program actually started: the shell, or the command. */
function program(config: Config): { program: string; field: string } {
  if (config.shell === false) return { program: config.command, field: "command" };
  return { program: config.shell === true ? "sh" : config.shell, field: "shell" };
}

/** The `exec.command` node type. */
export default defineNode({
  type: "exec.command",
  description: "Runs config.command (no shell unless shell is set); outputs stdout, stderr and exitCode",
  inputs: {
    stdin: { type: "string", description: "Written to the program's stdin (none when not given)", required: false },
  },
  dynamicInputs: { type: "any", description: "Visible to config templates as $node.NAME" },
  outputs: {
    stdout: { type: "string", description: "What it wrote to stdout, as written (UTF-8)" },
    stderr: { type: "string", description: "What it wrote to stderr, as written" },
    exitCode: { type: "number", description: "Its exit code" },
    truncated: { type: "boolean", description: "Whether stdout or stderr was cut at maxOutputBytes" },
  },
  get config() {
    return configSchema();
  },
  needs(config) {
    const { program: run, field } = program(config);
    const needs: PermissionNeed[] = [{ permission: "run", value: run, field: [field] }];
    for (const [name, value] of Object.entries(config.env)) {
      if (value === true) needs.push({ permission: "env", value: name, field: ["env", name] });
    }
    return needs;
  },
  async run({ inputs, config, permissions, signal, log }) {
    const { program: run, field } = program(config);
    permissions.check("run", run, field);
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.env)) {
      if (value !== true) env[name] = value;
      else {
        permissions.check("env", name, `env.${name}`);
        const own = Deno.env.get(name);
        if (own !== undefined) env[name] = own;
      }
    }
    const given = config.args.map(String);
    const args = config.shell === false ? given : ["-c", config.command, run, ...given];
    const cwd = permissions.resolve(config.cwd ?? ".");
    const { runSubprocess } = await import("./subprocess.ts");
    const { signal: limited, cleanup } = withTimeout(signal, config.timeoutMs, run);
    let done;
    try {
      done = await runSubprocess({
        program: /[\\/]/.test(run) ? permissions.resolve(run) : run,
        args,
        cwd,
        env,
        stdin: inputs.stdin,
        maxOutputBytes: config.maxOutputBytes,
        signal: limited,
      });
    } catch (err) {
      throw limited.aborted ? limited.reason : spawnError(err, run, cwd);
    } finally {
      cleanup();
    }
    const truncated = done.stdoutDropped > 0 || done.stderrDropped > 0;
    for (const [stream, dropped] of [["stdout", done.stdoutDropped], ["stderr", done.stderrDropped]] as const) {
      if (dropped > 0) {
        log.warn(`${stream} cut at ${config.maxOutputBytes} bytes (maxOutputBytes): ${dropped} more bytes dropped`);
      }
    }
    if (!config.allowExitCodes.includes(done.code)) {
      const how = done.signal ? `was killed by ${done.signal}` : `exited with code ${done.code}`;
      // The last line that is not indented: the error, not its continuation lines.
      const lines = done.stderr.split("\n").filter((l) => l.trim() !== "");
      const last = (lines.findLast((l) => !/^\s/.test(l)) ?? lines.at(-1) ?? "").trim().slice(0, 300);
      throw new NodeError(`${run} ${how}${last ? `: ${last}` : ""}`, { code: "EXIT_CODE" });
    }
    return { stdout: done.stdout, stderr: done.stderr, exitCode: done.code, truncated };
  },
});

/** The node's signal, also aborted (TIMEOUT) after `timeoutMs`. */
function withTimeout(signal: AbortSignal, timeoutMs: number | undefined, run: string) {
  if (timeoutMs === undefined) return { signal, cleanup: () => {} };
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new NodeError(`${run} timed out after ${timeoutMs} ms; killed`, { code: "TIMEOUT" }));
  }, timeoutMs);
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener("abort", forward, { once: true });
  return {
    signal: controller.signal,
    cleanup: () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", forward);
    },
  };
}

/** A program that could not be started. */
function spawnError(err: unknown, run: string, cwd: string): NodeError {
  const e = err as Error;
  if (e?.name === "NotCapable") {
    return new NodeError(`cannot run ${run}: flow itself was started without Deno's --allow-run`, {
      code: "PERMISSION_DENIED",
      retryable: false,
      cause: err,
    });
  }
  if (err instanceof Deno.errors.NotFound) {
    // The program, or the working directory.
    return new NodeError(`cannot run ${run}: not found (on PATH, or the working directory ${cwd})`, {
      code: "SPAWN_FAILED",
      retryable: false,
      cause: err,
    });
  }
  return new NodeError(`cannot run ${run}: ${e?.message ?? String(err)}`, { code: "SPAWN_FAILED", cause: err });
}
