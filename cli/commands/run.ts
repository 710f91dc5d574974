/**
 * `flow run FILE`: validate a workflow, check its environment and inputs,
 * take the lock if asked, run it, and report the events in the chosen format.
 *
 * @module
 */
import { type ValidationIssue, WorkflowValidationError } from "../../src/errors.ts";
import { fileErrorReason } from "../../src/errors.ts";
import { EventBus } from "../../src/events.ts";
import { runWorkflow } from "../../src/executor.ts";
import { type CompiledWorkflow, resolveInputs, workflowTree } from "../../src/validate.ts";
import { palette, useColor } from "../color.ts";
import { FORMATS, type Invocation } from "../commands.ts";
import { CliError, ExitCode } from "../exit_codes.ts";
import { loadWorkflowArg } from "../load.ts";
import { acquireLock, type Lock } from "../lock.ts";
import { Output, stderr, stdout } from "../output.ts";
import { jsonReporter, ndjsonReporter, prettyReporter, quietReporter, type Reporter } from "../reporters.ts";
import { stateDir } from "../state.ts";

/** The options of `flow run`, as parsed. */
interface RunOptions {
  format?: typeof FORMATS[number];
  input: string[];
  inputJson?: string;
  inputFile?: string;
  concurrency?: number;
  quiet?: boolean;
  events?: string;
  lock?: boolean;
  nodes: string[];
}

/** Runs `flow run`; resolves to the exit code. */
export default async function run({ args, options }: Invocation): Promise<number> {
  const opts = options as unknown as RunOptions;
  const format = opts.quiet ? "pretty" : opts.format ?? envFormat();
  const { compiled, close } = await loadWorkflowArg(args.file as string, opts.nodes);
  try {
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
      return result.status === "success"
        ? ExitCode.Success
        : result.status === "cancelled"
        ? ExitCode.Cancelled
        : ExitCode.Failed;
    } finally {
      stopSignals();
      events?.flush();
      lock?.release();
    }
  } finally {
    close();
  }
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

/** The default format: `FLOW_FORMAT`, else pretty. */
function envFormat(): typeof FORMATS[number] {
  const f = Deno.env.get("FLOW_FORMAT");
  if (f === undefined || f === "") return "pretty";
  if ((FORMATS as readonly string[]).includes(f)) return f as typeof FORMATS[number];
  throw new CliError(`FLOW_FORMAT: expected one of ${FORMATS.join(", ")}; got ${JSON.stringify(f)}`);
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
