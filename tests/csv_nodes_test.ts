/**
 * `transform.csv_parse` and `transform.csv_stringify`: quoting, headers,
 * delimiters, casting, round trips, and the errors that keep data from
 * being lost or misread silently.
 */
import assert from "node:assert/strict";
import { castField } from "../nodes/transform/csv.ts";
import { failure, outputsOf, runIn, tempDir } from "./system_helpers.ts";

const parse = (id: string, config: Record<string, unknown>) => ({ id, type: "transform.csv_parse", config });
const stringify = (id: string, config: Record<string, unknown>) => ({ id, type: "transform.csv_stringify", config });

Deno.test("transform.csv_parse: rows by the header, quoted fields, delimiters; values stay text", async (t) => {
  const dir = await tempDir();

  await t.step("a header, quotes, escaped quotes, line breaks in a field, a byte order mark, empty lines", async () => {
    const text = '\ufeffid,name,note\r\n1,"Lovelace, Ada","said ""hi""\non two lines"\r\n\r\n2,Bob,\r\n';
    const { events } = await runIn(dir, { nodes: [parse("p", { text })], connections: [] });
    assert.deepEqual(outputsOf(events, "p"), {
      rows: [
        { id: "1", name: "Lovelace, Ada", note: 'said "hi"\non two lines' },
        { id: "2", name: "Bob", note: "" },
      ],
      columns: ["id", "name", "note"],
    });
  });

  await t.step("header: false gives arrays; a delimiter of choice; cast makes numbers and booleans", async () => {
    const { events } = await runIn(dir, {
      nodes: [
        parse("arrays", { text: "a;b\n1;2\n", header: false, delimiter: ";" }),
        parse("tsv", {
          text: "n\tok\tzip\tbig\tother\n-1.5e3\tTRUE\t007\t12345678901234567890\t1.\n",
          delimiter: "\t",
          cast: true,
        }),
      ],
      connections: [],
    });
    assert.deepEqual(outputsOf(events, "arrays"), { rows: [["a", "b"], ["1", "2"]], columns: [] });
    // 007 keeps its zeros, an integer too large to be exact stays text, "1." is not a number.
    assert.deepEqual(outputsOf(events, "tsv").rows, [{
      n: -1500,
      ok: true,
      zip: "007",
      big: "12345678901234567890",
      other: "1.",
    }]);
  });

  await t.step("a header named __proto__ is a column like any other", async () => {
    const { events } = await runIn(dir, { nodes: [parse("p", { text: "__proto__,x\n1,2\n" })], connections: [] });
    const [row] = outputsOf(events, "p").rows as Record<string, unknown>[];
    assert.deepEqual(Object.keys(row), ["__proto__", "x"]);
    assert.equal(Object.getOwnPropertyDescriptor(row, "__proto__")?.value, "1");
  });

  await t.step("errors: a ragged record, a duplicate column name, an unterminated quote", async () => {
    const { result } = await runIn(dir, {
      settings: { onError: "continue" },
      nodes: [
        parse("many", { text: "a,b\n1,2\n3,4,5\n" }),
        parse("few", { text: "a,b\n1\n" }),
        parse("dup", { text: "a,b,a\n1,2,3\n" }),
        parse("quote", { text: 'a,b\n1,"2\n' }),
      ],
      connections: [],
    });
    assert.deepEqual(failure(result, "many"), {
      code: "CSV_PARSE",
      message: "CSV record 3 has 3 fields; the header has 2 (record 1)",
    });
    assert.deepEqual(failure(result, "few"), {
      code: "CSV_PARSE",
      message: "CSV record 2 has 1 field; the header has 2 (record 1)",
    });
    assert.deepEqual(failure(result, "dup"), {
      code: "CSV_PARSE",
      message: 'CSV header: column 3 is named "a" like column 1; rename one, or parse with header: false',
    });
    assert.deepEqual(failure(result, "quote"), {
      code: "CSV_PARSE",
      message: "CSV record 2: Quoted field unterminated",
    });
  });
});

Deno.test("transform.csv_stringify: a header of the first row's keys, quoting, values as text", async (t) => {
  const dir = await tempDir();

  await t.step("objects: header, quoting where needed, null empty, objects as JSON, a final newline", async () => {
    const rows = [
      { id: 1, name: "Lovelace, Ada", note: 'said "hi"\nthen left', ok: true },
      { id: 2, name: "Bob", note: null, ok: { nested: [1] } },
    ];
    const { events } = await runIn(dir, { nodes: [stringify("s", { rows })], connections: [] });
    assert.equal(
      outputsOf(events, "s").text,
      'id,name,note,ok\n1,"Lovelace, Ada","said ""hi""\nthen left",true\n2,Bob,,"{""nested"":[1]}"\n',
    );
  });

  await t.step("arrays, columns in a chosen order, CRLF, another delimiter, formulas escaped", async () => {
    const { events } = await runIn(dir, {
      nodes: [
        stringify("arrays", { rows: [["a", 1], ["=1+1", "@x"]], header: false, newline: "\r\n", escapeFormulae: true }),
        stringify("cols", { rows: [{ b: 2, a: 1 }, { a: 3 }], columns: ["a", "b"], delimiter: ";" }),
        stringify("empty", { rows: [], columns: ["a", "b"] }),
        stringify("nothing", { rows: [] }),
      ],
      connections: [],
    });
    assert.equal(outputsOf(events, "arrays").text, 'a,1\r\n"\'=1+1","\'@x"\r\n');
    assert.equal(outputsOf(events, "cols").text, "a;b\n1;2\n3;\n");
    assert.equal(outputsOf(events, "empty").text, "a,b\n");
    assert.equal(outputsOf(events, "nothing").text, "");
  });

  await t.step("a key that is not a column, and mixed rows, fail instead of losing data", async () => {
    const { result } = await runIn(dir, {
      settings: { onError: "continue" },
      nodes: [
        stringify("extra", { rows: [{ a: 1 }, { a: 2, b: 3 }] }),
        stringify("mixed", { rows: [{ a: 1 }, [2]] }),
        stringify("scalar", { rows: [[1], "x"] }),
      ],
      connections: [],
    });
    assert.deepEqual(failure(result, "extra"), {
      code: "BAD_INPUT",
      message: 'rows[1]: key "b" is not a column (a); list every column in config.columns',
    });
    assert.deepEqual(failure(result, "mixed"), {
      code: "BAD_INPUT",
      message: "rows[1]: an array among objects; got [2]",
    });
    assert.deepEqual(failure(result, "scalar"), {
      code: "BAD_INPUT",
      message: 'rows[1]: expected an object or an array; got "x"',
    });
  });

  await t.step("parse, then stringify, gives the text back", async () => {
    const text = 'id,name,note\n1,"Lovelace, Ada","two\nlines"\n2,Bob,\n';
    const { events } = await runIn(dir, {
      nodes: [parse("p", { text }), stringify("s", {})],
      connections: [{ from: "p.rows", to: "s.rows" }],
    });
    assert.equal(outputsOf(events, "s").text, text);
  });
});

Deno.test("castField: JSON's numbers, true and false; everything else stays text", () => {
  const cases: [string, unknown][] = [
    ["0", 0],
    ["-12", -12],
    ["3.25", 3.25],
    ["1e-3", 0.001],
    ["9007199254740991", 9007199254740991],
    ["9007199254740993", "9007199254740993"],
    ["true", true],
    ["False", false],
    ["", ""],
    [" 1", " 1"],
    ["+1", "+1"],
    ["0x10", "0x10"],
    [".5", ".5"],
    ["01", "01"],
    ["NaN", "NaN"],
    ["Infinity", "Infinity"],
    ["1e999", "1e999"],
    ["yes", "yes"],
  ];
  for (const [field, expected] of cases) assert.deepEqual(castField(field), expected, field);
});
