/**
 * The editor in a real browser (Debian's Chromium through playwright-core)
 * against a real `flow serve` over a temporary folder that is a git
 * repository: build a workflow from nothing and run it; a form change is a
 * one-line diff; a list item, a string map's entry and a JSON field's string
 * holding `{{ }}` are expression editors (completion, preview, a syntax error
 * once; every template string of a JSON value previewed, the cursor's first,
 * the server asked only for changed ones) whose edits are one-line diffs;
 * the code view highlights template strings as JSONata, completes in them and
 * marks a syntax error at its character; moving a box changes only the
 * layout block; undo and redo over five kinds of action; copy and paste between workflows (and a
 * fragment typed elsewhere); Shift+drag box-selects two boxes and Delete
 * removes exactly them; a change on disk under unsaved edits; an
 * invalid edit marked on its node before saving; a 500-node workflow opened
 * and dragged (measured). Screenshots go to docs/editor/ with
 * `FLOW_UPDATE_SCREENSHOTS=1`.
 */
import assert from "node:assert/strict";
import { hasChromium, launchChromium } from "./browser.ts";
import { runCli } from "./helpers.ts";
import { Served, waitFor } from "./serve_helpers.ts";
import {
  box,
  command,
  connectPorts,
  diffLines,
  dragBox,
  editorShot,
  git,
  gitRepo,
  numstat,
  openEditor,
  saveState,
  typeExpression,
} from "./ui_editor.ts";
import { bigWorkflow } from "./ui_serve.ts";
import { countBoxes, misplacedHandles, mostBoxes } from "./ui_measure.ts";
import type { Dialog, Request } from "playwright-core";
import { HANDLE_SIZE } from "../ui/src/graph/geometry.ts";

const pretty = (v: unknown) => JSON.stringify(v, null, 2) + "\n";

/** A three-node chain with no network: set -> json_stringify -> log. */
const CHAIN = {
  id: "chain",
  name: "A chain",
  nodes: [
    { id: "greet", type: "transform.set", config: { value: "hello" } },
    { id: "encode", type: "transform.json_stringify", config: { indent: 0 } },
    { id: "print", type: "debug.log" },
  ],
  connections: [
    { from: "greet.value", to: "encode.value" },
    { from: "encode.json", to: "print.message" },
  ],
  outputs: { text: "encode.json" },
};

const FILES: Record<string, string> = {
  "chain.json": pretty(CHAIN),
  "other.json": pretty({
    id: "other",
    nodes: [{ id: "wait", type: "time.delay", config: { ms: 0 } }],
    connections: [],
  }),
  "undo.json": pretty({
    id: "undo",
    nodes: [{ id: "first", type: "transform.set", config: { value: 1 } }],
    connections: [],
  }),
  "delay.json": pretty({
    id: "delay",
    nodes: [{ id: "pause", type: "time.delay", config: { ms: 10 } }],
    connections: [],
  }),
  "disk.json": pretty({
    id: "disk",
    nodes: [{ id: "note", type: "transform.set", config: { value: "a" } }],
    connections: [],
  }),
  "boxes.json": pretty({
    id: "boxes",
    nodes: [
      { id: "one", type: "transform.set", config: { value: 1 } },
      { id: "two", type: "transform.set", config: { value: 2 } },
      { id: "keep", type: "debug.log" },
      { id: "also", type: "debug.log" },
    ],
    connections: [
      { from: "one.value", to: "keep.message" },
      { from: "two.value", to: "also.message" },
    ],
    outputs: { kept: "one.value" },
    layout: {
      "$inputs": [-300, 0],
      "$outputs": [-300, 200],
      one: [0, 0],
      two: [0, 120],
      keep: [400, 0],
      also: [400, 120],
    },
  }),
  "big.json": pretty(bigWorkflow()),
  "parent.json": pretty({
    id: "parent",
    nodes: [{ id: "call", type: "flow.subworkflow", config: { workflowFile: "./child.json" } }],
    connections: [],
  }),
  "child.json": pretty({
    id: "child",
    nodes: [{ id: "inner", type: "transform.set", config: { value: 1 } }],
    connections: [],
    outputs: { v: "inner.value" },
  }),
  "lists.json": pretty({
    id: "lists",
    inputs: { x: { type: "string", default: "beta" } },
    nodes: [
      { id: "source", type: "transform.set", config: { value: { alpha: 1, beta: 2 } } },
      { id: "keep", type: "transform.pick", config: { keys: ["alpha", "{{ $inputs.x }}"] } },
      { id: "shape", type: "transform.set", config: { value: { greeting: "hello {{ $inputs.x }}", n: 1 } } },
    ],
    connections: [{ from: "source.value", to: "keep.object" }],
  }),
  "templates.json": pretty({
    id: "templates",
    inputs: { x: { type: "string", default: "beta" } },
    nodes: [{
      id: "many",
      type: "transform.set",
      config: { value: { greeting: "hello {{ $inputs.x }}", name: "{{ $inputs.x }}", n: 1, list: ["{{ 1 + 1 }}"] } },
    }],
    connections: [],
  }),
  "code.json": pretty({
    id: "code",
    inputs: { x: { type: "string", default: "beta" } },
    nodes: [{ id: "use", type: "transform.set", config: { value: "got {{ $inputs.x }}" } }],
    connections: [],
  }),
  "headers.json": pretty({
    id: "headers",
    inputs: { x: { type: "string", default: "beta" } },
    nodes: [{
      id: "call",
      type: "http.request",
      config: { url: "http://127.0.0.1:9/", headers: { accept: "text/plain", "x-id": "{{ $inputs.x }}" } },
    }],
    connections: [],
  }),
  "loop.json": Deno.readTextFileSync(new URL("../examples/loop.json", import.meta.url)),
};

/** Node ids in the text of a served file. */
async function idsIn(dir: string, file: string): Promise<string[]> {
  return (JSON.parse(await Deno.readTextFile(`${dir}/${file}`)).nodes as { id: string }[]).map((n) => n.id);
}

Deno.test({
  name:
    "the editor: build, one-line diffs, layout-only moves, undo/redo, copy/paste, disk changes, problems, 500 nodes",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await gitRepo(FILES);
    await using server = await Served.start([dir]);
    const base = server.url;
    await using browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: "light" });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

    await t.step("1. build a 3-node workflow from nothing, save it, and flow run it", async () => {
      await page.goto(base);
      await page.getByRole("button", { name: "New workflow…" }).click();
      await page.getByLabel("File").fill("built.json");
      await page.getByRole("button", { name: "Create" }).click();
      await page.waitForURL(/\/edit\?file=built\.json/);
      await page.locator(".edit-canvas .react-flow__node").first().waitFor();
      // flow init's starter: clear it.
      await command(page, "Select all nodes");
      await command(page, "Delete the selected nodes");
      await waitFor(async () => await page.locator(".edit-canvas .react-flow__node .kind-node").count() === 0);
      // By keyboard from the palette's search, by dragging from the palette, and from the command palette.
      await page.getByLabel("Search node types").fill("transform.set");
      await page.getByLabel("Search node types").press("Enter");
      await box(page, "set").waitFor();
      await page.getByLabel("Search node types").fill("");
      await page.locator('.palette-item[data-type="transform.json_stringify"]').dragTo(
        page.locator(".edit-canvas .react-flow__pane"),
        { targetPosition: { x: 420, y: 120 } },
      );
      await box(page, "json_stringify").waitFor();
      await command(page, "Add debug.log");
      await box(page, "log").waitFor();
      await command(page, "Auto-layout");
      // Form fields: set's value.
      await box(page, "set").click();
      await page.locator("#field-config\\.value").fill('"built by hand"');
      await connectPorts(page, "set.value", "json_stringify.value");
      await connectPorts(page, "json_stringify.json", "log.message");
      await waitFor(async () => await page.locator(".edit-canvas .react-flow__edge").count() === 2);
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      await editorShot(page, "built");
      const run = await runCli(["run", `${dir}/built.json`, "--no-history"]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout + run.stderr, /built by hand/);
    });

    await t.step("2. one config value changed in the form: a one-line git diff", async () => {
      await openEditor(page, base, "chain.json");
      await box(page, "encode").click();
      await page.locator("#field-config\\.indent").fill("2");
      await saveState(page, "Unsaved changes");
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      assert.deepEqual(await numstat(dir, "chain.json"), { added: 1, removed: 1 });
      const { added } = await diffLines(dir, "chain.json");
      assert.match(added[0], /"indent": 2/);
      await editorShot(page, "inspector");
      await git(dir, "commit", "-qam", "indent");
    });

    await t.step(
      "a list item holding {{ }} is an expression field with its preview; an edit changes its line",
      async () => {
        await openEditor(page, base, "lists.json");
        await box(page, "keep").click();
        const list = page.getByRole("group", { name: "keys" });
        const item = list.locator('.cm-content[id="field-config.keys.1"]');
        await item.waitFor();
        assert.equal(await item.innerText(), "{{ $inputs.x }}");
        assert.equal(
          await list.locator('input[id="field-config.keys.0"]').inputValue(),
          "alpha",
          "a value stays a text",
        );
        const preview = list.getByTestId("expression-preview");
        await preview.filter({ hasText: /^= "?beta"?$/ }).waitFor();
        // Completion offers the workflow's inputs.
        await typeExpression(page, "field-config.keys.1", "{{ $inputs.");
        await page.locator(".cm-tooltip-autocomplete li").filter({ hasText: /^x/ }).waitFor();
        await page.keyboard.press("Escape");
        // A syntax error shows once under the item: the preview's, not again the validator's (in Problems).
        await typeExpression(page, "field-config.keys.1", "{{ $inputs.x & }}", true);
        await preview.filter({ hasText: "SYNTAX" }).waitFor();
        await page.getByRole("region", { name: "Problems" }).getByText("nodes[1].config.keys[1]").waitFor();
        const messages = await list.locator(".field-error, [data-testid=expression-preview]").allInnerTexts();
        assert.equal(messages.length, 1, messages.join(" | "));
        assert.match(messages[0], /SYNTAX/);
        const text = '{{ $inputs.x & "-2" }}';
        await typeExpression(page, "field-config.keys.1", text, true);
        await preview.filter({ hasText: /^= "?beta-2"?$/ }).waitFor();
        await page.keyboard.press("Control+s");
        await saveState(page, "Saved");
        const indent = " ".repeat(10);
        assert.deepEqual(await diffLines(dir, "lists.json"), {
          removed: [`${indent}"{{ $inputs.x }}"`],
          added: [`${indent}${JSON.stringify(text)}`],
        });
        await git(dir, "commit", "-qam", "list item");
        // Adding and removing an item work as before: the expression item keeps its editor, the new one is a text.
        await list.getByRole("button", { name: "Add item" }).click();
        await list.locator('input[id="field-config.keys.2"]').waitFor();
        await item.waitFor();
        await saveState(page, "Unsaved changes");
        await list.getByRole("button", { name: "Remove item 3" }).click();
        await list.locator('input[id="field-config.keys.2"]').waitFor({ state: "detached" });
        await saveState(page, "Saved");
        assert.equal(await item.innerText(), text);
      },
    );

    await t.step("a string map's entry holding {{ }} is an expression field; an edit changes its line", async () => {
      await openEditor(page, base, "headers.json");
      await box(page, "call").click();
      const map = page.getByRole("group", { name: "headers" });
      const entry = map.locator('.cm-content[id="field-config.headers.x-id"]');
      await entry.waitFor();
      assert.equal(await entry.innerText(), "{{ $inputs.x }}");
      assert.ok(await entry.locator("span").count() > 0, "highlighted");
      const accept = map.locator('input[id="field-config.headers.accept"]');
      assert.equal(await accept.inputValue(), "text/plain", "a value stays a text");
      const row = map.locator(".form-list-item", { has: page.locator('[id="field-config.headers.x-id"]') });
      const preview = row.getByTestId("expression-preview");
      await preview.filter({ hasText: /^= "?beta"?$/ }).waitFor();
      // Completion offers the workflow's inputs.
      await typeExpression(page, "field-config.headers.x-id", "{{ $inputs.");
      await page.locator(".cm-tooltip-autocomplete li").filter({ hasText: /^x/ }).waitFor();
      await page.keyboard.press("Escape");
      // A syntax error shows once under the entry: the preview's, not again the validator's (in Problems).
      await typeExpression(page, "field-config.headers.x-id", "{{ $inputs.x & }}", true);
      await preview.filter({ hasText: "SYNTAX" }).waitFor();
      await page.getByRole("region", { name: "Problems" }).getByText("nodes[0].config.headers").waitFor();
      await row.locator(".cm-lintRange-error").waitFor();
      const messages = await map.locator(".field-error, [data-testid=expression-preview]").allInnerTexts();
      assert.equal(messages.length, 1, messages.join(" | "));
      assert.match(messages[0], /SYNTAX/);
      const text = '{{ $inputs.x & "-2" }}';
      await typeExpression(page, "field-config.headers.x-id", text, true);
      await preview.filter({ hasText: /^= "?beta-2"?$/ }).waitFor();
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      const indent = " ".repeat(10);
      assert.deepEqual(await diffLines(dir, "headers.json"), {
        removed: [`${indent}"x-id": "{{ $inputs.x }}"`],
        added: [`${indent}"x-id": ${JSON.stringify(text)}`],
      });
      await git(dir, "commit", "-qam", "header");
      // `{{` typed into a plain entry turns it into the expression editor, focused where the typing was.
      await accept.fill("");
      await accept.pressSequentially("a/{{", { delay: 10 });
      await map.locator('.cm-editor.cm-focused .cm-content[id="field-config.headers.accept"]').waitFor();
      await page.keyboard.type(" $inputs.x }}", { delay: 10 });
      await map.locator(".form-list-item", { has: page.locator('[id="field-config.headers.accept"]') })
        .getByTestId("expression-preview").filter({ hasText: /^= "?a\/beta"?$/ }).waitFor();
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      assert.deepEqual(await diffLines(dir, "headers.json"), {
        removed: [`${indent}"accept": "text/plain",`],
        added: [`${indent}"accept": "a/{{ $inputs.x }}",`],
      });
      await git(dir, "commit", "-qam", "header typed");
    });

    await t.step("a JSON field's {{ }} strings: highlighted, completed, previewed, a syntax error once", async () => {
      await openEditor(page, base, "lists.json");
      await box(page, "shape").click();
      const field = page.locator(".form-field", { has: page.locator('[id="field-config.value"]') });
      const editor = field.locator('.cm-content[id="field-config.value"]');
      await editor.waitFor();
      assert.deepEqual(await editor.locator(".cm-template").allInnerTexts(), ["{{ $inputs.x }}"]);
      // The cursor in the template string: its preview, with its path in the value.
      await editor.click();
      await page.keyboard.press("Control+Home");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("End");
      for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowLeft"); // after "$inputs.x"
      const preview = field.getByTestId("expression-preview");
      await preview.filter({ hasText: /^greeting\s*= "?hello beta"?$/ }).waitFor();
      // A syntax error: the preview's message under the field, not again the validator's (in Problems).
      await page.keyboard.type(" &", { delay: 10 });
      await preview.filter({ hasText: "SYNTAX" }).waitFor();
      assert.equal(await preview.getAttribute("data-path"), "greeting");
      await page.getByRole("region", { name: "Problems" }).getByText("nodes[2].config.value.greeting").waitFor();
      await field.locator(".cm-lintRange-error").waitFor();
      const messages = await field.locator(".field-error, [data-testid=expression-preview]").allInnerTexts();
      assert.equal(messages.length, 1, messages.join(" | "));
      // The cursor out of the string: its preview stays (every template string's shows), the error still once.
      await page.keyboard.press("Control+End");
      await field.locator(".expr-preview:not(.current)").filter({ hasText: "SYNTAX" }).waitFor();
      assert.equal(await field.locator(".field-error").count(), 0);
      // Back in it: completion of $inputs.
      await page.keyboard.press("Control+Home");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("End");
      for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowLeft"); // after "&"
      await page.keyboard.type(" $inputs.", { delay: 10 });
      await page.locator(".cm-tooltip-autocomplete li").filter({ hasText: /^x/ }).waitFor();
      // (Typed: Enter within 75 ms of the list showing is a new line, by CodeMirror's design.)
      await page.keyboard.type("x");
      await preview.filter({ hasText: /^greeting\s*= "?hello betabeta"?$/ }).waitFor();
      assert.equal(await field.locator(".cm-lintRange-error").count(), 0);
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      assert.deepEqual(await diffLines(dir, "lists.json"), {
        removed: [`${" ".repeat(10)}"greeting": "hello {{ $inputs.x }}",`],
        added: [`${" ".repeat(10)}"greeting": "hello {{ $inputs.x & $inputs.x }}",`],
      });
      await git(dir, "commit", "-qam", "json template");
      // A plain JSON field given a template becomes this editor, focused; the save changes that line only.
      await box(page, "source").click();
      const plain = page.locator('textarea[id="field-config.value"]');
      await plain.fill('{\n  "alpha": "{{ $inputs.x }}",\n  "beta": 2\n}');
      await page.locator('.cm-editor.cm-focused .cm-content[id="field-config.value"]').waitFor();
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      assert.deepEqual(await diffLines(dir, "lists.json"), {
        removed: [`${" ".repeat(10)}"alpha": 1,`],
        added: [`${" ".repeat(10)}"alpha": "{{ $inputs.x }}",`],
      });
      await git(dir, "commit", "-qam", "json template typed");
    });

    await t.step("every {{ }} string of a JSON value is previewed, the cursor's first; each error once", async () => {
      const asked: string[] = [];
      const listen = (r: Request) => r.url().endsWith("/preview") && asked.push(r.postData() ?? "");
      page.on("request", listen);
      try {
        await openEditor(page, base, "templates.json");
        await box(page, "many").click();
        const field = page.locator(".form-field", { has: page.locator('[id="field-config.value"]') });
        const previews = field.getByTestId("expression-preview");
        const lines = async () => (await previews.evaluateAll((els) =>
          els.map((e) =>
            `${e.getAttribute("data-path")}${e.classList.contains("current") ? "*" : ""} ${e.textContent}`
          )
        ));
        // The cursor in none of them: one line per template string, in document order.
        await waitFor(async () =>
          (await lines()).length === 3
        );
        assert.deepEqual(await lines(), [
          "greeting greeting= hello beta",
          "name name= beta",
          "list.0 list.0= 2",
        ]);
        assert.equal(asked.length, 3, "one request per string");
        // The cursor in `name`: its preview first, marked; moving the cursor asks the server for nothing.
        await field.locator(".cm-content").click();
        await page.keyboard.press("Control+Home");
        for (let i = 0; i < 2; i++) await page.keyboard.press("ArrowDown");
        await page.keyboard.press("End");
        for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowLeft"); // after "$inputs.x"
        await waitFor(async () => (await lines())[0].startsWith("name* "));
        assert.equal(asked.length, 3);
        // An error in `name`: shown once (its preview, not again the validator's), the others still previewed.
        await page.keyboard.type(" &", { delay: 10 });
        await previews.filter({ hasText: "SYNTAX" }).waitFor();
        await page.getByRole("region", { name: "Problems" }).getByText("nodes[0].config.value.name").waitFor();
        await field.locator(".cm-lintRange-error").waitFor();
        const texts = await lines();
        assert.match(texts[0], /^name\* name\s*SYNTAX/);
        assert.deepEqual(texts.slice(1), ["greeting greeting= hello beta", "list.0 list.0= 2"]);
        assert.equal(await field.locator(".field-error").count(), 0, "the validator's message is not repeated");
        assert.ok(asked.slice(3).every((body) => !body.includes("hello")), "only the changed string is asked for");
        // The cursor on to `greeting`: it comes first; name's error stays, once.
        await page.keyboard.press("ArrowUp");
        await waitFor(async () => (await lines())[0].startsWith("greeting* "));
        assert.match((await lines())[1], /^name name\s*SYNTAX/);
        assert.equal(await field.locator(".field-error").count(), 0);
        // The error taken out again: the file as it was.
        await page.keyboard.press("ArrowDown");
        await page.keyboard.press("End");
        for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowLeft"); // after " &"
        await page.keyboard.press("Backspace");
        await page.keyboard.press("Backspace");
        await waitFor(async () => (await lines()).includes("name* name= beta"));
        await page.keyboard.press("Control+s");
        await saveState(page, "Saved");
        assert.equal(await git(dir, "diff", "--", "templates.json"), "");
      } finally {
        page.off("request", listen);
      }
    });

    await t.step("3. a moved box changes only the layout block", async () => {
      await openEditor(page, base, "chain.json");
      await dragBox(page, "print", 80, 60);
      await saveState(page, "Unsaved changes");
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      // The first move writes the block (every box, as shown), after the last property, which gains a comma.
      const first = await diffLines(dir, "chain.json");
      assert.ok(first.removed.every((l) => l === "  }"), `only the last property's end changes: ${first.removed}`);
      assert.ok(first.added.includes('  "layout": {'));
      for (const line of first.added) {
        assert.match(line, /^ {2}\},?$|^ {2}"layout": \{$|^ {4}"[$\w]+": \[-?\d+, -?\d+\],?$/);
      }
      await git(dir, "commit", "-qam", "layout");
      await dragBox(page, "encode", 0, 90);
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      const second = await diffLines(dir, "chain.json");
      assert.equal(second.removed.length, 1);
      assert.match(second.removed[0], /^ {4}"encode": \[/);
      assert.match(second.added[0], /^ {4}"encode": \[/);
      await git(dir, "commit", "-qam", "move");
    });

    await t.step("4. undo and redo across five kinds of action", async () => {
      await openEditor(page, base, "undo.json");
      const nodes = () => page.locator(".edit-canvas .react-flow__node .kind-node").count();
      const edges = () => page.locator(".edit-canvas .react-flow__edge").count();
      const states: { nodes: number; edges: number; ids: string[] }[] = [];
      const snap = async () => {
        const ids = await page.locator(".edit-canvas .box.kind-node").evaluateAll((els) =>
          els.map((e) => e.getAttribute("data-node-id")!).sort()
        );
        states.push({ nodes: await nodes(), edges: await edges(), ids });
      };
      await snap();
      await command(page, "Add debug.log"); // add
      await box(page, "log").waitFor();
      await snap();
      await connectPorts(page, "first.value", "log.message"); // connect
      await waitFor(async () => await edges() === 1);
      await snap();
      await box(page, "first").click();
      await page.locator("#node-id").fill("start"); // rename
      await page.locator("#node-id").press("Enter");
      await box(page, "start").waitFor();
      await snap();
      await page.locator("#field-config\\.value").fill("42"); // a form field
      await page.locator(".edit-canvas .react-flow__pane").click({ position: { x: 5, y: 5 } });
      await snap();
      await box(page, "log").click(); // delete
      await page.keyboard.press("Delete");
      await waitFor(async () => await nodes() === 1);
      await snap();
      const after = await Deno.readTextFile(`${dir}/undo.json`);
      for (let i = states.length - 2; i >= 0; i--) {
        await page.getByRole("button", { name: "Undo", exact: true }).click();
        await waitFor(async () => (await nodes()) === states[i].nodes && (await edges()) === states[i].edges);
      }
      await saveState(page, "Saved"); // back to the file's text exactly
      for (let i = 1; i < states.length; i++) {
        await page.keyboard.press("Control+Shift+z");
        await waitFor(async () => (await nodes()) === states[i].nodes && (await edges()) === states[i].edges);
      }
      await saveState(page, "Unsaved changes");
      assert.deepEqual(states.at(-1)!.ids, ["start"]);
      assert.equal(await Deno.readTextFile(`${dir}/undo.json`), after, "nothing was saved");
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/undo.json`));
      assert.deepEqual(saved.nodes, [{ id: "start", type: "transform.set", config: { value: 42 } }]);
    });

    await t.step("5. copy two nodes of one workflow and paste them into another", async () => {
      await openEditor(page, base, "chain.json");
      await box(page, "greet").click();
      await box(page, "encode").click({ modifiers: ["Control"] });
      await command(page, "Copy the selected nodes as workflow JSON");
      const copied = JSON.parse(await page.evaluate("navigator.clipboard.readText()") as string);
      assert.deepEqual(copied.nodes.map((n: { id: string }) => n.id), ["greet", "encode"]);
      assert.deepEqual(copied.connections, [{ from: "greet.value", to: "encode.value" }]);
      await openEditor(page, base, "other.json");
      await command(page, "Paste workflow JSON");
      await box(page, "greet").waitFor();
      await box(page, "encode").waitFor();
      await waitFor(async () => await page.locator(".edit-canvas .react-flow__edge").count() === 1);
      // A fragment typed in a text editor, whose id is taken: it gets a new one.
      await page.evaluate(`navigator.clipboard.writeText('{ "id": "greet", "type": "debug.log" }')`);
      await command(page, "Paste workflow JSON");
      await box(page, "greet_2").waitFor();
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      assert.deepEqual(await idsIn(dir, "other.json"), ["wait", "greet", "encode", "greet_2"]);
      await editorShot(page, "pasted");
    });

    await t.step("6. a change on disk under unsaved edits: the notice, then the diff on saving", async () => {
      await openEditor(page, base, "disk.json");
      await box(page, "note").click();
      await page.locator("#field-config\\.value").fill('"mine"');
      await saveState(page, "Unsaved changes");
      const disk = pretty({
        id: "disk",
        nodes: [{ id: "note", type: "transform.set", config: { value: "theirs" } }],
        connections: [],
      });
      await Deno.writeTextFile(`${dir}/disk.json`, disk);
      await page.getByRole("alert", { name: "The file changed on disk" }).waitFor();
      await editorShot(page, "disk-notice");
      await page.keyboard.press("Control+s");
      const merge = page.getByRole("dialog", { name: /The file changed since you opened it/ });
      await merge.waitFor();
      await merge.getByText('"theirs"').first().waitFor();
      await merge.getByText('"mine"').first().waitFor();
      await editorShot(page, "merge");
      assert.equal(await Deno.readTextFile(`${dir}/disk.json`), disk, "the 412 left the file untouched");
      await merge.getByRole("button", { name: "Save mine (merged) over the file" }).click();
      await saveState(page, "Saved");
      assert.match(await Deno.readTextFile(`${dir}/disk.json`), /"value": "mine"/);
    });

    await t.step("Shift+drag selects the boxes it encloses; Delete removes exactly those", async () => {
      await openEditor(page, base, "boxes.json");
      const one = (await box(page, "one").boundingBox())!;
      const two = (await box(page, "two").boundingBox())!;
      const keep = (await box(page, "keep").boundingBox())!;
      assert.ok(keep.x > two.x + two.width + 40, "the other boxes are clear of the two");
      // From the empty canvas above and left of "one" to below and right of "two", short of "keep" and "also".
      const from = { x: one.x - 20, y: one.y - 20 };
      const to = { x: Math.max(one.x + one.width, two.x + two.width) + 20, y: two.y + two.height + 20 };
      await page.keyboard.down("Shift");
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
      await page.mouse.move(to.x, to.y, { steps: 5 });
      await page.mouse.up();
      await page.keyboard.up("Shift");
      const selected = () =>
        page.locator(".edit-canvas .react-flow__node.selected").evaluateAll((els) =>
          els.map((e) => e.getAttribute("data-id")!).sort()
        );
      await waitFor(async () => (await selected()).length >= 2);
      assert.deepEqual(await selected(), ["one", "two"]);
      // The commands on the selection see both: Delete is offered, Rename (one node only) is not.
      await page.keyboard.press("Control+k");
      const dialog = page.getByRole("dialog", { name: "Command palette" });
      await dialog.getByRole("combobox").fill("selected");
      await dialog.getByRole("option", { name: "Delete the selected nodes" }).waitFor();
      assert.equal(await dialog.getByRole("option", { name: /Rename the selected node/ }).count(), 0);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      await page.keyboard.press("Delete");
      await waitFor(async () => await page.locator(".edit-canvas .box.kind-node").count() === 2);
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/boxes.json`));
      assert.deepEqual(saved.nodes.map((n: { id: string }) => n.id), ["keep", "also"]);
      assert.deepEqual(saved.connections, [], "their connections went with them");
      assert.deepEqual(saved.outputs, {}, "and the output that named one");
      assert.deepEqual(Object.keys(saved.layout), ["$inputs", "$outputs", "keep", "also"]);
      // Only the bytes the deletion must change: the two nodes, their connections, the output, their positions.
      const node = (id: string, value: number) => [
        "    {",
        `      "id": "${id}",`,
        '      "type": "transform.set",',
        '      "config": {',
        `        "value": ${value}`,
        "      }",
        "    },",
      ];
      const position = (id: string, y: number) => [`    "${id}": [`, "      0,", `      ${y}`, "    ],"];
      assert.deepEqual(await diffLines(dir, "boxes.json"), {
        removed: [
          ...node("one", 1),
          ...node("two", 2),
          '  "connections": [',
          "    {",
          '      "from": "one.value",',
          '      "to": "keep.message"',
          "    },",
          "    {",
          '      "from": "two.value",',
          '      "to": "also.message"',
          "    }",
          "  ],",
          '    "kept": "one.value"',
          ...position("one", 0),
          ...position("two", 120),
        ],
        added: ['  "connections": [],'],
      });
      await git(dir, "commit", "-qam", "box select");
    });

    await t.step("7. an invalid edit shows its error on the right node before saving", async () => {
      await openEditor(page, base, "delay.json");
      const before = await Deno.readTextFile(`${dir}/delay.json`);
      await box(page, "pause").click();
      await page.locator("#field-config\\.ms").fill("-5");
      const marked = page.locator('.edit-canvas .box.has-problems[data-node-id="pause"]');
      await marked.waitFor();
      assert.match(await marked.getAttribute("title") ?? "", /-5/);
      await page.locator(".form-field.invalid .field-error").first().waitFor();
      const list = page.getByRole("region", { name: "Problems" });
      await list.getByText("nodes[0].config.ms").waitFor();
      await editorShot(page, "problems");
      assert.equal(await Deno.readTextFile(`${dir}/delay.json`), before, "not saved");
    });

    await t.step("unsaved edits survive a reload of the page, which asks before leaving them", async () => {
      // Still on delay.json with the unsaved -5 of step 7.
      const dialogs: string[] = [];
      const answer = (d: Dialog) => (dialogs.push(d.type()), d.accept());
      page.on("dialog", answer);
      await page.reload();
      await page.locator(".edit-canvas .react-flow__node").first().waitFor();
      assert.deepEqual(dialogs, ["beforeunload"]);
      await saveState(page, "Unsaved changes");
      await box(page, "pause").click();
      assert.equal(await page.locator("#field-config\\.ms").inputValue(), "-5");
      // Back to the file's value for the steps below: nothing unsaved, no draft.
      await page.locator("#field-config\\.ms").fill("10");
      await saveState(page, "Saved");
      page.off("dialog", answer);
    });

    await t.step("a sub-workflow file opens for editing in its own tab", async () => {
      await openEditor(page, base, "parent.json");
      await box(page, "call").click();
      const link = page.getByRole("link", { name: "Edit the sub-workflow file (new tab)" });
      const [tab] = await Promise.all([context.waitForEvent("page"), link.click()]);
      await tab.locator('.edit-canvas .react-flow__node[data-id="inner"]').waitFor();
      assert.match(tab.url(), /\/edit\?file=child\.json$/);
      await tab.close();
    });

    await t.step("a loop's inline workflow is edited in place, with the breadcrumb", async () => {
      await openEditor(page, base, "loop.json");
      await box(page, "each").click();
      await page.getByRole("button", { name: "Edit the loop body" }).click();
      await page.waitForURL(/path=each/);
      await page.getByRole("navigation", { name: "Level" }).getByText("each").waitFor();
      await box(page, "parse").click();
      await page.locator("#node-id").fill("decode");
      await page.locator("#node-id").press("Enter");
      await box(page, "decode").waitFor();
      await page.keyboard.press("Control+s");
      await saveState(page, "Saved");
      const body = JSON.parse(await Deno.readTextFile(`${dir}/loop.json`)).nodes[0].config.workflow;
      assert.ok(body.nodes.some((n: { id: string }) => n.id === "decode"));
      assert.ok(body.connections.some((c: { to: string }) => c.to.startsWith("decode.")));
      const { removed } = await diffLines(dir, "loop.json");
      assert.ok(removed.length <= 3, `a rename changes the lines naming it: ${removed.join(" | ")}`);
      await editorShot(page, "loop-body");
    });

    await t.step("the code view: edits in the text show on the canvas", async () => {
      await openEditor(page, base, "delay.json");
      await page.getByRole("button", { name: "Both" }).click();
      const code = page.getByLabel("Workflow file text");
      await code.waitFor();
      // Rename the node in the text: the canvas follows as soon as the text parses.
      await code.getByText('"pause"').first().dblclick();
      await page.keyboard.type("halt");
      await box(page, "halt").waitFor();
      await editorShot(page, "code");
      await page.getByRole("button", { name: "Undo", exact: true }).click();
      await box(page, "pause").waitFor();
      await page.getByRole("button", { name: "Graph" }).click();
    });

    await t.step(
      "the code view: {{ }} strings highlighted as JSONata, completed, a syntax error at its character",
      async () => {
        await openEditor(page, base, "code.json");
        await page.getByRole("button", { name: "Code", exact: true }).click();
        const code = page.getByLabel("Workflow file text");
        await code.waitFor();
        const template = code.locator(".cm-template");
        await template.waitFor();
        assert.deepEqual(await template.allInnerTexts(), ["{{ $inputs.x }}"]);
        // The template's inside is tokenized as JSONata: `$inputs` has a colour of its own, not the string's quote's.
        // (A page script is a string: this module is type-checked without the DOM's types.)
        const colours = await page.evaluate(`(() => {
        const line = document.querySelector(".code-view .cm-template").closest(".cm-line");
        const colour = (e) => e ? getComputedStyle(e).color : "";
        const spans = [...line.querySelectorAll("span")];
        return {
          variable: colour(spans.find((s) => s.textContent === "$inputs")),
          string: colour(spans.find((s) => s.textContent === '"')),
        };
      })()`) as { variable: string; string: string };
        assert.ok(colours.variable && colours.string && colours.variable !== colours.string, JSON.stringify(colours));
        // Completion inside the node's template offers its data ($inputs.x), as its form's fields do.
        await template.click();
        await page.keyboard.press("End");
        for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowLeft"); // after "$inputs.x"
        await page.keyboard.type(" & $inputs.", { delay: 10 });
        await page.locator(".cm-tooltip-autocomplete li").filter({ hasText: /^x/ }).waitFor();
        await page.keyboard.type("x");
        await page.keyboard.press("Escape");
        // A syntax error in it: underlined at the character where JSONata found it, not along the whole string.
        await page.keyboard.type(" &", { delay: 10 });
        const marked = code.locator(".cm-lintRange-error");
        await waitFor(async () => {
          const texts = await marked.allInnerTexts();
          return texts.length > 0 && texts.join("").length <= 2;
        });
        await page.keyboard.press("Backspace");
        await page.keyboard.press("Backspace");
        await marked.first().waitFor({ state: "detached" });
        await page.keyboard.press("Control+s");
        await saveState(page, "Saved");
        assert.deepEqual(await diffLines(dir, "code.json"), {
          removed: [`${" ".repeat(8)}"value": "got {{ $inputs.x }}"`],
          added: [`${" ".repeat(8)}"value": "got {{ $inputs.x & $inputs.x }}"`],
        });
        await git(dir, "commit", "-qam", "code view template");
        await page.getByRole("button", { name: "Graph" }).click();
      },
    );

    await t.step(
      "a 500-node workflow opens for editing drawing only the boxes in view; a first move moves one box",
      async () => {
        // How fast it opens and how smooth a drag is: `deno task bench:editor` (docs/editor.md has its figures).
        await countBoxes(page);
        await page.goto(`${base}/edit?file=big.json`);
        await page.waitForFunction(() => performance.getEntriesByName("flow:editor-drawn").length > 0);
        // React Flow is told each box's size and handles, so it draws only the boxes in view, not all 500 once.
        const most = await mostBoxes(page);
        assert.ok(most > 0 && most < 100, `boxes drawn at once: ${most}`);
        assert.deepEqual(await misplacedHandles(page, ".edit-canvas", HANDLE_SIZE.edit), []);
        await page.locator(".edit-canvas .react-flow__minimap").waitFor(); // a large graph has its minimap
        // A first move in a file without a layout block: every box's place is written, and nothing else moves.
        const b = (await box(page, "n0").locator(".box-head").boundingBox())!;
        const others = await box(page, "n21").boundingBox();
        await page.mouse.move(b.x + 20, b.y + 10);
        await page.mouse.down();
        for (let i = 1; i <= 20; i++) await page.mouse.move(b.x + 20 + i * 2, b.y + 10 + i * 2);
        await page.mouse.up();
        await saveState(page, "Unsaved changes");
        assert.deepEqual(await box(page, "n21").boundingBox(), others, "the other boxes stay where they were");
        const layout = JSON.parse(await page.evaluate(() => localStorage.getItem("flow:draft:big.json")!)).text;
        assert.equal(
          Object.keys(JSON.parse(layout).layout).length,
          502,
          "every box placed: $inputs, $outputs and 500 nodes",
        );
        await editorShot(page, "big");
      },
    );

    assert.deepEqual(problems.filter((p) => !/412|Precondition/.test(p)), [], "no console errors");
    await Deno.remove(dir, { recursive: true });
  },
});
