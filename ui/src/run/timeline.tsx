/// <reference lib="dom" />
/**
 * The timeline: one row per node of the shown run, one bar per attempt from
 * its start to its end, on a shared time axis (round ticks, see `axis.ts`),
 * so parallel work shows as overlapping bars. Rows are buttons that select
 * the node.
 *
 * @module
 */
import { useEffect, useState } from "react";
import { formatDuration } from "../format.ts";
import { timeAxis } from "./axis.ts";
import type { SubRun } from "./state.ts";

/** Props of {@linkcode Timeline}. */
export interface TimelineProps {
  /** The run shown. */
  run: SubRun | undefined;
  /** Node ids in graph order (nodes never started are listed too). */
  order: string[];
  /** The selected node. */
  selected?: string;
  /** Selects a node. */
  onSelect: (id: string) => void;
}

/** The current time, ticking every `ms` while `active`. */
function useNow(active: boolean, ms = 500): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return active ? Math.max(now, Date.now()) : now;
}

/** The timeline; see the module doc. */
export function Timeline({ run, order, selected, onSelect }: TimelineProps) {
  const now = useNow(run?.status === "running");
  if (!run) return <p className="muted">No events yet.</p>;
  const start = run.start;
  let end = run.end ?? now;
  for (const node of run.nodes.values()) for (const s of node.spans) end = Math.max(end, s.end ?? start);
  // Round ticks, each a different time; the axis ends on the last one.
  const axis = timeAxis(end - start);
  const total = axis.end;
  const ids = [
    ...order.filter((id) => run.nodes.has(id)),
    ...[...run.nodes.keys()].filter((id) => !order.includes(id)),
  ];
  return (
    <div className="timeline" role="group" aria-label="Timeline">
      <div className="timeline-axis" aria-hidden="true">
        {axis.ticks.map((t, i) => (
          <span
            key={t.at}
            className={i === 0 ? "tick-first" : i === axis.ticks.length - 1 ? "tick-last" : undefined}
            style={{ left: `${t.at * 100}%` }}
          >
            {t.label}
          </span>
        ))}
      </div>
      {ids.map((id) => {
        const node = run.nodes.get(id)!;
        return (
          <button
            type="button"
            key={id}
            className={`timeline-row${id === selected ? " selected" : ""}`}
            onClick={() => onSelect(id)}
            aria-label={`${id}: ${node.status}${
              node.durationMs !== undefined ? `, ${formatDuration(node.durationMs)}` : ""
            }`}
          >
            <span className="timeline-label">{id}</span>
            <span className="timeline-track">
              {node.spans.map((s, i) => {
                const left = ((s.start - start) / total) * 100;
                const width = Math.max(0.4, (((s.end ?? now) - s.start) / total) * 100);
                return (
                  <span
                    key={i}
                    className={`bar bar-${s.outcome ?? "running"}`}
                    style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }}
                    title={`attempt ${s.attempt}: ${s.outcome ?? "running"}, ${
                      formatDuration((s.end ?? now) - s.start)
                    }`}
                  />
                );
              })}
            </span>
          </button>
        );
      })}
    </div>
  );
}
