/**
 * One execution from the command line, shared by `flow run` and `flow
 * resume`: reporters for the chosen format, `--events`, the lock, signals,
 * the history store (recording is on unless turned off; a store that cannot
 * be used prints one warning and the run goes on), and the exit code.
 *
 * @module
 */
import { EventBus, type ReusableResults, type RunResult } from "../src/engine/mod.ts";
import { fileErrorReason } from "../src/errors.ts";
import type { FiredTrigger } from "../src/node/mod.ts";
import { runRecorded } from "../src/runtime/mod.ts";
// Statically, as the store in history.ts: a dynamic import cost each recorded run about 0.5 ms of parsing.
import { afterRun, isStoreError, Recorder, SqliteStore, type Store } from "../src/store/mod.ts";
import type { CompiledWorkflow } from "../src/validate/mod.ts";
import { palette, useColor } from "./color.ts";
import { FORMATS } from "./commands.ts";
import { exitAtOnce } from "./exit.ts";
import { CliError, ExitCode } from "./exit_codes.ts";
import { keepPerWorkflow, lazyState, openStore } from "./history.ts";
import { liveReporter, liveViewWanted } from "./live.ts";
import { acquireLock, type Lock } from "./lock.ts";
import { Output, stderr, stdout } from "./output.ts";
import { LoopTotals, RunProgress } from "./progress.ts";
import { jsonReporter, ndjsonReporter, prettyReporter, quietReporter, type Reporter } from "./reporters.ts";
import { stateDir } from "./state.ts";

/** The output flags `flow run` and `flow resume` share. */
export interface OutputFlags {
  /** `--format`. */
  format?: typeof FORMATS[number];
  /** `--quiet`. */
  quiet?: boolean;
  /** `--events FILE`. */
  events?: string;
  /** `--verbose`: every event's line, also in a terminal (no live view). */
  verbose?: boolean;
}

/** What one CLI execution needs. */
export interface CliExecution {
  /** The workflow. */
  compiled: CompiledWorkflow;
  /** Resolved inputs. */
  inputs: Record<string, unknown>;
  /** How to report. */
  output: OutputFlags;
  /** `--concurrency`. */
  concurrency?: number;
  /** `--lock` (or `settings.lock`). */
  lock?: boolean;
  /** Record in the history store. */
  history: boolean;
  /** The file's absolute path and content hash, for the history. */
  file?: string;
  /**
   * `sha256:` of the file's text, or its promise: the digest then runs while
   * the history store opens, and is awaited before the execution is recorded.
   */
  hash?: string | Promise<string>;
  /** The trigger that fires (`--trigger`). */
  fired?: FiredTrigger;
  /** Resume: the execution resumed and what it completed. */
  resumedFrom?: string;
  /** Results to reuse. */
  reuse?: ReusableResults;
  /** `--use-pins`: the nodes that run (see `RunOptions.only`). */
  only?: ReadonlySet<string>;
  /** `--use-pins`: the reused nodes whose outputs are pinned. */
  pinned?: ReadonlySet<string>;
  /** Store already opened by the command (resume). */
  store?: Store;
}

/** Runs one execution and reports it; resolves to the exit code (0, 1 or 130). */
export async function executeFromCli(x: CliExecution): Promise<number> {
  const format = x.output.quiet ? "pretty" : x.output.format ?? envFormat();
  const reporter: Reporter = x.output.quiet
    ? quietReporter(stderr)
    : format === "ndjson"
    ? ndjsonReporter(stdout)
    : format === "json"
    ? jsonReporter(stdout)
    : liveViewWanted(x.output.verbose)
    ? liveReporter(stdout, palette(useColor()), new RunProgress(new LoopTotals(x.compiled, x.inputs)))
    : prettyReporter(stdout, palette(useColor()));
  const bus = new EventBus();
  bus.subscribe((e) => reporter.onEvent(e));
  const events = x.output.events === undefined ? undefined : openEventsFile(x.output.events);
  if (events) {
    const sink = ndjsonReporter(events);
    bus.subscribe((e) => sink.onEvent(e));
  }
  const executionId = crypto.randomUUID();
  let lock: Lock | undefined;
  if (x.lock || x.compiled.settings.lock) lock = acquireLock(stateDir(), x.compiled.id, executionId);
  const hash = Promise.resolve(x.hash);
  hash.catch(() => {}); // awaited below, after the store opens: a rejection meanwhile is not an unhandled one
  const keep = x.history ? keepPerWorkflow() : 0; // checked before the run: a bad FLOW_HISTORY_KEEP is exit 2
  const history = x.history ? await openHistory(x.store, keep) : undefined;
  const cancel = new AbortController();
  const stopSignals = onSignals(() => cancel.abort(), () => {
    reporter.dispose?.();
    events?.flush();
    lock?.release();
  });
  let result: RunResult;
  try {
    result = await runRecorded(x.compiled, {
      inputs: x.inputs,
      bus,
      signal: cancel.signal,
      concurrency: x.concurrency,
      executionId,
      recorder: history?.recorder,
      trigger: "cli",
      triggerNode: x.fired?.nodeId,
      fired: x.fired,
      file: x.file,
      hash: await hash,
      reuse: x.reuse,
      only: x.only,
      pinned: x.pinned,
      resumedFrom: x.resumedFrom,
      state: history?.store ?? lazyState(openStore),
    });
    await reporter.onResult(result);
  } finally {
    reporter.dispose?.();
    stopSignals();
    events?.flush();
    lock?.release();
    await history?.close(x.compiled.id);
  }
  // Everything this run started has finished (the workflow file was read with an await, so the event loop has turned):
  // the process may end without Deno's teardown, 4 to 7 ms (see exit.ts).
  exitAtOnce();
  return result.status === "success"
    ? ExitCode.Success
    : result.status === "cancelled"
    ? ExitCode.Cancelled
    : ExitCode.Failed;
}

/**
 * The store and a recorder for one run; a store that cannot be used disables
 * history with one warning. Closing prunes the run's workflow to `keep`.
 */
async function openHistory(
  given: Store | undefined,
  keep: number,
): Promise<{ store: Store; recorder: Recorder; close: (workflowId: string) => Promise<void> } | undefined> {
  let store: Store;
  try {
    store = given ?? await openStore();
  } catch (err) {
    if (!isStoreError(err)) throw err;
    stderr.write(`flow: history disabled: ${err.message}\n`);
    return undefined;
  }
  const recorder = new Recorder(store, {
    onError: (err) => stderr.write(`flow: history disabled: ${(err as Error).message}\n`),
  });
  return {
    store,
    recorder,
    async close(workflowId) {
      await recorder.close();
      // Retention, cheaply: only this workflow, and only once it has gone past what is kept by the slack.
      const prune = afterRun(workflowId, keep);
      if (prune && !recorder.failed) await store.prune(prune).catch(() => {});
      // A SQLite store this run opened is left open: the process ends at once after the run (exit.ts), and a
      // connection that is never closed leaves SQLite's WAL in place for the next process, as a close with keepWal
      // does, without that close's second connection (0.4 ms). Everything was committed; no write is pending. Should
      // the process end the ordinary way after all (an error), Deno closes the connection as it tears down. A
      // PostgreSQL store is closed: its open sockets would keep an ordinary exit waiting.
      if (!given && !(store instanceof SqliteStore)) await store.close();
    },
  };
}

/** The default format: `FLOW_FORMAT`, else pretty. */
function envFormat(): typeof FORMATS[number] {
  const f = Deno.env.get("FLOW_FORMAT");
  if (f === undefined || f === "") return "pretty";
  if ((FORMATS as readonly string[]).includes(f)) return f as typeof FORMATS[number];
  throw new CliError(`FLOW_FORMAT: expected one of ${FORMATS.join(", ")}; got ${JSON.stringify(f)}`);
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
