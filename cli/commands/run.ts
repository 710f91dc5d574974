/**
 * `flow run FILE`: validate a workflow, check its environment and inputs,
 * take the lock if asked, run it, and report the events in the chosen format.
 *
 * @module
 */
import { fileErrorReason, type ValidationIssue, WorkflowValidationError } from "../../src/errors.ts";
import type { FiredTrigger } from "../../src/node/mod.ts";
import { chooseTrigger, type PartialPlan, Pins, planPartialRun, TriggerChoiceError } from "../../src/runtime/mod.ts";
import { type CompiledWorkflow, resolveInputs, workflowTree } from "../../src/validate/mod.ts";
import { limitIssues } from "../../src/workflow/mod.ts";
import type { Invocation } from "../commands.ts";
import { CliError } from "../exit_codes.ts";
import { executeFromCli, type OutputFlags } from "../execute.ts";
import { workflowHash } from "../hash_cache.ts";
import { historyWanted, openStore } from "../history.ts";
import { stderr } from "../output.ts";
import { isStoreError, type Store } from "../../src/store/mod.ts";
import { loadWorkflowArg } from "../load.ts";
/** The options of `flow run`, as parsed. */
interface RunOptions extends OutputFlags {
  input: string[];
  inputJson?: string;
  inputFile?: string;
  concurrency?: number;
  lock?: boolean;
  nodes: string[];
  noHistory?: boolean;
  trigger?: string;
  triggerData?: string;
  usePins?: boolean;
}

/** Runs `flow run`; resolves to the exit code. */
export default async function run({ args, options }: Invocation): Promise<number> {
  const opts = options as unknown as RunOptions;
  const { compiled, close, text, path, sources } = await loadWorkflowArg(args.file as string, opts.nodes);
  try {
    checkEnv(compiled);
    const given = {
      ...(opts.inputFile !== undefined ? await readInputFile(opts.inputFile) : {}),
      ...parseInputs(opts.input, opts.inputJson),
    };
    const inputs = resolveInputs(compiled, given);
    // Awaited here: a rejection left pending across the awaits below is an unhandled one (a stack trace).
    const fired = await pickTrigger(compiled, opts.trigger, opts.triggerData);
    const history = historyWanted(opts.noHistory ?? false, compiled.workflow.settings?.history);
    const pins = opts.usePins ? await pinnedRun(compiled, opts.quiet === true) : undefined;
    try {
      return await executeFromCli({
        compiled,
        inputs,
        output: opts,
        concurrency: opts.concurrency,
        lock: opts.lock,
        history,
        file: path,
        hash: history && path ? workflowHash({ path, text, sources }) : undefined,
        fired,
        ...(pins ? { store: pins.store, reuse: pins.plan.reuse, only: pins.plan.only, pinned: pins.plan.pinned } : {}),
      });
    } finally {
      await pins?.store.close();
    }
  } finally {
    close();
  }
}

/**
 * `--use-pins`: the workflow's pins, from the store the run is recorded in
 * (where `flow serve` keeps them), planned as the editor's "Run" plans them:
 * pinned nodes are not called, nor what only feeds them. Says on stderr
 * which nodes are pinned (unless `--quiet`).
 */
async function pinnedRun(compiled: CompiledWorkflow, quiet: boolean): Promise<{ store: Store; plan: PartialPlan }> {
  let store: Store;
  try {
    store = await openStore();
  } catch (err) {
    if (isStoreError(err)) throw new CliError(`--use-pins: ${err.message}`);
    throw err;
  }
  try {
    const pins = await new Pins(store).outputs(compiled);
    if (!quiet) {
      stderr.write(
        pins.size
          ? `flow: --use-pins: not calling ${[...pins.keys()].join(", ")} (pinned)\n`
          : `flow: --use-pins: workflow "${compiled.id}" has no pins; every node runs\n`,
      );
    }
    return { store, plan: planPartialRun(compiled, { mode: "all", pins }) };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** `--trigger` and `--trigger-data`: which trigger node fires, with what payload. */
async function pickTrigger(
  compiled: CompiledWorkflow,
  nodeId: string | undefined,
  data: string | undefined,
): Promise<FiredTrigger | undefined> {
  let payload: Record<string, unknown> | undefined;
  if (data !== undefined) {
    const what = data.startsWith("@") ? `--trigger-data ${data}` : "--trigger-data";
    payload = data.startsWith("@")
      ? parseJsonObject(await readText(data.slice(1), "--trigger-data"), what, "")
      : parseJsonObject(data, what, `; got ${data.slice(0, 40)}`);
    // Held to the limits of every value a run takes in (depth, finite numbers), as --input values are.
    const [beyond] = limitIssues(payload, []);
    if (beyond) throw new CliError(`${what}: ${beyond.path ? `${beyond.path}: ` : ""}${beyond.message}`);
  }
  try {
    return chooseTrigger(compiled, nodeId, payload);
  } catch (err) {
    if (err instanceof TriggerChoiceError) {
      throw new CliError(`${err.message.replace("choose one:", "pass --trigger ID:")}`);
    }
    throw err;
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
  return parseJsonObject(await readText(path, "--input-file"), `--input-file ${path}`, "");
}

/** Reads a file named by an option; a one-line error names the option and the file. */
async function readText(path: string, option: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new CliError(`${option} ${path}: ${fileErrorReason(err)}`);
  }
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
