/**
 * The console's run views in a real browser against a real `flow serve`:
 * the trigger reads `webhook hook` (list and run page); the timeline's tick
 * labels are round, all different, on one line and inside the axis; an
 * unknown run id says "Run not found" with the whole id. The time axis is
 * also checked in Deno for runs from 0 ms to days.
 */
import assert from "node:assert/strict";
import { timeAxis } from "../ui/src/run/axis.ts";
import { hasChromium, launchChromium } from "./browser.ts";
import { startConsoleServer } from "./ui_serve.ts";
import { ROOT } from "./helpers.ts";
import { waitFor } from "./serve_helpers.ts";

Deno.test("the timeline axis: round ticks, each label different, the last at the end", () => {
  for (let total = 0; total < 100_000_000; total = total < 20 ? total + 1 : Math.ceil(total * 1.37)) {
    const { end, ticks } = timeAxis(total);
    const labels = ticks.map((t) => t.label);
    assert.equal(new Set(labels).size, labels.length, `${total} ms: ${labels.join(", ")}`);
    assert.ok(end >= total && ticks.length >= 2 && ticks.length <= 5, `${total} ms: ${labels.join(", ")}`);
    assert.deepEqual([ticks[0].at, ticks.at(-1)!.at], [0, 1]);
  }
  assert.deepEqual(timeAxis(2).ticks.map((t) => t.label), ["0 ms", "1 ms", "2 ms"]);
  assert.deepEqual(timeAxis(3).ticks.map((t) => t.label), ["0 ms", "1 ms", "2 ms", "3 ms"]);
  assert.deepEqual(timeAxis(1400).ticks.map((t) => t.label), ["0 ms", "500 ms", "1.00 s", "1.50 s"]);
  assert.deepEqual(timeAxis(125_000).ticks.map((t) => t.label), ["0 ms", "1 min 0 s", "2 min 0 s", "3 min 0 s"]);
});

Deno.test({
  name: "the console: a readable trigger, a clean timeline axis, and Run not found",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await using server = await startConsoleServer();
    const base = server.url;
    // The watcher runs once the server is ready: add a webhook workflow, and wait until it answers.
    await waitFor(async () => (await fetch(`${base}/api/v1/ready`).then((r) => (r.body?.cancel(), r.status))) === 200);
    await Deno.copyFile(`${ROOT}examples/greet-webhook.json`, `${server.dir}/greet.json`);
    const hook = () =>
      fetch(`${base}/hooks/greet`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "ada" }),
      }).then(async (r) => (await r.body?.cancel(), r.status));
    await waitFor(async () => await hook() === 200, { timeoutMs: 10_000 });

    await using browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const shots = await Deno.makeTempDir({ prefix: "flow-ui-shots-" });

    await t.step("the runs list reads the trigger as `webhook hook`", async () => {
      await page.goto(`${base}/runs?workflow=greet`);
      const row = page.locator("tr[data-execution]").first();
      await row.waitFor();
      assert.equal((await row.locator("td").nth(3).innerText()).trim(), "webhook hook");
      await page.screenshot({ path: `${shots}/runs.png` });
    });

    await t.step("the run page: the trigger, and tick labels all different, on one line, inside the axis", async () => {
      await page.locator("tr[data-execution] a").first().click();
      await page.locator(".timeline-axis span").first().waitFor();
      const labels = await page.locator(".timeline-axis span").allInnerTexts();
      assert.equal(new Set(labels).size, labels.length, `tick labels repeat: ${labels.join(", ")}`);
      const boxes = await page.locator(".timeline-axis span").evaluateAll((spans) =>
        spans.map((s) => {
          const r = s.getBoundingClientRect();
          return { left: r.left, right: r.right, height: r.height };
        })
      );
      const track = (await page.locator(".timeline").boundingBox())!;
      const line = Math.min(...boxes.map((b) => b.height));
      for (const [i, b] of boxes.entries()) {
        assert.ok(b.height < line * 1.5, `label "${labels[i]}" wraps (${b.height}px high, a line is ${line}px)`);
        assert.ok(b.right <= track.x + track.width && b.left >= track.x, `label "${labels[i]}" leaves the timeline`);
      }
      assert.match(await page.locator(".page-head p.muted").first().innerText(), / · webhook hook · started /);
      await page.screenshot({ path: `${shots}/run.png`, fullPage: true });
    });

    await t.step("an unknown run id says Run not found, with the whole id", async () => {
      const id = "00000000-no-such-run-0000";
      await page.goto(`${base}/runs/${id}`);
      await page.getByRole("heading", { name: "Run not found" }).waitFor();
      assert.match(await page.getByRole("alert").innerText(), new RegExp(`No execution has the id ${id}`));
      await page.screenshot({ path: `${shots}/not-found.png` });
    });
  },
});
