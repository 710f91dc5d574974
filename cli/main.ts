/**
 * The `flow` command line: commands, flags and exit codes.
 *
 * @module
 */
import { Argument, Command, CommanderError, Option } from "@commander-js/extra-typings";
import Table from "cli-table3";
import { z } from "zod";
import denoJson from "../deno.json" with { type: "json" };
import {
  builtinRegistry,
  type CompiledWorkflow,
  EventBus,
  parseWorkflowText,
  resolveInputs,
  runWorkflow,
  workflowJsonSchema,
  workflowTree,
  WorkflowValidationError,
} from "../mod.ts";
import { compileWithModules, loadNodeModules } from "../src/imports.ts";
import { readWorkflowFile } from "../src/load.ts";
import { fileErrorReason, type ValidationIssue } from "../src/errors.ts";
import { palette, useColor } from "./color.ts";
import { CliError, ExitCode } from "./exit_codes.ts";
import { type CommandSpec, completionScript, SHELLS } from "./completions.ts";
import { toDot, toMermaid } from "./graph_render.ts";
import { initProject } from "./init.ts";
import { acquireLock, type Lock } from "./lock.ts";
import { Output, stderr, stdout } from "./output.ts";
import { stateDir } from "./state.ts";
import { jsonReporter, ndjsonReporter, prettyReporter, quietReporter, type Reporter } from "./reporters.ts";

/** The CLI version, from deno.json. */
export const VERSION: string = denoJson.version;

const FORMATS = ["pretty", "ndjson", "json"] as const;

/** Runs the CLI with `args`; resolves to the exit code. Never prints a stack trace for user errors. */
export async function main(args: string[]): Promise<number> {
  let code: number = ExitCode.Success;
  const cleanups: (() => void)[] = [];
  const program = new Command()
    .name("flow")
    .description("Run workflows of nodes joined by named ports: validated first, parallel, streamed as events.")
    .version(`flow ${VERSION} (deno ${Deno.version.deno})`, "-V, --version", "print the flow and Deno versions")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
      outputError: (s, write) => write(s.startsWith("error:") ? `flow: ${s.slice(7)}` : s),
    })
    .exitOverride();

  program.command("run")
    .description("validate and run a workflow file (- reads it from stdin)")
    .argument("<file>", "workflow JSON file, or - for stdin")
    .addOption(
      new Option("-f, --format <format>", "output: pretty (people), ndjson (event stream), json (summary)").choices(
        FORMATS,
      ),
    )
    .option("-i, --input <name=value>", "set a workflow input (repeatable)", collect, [] as string[])
    .option("--input-json <json>", "set workflow inputs from a JSON object")
    .option("--input-file <file>", "set workflow inputs from a JSON file holding an object")
    .option("-c, --concurrency <n>", "max nodes running at once (overrides settings.concurrency)", positiveInt)
    .option("-q, --quiet", "print nothing on success; one line on stderr on failure")
    .option("--events <file>", "also append the NDJSON event stream to a file")
    .option("--lock", "refuse to start (exit 75) while another run of this workflow id is alive")
    .option(
      "--nodes <dir>",
      "load every custom node module in a folder (repeatable; no permissions)",
      collect,
      [] as string[],
    )
    .exitOverride()
    .action(async (file, opts) => {
      const format = opts.quiet ? "pretty" : opts.format ?? envFormat();
      const { compiled, close } = await load(file, opts.nodes);
      cleanups.push(close);
      checkEnv(compiled);
      const given = {
        ...(opts.inputFile !== undefined ? await readInputFile(opts.inputFile) : {}),
        ...parseInputs(opts.input, opts.inputJson),
      };
      const inputs = resolveInputs(compiled, given);
      const reporter: Reporter = opts.quiet
        ? quietReporter(stderr)
        : format === "ndjson"
        ? ndjsonReporter(stdout)
        : format === "json"
        ? jsonReporter(stdout)
        : prettyReporter(stdout, palette(useColor()));
      const bus = new EventBus();
      bus.subscribe((e) => reporter.onEvent(e));
      const events = opts.events === undefined ? undefined : openEventsFile(opts.events);
      if (events) {
        const sink = ndjsonReporter(events);
        bus.subscribe((e) => sink.onEvent(e));
      }
      const executionId = crypto.randomUUID();
      let lock: Lock | undefined;
      if (opts.lock || compiled.settings.lock) lock = acquireLock(stateDir(), compiled.id, executionId);
      const cancel = new AbortController();
      const stopSignals = onSignals(() => cancel.abort(), () => {
        events?.flush();
        lock?.release();
      });
      try {
        const result = await runWorkflow(compiled, {
          inputs,
          bus,
          signal: cancel.signal,
          concurrency: opts.concurrency,
          executionId,
        });
        reporter.onResult(result);
        code = result.status === "success"
          ? ExitCode.Success
          : result.status === "cancelled"
          ? ExitCode.Cancelled
          : ExitCode.Failed;
      } finally {
        stopSignals();
        events?.flush();
        lock?.release();
      }
    });

  program.command("validate")
    .description("check workflow files without running them; all problems are listed")
    .argument("<files...>", "workflow JSON files")
    .option("--nodes <dir>", "load every custom node module in a folder (repeatable)", collect, [] as string[])
    .exitOverride()
    .action(async (files, opts) => {
      for (const file of files) {
        try {
          const { compiled: wf, close } = await load(file, opts.nodes);
          close();
          const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
          stdout.write(
            `${file}: ok (${count(wf.nodes.length, "node")}, ${count(wf.workflow.connections.length, "connection")})\n`,
          );
        } catch (err) {
          if (!(err instanceof WorkflowValidationError)) throw err;
          stderr.write(err.message + "\n");
          code = ExitCode.Usage;
        }
      }
    });

  program.command("nodes")
    .description("list the available node types (with a workflow's imports and --nodes folders)")
    .argument("[file]", "a workflow whose imported node modules are listed too")
    .option("--json", "print as JSON (ports and config JSON Schema)")
    .option("--nodes <dir>", "also list the node modules in a folder (repeatable)", collect, [] as string[])
    .exitOverride()
    .action(async (file, opts) => {
      let raw: unknown = {};
      if (file !== undefined) {
        raw = file === "-" ? parseWorkflowText(await readStdin(), "<stdin>") : await readWorkflowFile(file);
      }
      const modules = await loadNodeModules(raw, builtinRegistry(), { file, dirs: opts.nodes });
      modules.close();
      const defs = modules.registry.list();
      if (opts.json) {
        const list = defs.map((d) => ({
          type: d.type,
          source: modules.sources.get(d.type) ?? "built-in",
          description: d.description,
          inputs: d.inputs,
          ...(d.dynamicInputs ? { dynamicInputs: d.dynamicInputs } : {}),
          outputs: d.outputs,
          config: d.config ? z.toJSONSchema(d.config, { io: "input", unrepresentable: "any" }) : null,
        }));
        stdout.write(JSON.stringify(list, null, 2) + "\n");
        return;
      }
      const ports = (p: Record<string, { type: string; required?: boolean }>, dyn?: { type: string }) =>
        [
          ...Object.entries(p).map(([k, s]) => `${k}${s.required === false ? "?" : ""}: ${s.type}`),
          ...(dyn ? [`*: ${dyn.type}`] : []),
        ].join("\n") || "-";
      const table = new Table({
        head: ["type", "description", "inputs", "outputs"],
        style: { head: [], border: [] },
        colWidths: [26, 44, 22, 20],
        wordWrap: true,
        wrapOnWordBoundary: false,
      });
      for (const d of defs) {
        const source = modules.sources.get(d.type);
        table.push([
          source ? `${d.type}\n(${source})` : d.type,
          d.description,
          ports(d.inputs, d.dynamicInputs),
          ports(d.outputs),
        ]);
      }
      stdout.write(table.toString() + "\n");
    });

  program.command("graph")
    .description("print a workflow's graph as Mermaid or Graphviz DOT")
    .argument("<file>", "workflow JSON file")
    .addOption(
      new Option("-f, --format <format>", "mermaid or dot").choices(["mermaid", "dot"] as const).default("mermaid"),
    )
    .exitOverride()
    .action(async (file, opts) => {
      const { compiled: wf, close } = await load(file, []);
      close();
      stdout.write(opts.format === "dot" ? toDot(wf) : toMermaid(wf));
    });

  program.command("schema")
    .description("print the JSON Schema of the workflow file")
    .exitOverride()
    .action(() => {
      stdout.write(JSON.stringify(workflowJsonSchema(), null, 2) + "\n");
    });

  program.command("init")
    .description("write a starter workflow (with a $schema reference for editors) into a directory")
    .argument("[dir]", "target directory", ".")
    .option("--force", "overwrite existing files")
    .exitOverride()
    .action(async (dir, opts) => {
      for (const path of await initProject(dir, opts.force ?? false)) stdout.write(`wrote ${path}\n`);
    });

  program.command("completions")
    .description("print a shell completion script")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS))
    .exitOverride()
    .action((shell) => {
      stdout.write(completionScript(shell, commandSpecs(program)));
    });

  try {
    if (args.length === 0) {
      program.outputHelp({ error: true });
      return ExitCode.Usage;
    }
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    code = handleError(err);
  } finally {
    for (const c of cleanups) c();
    stdout.flush();
  }
  return code;
}

function handleError(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? ExitCode.Success : ExitCode.Usage;
  }
  if (err instanceof WorkflowValidationError) {
    stderr.write(err.message + "\n");
    return ExitCode.Usage;
  }
  if (err instanceof CliError) {
    stderr.write(`flow: ${err.message}\n`);
    return err.code;
  }
  throw err;
}

/** Reads, imports node modules for, and validates a workflow; all problems in one error. */
async function load(file: string, dirs: string[]): Promise<{ compiled: CompiledWorkflow; close: () => void }> {
  const label = file === "-" ? "<stdin>" : file;
  const raw = file === "-" ? parseWorkflowText(await readStdin(), label) : await readWorkflowFile(file);
  return await compileWithModules(raw, builtinRegistry(), { file: label, dirs });
}

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/** The variables in settings.env and settings.secrets (of the workflow and its sub-workflows) must be set. */
function checkEnv(compiled: CompiledWorkflow) {
  const issues: ValidationIssue[] = [];
  for (const { workflow, label } of workflowTree(compiled)) {
    const { env, secrets } = workflow.settings;
    for (const name of new Set([...env, ...secrets])) {
      if (Deno.env.get(name) !== undefined) continue;
      const path = secrets.includes(name) ? "settings.secrets" : "settings.env";
      issues.push({ path: label ? `${label}: ${path}` : path, message: `environment variable ${name} is not set` });
    }
  }
  if (issues.length) throw new WorkflowValidationError(issues, compiled.file);
}

function envFormat(): typeof FORMATS[number] {
  const f = Deno.env.get("FLOW_FORMAT");
  if (f === undefined || f === "") return "pretty";
  if ((FORMATS as readonly string[]).includes(f)) return f as typeof FORMATS[number];
  throw new CliError(`FLOW_FORMAT: expected one of ${FORMATS.join(", ")}; got ${JSON.stringify(f)}`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10000) {
    throw new CliError(`--concurrency: expected an integer from 1 to 10000; got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Parses `--input name=value` pairs and `--input-json`; later values win. */
export function parseInputs(pairs: string[], json: string | undefined): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  if (json !== undefined) Object.assign(given, parseJsonObject(json, "--input-json", `; got ${json.slice(0, 40)}`));
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliError(`--input: expected name=value; got ${JSON.stringify(pair)}`);
    given[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return given;
}

/** Reads `--input-file`: a JSON file holding an object. */
async function readInputFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new CliError(`--input-file ${path}: ${fileErrorReason(err)}`);
  }
  return parseJsonObject(text, `--input-file ${path}`, "");
}

/** Parses JSON text that must hold an object; `what` starts the error message, `shown` ends the non-object one. */
function parseJsonObject(text: string, what: string, shown: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${what}: invalid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new CliError(`${what}: expected a JSON object${shown}`);
  }
  return parsed as Record<string, unknown>;
}

/** Opens `--events FILE` for appending. */
function openEventsFile(path: string): Output {
  try {
    return new Output(Deno.openSync(path, { append: true, create: true }));
  } catch (err) {
    throw new CliError(`--events ${path}: ${fileErrorReason(err)}`);
  }
}

/** Describes the commands for completion scripts. */
function commandSpecs(program: Command): CommandSpec[] {
  const fileOptions = new Set(["--events", "--input-file", "--nodes"]);
  const args: Record<string, CommandSpec["args"]> = {
    run: "file",
    validate: "file",
    graph: "file",
    init: "dir",
    completions: SHELLS,
  };
  return program.commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    args: args[c.name()] ?? "none",
    options: [
      ...c.options.map((o) => ({
        long: o.long,
        short: o.short,
        takesValue: o.required || o.optional,
        choices: o.argChoices,
        file: o.long !== undefined && fileOptions.has(o.long),
        description: o.description,
      })),
      { long: "--help", short: "-h", takesValue: false, description: "show help" },
    ],
  }));
}

/** Calls `cancel` on the first SIGINT/SIGTERM; a second one runs `beforeExit` and exits at once with 130. */
function onSignals(cancel: () => void, beforeExit: () => void): () => void {
  let count = 0;
  const handler = () => {
    if (++count > 1) {
      beforeExit();
      stdout.flush();
      Deno.exit(ExitCode.Cancelled);
    }
    cancel();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, handler);
  return () => {
    for (const s of signals) Deno.removeSignalListener(s, handler);
  };
}
