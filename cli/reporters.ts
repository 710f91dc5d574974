/**
 * Reporters: turn the event stream into what a person or a program reads.
 * Each event is serialised once, here, in the sink that writes it.
 *
 * @module
 */
import type { FlowEvent, RunResult } from "../mod.ts";
import { eventLine } from "../src/engine/mod.ts";
import type { Palette } from "./color.ts";
import type { Output } from "./output.ts";
import { renderTable } from "./table.ts";

/** A reporter: sees every event, then the final result. */
export interface Reporter {
  /** Called for every event, in order. */
  onEvent(event: FlowEvent): void;
  /** Called once at the end (may print a table, which is loaded then). */
  onResult(result: RunResult): void | Promise<void>;
  /** Tidies the terminal when the process ends without a result (a second Ctrl-C). Safe to call more than once. */
  dispose?(): void;
}

/** NDJSON: one event per line, nothing else. */
export function ndjsonReporter(out: Output): Reporter {
  return {
    onEvent(event) {
      out.write(eventLine(event));
    },
    onResult() {},
  };
}

/** One JSON summary object at the end. */
export function jsonReporter(out: Output): Reporter {
  return {
    onEvent() {},
    onResult(result) {
      out.write(JSON.stringify(result, null, 2) + "\n");
    },
  };
}

/** Nothing on success; one line on stderr when the run fails or is cancelled. */
export function quietReporter(err: Output): Reporter {
  return {
    onEvent() {},
    onResult(result) {
      if (result.status !== "success") err.write(resultLine(result) + "\n");
    },
  };
}

/** The one-line result of a run, as `--quiet` prints it. */
export function resultLine(result: RunResult): string {
  if (result.status === "success") return `flow: ${result.workflowId}: success in ${result.durationMs} ms`;
  if (result.status === "cancelled") return `flow: ${result.workflowId}: cancelled after ${result.durationMs} ms`;
  const e = result.error;
  const where = e?.nodeId ? `node "${e.nodeId}" failed: ` : "";
  return `flow: ${result.workflowId}: failed: ${where}${e?.message ?? "unknown error"} (${e?.code ?? "ERROR"})`;
}

const SUMMARY_ROWS = 40;

/**
 * The pretty line of an event: its time since the run started, a symbol and
 * what happened, ending in a newline; "" for the end of the top-level run
 * (the summary says it). Sub-runs' events are shown under their parent
 * nodes (`each[3] › fetch`). One formatter serves one run: it remembers
 * when the run started.
 */
export function prettyFormatter(c: Palette): (event: FlowEvent) => string {
  let t0 = 0;
  // Events come in bursts with the same timestamp: format each timestamp once.
  let lastTs = "", lastStamp = "";
  const stamp = (ts: string) => {
    if (ts !== lastTs) {
      lastTs = ts;
      lastStamp = c.gray(`${String(Date.parse(ts) - t0).padStart(6)}ms`);
    }
    return lastStamp;
  };
  return (e) => {
    let line: string;
    // Events of sub-workflow runs are shown under their parent nodes: "each[3] › fetch".
    const where = e.runPath === undefined ? "" : c.gray(`${e.runPath.replaceAll("/", " › ")} › `);
    const id = (nodeId: string) => where + c.bold(nodeId);
    switch (e.type) {
      case "workflow.started":
        if (e.parentNodeId !== undefined) {
          line = `${c.blue("▸")} ${where}${c.gray(`sub-workflow ${e.name ?? e.workflowId}`)}`;
          break;
        }
        t0 = Date.parse(e.ts);
        lastTs = "";
        line = `${c.bold("▶ " + (e.name ?? e.workflowId))} ${
          c.gray(`${e.nodeCount} node${e.nodeCount === 1 ? "" : "s"} · ${e.executionId}`)
        }`;
        break;
      case "workflow.retrying":
        line = `${c.yellow("↻ retrying workflow")} (attempt ${e.attempt}): ${e.error.message}`;
        break;
      case "node.started":
        line = `${c.blue("→")} ${id(e.nodeId)} ${c.gray(e.nodeType)}${
          e.attempt > 1 ? c.yellow(` attempt ${e.attempt}`) : ""
        }`;
        break;
      case "node.log": {
        const color = e.level === "error"
          ? c.red
          : e.level === "warn"
          ? c.yellow
          : e.level === "debug"
          ? c.gray
          : (s: string) => s;
        line = `  ${c.gray("│")} ${where}${c.cyan(e.nodeId)} ${
          color(e.message.replaceAll("\n", `\n${" ".repeat(11)}${c.gray("│")} `))
        }`;
        break;
      }
      case "node.completed":
        line = `${c.green("✓")} ${id(e.nodeId)} ${
          c.gray(e.pinned ? "pinned" : e.reused ? "reused" : `${e.durationMs} ms`)
        }`;
        break;
      case "node.retrying":
        line = `${c.yellow("↻")} ${id(e.nodeId)} retry ${e.attempt} in ${e.delayMs} ms: ${e.error.message}`;
        break;
      case "node.failed":
        line = `${c.red("✗")} ${id(e.nodeId)} ${c.red(e.error.message)} ${
          c.gray(`(${e.error.code}, ${e.durationMs} ms)`)
        }`;
        break;
      case "node.skipped":
        line = `${c.gray("⊘")} ${id(e.nodeId)} ${c.gray("skipped: " + e.reason)}`;
        break;
      case "workflow.completed":
        if (e.parentNodeId === undefined) return "";
        line = `${e.status === "success" ? c.green("▪") : c.red("▪")} ${where}${
          c.gray(`sub-workflow ${e.status} in ${e.durationMs} ms`)
        }`;
        break;
    }
    return `${stamp(e.ts)} ${line}\n`;
  };
}

/** What the summary of a run shows: a {@linkcode RunResult}, or an execution read back from the history. */
export interface RunSummaryInput {
  /** success, failed, cancelled (or crashed, from the history). */
  status: string;
  /** Wall time, ms. */
  durationMs: number;
  /** Why it failed. */
  error?: { nodeId?: string; message: string };
  /** The declared outputs. */
  outputs: Record<string, unknown>;
  /** The top-level nodes, in file order. */
  nodes: {
    id: string;
    type?: string;
    status: string;
    attempts: number;
    durationMs?: number;
    reused?: boolean;
    /** With `reused`: its outputs were pinned data. */
    pinned?: boolean;
  }[];
}

/**
 * The summary that ends the pretty output: a table of the nodes (only those
 * not completed, past {@linkcode SUMMARY_ROWS}), the result line and the
 * outputs. Loads the table library.
 */
export async function summaryText(result: RunSummaryInput, c: Palette): Promise<string> {
  const rows = [["node", "type", "status", "attempts", "time"]];
  const shown = result.nodes.length > SUMMARY_ROWS
    ? result.nodes.filter((n) => n.status !== "completed").slice(0, SUMMARY_ROWS)
    : result.nodes;
  const paint: Record<string, (s: string) => string> = {
    completed: c.green,
    failed: c.red,
    skipped: c.gray,
    pending: c.gray,
  };
  for (const n of shown) {
    rows.push([
      n.id,
      n.type ?? "",
      (paint[n.status] ?? c.yellow)(n.pinned ? "pinned" : n.reused ? "reused" : n.status),
      String(n.attempts),
      n.durationMs === undefined ? "" : `${n.durationMs} ms`,
    ]);
  }
  const counts = new Map<string, number>();
  for (const n of result.nodes) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
  const tally = [...counts].map(([s, k]) => `${k} ${s}`).join(", ");
  let text = "";
  if (shown.length) text += await renderTable(rows) + "\n";
  if (shown.length < result.nodes.length) text += c.gray(`(${result.nodes.length} nodes: ${tally})`) + "\n";
  const status = result.status === "success"
    ? c.green(c.bold("✔ success"))
    : result.status === "cancelled"
    ? c.yellow(c.bold("■ cancelled"))
    : c.red(c.bold(`✘ ${result.status}`));
  const why = result.status !== "success" && result.status !== "cancelled" && result.error
    ? `: ${result.error.nodeId ? `node "${result.error.nodeId}": ` : ""}${result.error.message}`
    : "";
  text += `${status} in ${result.durationMs} ms${why}\n`;
  if (Object.keys(result.outputs).length) {
    text += c.bold("outputs ") + JSON.stringify(result.outputs, null, 2) + "\n";
  }
  return text;
}

/** Human output: one coloured line per event with timings, then a summary table. */
export function prettyReporter(out: Output, c: Palette): Reporter {
  const line = prettyFormatter(c);
  return {
    onEvent(e) {
      const text = line(e);
      if (text) out.write(text);
    },
    async onResult(result) {
      out.write(await summaryText(result, c));
    },
  };
}
