/**
 * Text tables with box-drawing borders, for the pretty run summary and
 * `flow nodes`. Columns fit their widest cell, or have a fixed width into
 * which cells are wrapped at word boundaries. ANSI colours inside cells do
 * not count towards widths, and wide characters count two columns.
 *
 * @module
 */

/** How to draw a table. */
export interface TableOptions {
  /** Fixed column widths, borders' padding included; cells wrap to fit. Default: each column fits its widest cell. */
  widths?: number[];
  /** Draw a line between rows. Default false. */
  rowLines?: boolean;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Renders rows (the first is the header) as a table, one string ending without a newline.
 *
 * @example
 * ```ts
 * import { renderTable } from "./table.ts";
 * console.log(renderTable([["node", "status"], ["fetch", "completed"]]));
 * ```
 */
export function renderTable(rows: string[][], options: TableOptions = {}): string {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => {
    const fixed = options.widths?.[c];
    if (fixed !== undefined) return fixed;
    return 2 + Math.max(0, ...rows.map((r) => Math.max(...(r[c] ?? "").split("\n").map(visibleWidth))));
  });
  const cells = rows.map((row) =>
    widths.map((w, c) => {
      const lines = (row[c] ?? "").split("\n");
      return options.widths?.[c] === undefined ? lines : lines.flatMap((l) => wrapWords(l, w - 2));
    })
  );
  const rule = (left: string, mid: string, right: string) => left + widths.map((w) => "─".repeat(w)).join(mid) + right;
  const out = [rule("┌", "┬", "┐")];
  cells.forEach((row, r) => {
    if (r > 0 && options.rowLines) out.push(rule("├", "┼", "┤"));
    const height = Math.max(1, ...row.map((lines) => lines.length));
    for (let k = 0; k < height; k++) {
      out.push(`│${row.map((lines, c) => ` ${pad(lines[k] ?? "", widths[c] - 2)} `).join("│")}│`);
    }
  });
  out.push(rule("└", "┴", "┘"));
  return out.join("\n");
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - visibleWidth(text)));
}

/** Splits a line into lines of at most `width` columns at spaces; a longer word is split where it must be. */
export function wrapWords(line: string, width: number): string[] {
  if (visibleWidth(line) <= width) return [line];
  const out: string[] = [];
  let current = "";
  for (const word of line.split(" ")) {
    const candidate = current === "" ? word : `${current} ${word}`;
    if (visibleWidth(candidate) <= width) {
      current = candidate;
      continue;
    }
    if (current !== "") out.push(current);
    current = word;
    while (visibleWidth(current) > width) {
      const [head, rest] = splitAt(current, width);
      out.push(head);
      current = rest;
    }
  }
  if (current !== "") out.push(current);
  return out;
}

/** The first `width` columns of a text and the rest. */
function splitAt(text: string, width: number): [string, string] {
  let used = 0, i = 0;
  for (const ch of text) {
    const w = charWidth(ch.codePointAt(0)!);
    if (used + w > width && i > 0) break;
    used += w;
    i += ch.length;
  }
  return [text.slice(0, i), text.slice(i)];
}

/** Columns a text takes in a terminal: ANSI escapes none, wide characters two, combining marks none. */
export function visibleWidth(text: string): number {
  const plain = text.includes("\x1b") ? text.replace(ANSI, "") : text;
  let width = 0;
  for (let i = 0; i < plain.length; i++) {
    const code = plain.charCodeAt(i);
    if (code < 0x300) {
      if (code >= 0x20) width++;
      continue;
    }
    const point = plain.codePointAt(i)!;
    if (point > 0xffff) i++;
    width += charWidth(point);
  }
  return width;
}

function charWidth(point: number): number {
  if (point < 0x20 || (point >= 0x300 && point <= 0x36f) || point === 0x200b || (point >= 0xfe00 && point <= 0xfe0f)) {
    return 0;
  }
  const wide = (point >= 0x1100 && point <= 0x115f) || (point >= 0x2e80 && point <= 0xa4cf && point !== 0x303f) ||
    (point >= 0xac00 && point <= 0xd7a3) || (point >= 0xf900 && point <= 0xfaff) ||
    (point >= 0xfe30 && point <= 0xfe4f) ||
    (point >= 0xff00 && point <= 0xff60) || (point >= 0xffe0 && point <= 0xffe6) ||
    (point >= 0x1f300 && point <= 0x1f64f) ||
    (point >= 0x1f900 && point <= 0x1f9ff) || (point >= 0x20000 && point <= 0x3fffd);
  return wide ? 2 : 1;
}
