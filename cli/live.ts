/**
 * The live view of a run in a terminal: the lines that need a person's eyes
 * (the run's start, failures, retries, log lines) printed as they come, and
 * below them a status block redrawn ten times a second: nodes done of all,
 * running, failed, retrying and skipped, the time so far, and each running
 * `control.loop` with a bar, its items per second and the time left. The
 * block goes away when the run ends, and the summary table takes its place.
 *
 * It is only for a person at a terminal: `flow run` uses it when stdout is
 * a terminal, the format is pretty and neither `--verbose`, `NO_COLOR` nor
 * `TERM=dumb` says otherwise ({@linkcode liveViewWanted}); everything else
 * gets the line-per-event output, unchanged.
 *
 * The block costs a short run nothing: it is first drawn
 * {@linkcode FIRST_DRAW_MS} after the run starts, on a timer that costs no
 * start-up time (`unrefTimeout`: Deno's own timers cost a cold start about
 * 10 ms), and a run that ends sooner never draws it.
 *
 * The drawing is four ANSI sequences, written here: move up over the block
 * and erase to the end of the screen, hide and show the cursor. The npm
 * libraries that do this (log-update, ora, cli-progress) write to Node's
 * `process.stdout` and install their own exit and signal hooks (to restore
 * the cursor), which would load Node's compatibility layer at start and
 * compete with flow's Ctrl-C handling; none of them is needed for four
 * sequences. Block lines are cut to the terminal's width so that none
 * wraps (node ids are ASCII: a character is a column).
 *
 * @module
 */
import type { FlowEvent } from "../mod.ts";
import { unrefTimeout } from "../src/unref_timer.ts";
import type { Palette } from "./color.ts";
import { formatDuration } from "../src/duration.ts";
import { type Output, stderr } from "./output.ts";
import type { LoopProgress, RunProgress } from "./progress.ts";
import { prettyFormatter, type Reporter, type RunSummaryInput, summaryText } from "./reporters.ts";

/** How long a run goes before the block is first drawn, ms. */
export const FIRST_DRAW_MS = 300;
/** Time between two drawings of the block, ms (at most ten a second). */
export const REDRAW_MS = 100;
/** Most loops shown at once; more are counted on one line. */
const MAX_LOOPS = 4;
/** Width of a loop's bar, characters. */
const BAR = 20;
/** Running node ids named on the status line. */
const MAX_NAMED = 3;
const SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
/** Back to the start of the block `lines` lines up, and erase from there to the end of the screen. */
const eraseUp = (lines: number) => `\r\x1b[${lines}A\x1b[J`;

/**
 * Whether a run's pretty output gets the live view: stdout is a terminal,
 * and neither `--verbose`, `NO_COLOR` nor `TERM=dumb` asks for plain lines.
 */
export function liveViewWanted(verbose: boolean | undefined): boolean {
  if (verbose || Deno.env.get("NO_COLOR") || Deno.env.get("TERM") === "dumb") return false;
  return Deno.stdout.isTerminal();
}

/** The terminal's size, or 80 x 24 when it cannot be read. */
function terminalSize(): { columns: number; rows: number } {
  try {
    const { columns, rows } = Deno.consoleSize();
    return { columns: columns || 80, rows: rows || 24 };
  } catch {
    return { columns: 80, rows: 24 };
  }
}

/**
 * `text` cut to `columns - 1` visible characters (colour codes kept and
 * reset after a cut), so that it never wraps, which would throw off the
 * count of lines to erase.
 */
export function fitLine(text: string, columns: number): string {
  const room = Math.max(1, columns - 1);
  let visible = 0;
  for (let i = 0; i < text.length;) {
    if (text[i] === "\x1b") {
      const end = text.indexOf("m", i);
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    const cp = text.codePointAt(i)!;
    if (++visible > room) return text.slice(0, i) + (text.includes("\x1b") ? "\x1b[0m" : "");
    i += cp > 0xffff ? 2 : 1;
  }
  return text;
}

/** Items per second for people: `0.5`, `12`, `1234`. */
function rateText(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

/** One loop's line: its label, a bar, items done of all, the rate, the time left and the items failed. */
function loopLine(loop: LoopProgress, c: Palette, now: number): string {
  const seconds = Math.max(0.001, (now - loop.startedAt) / 1000);
  const rate = loop.done / seconds;
  const parts: string[] = [];
  if (loop.total !== undefined) {
    const filled = Math.round((loop.total === 0 ? 1 : Math.min(1, loop.done / loop.total)) * BAR);
    const bar = c.cyan("█".repeat(filled)) + c.gray("░".repeat(BAR - filled));
    parts.push(`${bar} ${loop.done}/${loop.total} items`);
  } else parts.push(`${loop.done} items`);
  parts.push(`${rateText(rate)}/s`);
  if (loop.total !== undefined && loop.done > 0 && rate > 0) {
    parts.push(`ETA ${formatDuration(((loop.total - loop.done) / rate) * 1000)}`);
  }
  if (loop.failed) parts.push(c.red(`${loop.failed} failed`));
  return `  ${c.bold(loop.label)} ${parts.join(c.gray(" · "))}`;
}

/**
 * The lines of the status block: the run's counts (failed, retrying and
 * skipped once there are any) and its time, then one line per running loop
 * (top-level ones first), each cut to `columns`, at most `rows - 1` lines in
 * all.
 */
export function statusBlock(
  p: RunProgress,
  c: Palette,
  now: number,
  frame: number,
  size: { columns: number; rows: number },
): string[] {
  const named = [...p.running].slice(0, MAX_NAMED).join(", ");
  const more = p.running.size > MAX_NAMED ? ", …" : "";
  const head = [
    `${c.bold(`${p.done}/${p.nodeCount}`)} nodes done`,
    `${p.running.size} running${p.running.size ? c.gray(` (${named}${more})`) : ""}`,
  ];
  if (p.failed) head.push(c.red(`${p.failed} failed`));
  if (p.retrying.size) head.push(c.yellow(`${p.retrying.size} retrying`));
  if (p.skipped) head.push(c.gray(`${p.skipped} skipped`));
  head.push(formatDuration(Math.max(0, now - p.startedAt)));
  const lines = [`${c.cyan(SPINNER[frame % SPINNER.length])} ${head.join(c.gray(" · "))}`];
  const loops = [...p.loops.values()].sort((a, b) => a.depth - b.depth);
  const room = Math.max(0, Math.min(MAX_LOOPS, size.rows - 2));
  const shown = loops.length > room ? loops.slice(0, Math.max(0, room - 1)) : loops;
  for (const loop of shown) lines.push(loopLine(loop, c, now));
  const hidden = loops.length - shown.length;
  if (hidden && room) lines.push(c.gray(`  … ${hidden} more loop${hidden === 1 ? "" : "s"} running`));
  return lines.map((l) => fitLine(l, size.columns));
}

/**
 * A block of lines kept at the bottom of the terminal, below what is
 * printed: {@linkcode LiveView.print} erases it (it is drawn again at the
 * next tick), {@linkcode LiveView.stop} erases it for good and shows the
 * cursor again. While it runs, a write to stderr erases the block first.
 */
export class LiveView {
  readonly #out: Output;
  readonly #render: (size: { columns: number; rows: number }) => string[];
  readonly #size: () => { columns: number; rows: number };
  /** Lines of the block on the screen now (0: not drawn). */
  #shown = 0;
  #cursorHidden = false;
  #cancel: (() => void) | undefined;
  #started = false;
  #stopped = false;

  /** `render` returns the block's lines for a terminal of a given size. */
  constructor(
    out: Output,
    render: (size: { columns: number; rows: number }) => string[],
    size: () => { columns: number; rows: number } = terminalSize,
  ) {
    this.#out = out;
    this.#render = render;
    this.#size = size;
  }

  /** Draws the block `delayMs` from now, then every {@linkcode REDRAW_MS} until stopped. */
  start(delayMs: number = FIRST_DRAW_MS): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#cancel = unrefTimeout(delayMs, this.#tick);
    stderr.beforeWrite = this.#hide;
  }

  /** Prints text (whole lines) above the block. */
  print(text: string): void {
    if (this.#shown) this.#out.write(this.#erase());
    this.#out.write(text);
  }

  /** Erases the block for good and shows the cursor. Safe to call more than once. */
  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
    if (stderr.beforeWrite === this.#hide) stderr.beforeWrite = undefined;
    let text = this.#shown ? this.#erase() : "";
    if (this.#cursorHidden) {
      text += SHOW_CURSOR;
      this.#cursorHidden = false;
    }
    if (text) {
      this.#out.write(text);
      this.#out.flush();
    }
  }

  readonly #tick = () => {
    if (this.#stopped) return;
    this.#draw();
    this.#cancel = unrefTimeout(REDRAW_MS, this.#tick);
  };

  #draw(): void {
    const lines = this.#render(this.#size());
    let text = this.#shown ? this.#erase() : "";
    if (!this.#cursorHidden) {
      text = HIDE_CURSOR + text;
      this.#cursorHidden = true;
    }
    this.#out.write(`${text}${lines.join("\n")}\n`);
    this.#out.flush();
    this.#shown = lines.length;
  }

  /** The sequence that erases the block (which is then no longer shown). */
  #erase(): string {
    const text = eraseUp(this.#shown);
    this.#shown = 0;
    return text;
  }

  /** Erases the block now (before another stream writes to the terminal); the next tick draws it again. */
  readonly #hide = () => {
    if (!this.#shown) return;
    this.#out.write(this.#erase());
    this.#out.flush();
  };
}

/**
 * Whether an event gets a line in the live view: the run's start, a retry,
 * a log line, a failure (with its `runPath` in a loop; not the nodes of
 * sub-runs cancelled with the run), and a node whose outputs are pinned data
 * (`flow run --use-pins`, an editor run followed with `flow runs events
 * --follow`): what flows on from it did not come from running it.
 * Everything else is counted in the block and shown in the summary.
 */
export function worthALine(e: FlowEvent): boolean {
  switch (e.type) {
    case "workflow.started":
      return e.parentNodeId === undefined;
    case "workflow.retrying":
    case "node.log":
    case "node.retrying":
      return true;
    case "node.failed":
      return e.runPath === undefined || e.error.code !== "CANCELLED";
    case "node.completed":
      return e.pinned === true;
    default:
      return false;
  }
}

/** The live view's reporter: a {@linkcode Reporter} whose summary may also come from the history. */
export interface LiveReporter extends Reporter {
  /** Erases the block, then prints the summary table. */
  onResult(result: RunSummaryInput): Promise<void>;
  /** Erases the block and shows the cursor. */
  dispose(): void;
}

/** The live view as a reporter: the lines that need eyes, the block, then the summary. */
export function liveReporter(out: Output, c: Palette, progress: RunProgress): LiveReporter {
  const line = prettyFormatter(c);
  let frame = 0;
  const view = new LiveView(out, (size) => statusBlock(progress, c, Date.now(), frame++, size));
  return {
    onEvent(e) {
      progress.onEvent(e);
      if (!worthALine(e)) return;
      view.print(line(e));
      if (e.type === "workflow.started") view.start();
    },
    async onResult(result) {
      view.stop();
      out.write(await summaryText(result, c));
    },
    dispose() {
      view.stop();
    },
  };
}
