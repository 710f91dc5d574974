/**
 * Text tables for the pretty run summary, `flow nodes` and the history
 * commands: cli-table3, loaded only when a table is printed (most commands,
 * and every `--quiet` or NDJSON run, never load it).
 *
 * @module
 */

/** How to draw a table. */
export interface TableOptions {
  /** Fixed column widths, borders' padding included; cells wrap at word boundaries. Default: fit the content. */
  widths?: number[];
  /** Draw a line between rows. Default false. */
  rowLines?: boolean;
}

/** Table borders without lines between rows. */
const COMPACT = { "mid": "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/**
 * Renders rows (the first is the header) as a table, without a final newline.
 *
 * @example
 * ```ts
 * import { renderTable } from "./table.ts";
 * console.log(await renderTable([["node", "status"], ["fetch", "completed"]]));
 * ```
 */
export async function renderTable(rows: string[][], options: TableOptions = {}): Promise<string> {
  const { default: Table } = await import("cli-table3");
  const [head, ...body] = rows;
  const table = new Table({
    head,
    style: { head: [], border: [] },
    ...(options.rowLines ? {} : { chars: COMPACT }),
    ...(options.widths ? { colWidths: options.widths, wordWrap: true, wrapOnWordBoundary: true } : {}),
  });
  table.push(...body);
  return table.toString();
}
