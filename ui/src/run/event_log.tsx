/// <reference lib="dom" />
/**
 * The event log: every event of the run with `node.log` lines, filterable
 * by kind, text and level. Only the last lines that match are rendered, so
 * a long or fast run stays cheap to show.
 *
 * @module
 */
import { useMemo, useState } from "react";
import type { FlowEvent } from "../../../src/engine/events.ts";
import { preview } from "../format.ts";

/** Lines rendered at most. */
const MAX_LINES = 500;

/** One line of text for an event. */
export function describeEvent(e: FlowEvent): string {
  switch (e.type) {
    case "workflow.started":
      return `${e.workflowId} started${e.name ? ` (${e.name})` : ""}`;
    case "workflow.retrying":
      return `pass ${e.attempt}: ${e.error.message}`;
    case "node.started":
      return `${e.nodeId} started (${e.nodeType}, attempt ${e.attempt})`;
    case "node.log":
      return `${e.nodeId} [${e.level}] ${e.message}`;
    case "node.completed":
      return `${e.nodeId} completed in ${e.durationMs} ms${e.reused ? " (reused)" : ""}: ${preview(e.outputs, 120)}`;
    case "node.retrying":
      return `${e.nodeId} retrying (attempt ${e.attempt} in ${e.delayMs} ms): ${e.error.message}`;
    case "node.failed":
      return `${e.nodeId} failed [${e.error.code}]: ${e.error.message}`;
    case "node.skipped":
      return `${e.nodeId} skipped: ${e.reason}`;
    case "workflow.completed":
      return `${e.workflowId} ${e.status} in ${e.durationMs} ms${e.error ? `: ${e.error.message}` : ""}`;
  }
}

/** Props of {@linkcode EventLog}. */
export interface EventLogProps {
  /** Every event, in order. */
  events: readonly FlowEvent[];
  /** Changes whenever `events` grew. */
  version: number;
  /** The run path shown on the graph (for "this level only"). */
  path: string;
}

/** The log; see the module doc. */
export function EventLog({ events, version, path }: EventLogProps) {
  const [kind, setKind] = useState("all");
  const [text, setText] = useState("");
  const [levelOnly, setLevelOnly] = useState(false);
  const matching = useMemo(() => {
    const needle = text.toLowerCase();
    const out: { e: FlowEvent; line: string }[] = [];
    let count = 0;
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if (kind === "logs" && e.type !== "node.log") continue;
      if (kind === "errors" && e.type !== "node.failed" && e.type !== "node.retrying" && !("error" in e && e.error)) {
        continue;
      }
      if (kind === "nodes" && !e.type.startsWith("node.")) continue;
      if (levelOnly && (e.runPath ?? "") !== path) continue;
      const line = describeEvent(e);
      if (needle && !line.toLowerCase().includes(needle) && !(e.runPath ?? "").toLowerCase().includes(needle)) continue;
      count++;
      if (out.length < MAX_LINES) out.push({ e, line });
    }
    return { lines: out.reverse(), count };
  }, [version, events, kind, text, levelOnly, path]);
  return (
    <div className="event-log">
      <div className="filters" role="group" aria-label="Filter events">
        <label>
          Show{" "}
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="all">all events</option>
            <option value="logs">node.log lines</option>
            <option value="nodes">node events</option>
            <option value="errors">failures and retries</option>
          </select>
        </label>
        <label>
          Filter <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="text" />
        </label>
        <label>
          <input type="checkbox" checked={levelOnly} onChange={(e) => setLevelOnly(e.target.checked)} /> this level only
        </label>
        <span className="muted" role="status">
          {matching.count > MAX_LINES ? `last ${MAX_LINES} of ${matching.count}` : matching.count} event(s)
        </span>
      </div>
      <ol className="log-lines" aria-label="Events">
        {matching.lines.map(({ e, line }) => (
          <li
            key={e.seq}
            className={`log-line type-${e.type.replace(".", "-")}${"level" in e ? ` level-${e.level}` : ""}`}
          >
            <span className="seq">{e.seq}</span>
            <span className="ts">{e.ts.slice(11, 23)}</span>
            <span className="etype">{e.type}</span>
            {e.runPath && <span className="path">{e.runPath}</span>}
            <span className="msg">{line}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
