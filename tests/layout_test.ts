/**
 * The `layout` block of a workflow file (docs/workflow.md#layout): the
 * schema describes it and validation checks only its shape, in the file and
 * in an inline sub-workflow; the hash leaves it out (the file's, an inline
 * sub-workflow's, a sub-workflow file's); a reload that changes only the
 * layout keeps the version serving, its schedules untouched.
 */
import assert from "node:assert/strict";
import { builtinNodes, builtinRegistry } from "../nodes/mod.ts";
import { FlowRuntime } from "../src/runtime/runtime.ts";
import { loadVersion } from "../src/runtime/version.ts";
import { applyPatch } from "../src/sources/patch.ts";
import { workflowJsonSchema } from "../src/workflow/format.ts";
import { versionHash } from "../src/workflow/hash.ts";
import { withoutLayout } from "../src/workflow/layout.ts";
import { validationIssues } from "./helpers.ts";
import { validateWorkflow } from "../src/validate/validate.ts";

const pretty = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

const loop = {
  id: "looped",
  nodes: [
    { id: "items", type: "transform.set", config: { value: [1, 2] } },
    {
      id: "each",
      type: "control.loop",
      config: {
        workflow: {
          nodes: [{ id: "double", type: "transform.set", config: { value: "{{ $inputs.item * 2 }}" } }],
          connections: [],
          outputs: { value: "double.value" },
          layout: { double: [0, 0] },
        },
      },
    },
  ],
  connections: [{ from: "items.value", to: "each.items" }],
  outputs: { results: "each.results" },
  layout: { items: [0, 0], each: [240, 0], gone: [1, 2] },
};

Deno.test("validation takes a layout block of [x, y] pairs, in the file and in an inline sub-workflow", async () => {
  validateWorkflow(loop, builtinRegistry());
  const bad = (layout: unknown) =>
    validationIssues(() => validateWorkflow({ ...loop, layout }, builtinRegistry())).join("\n");
  assert.match(bad({ items: [1] }), /layout\.items: expected >= 2 in length/);
  assert.match(bad({ items: [1, 2, 3] }), /layout\.items: expected <= 2 in length/);
  assert.match(bad({ items: ["1", 2] }), /layout\.items\[0\]: expected number; got "1"/);
  assert.match(bad([[1, 2]]), /layout: expected record; got \[\[1,2\]\]/);
  const inner = JSON.parse(JSON.stringify(loop));
  inner.nodes[1].config.workflow.layout = "left";
  assert.match(
    validationIssues(() => validateWorkflow(inner, builtinRegistry())).join("\n"),
    /nodes\[1\]\.config\.workflow\.layout: expected record/,
  );
  const schema = workflowJsonSchema() as { properties: Record<string, { additionalProperties: unknown }> };
  assert.deepEqual(schema.properties.layout.additionalProperties, {
    type: "array",
    prefixItems: [{ type: "number" }, { type: "number" }],
    items: false,
    minItems: 2,
    maxItems: 2,
  });
  // The committed schema is the generated one (deno task schema), with the built-in node types.
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(new URL("../schema/workflow.schema.json", import.meta.url))),
    workflowJsonSchema(builtinNodes),
  );
});

Deno.test("the hash leaves every layout block out: the file's, an inline sub-workflow's, a sub-workflow file's", async () => {
  const bare = JSON.parse(JSON.stringify(loop));
  delete bare.layout;
  delete bare.nodes[1].config.workflow.layout;
  const base = pretty(bare);
  const withLayout = pretty(loop);
  assert.equal(withoutLayout(withLayout), base);
  assert.equal(await versionHash(withLayout, new Map()), await versionHash(base, new Map()));
  // Added by the editor (a patch) and taken out again: the same bytes.
  const added = applyPatch(base, [{ op: "add", path: "/layout", value: { items: [1.5, -2] } }]);
  assert.ok(added.endsWith('\n  "layout": {\n    "items": [1.5, -2]\n  }\n}\n'), added);
  assert.equal(withoutLayout(added), base);
  // A sub-workflow file's layout.
  const sub = pretty({ nodes: [], connections: [] });
  const subMoved = applyPatch(sub, [{ op: "add", path: "/layout", value: { x: [3, 4] } }]);
  assert.equal(
    await versionHash(base, new Map([["/w/sub.json", subMoved]])),
    await versionHash(base, new Map([["/w/sub.json", sub]])),
  );
  // Anything else changes it.
  assert.notEqual(
    await versionHash(base.replace('"looped"', '"other"'), new Map()),
    await versionHash(base, new Map()),
  );
  // A file with no layout hashes as before this block existed (recorded hashes stay valid).
  const v = await loadVersion(await write(base), builtinRegistry(), []);
  assert.equal(v.hash, `sha256:${await sha256(base)}`);
  await v.retire();
});

async function write(text: string, name = "wf.json", dir?: string): Promise<string> {
  dir ??= await Deno.makeTempDir({ prefix: "flow-layout-" });
  await Deno.writeTextFile(`${dir}/${name}`, text);
  return `${dir}/${name}`;
}

async function sha256(text: string): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))).toHex();
}

const scheduled = {
  id: "ticks",
  nodes: [
    { id: "clock", type: "time.cron", config: { schedule: "0 3 * * *" } },
    { id: "every", type: "time.interval", config: { every: "1h" } },
    { id: "note", type: "transform.set", config: { value: "tick" } },
  ],
  connections: [],
};

Deno.test("a reload that changes only the layout keeps the version: schedules are not restarted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-layout-" });
  const file = await write(pretty(scheduled), "ticks.json", dir);
  const logged: string[] = [];
  const runtime = await FlowRuntime.start({
    paths: [dir],
    registry: builtinRegistry(),
    watch: false,
    log: (l) => logged.push(l),
  });
  try {
    const syncs: string[] = [];
    const sync = runtime.schedules.sync.bind(runtime.schedules);
    runtime.schedules.sync = (versions) => {
      syncs.push(versions.map((v) => v.serial).join(","));
      sync(versions);
    };
    const version = runtime.catalog.get("ticks")!.version!;
    const before = runtime.workflows()[0];
    const next = before.triggers.map((t) => t.nextFireAt);
    assert.ok(next.every((n) => n !== undefined), JSON.stringify(before.triggers));

    await Deno.writeTextFile(
      file,
      applyPatch(await Deno.readTextFile(file), [{ op: "add", path: "/layout", value: { clock: [0, 0] } }]),
    );
    await runtime.catalog.reload([file]);
    assert.equal(runtime.catalog.get("ticks")!.version, version, "the same version serves");
    assert.deepEqual(syncs, [], "the schedules were not touched");
    assert.deepEqual(runtime.workflows()[0].triggers.map((t) => t.nextFireAt), next, "the timers go on");
    assert.equal(runtime.workflows()[0].hash, before.hash);
    assert.match(version.text, /"layout"/, "the version has the new text");
    assert.deepEqual(logged.filter((l) => l.includes("reloaded")), []);

    // A change of the logic is a new version, and its schedules start again.
    await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace('"tick"', '"tock"'));
    await runtime.catalog.reload([file]);
    const fresh = runtime.catalog.get("ticks")!.version!;
    assert.notEqual(fresh, version);
    assert.deepEqual(syncs, [String(fresh.serial)]);
    assert.ok(logged.some((l) => l.endsWith(`${file}: reloaded "ticks"`)), logged.join("\n"));
  } finally {
    await runtime.shutdown(0);
  }
});

Deno.test("a sub-workflow file whose layout alone changed keeps the version of the workflow using it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-layout-" });
  const sub = await write(
    pretty({ id: "sub", nodes: [{ id: "s", type: "transform.set", config: { value: 1 } }], connections: [] }),
    "sub.json",
    dir,
  );
  await write(
    pretty({
      id: "parent",
      nodes: [{ id: "child", type: "flow.subworkflow", config: { workflowFile: "sub.json" } }],
      connections: [],
    }),
    "parent.json",
    dir,
  );
  const runtime = await FlowRuntime.start({ paths: [dir], registry: builtinRegistry(), watch: false, log: () => {} });
  try {
    const parent = runtime.catalog.get("parent")!.version!;
    await Deno.writeTextFile(
      sub,
      applyPatch(await Deno.readTextFile(sub), [{ op: "add", path: "/layout", value: { s: [10, 20] } }]),
    );
    await runtime.catalog.reload([sub]);
    assert.equal(runtime.catalog.get("parent")!.version, parent);
    await Deno.writeTextFile(sub, (await Deno.readTextFile(sub)).replace('"value": 1', '"value": 2'));
    await runtime.catalog.reload([sub]);
    assert.notEqual(runtime.catalog.get("parent")!.version, parent, "a change of its logic is a new version");
  } finally {
    await runtime.shutdown(0);
  }
});
