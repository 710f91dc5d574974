/**
 * `transform.csv_parse`: CSV text to rows, objects by the header's column
 * names (or arrays of fields without a header).
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";
import { castField, csvError, loadPapa } from "./csv.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    header: described(
      z._default(z.boolean(), true),
      "The first record names the columns: rows are objects (false: rows are arrays of fields)",
    ),
    delimiter: described(
      z._default(z.string().check(z.minLength(1), z.maxLength(8)), ","),
      'Between fields; default ","; "\\t" for TSV, ";" for many European spreadsheets',
    ),
    cast: described(
      z._default(z.boolean(), false),
      "Turn fields that are numbers into numbers, true/false into booleans; else every value stays text",
    ),
  })
);

/** The `transform.csv_parse` node type. */
export default defineNode({
  type: "transform.csv_parse",
  description: "Parses CSV text into rows (objects by the header's names, or arrays); values stay text unless cast",
  inputs: { text: { type: "string", description: "CSV text (a UTF-8 byte order mark is ignored)" } },
  outputs: {
    rows: { type: "array", description: "One object (header) or array of fields per record; empty lines skipped" },
    columns: { type: "array", description: "The header's column names (empty without a header)" },
  },
  get config() {
    return configSchema();
  },
  async run({ inputs, config }) {
    const Papa = await loadPapa();
    const parsed = Papa.parse<string[]>(inputs.text, {
      header: false,
      delimiter: config.delimiter,
      skipEmptyLines: true,
      dynamicTyping: false,
    });
    const problem = parsed.errors[0];
    if (problem) {
      throw csvError(
        `CSV record ${problem.row === undefined ? "?" : problem.row + 1}: ${problem.message}`,
        "CSV_PARSE",
      );
    }
    const records = parsed.data;
    const value = config.cast ? castField : (field: string) => field;
    if (!config.header) return { rows: records.map((r) => r.map(value)), columns: [] };
    const [columns = [], ...body] = records;
    const seen = new Map<string, number>();
    columns.forEach((name, i) => {
      const first = seen.get(name);
      if (first !== undefined) {
        throw csvError(
          `CSV header: column ${i + 1} is named ${JSON.stringify(name)} like column ${first + 1}; ` +
            "rename one, or parse with header: false",
          "CSV_PARSE",
        );
      }
      seen.set(name, i);
    });
    const rows = body.map((record, i) => {
      if (record.length !== columns.length) {
        throw csvError(
          `CSV record ${i + 2} has ${record.length} field${record.length === 1 ? "" : "s"}; ` +
            `the header has ${columns.length} (record 1)`,
          "CSV_PARSE",
        );
      }
      // fromEntries defines every key, "__proto__" included, as a field of the row.
      return Object.fromEntries(columns.map((name, c) => [name, value(record[c])]));
    });
    return { rows, columns };
  },
});
