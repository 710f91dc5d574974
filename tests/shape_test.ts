import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { pathToFileURL } from "node:url";
import { renderTable } from "../cli/table.ts";
import * as path from "../src/path.ts";
import { workflowSchemas } from "../src/workflow/format.ts";
import { isWellFormedWorkflow, SHAPE_OBJECTS } from "../src/workflow/shape.ts";
import { ROOT } from "./helpers.ts";

const EXAMPLES = [
  "branch",
  "code-node",
  "continue",
  "custom-node/workflow",
  "fanout",
  "linear",
  "loop",
  "nightly-backup",
  "retry",
  "secrets",
  "sub/fetch_user",
  "subworkflow",
];

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  1e9,
  Infinity,
  "",
  "x",
  "a.b",
  "$inputs.x",
  "9bad",
  true,
  [],
  [1],
  ["a"],
  {},
  { x: 1 },
  { path: "" },
];

/** Replaces one value somewhere inside `value` (or adds a key) with an odd one. */
function mutate(value: unknown, next: () => number): unknown {
  if (Array.isArray(value)) {
    if (value.length === 0 || next() < 0.2) return [...value, ODD_VALUES[Math.floor(next() * ODD_VALUES.length)]];
    const i = Math.floor(next() * value.length);
    const copy = [...value];
    copy[i] = next() < 0.3 ? ODD_VALUES[Math.floor(next() * ODD_VALUES.length)] : mutate(copy[i], next);
    return copy;
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    const copy: Record<string, unknown> = { ...value };
    if (keys.length === 0 || next() < 0.15) copy[next() < 0.5 ? "extra" : "id"] = ODD_VALUES[Math.floor(next() * 19)];
    else {
      const k = keys[Math.floor(next() * keys.length)];
      copy[k] = next() < 0.3 ? ODD_VALUES[Math.floor(next() * ODD_VALUES.length)] : mutate(copy[k], next);
    }
    return copy;
  }
  return ODD_VALUES[Math.floor(next() * ODD_VALUES.length)];
}

Deno.test("the quick shape check accepts the examples and never accepts what the schema rejects", async () => {
  const schema = workflowSchemas().workflow;
  const next = random(11);
  let accepted = 0, rejected = 0;
  for (const name of EXAMPLES) {
    const wf = JSON.parse(await Deno.readTextFile(`${ROOT}examples/${name}.json`));
    assert.ok(isWellFormedWorkflow(wf), `${name} is well-formed`);
    assert.ok(schema.safeParse(wf).success, `${name} passes the schema`);
    for (let k = 0; k < 400; k++) {
      let variant = wf;
      const edits = 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) variant = mutate(variant, next);
      if (isWellFormedWorkflow(variant)) {
        accepted++;
        assert.ok(schema.safeParse(variant).success, `accepted but invalid: ${JSON.stringify(variant).slice(0, 300)}`);
      } else rejected++;
    }
  }
  assert.ok(accepted > 100 && rejected > 100, `both kinds covered (${accepted} accepted, ${rejected} rejected)`);
});

Deno.test("src/path.ts agrees with node:path and node:url on POSIX paths", () => {
  if (Deno.build.os === "windows") return;
  const cases = [
    "",
    ".",
    "..",
    "/",
    "a",
    "a/b",
    "/a/b/",
    "a//b/../c",
    "./x.json",
    "/tmp/x y/é#?.ts",
    "../../a",
    "/a/..",
  ];
  for (const c of cases) {
    for (const f of ["dirname", "basename", "extname"] as const) assert.equal(path[f](c), nodePath[f](c), `${f}(${c})`);
    if (c !== "") assert.equal(path.normalize(c), nodePath.normalize(c), `normalize(${c})`);
    for (const d of cases) {
      assert.equal(path.resolve(c, d), nodePath.resolve(c, d), `resolve(${c}, ${d})`);
      assert.equal(path.join(c, d), nodePath.join(c, d), `join(${c}, ${d})`);
    }
    if (c !== "") {
      const url = pathToFileURL(nodePath.resolve(c)).href;
      assert.equal(path.toFileUrl(nodePath.resolve(c)).href, url, `toFileUrl(${c})`);
      assert.equal(path.fromFileUrl(url), nodePath.resolve(c), `fromFileUrl(${url})`);
    }
  }
});

Deno.test("flow nodes tables wrap descriptions on word boundaries", async () => {
  const fixed = await renderTable([["h"], ["one two three"]], { widths: [9], rowLines: true });
  assert.equal(fixed, "┌─────────┐\n│ h       │\n├─────────┤\n│ one two │\n│ three   │\n└─────────┘");
  const words = await renderTable([["d"], ["the value goes out on true or false"]], { widths: [32] });
  assert.ok(words.includes("│ the value goes out on true or  │") && words.includes("│ false"), words);
});

Deno.test("isWellFormedWorkflow checks the depth and numbers of configs and input defaults on the way", () => {
  const nest = (levels: number): unknown => levels === 0 ? 1 : [nest(levels - 1)];
  const withConfig = (value: unknown) => ({ nodes: [{ id: "a", type: "t", config: { value } }], connections: [] });
  // A config value is at level 5: 64 - 4 levels of arrays fit.
  assert.ok(isWellFormedWorkflow(withConfig(nest(60)), 64));
  assert.ok(!isWellFormedWorkflow(withConfig(nest(61)), 64));
  assert.ok(!isWellFormedWorkflow(withConfig(Infinity), 64));
  const withDefault = (value: unknown) => ({ inputs: { x: { default: value } }, nodes: [], connections: [] });
  // An input default is at level 4.
  assert.ok(isWellFormedWorkflow(withDefault(nest(61)), 64));
  assert.ok(!isWellFormedWorkflow(withDefault(nest(62)), 64));
  assert.ok(!isWellFormedWorkflow(withDefault(-Infinity), 64));
  // Below the depth of the structure itself, the whole-value check decides.
  assert.ok(!isWellFormedWorkflow({ nodes: [], connections: [] }, 4));
});

/** A zod schema's object: its keys and those it requires (optional wrappers and unions' object option unwrapped). */
function zodObject(schema: unknown): { keys: string[]; required: string[] } {
  // deno-lint-ignore no-explicit-any
  const s = zodObjectSchema(schema) as any;
  const shape = s._zod.def.shape as Record<string, { _zod: { optin?: string } }>;
  const keys = Object.keys(shape);
  return { keys: keys.sort(), required: keys.filter((k) => shape[k]._zod.optin !== "optional").sort() };
}

Deno.test("the quick shape check knows exactly the schema's fields (a new field cannot drift)", () => {
  const schemas = workflowSchemas();
  // deno-lint-ignore no-explicit-any
  const field = (schema: unknown, key: string) => (schema as any)._zod.def.shape[key];
  const importObject = schemas.importEntry;
  const zod: Record<string, unknown> = {
    workflow: schemas.workflow,
    node: schemas.node,
    connection: schemas.connection,
    settings: schemas.settings,
    input: schemas.input,
    retry: schemas.retry,
    importObject,
    permissions: field(zodObjectSchema(importObject), "permissions"),
    settingsPermissions: field(schemas.settings, "permissions"),
  };
  assert.deepEqual(Object.keys(SHAPE_OBJECTS).sort(), Object.keys(zod).sort());
  for (const [name, check] of Object.entries(SHAPE_OBJECTS)) {
    const expected = zodObject(zod[name]);
    assert.deepEqual(
      { keys: [...check.keys].sort(), required: [...check.required].sort() },
      expected,
      `${name}: the quick check (src/workflow/shape.ts) and the schema (src/workflow/format.ts) differ`,
    );
  }
});

/** The object schema inside a union or optional wrapper. */
function zodObjectSchema(schema: unknown): unknown {
  // deno-lint-ignore no-explicit-any
  let s = schema as any;
  while (!s._zod.def.shape) {
    const def = s._zod.def;
    s = def.innerType ?? def.options?.find((o: { _zod: { def: { shape?: unknown } } }) => o._zod.def.shape);
  }
  return s;
}
