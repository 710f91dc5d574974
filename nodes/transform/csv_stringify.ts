/**
 * `transform.csv_stringify`: rows (objects or arrays) to CSV text, quoted
 * where needed.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";
import { preview } from "../../src/workflow/values.ts";
import { csvError, fieldText, loadPapa } from "./csv.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    header: described(z._default(z.boolean(), true), "Write the column names first (rows of objects, or columns set)"),
    columns: described(
      z.optional(z.array(z.string())),
      "The columns, in order; default the keys of the first row. A row with another key fails",
    ),
    delimiter: described(
      z._default(z.string().check(z.minLength(1), z.maxLength(8)), ","),
      'Between fields; default ","',
    ),
    newline: described(z._default(z.enum(["\n", "\r\n"]), "\n"), 'After each record, the last too; default "\\n"'),
    escapeFormulae: described(
      z._default(z.boolean(), false),
      "Prefix ' to fields starting with = + - @ (a spreadsheet would run them as formulas)",
    ),
  })
);

/** The `transform.csv_stringify` node type. */
export default defineNode({
  type: "transform.csv_stringify",
  description: "Writes rows (objects or arrays) as CSV text, with a header of the first row's keys",
  inputs: { rows: { type: "array", description: "Objects (by column) or arrays of fields, all of one kind" } },
  outputs: { text: { type: "string", description: "The CSV text, each record ended by newline" } },
  get config() {
    return configSchema();
  },
  async run({ inputs, config }) {
    const rows = inputs.rows;
    const objects = rows.length > 0 && !Array.isArray(rows[0]);
    const columns = config.columns ?? (objects ? Object.keys(rows[0] as object) : []);
    const known = new Set(columns);
    const data = rows.map((row, i) => {
      if (Array.isArray(row)) {
        if (objects) throw csvError(`rows[${i}]: an array among objects; got ${preview(row)}`, "BAD_INPUT");
        return row.map(fieldText);
      }
      if (row === null || typeof row !== "object") {
        throw csvError(`rows[${i}]: expected an object or an array; got ${preview(row)}`, "BAD_INPUT");
      }
      if (!objects) throw csvError(`rows[${i}]: an object among arrays; got ${preview(row)}`, "BAD_INPUT");
      const extra = Object.keys(row).find((key) => !known.has(key));
      if (extra !== undefined) {
        throw csvError(
          `rows[${i}]: key ${JSON.stringify(extra)} is not a column (${columns.join(", ")}); ` +
            "list every column in config.columns",
          "BAD_INPUT",
        );
      }
      return columns.map((c) => fieldText((row as Record<string, unknown>)[c]));
    });
    const head = config.header && columns.length > 0;
    if (data.length === 0 && !head) return { text: "" };
    const Papa = await loadPapa();
    const text = Papa.unparse({ fields: columns, data }, {
      header: head,
      delimiter: config.delimiter,
      newline: config.newline,
      escapeFormulae: config.escapeFormulae,
    });
    // Papa Parse ends a header without rows with a newline, and the last record without one.
    return { text: text.endsWith(config.newline) ? text : text + config.newline };
  },
});
