/**
 * Helpers for the tests of the nodes that touch the system (code, exec,
 * file): workflows written into a temporary folder (their paths resolve
 * against it), loaded as `flow run` loads them, run in process; and process
 * checks for "no orphan left".
 *
 * @module
 */
import assert from "node:assert/strict";
import { builtinRegistry, type FlowEvent, loadWorkflow, runWorkflow, WorkflowValidationError } from "../mod.ts";
import type { RunOptions, RunResult } from "../src/engine/executor.ts";

/** A new temporary folder. */
export function tempDir(prefix = "flow-sys-"): Promise<string> {
  return Deno.makeTempDir({ prefix });
}

/** Writes `workflow` as `dir/name` and returns the file's path. */
export async function writeIn(dir: string, workflow: unknown, name = "wf.json"): Promise<string> {
  const file = `${dir}/${name}`;
  await Deno.writeTextFile(file, JSON.stringify(workflow, null, 2));
  return file;
}

/** Loads `dir/wf.json` as `flow run` does (node modules, the type stripper) and runs it, collecting events. */
export async function runIn(
  dir: string,
  workflow: unknown,
  options: RunOptions = {},
): Promise<{ result: RunResult; events: FlowEvent[] }> {
  const loaded = await loadWorkflow(await writeIn(dir, workflow), builtinRegistry());
  const events: FlowEvent[] = [];
  try {
    const result = await runWorkflow(loaded, { ...options, onEvent: (e) => events.push(e) });
    return { result, events };
  } finally {
    loaded.close();
  }
}

/** The `path: message` lines of the validation error loading `dir/wf.json` gives (fails when it loads). */
export async function issuesIn(dir: string, workflow: unknown): Promise<string[]> {
  try {
    const loaded = await loadWorkflow(await writeIn(dir, workflow), builtinRegistry());
    loaded.close();
  } catch (err) {
    assert.ok(err instanceof WorkflowValidationError, `expected a WorkflowValidationError; got ${err}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail("expected a validation error");
}

/** The error of node `id` in a run's result (fails when it did not fail). */
export function failure(result: RunResult, id: string): { message: string; code: string } {
  const node = result.nodes.find((n) => n.id === id);
  assert.ok(node?.error, `node ${id} did not fail: ${JSON.stringify(node)}`);
  return node.error;
}

/** The outputs node `id` completed with (fails when it did not complete). */
export function outputsOf(events: FlowEvent[], id: string): Record<string, unknown> {
  const done = events.find((e) => e.type === "node.completed" && e.nodeId === id);
  assert.ok(done && done.type === "node.completed", `node ${id} did not complete`);
  return done.outputs;
}

/** Whether a process runs (a zombie, dead but not yet reaped, does not). Linux. */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Waits (bounded) until none of `pids` runs; fails naming those still running. */
export async function assertGone(pids: number[], ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(pids.filter(alive), [], "processes left running");
}

/** Waits (bounded) until `path` exists and holds a line per expected pid; resolves to the pids. */
export async function pidsFrom(path: string, count: number, ms = 10_000): Promise<number[]> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const pids = Deno.readTextFileSync(path).split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
      if (pids.length >= count) return pids;
    } catch { /* not yet written */ }
    if (Date.now() > until) assert.fail(`${path} did not get ${count} pids in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A shell script that starts a child sleeper in the background, writes both
 * pids (its own, then the child's) to `pidFile`, and sleeps: killing only
 * the script would leave the child running.
 */
export const SLEEPER = `sleep 300 & echo $$ > "$1.tmp"; echo $! >> "$1.tmp"; mv "$1.tmp" "$1"; wait`;
