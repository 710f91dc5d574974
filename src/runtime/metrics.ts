/**
 * Service metrics in the Prometheus text format (version 0.0.4): counters,
 * gauges and histograms with labels, every name prefixed `flow_`.
 *
 * @module
 */

/** The labels of one series, e.g. `{ workflow: "orders", status: "success" }`. */
export type Labels = Record<string, string>;

/** Run and node duration buckets, seconds. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

interface Series {
  labels: Labels;
  value: number;
  buckets?: number[];
  sum?: number;
}

interface Metric {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  series: Map<string, Series>;
  collect?: () => number | Promise<number>;
}

/**
 * A set of metrics.
 *
 * @example
 * ```ts
 * import { Metrics } from "./metrics.ts";
 * const m = new Metrics();
 * m.counter("flow_runs_started_total", "Executions started");
 * m.inc("flow_runs_started_total", { workflow: "a" });
 * await m.render(); // "# HELP flow_runs_started_total ..."
 * ```
 */
export class Metrics {
  #metrics = new Map<string, Metric>();

  #define(name: string, help: string, type: Metric["type"], collect?: () => number | Promise<number>) {
    this.#metrics.set(name, { name, help, type, series: new Map(), collect });
  }

  /** Declares a counter. */
  counter(name: string, help: string): void {
    this.#define(name, help, "counter");
  }

  /** Declares a gauge; `collect` reads its value at render time. */
  gauge(name: string, help: string, collect?: () => number | Promise<number>): void {
    this.#define(name, help, "gauge", collect);
  }

  /** Declares a histogram with {@linkcode DURATION_BUCKETS}. */
  histogram(name: string, help: string): void {
    this.#define(name, help, "histogram");
  }

  #series(name: string, labels: Labels): Series {
    const metric = this.#metrics.get(name);
    if (!metric) throw new Error(`unknown metric ${name}`);
    const key = JSON.stringify(labels);
    let s = metric.series.get(key);
    if (!s) {
      s = { labels, value: 0 };
      if (metric.type === "histogram") {
        s.buckets = DURATION_BUCKETS.map(() => 0);
        s.sum = 0;
      }
      metric.series.set(key, s);
    }
    return s;
  }

  /** Adds `by` (default 1) to a counter or gauge. */
  inc(name: string, labels: Labels = {}, by = 1): void {
    this.#series(name, labels).value += by;
  }

  /** Records one observation in a histogram. */
  observe(name: string, labels: Labels, value: number): void {
    const s = this.#series(name, labels);
    s.value++;
    s.sum! += value;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (value <= DURATION_BUCKETS[i]) s.buckets![i]++;
  }

  /** The exposition text (gauges with collectors are read now). */
  async render(): Promise<string> {
    const out: string[] = [];
    for (const m of this.#metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
      if (m.collect) out.push(`${m.name} ${await m.collect()}`);
      for (const s of m.series.values()) {
        if (m.type !== "histogram") {
          out.push(`${m.name}${labelText(s.labels)} ${s.value}`);
          continue;
        }
        DURATION_BUCKETS.forEach((le, i) =>
          out.push(`${m.name}_bucket${labelText({ ...s.labels, le: String(le) })} ${s.buckets![i]}`)
        );
        out.push(`${m.name}_bucket${labelText({ ...s.labels, le: "+Inf" })} ${s.value}`);
        out.push(`${m.name}_sum${labelText(s.labels)} ${s.sum}`, `${m.name}_count${labelText(s.labels)} ${s.value}`);
      }
    }
    return out.join("\n") + "\n";
  }
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${v.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"')}"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}
