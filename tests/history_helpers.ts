/**
 * Test helpers for the history and state features: a private state
 * directory per test, the CLI run against it, live processes read line by
 * line, and read-only looks into `flow.db`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { FlowEvent } from "../mod.ts";
import { type CliResult, parseNdjson, runCli, type RunCliOptions, spawnCli } from "./helpers.ts";

/** A temporary state directory and the CLI bound to it. */
export interface StateDir extends AsyncDisposable {
  /** The directory (`FLOW_STATE_DIR`). */
  dir: string;
  /** `dir/flow.db`. */
  db: string;
  /** Runs the real CLI with `FLOW_STATE_DIR` set to `dir`. */
  flow(args: string[], options?: RunCliOptions): Promise<CliResult>;
  /** Starts the real CLI with `FLOW_STATE_DIR` set to `dir`. */
  spawn(args: string[], env?: Record<string, string>): LiveCli;
}

/**
 * A new temporary state directory, removed when disposed.
 *
 * @example
 * ```ts
 * await using state = await tempState();
 * const r = await state.flow(["runs"]);
 * ```
 */
export async function tempState(): Promise<StateDir> {
  const dir = await Deno.makeTempDir({ prefix: "flow-hist-" });
  return {
    dir,
    db: `${dir}/flow.db`,
    flow: (args, options = {}) => runCli(args, { ...options, env: { FLOW_STATE_DIR: dir, ...options.env } }),
    spawn: (args, env = {}) => new LiveCli(spawnCli(args, { FLOW_STATE_DIR: dir, ...env })),
    async [Symbol.asyncDispose]() {
      await Deno.chmod(dir, 0o700).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A CLI process whose stdout is read line by line. */
export class LiveCli implements AsyncDisposable {
  /** The process. */
  readonly child: Deno.ChildProcess;
  /** Everything read from stdout so far. */
  text = "";
  #reader: ReadableStreamDefaultReader<string>;
  #stderr: Promise<string>;

  /** Wraps a process started with piped stdout and stderr. */
  constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    this.#stderr = new Response(child.stderr).text();
  }

  /**
   * Reads stdout until a complete line contains every one of `markers`;
   * resolves to that line. Fails if stdout ends first.
   */
  async waitForLine(...markers: string[]): Promise<string> {
    // Each complete line is searched once (searching all of stdout again per chunk kept a test reading far behind a
    // fast process).
    for (let from = 0;;) {
      const end = this.text.lastIndexOf("\n");
      if (end >= from) {
        const line = this.text.slice(from, end).split("\n").find((l) => markers.every((m) => l.includes(m)));
        if (line !== undefined) return line;
        from = end + 1;
      }
      const { value, done } = await this.#reader.read();
      if (done) {
        const stderr = await this.#stderr;
        assert.fail(`stdout ended without a line containing ${markers.join(" and ")}:\n${this.text}\n${stderr}`);
      }
      this.text += value;
    }
  }

  /** Reads stdout to its end, then waits for the exit; resolves to the exit code, stdout and stderr. */
  async finish(): Promise<CliResult> {
    for (;;) {
      const { value, done } = await this.#reader.read();
      if (done) break;
      this.text += value;
    }
    const status = await this.child.status;
    return { code: status.code, stdout: this.text, stderr: await this.#stderr };
  }

  /** Kills the process if it still runs and releases its streams. */
  async [Symbol.asyncDispose]() {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#reader.cancel().catch(() => {});
    await this.child.status;
    await this.#stderr.catch(() => {});
  }
}

/** Runs `fn` on `flow.db` opened read-only, closing it after. */
export function withDb<T>(path: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The parsed `--format json` output of a command, failing with its stderr when it did not exit 0. */
export function jsonOf<T = Record<string, unknown>>(r: CliResult): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The events of an NDJSON run output, with the execution id of its first event. */
export function eventsOf(r: CliResult): { events: FlowEvent[]; executionId: string } {
  const events = parseNdjson(r.stdout);
  assert.ok(events.length > 0, `no events; stderr: ${r.stderr}`);
  return { events, executionId: events[0].executionId };
}

/** Fails if `text` looks like it holds a stack trace. */
export function assertNoStack(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, `stack trace in:\n${text}`);
  assert.doesNotMatch(text, /error: Uncaught/i, `uncaught error in:\n${text}`);
}
