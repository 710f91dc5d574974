/**
 * The editor's test loop in a real browser (Debian's Chromium through
 * playwright-core) against a real `flow serve`, with a local HTTP server
 * whose hit counter proves which nodes called it (issue 24's "done means"):
 *
 * 1. typing `$node.` in an expression field offers the fields of the last
 *    run's input, and the preview shows the value;
 * 2. a syntax error is marked at its position before saving, and its
 *    message shows once under the field (not again from the validator);
 * 3. "Run to here" on the middle node of a 3-node chain runs 2 nodes and
 *    calls nothing downstream;
 * 4. "Run this node" on the last node calls no upstream endpoint and uses the
 *    recorded data;
 * 5. a pinned output is used by an editor run and not by a webhook-triggered
 *    run of the same workflow;
 * 6. "Listen for a test request" captures a request sent with curl;
 * 7. a secret variable never appears in a preview or an inspector;
 * 8. the command palette runs the same actions as the test loop's buttons,
 *    and offers only those that apply.
 *
 * Screenshots go to docs/editor/ with `FLOW_UPDATE_SCREENSHOTS=1`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { hasChromium, launchChromium } from "./browser.ts";
import { Served, writeFiles } from "./serve_helpers.ts";
import { hitServer, hooked, SECRET, ticker } from "./testloop_fixtures.ts";
import { box, command, editorShot, openEditor, saveState, typeExpression } from "./ui_editor.ts";

const pretty = (v: unknown) => JSON.stringify(v, null, 2) + "\n";

/** a calls /a, b parses its answer, c sends b's value to /c. */
const chain = (base: string) => ({
  id: "chain",
  inputs: { base: { type: "string", default: base } },
  nodes: [
    { id: "a", type: "http.request", config: { method: "POST", url: "{{ $inputs.base }}/a", body: { start: true } } },
    { id: "b", type: "transform.json_parse" },
    { id: "c", type: "http.request", config: { method: "POST", url: "{{ $inputs.base }}/c" } },
  ],
  connections: [{ from: "a.body", to: "b.json" }, { from: "b.parsed", to: "c.body" }],
  outputs: { c: "c.body" },
});

/** A condition (a whole-expression field). */
const gate = {
  id: "gate",
  nodes: [
    { id: "start", type: "transform.set", config: { value: { n: 5 } } },
    { id: "check", type: "control.if", config: { condition: "$value.n > 3" } },
  ],
  connections: [{ from: "start.value", to: "check.value" }],
};

/** A request that sends the secret; the local server echoes it back. */
const secretive = (base: string) => ({
  id: "secretive",
  inputs: { base: { type: "string", default: base } },
  settings: { secrets: ["FLOW_TEST_SECRET"] },
  nodes: [
    {
      id: "call",
      type: "http.request",
      config: {
        method: "POST",
        url: "{{ $inputs.base }}/secret",
        headers: { authorization: "Bearer {{ $env.FLOW_TEST_SECRET }}" },
        body: { key: "{{ $env.FLOW_TEST_SECRET }}" },
      },
    },
    { id: "use", type: "transform.set", config: { value: "{{ $node.text }}" } },
  ],
  connections: [{ from: "call.body", to: "use.text" }],
});

/** The status a box shows (`data-status`). */
function statusOf(page: Page, id: string): Promise<string | null> {
  return box(page, id).locator(".box").getAttribute("data-status");
}

/** Waits until box `id` shows `status`. */
async function boxStatus(page: Page, id: string, status: string): Promise<void> {
  await page.locator(`.edit-canvas .box[data-node-id="${id}"][data-status="${status}"]`).waitFor();
}

/** Selects a node by clicking its box. */
async function select(page: Page, id: string): Promise<void> {
  await box(page, id).locator(".box-head").click();
  await page.getByRole("complementary", { name: `Node ${id}` }).waitFor();
}

/** Starts an editor run with `start` (a click) and waits until the run panel shows it ended with `status`. */
async function runAndWait(page: Page, start: () => Promise<void>, status = "success"): Promise<void> {
  const shown = page.locator(".editor-run");
  const before = await shown.count() ? await shown.getAttribute("data-run-id") : null;
  await start();
  const run = page.locator(before ? `.editor-run:not([data-run-id="${before}"])` : ".editor-run");
  await run.getByTestId("editor-run-status").filter({ hasText: new RegExp(`^${status}$`) }).waitFor();
}

/** The labels of the command palette's Test entries that `query` finds (the palette is closed again). */
async function offered(page: Page, query: string): Promise<string[]> {
  await page.keyboard.press("Control+k");
  const dialog = page.getByRole("dialog", { name: "Command palette" });
  await dialog.getByRole("combobox").fill(query);
  await dialog.getByText("No command matches.").or(dialog.getByRole("option").first()).waitFor();
  const labels = await dialog.getByRole("group", { name: "Test" }).getByRole("option").allInnerTexts();
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  return labels;
}

Deno.test({
  name: "the editor's test loop: completion, syntax errors, run to here, run this node, pins, test requests, secrets",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const local = hitServer();
    const dir = await writeFiles({
      "chain.json": pretty(chain(local.url)),
      "hooked.json": pretty(hooked(local.url)),
      "gate.json": pretty(gate),
      "secretive.json": pretty(secretive(local.url)),
      "ticker.json": pretty(ticker),
    });
    try {
      await using server = await Served.start([dir], { env: { FLOW_TEST_SECRET: SECRET } });
      const base = server.url;
      await using browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: "light" });
      const problems: string[] = [];
      const newPage = async () => {
        const page = await context.newPage();
        page.setDefaultTimeout(15_000);
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()} (${page.url()})`));
        return page;
      };
      const page = await newPage();
      await openEditor(page, base, "chain.json");

      await t.step("3. run to here on the middle node runs a and b, and calls nothing downstream", async () => {
        await select(page, "b");
        await runAndWait(page, () => page.getByRole("button", { name: "Run to here" }).click());
        await boxStatus(page, "a", "completed");
        await boxStatus(page, "b", "completed");
        assert.notEqual(await statusOf(page, "c"), "completed");
        assert.match(await page.getByTestId("test-message").innerText(), /runs a, b$/);
        assert.equal(local.hits("/a"), 1);
        assert.equal(local.hits("/c"), 0, "nothing downstream is called");
        // b's facts on the canvas, and its data in the inspector with the run it came from.
        assert.match(await box(page, "a").getByTestId("box-facts").innerText(), /1 attempt · \d/);
        await page.getByTestId("data-source").filter({ hasText: /From run \w+ \(editor/ }).waitFor();
        await page.getByRole("group", { name: "output parsed" }).getByText("path:").waitFor();
      });

      await t.step(
        "4. run this node on the last node calls no upstream endpoint and uses the recorded data",
        async () => {
          await select(page, "c");
          await runAndWait(page, () => page.getByRole("button", { name: "Run this node" }).click());
          await boxStatus(page, "c", "completed");
          assert.equal(local.hits("/a"), 1, "a is not called again");
          assert.equal(local.hits("/c"), 1);
          assert.deepEqual(local.got("/c"), { path: "/a", hit: 1, got: { start: true }, auth: null });
          // b's recorded outputs are reused (as flow resume reports them); a is not even needed.
          assert.match(await box(page, "b").getByTestId("box-facts").innerText(), /reused/);
          assert.equal(await statusOf(page, "a"), "skipped");
          // Hovering an input port shows the value it received.
          const port = box(page, "c").locator(".port-in span", { hasText: /^body$/ });
          assert.match((await port.getAttribute("title"))!, /"path":"\/a"/);
          await editorShot(page, "test-run");
          // The run view's inspector, for the selected node in this run.
          await page.getByRole("tab", { name: "c in this run" }).click();
          const inspector = page.getByRole("complementary", { name: "Inspector of c" });
          assert.equal(await inspector.getByTestId("attempts").innerText(), "1");
          await page.getByRole("tab", { name: "Timeline" }).click();
        },
      );

      await t.step("1. $node. offers the fields of the last run's input; the preview shows the value", async () => {
        await select(page, "c");
        await typeExpression(page, "field-config.url", "{{ $node.");
        const options = page.locator(".cm-tooltip-autocomplete li");
        await options.filter({ hasText: /^body/ }).waitFor();
        await page.keyboard.type("body.", { delay: 10 });
        for (const field of ["path", "hit", "got"]) {
          await options.filter({ hasText: new RegExp(`^${field}`) }).waitFor();
        }
        await editorShot(page, "expression-completion");
        await page.keyboard.type("pa", { delay: 10 });
        await page.keyboard.press("Enter");
        const text = await page.locator('.cm-content[id="field-config.url"]').innerText();
        assert.match(text, /^\{\{ \$node\.body\.path/);
        await page.getByTestId("expression-preview").filter({ hasText: '= "/a"' }).or(
          page.getByTestId("expression-preview").filter({ hasText: "= /a" }),
        ).waitFor();
        await saveState(page, "Unsaved changes");
      });

      await t.step("2. a syntax error is marked at its position before saving, its message once", async () => {
        const gatePage = await newPage();
        await openEditor(gatePage, base, "gate.json");
        await select(gatePage, "check");
        const bad = "$value.n > 3 and";
        await typeExpression(gatePage, "field-config.condition", bad);
        const shown = gatePage.getByTestId("expression-preview").filter({ hasText: "SYNTAX" });
        await shown.waitFor();
        const position = Number(await shown.getAttribute("data-error-position"));
        const answer = await server.json("/api/v1/workflows/gate/preview", {
          json: { expression: bad, node: "check" },
        });
        assert.equal(position, answer.body.error.position, "the position the server found");
        const mark = gatePage.locator(".cm-lintRange-error");
        await mark.waitFor();
        const at = Math.min(position, bad.length) - 1;
        assert.equal(await mark.innerText(), bad.slice(at, at + 1));
        // The validator finds it too: the Problems list has it; under the field it shows once, with its position.
        await gatePage.getByRole("region", { name: "Problems" }).getByText("nodes[1].config.condition").waitFor();
        const field = gatePage.locator(".form-field", { has: gatePage.locator('[id="field-config.condition"]') });
        assert.match(await field.getAttribute("class") ?? "", /\binvalid\b/, "the field is marked");
        const messages = await field.locator(".field-error, [data-testid=expression-preview]").allInnerTexts();
        assert.equal(messages.filter((m) => /Unexpected end of expression/.test(m)).length, 1, messages.join(" | "));
        assert.equal(await field.locator(".field-error").count(), 0);
        await saveState(gatePage, "Unsaved changes");
        await editorShot(gatePage, "expression-error");
        // A correct condition previews its value on the recorded input once the workflow ran.
        await runAndWait(gatePage, async () => {
          await gatePage.getByRole("button", { name: "Run", exact: true }).click();
          await gatePage.getByRole("button", { name: "Start run" }).click();
        });
        await typeExpression(gatePage, "field-config.condition", "$value.n * 2");
        await gatePage.getByTestId("expression-preview").filter({ hasText: "= 10" }).waitFor();
        await gatePage.close();
      });

      const hookPage = await newPage();
      await t.step("6. listen for a test request: a request sent with curl becomes the webhook's pin", async () => {
        await openEditor(hookPage, base, "hooked.json");
        await select(hookPage, "hook");
        await hookPage.getByRole("button", { name: "Listen for a test request" }).click();
        const url = await hookPage.getByTestId("test-url").innerText();
        assert.match(url, /\/hooks\/@test\/[\w-]+$/);
        await editorShot(hookPage, "test-request");
        const curl = await new Deno.Command("curl", {
          args: ["-s", "-X", "POST", url, "-H", "content-type: application/json", "-d", '{"order": 7}'],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.ok(curl.success, new TextDecoder().decode(curl.stderr));
        assert.equal(JSON.parse(new TextDecoder().decode(curl.stdout)).captured, true);
        await hookPage.getByTestId("test-request-status").filter({ hasText: "Captured" }).waitFor();
        await hookPage.getByTestId("pin-status").filter({ hasText: "a test request" }).waitFor();
        await hookPage.getByRole("group", { name: "pinned output body" }).getByText("order:").waitFor();
        assert.equal(local.hits("/paid"), 0, "capturing runs the webhook node only");
      });

      await t.step("5. a pinned output is used by an editor run, not by a webhook-triggered run", async () => {
        await select(hookPage, "paid");
        await hookPage.getByRole("button", { name: "Pin JSON…" }).click();
        await hookPage.locator("#pin-json").fill(pretty({ status: 200, headers: {}, body: '{"paid": "pinned"}' }));
        await hookPage.getByRole("button", { name: "Pin", exact: true }).click();
        await hookPage.getByTestId("pin-status").filter({ hasText: "typed in" }).waitFor();
        await runAndWait(hookPage, async () => {
          await hookPage.getByRole("button", { name: "Run", exact: true }).click();
          await hookPage.getByRole("button", { name: "Start run" }).click();
        });
        assert.equal(local.hits("/paid"), 0, "the pinned node is not called");
        assert.equal(local.hits("/after"), 1);
        assert.deepEqual(local.got("/after"), { paid: "pinned" });
        await boxStatus(hookPage, "after", "completed");
        assert.match(await box(hookPage, "paid").getByTestId("box-facts").innerText(), /^reused · pinned$/);
        await editorShot(hookPage, "pinned");
        // A real webhook request runs the workflow from the file alone: the paid API is called.
        const res = await fetch(`${base}/hooks/hooked`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ order: 8 }),
        });
        await res.body?.cancel();
        const id = res.headers.get("x-flow-execution-id");
        assert.ok(id, `the webhook answered ${res.status}`);
        await server.waitForRun(id);
        assert.equal(local.hits("/paid"), 1, "the webhook-triggered run calls the pinned node");
        assert.deepEqual(local.got("/paid"), { order: 8 });
        // Unpin: the pin is gone.
        await select(hookPage, "paid");
        await hookPage.getByRole("button", { name: "Unpin" }).click();
        await hookPage.getByTestId("pin-status").waitFor({ state: "detached" });
        await hookPage.close();
      });

      await t.step("7. a secret never appears in a preview or an inspector", async () => {
        const secretPage = await newPage();
        await openEditor(secretPage, base, "secretive.json");
        await runAndWait(secretPage, async () => {
          await secretPage.getByRole("button", { name: "Run", exact: true }).click();
          await secretPage.getByRole("button", { name: "Start run" }).click();
        });
        assert.equal(local.hits("/secret"), 1);
        assert.match(JSON.stringify(local.got("/secret")), new RegExp(SECRET), "the run itself had the secret");
        await select(secretPage, "call");
        await secretPage.getByRole("group", { name: "output body" }).getByRole("button", { name: "JSON" }).click();
        await secretPage.locator(".data-raw", { hasText: "***" }).first().waitFor();
        await select(secretPage, "use");
        await typeExpression(secretPage, "field-config.value", "{{ $env.FLOW_TEST_SECRET }}");
        await secretPage.getByTestId("expression-preview").filter({ hasText: "***" }).waitFor();
        await secretPage.getByRole("group", { name: "input text" }).getByRole("button", { name: "JSON" }).click();
        await secretPage.getByRole("tab", { name: /Events/ }).click();
        const html = await secretPage.content();
        assert.ok(!html.includes(SECRET), "the secret is not on the page, in text or attributes");
        assert.ok(html.includes("***"));
        await secretPage.close();
      });

      await t.step("fire now on a schedule runs the workflow as the schedule would", async () => {
        const tickPage = await newPage();
        await openEditor(tickPage, base, "ticker.json");
        await select(tickPage, "tick");
        await runAndWait(tickPage, () => tickPage.getByRole("button", { name: "Fire now" }).click());
        await boxStatus(tickPage, "stamp", "completed");
        await select(tickPage, "stamp");
        await tickPage.getByRole("group", { name: "output value" }).getByText(/fired at \d{4}-/).waitFor();
        await tickPage.close();
      });

      await t.step(
        "8. the command palette runs the test loop's actions, and offers only those that apply",
        async () => {
          const palettePage = await newPage();
          await openEditor(palettePage, base, "chain.json");
          // Nothing selected: the whole run only; a node's actions are not offered.
          assert.deepEqual(await offered(palettePage, "test run"), ["Run the workflow (test run)…"]);
          assert.deepEqual(await offered(palettePage, ""), ["Run the workflow (test run)…"]);
          await select(palettePage, "c");
          assert.deepEqual(await offered(palettePage, ""), [
            "Run the workflow (test run)…",
            "Run to here: c",
            "Run this node: c",
            "Pin output from the last run: c",
            "Pin JSON as the output: c…",
          ], "no Fire now (c is no schedule), no Listen (no webhook), no Unpin (no pin)");
          const hits = { a: local.hits("/a"), c: local.hits("/c") };
          await runAndWait(palettePage, () => command(palettePage, "Run this node: c"));
          assert.equal(local.hits("/c"), hits.c + 1, "c ran");
          assert.equal(local.hits("/a"), hits.a, "only c ran");
          await palettePage.getByTestId("test-message").filter({ hasText: /^Run this node: runs c;/ }).waitFor();
          await command(palettePage, "Pin output from the last run: c");
          await palettePage.getByTestId("pin-status").filter({ hasText: "from a run" }).waitFor();
          await command(palettePage, "Unpin: c");
          await palettePage.getByTestId("pin-status").waitFor({ state: "detached" });
          await command(palettePage, "Pin JSON as the output: c…");
          await palettePage.locator("#pin-json:focus").waitFor();
          await palettePage.getByRole("button", { name: "Pin JSON…", expanded: true }).click();
          await palettePage.locator("#pin-json").waitFor({ state: "detached" });
          // The whole run: the palette opens the Run form, as the button does.
          await runAndWait(palettePage, async () => {
            await command(palettePage, "Run the workflow (test run)…");
            await palettePage.getByRole("button", { name: "Start run" }).click();
          });
          assert.equal(local.hits("/a"), hits.a + 1);
          assert.equal(local.hits("/c"), hits.c + 2);
          await palettePage.close();
          // A schedule's Fire now: offered on the schedule only.
          const tickPage = await newPage();
          await openEditor(tickPage, base, "ticker.json");
          await select(tickPage, "tick");
          assert.ok((await offered(tickPage, "Fire now")).includes("Fire now: tick"));
          await select(tickPage, "stamp");
          assert.ok(!(await offered(tickPage, "")).some((l) => l.startsWith("Fire now")));
          await tickPage.close();
        },
      );

      assert.deepEqual(problems, []);
    } finally {
      await local.close();
    }
  },
});
