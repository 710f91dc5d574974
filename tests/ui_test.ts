/**
 * The web console in a real browser (Debian's Chromium through
 * playwright-core) against a real `flow serve` and the example HTTP server:
 * the workflow list, the graph, runs started from the form and followed
 * live, a failing node, cancel and resume, an invalid file, loop iterations,
 * a 500-node graph and a fast event stream; no console errors. Screenshots
 * go to docs/ui/ (shown by docs/ui.md) with `FLOW_UPDATE_SCREENSHOTS=1`.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { hasChromium, launchChromium } from "./browser.ts";
import { ROOT } from "./helpers.ts";
import { screenshotPath, startConsoleServer } from "./ui_serve.ts";
import { waitFor } from "./serve_helpers.ts";

const SHOTS = `${ROOT}docs/ui/`;

/** A screenshot for docs/ui.md (written there with FLOW_UPDATE_SCREENSHOTS=1). */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(SHOTS, name) });
}

/** Waits until box `id` of the shown graph has status `status`. */
async function nodeStatus(page: Page, id: string, status: string) {
  await page.locator(`.box[data-node-id="${id}"][data-status="${status}"]`).waitFor();
}

/** Opens the Run dialog of workflow `id`, sets text inputs, starts the run and waits for its page. */
async function runFromForm(page: Page, base: string, id: string, inputs: Record<string, string>) {
  await page.goto(`${base}/workflows/${id}`);
  await page.getByRole("button", { name: "Run…" }).click();
  const dialog = page.getByRole("dialog");
  for (const [name, value] of Object.entries(inputs)) await dialog.locator(`#input-${name}`).fill(value);
  await dialog.getByRole("button", { name: "Start run" }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
}

Deno.test({
  name: "the web console: list, graph, live runs, failures, cancel and resume, invalid files, large graphs",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await using server = await startConsoleServer();
    const base = server.url;
    const demo = server.demo.url;
    await using browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

    await t.step("the list shows the workflows, and an invalid file with its error", async () => {
      await page.goto(base);
      const rows = page.getByRole("table", { name: "Workflows" }).locator("tbody tr");
      await rows.filter({ hasText: "Fetch a zen line" }).waitFor();
      for (const id of ["linear", "loop", "retry", "subworkflow", "big"]) {
        await page.locator(`tr[data-workflow="${id}"]`).waitFor();
      }
      const broken = page.locator('tr[data-workflow="broken.json"]');
      await broken.getByText("✗ invalid").waitFor();
      assert.match(await broken.innerText(), /no\.such_type/);
      await shot(page, "workflows");
    });

    await t.step("the graph shows nodes with ports; a node opens its panel", async () => {
      await page.goto(`${base}/workflows/linear`);
      await page.locator(".graph[data-rendered]").waitFor();
      assert.equal(await page.locator(".react-flow__node").count(), 5); // inputs, fetch, parse, log, outputs
      await page.locator('.box[data-node-id="fetch"]').click();
      const panel = page.getByRole("complementary", { name: "Node fetch" });
      await panel.getByText("http.request").waitFor();
      assert.match(await panel.innerText(), /timeout\s*5000 ms/);
      await shot(page, "workflow");
    });

    await t.step("the workflow page shows what its settings.permissions grant, resolved", async () => {
      await Deno.mkdir(`${server.dir}/data`);
      await Deno.writeTextFile(
        `${server.dir}/perms.json`,
        JSON.stringify({
          id: "perms",
          settings: { permissions: { read: ["./data"], net: true, env: ["HOME"] } },
          nodes: [{ id: "one", type: "transform.set", config: { value: 1 } }],
          connections: [],
        }),
      );
      await waitFor(async () => (await fetch(`${base}/api/v1/workflows/perms`).then((r) => (r.body?.cancel(), r.ok))));
      // Each permission shown as [label, grant], read from the page.
      const shown = async () => {
        const list = page.locator('dl[aria-label="Permissions"]');
        await list.waitFor();
        const rows = list.locator(":scope > div");
        return await Promise.all(
          (await rows.all()).map(async (r) => [await r.locator("dt").innerText(), await r.locator("dd").innerText()]),
        );
      };
      await page.goto(`${base}/workflows/perms`);
      const dir = await Deno.realPath(server.dir);
      assert.deepEqual(await shown(), [["Read", `${dir}/data`], ["Network", "anything"], ["Environment", "HOME"]]);
      await page.goto(`${base}/workflows/linear`);
      assert.deepEqual(await shown(), [["Permissions", "none"]]);
    });

    await t.step("Run with an input starts a run whose nodes reach completed live", async () => {
      await runFromForm(page, base, "linear", { url: `${demo}/zen.json` });
      for (const id of ["fetch", "parse", "log"]) await nodeStatus(page, id, "completed");
      await page.locator("h1 .badge[data-status=success]").waitFor();
      await page.locator('.box[data-node-id="log"]').click();
      await page.getByRole("complementary", { name: "Inspector of log" }).getByText("Practicality beats purity.")
        .first().waitFor();
      await shot(page, "run");
      await page.getByRole("tab", { name: /Events/ }).click();
      await page.locator(".log-line.type-node-log").first().waitFor();
    });

    await t.step("a failing node turns red and shows its error in the inspector", async () => {
      await runFromForm(page, base, "linear", { url: `${demo}/status/500` });
      await nodeStatus(page, "fetch", "failed");
      await page.locator('.box[data-node-id="fetch"]').click();
      const inspector = page.getByRole("complementary", { name: "Inspector of fetch" });
      await inspector.getByText("HTTP_STATUS").waitFor();
      assert.match(await inspector.innerText(), /HTTP 500/);
      const color = await page.evaluate(
        `getComputedStyle(document.querySelector('.box[data-node-id="fetch"]')).borderColor`,
      ) as string;
      assert.match(color, /^rgb\((1[5-9]\d|2\d\d), \d{1,2}, \d{1,2}\)$/, `a red border, not ${color}`);
      await shot(page, "run-failed");
    });

    await t.step("Cancel stops a running run", async () => {
      await runFromForm(page, base, "linear", { url: `${demo}/slow?ms=10000` });
      await nodeStatus(page, "fetch", "running");
      await page.getByRole("button", { name: "Cancel" }).click();
      await page.locator("h1 .badge[data-status=cancelled]").waitFor();
      await nodeStatus(page, "fetch", "failed");
    });

    await t.step("Resume reruns a failed run as a new one that succeeds", async () => {
      await runFromForm(page, base, "linear", { url: `${demo}/flaky/ui-resume?fail=1` });
      await nodeStatus(page, "fetch", "failed");
      const failedUrl = page.url();
      await page.getByRole("button", { name: "Resume" }).click();
      await page.waitForURL((u) => u.href !== failedUrl && /\/runs\/[0-9a-f-]{36}$/.test(u.pathname));
      await page.locator("h1 .badge[data-status=success]").waitFor();
      for (const id of ["fetch", "parse", "log"]) await nodeStatus(page, id, "completed");
    });

    await t.step("retrying nodes show their attempt count", async () => {
      await runFromForm(page, base, "retry", { url: `${demo}/flaky/ui-retry?fail=2` });
      await nodeStatus(page, "fetch", "completed");
      await page.locator('.box[data-node-id="fetch"]').click();
      const attempts = page.getByRole("complementary", { name: "Inspector of fetch" }).getByTestId("attempts");
      assert.equal((await attempts.innerText()).trim(), "3 of 4");
    });

    await t.step("loop iterations open one by one", async () => {
      await runFromForm(page, base, "loop", { urls: JSON.stringify([`${demo}/users/1`, `${demo}/status/500`]) });
      await page.locator("h1 .badge[data-status=success]").waitFor();
      await page.locator('.box[data-node-id="each"]').click();
      await page.getByRole("button", { name: "iteration 1" }).click();
      await page.waitForURL(/path=each%5B1%5D/);
      await nodeStatus(page, "fetch", "failed");
      await shot(page, "run-loop");
    });

    await t.step("the runs list filters by status and shows every run", async () => {
      await page.goto(`${base}/runs`);
      const rows = page.getByRole("table", { name: "Runs" }).locator("tbody tr");
      await rows.nth(5).waitFor();
      await page.getByLabel("Status").selectOption("failed");
      await page.waitForURL(/status=failed/);
      await page.waitForFunction(
        `[...document.querySelectorAll("table[aria-label=Runs] tbody tr .badge")]
          .every((b) => b.getAttribute("data-status") === "failed")`,
      );
      await page.getByLabel("Status").selectOption("");
      await rows.nth(5).waitFor();
      await shot(page, "runs");
    });

    await t.step("a finished run replays the same as watched live", async () => {
      await page.goto(`${base}/runs?workflow=linear&status=success`);
      await page.getByRole("table", { name: "Runs" }).locator("tbody tr a").first().click();
      for (const id of ["fetch", "parse", "log"]) await nodeStatus(page, id, "completed");
      await page.getByRole("button", { name: "fetch: completed", exact: false }).waitFor();
    });

    await t.step("dark mode follows prefers-color-scheme", async () => {
      await page.emulateMedia({ colorScheme: "dark" });
      const bg = await page.evaluate("getComputedStyle(document.body).backgroundColor");
      assert.equal(bg, "rgb(18, 21, 27)");
      await shot(page, "run-dark");
      await page.emulateMedia({ colorScheme: "light" });
    });

    await t.step("a 500-node workflow lays out and renders (measured)", async () => {
      await page.goto(`${base}/workflows/big`);
      await page.locator(".graph[data-rendered]").waitFor();
      const layoutMs = Number(await page.locator(".graph").getAttribute("data-layout-ms"));
      const renderedAt = await page.evaluate(() => performance.getEntriesByName("flow:graph-rendered")[0].startTime);
      const requestedAt = await page.evaluate(() => performance.getEntriesByName("flow:graph-requested")[0].startTime);
      console.log(
        `500 nodes: layout ${layoutMs} ms; graph data to rendered ${(renderedAt - requestedAt).toFixed(0)} ms; ` +
          `navigation to rendered ${renderedAt.toFixed(0)} ms`,
      );
      assert.ok(renderedAt - requestedAt < 10_000, "generous bound: 2 noisy cores");
      await shot(page, "big");
    });

    await t.step("a run of thousands of events a second keeps the page responsive (measured)", async () => {
      await page.goto(`${base}/workflows/burst`);
      // Every frame's distance to the last one, while the run streams in (client-side navigation keeps it).
      await page.evaluate(`(() => {
        globalThis.flowGaps = [];
        let last = performance.now();
        const tick = (now) => { globalThis.flowGaps.push(now - last); last = now; requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
      })()`);
      await page.getByRole("button", { name: "Run…" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Start run" }).click();
      await page.waitForURL(/\/runs\//);
      await page.locator("h1 .badge[data-status=success]").waitFor({ timeout: 60_000 });
      await page.getByRole("tab", { name: "Events (12004)" }).waitFor();
      const gaps = await page.evaluate("globalThis.flowGaps") as number[];
      const sorted = [...gaps].sort((a, b) => a - b);
      const p95 = sorted[Math.floor(sorted.length * 0.95)];
      const max = sorted[sorted.length - 1];
      const res = await fetch(`${base}/api/v1/runs?workflow=burst&limit=1`);
      const run = (await res.json()).runs[0];
      console.log(
        `12004 events in ${run.durationMs} ms (${Math.round(12004 / (run.durationMs / 1000))} events/s): ` +
          `${gaps.length} frames, p95 frame gap ${p95.toFixed(0)} ms, max ${max.toFixed(0)} ms`,
      );
      assert.ok(max < 5_000, "generous bound: the page never froze");
    });

    assert.deepEqual(problems, [], "no console errors");
  },
});
