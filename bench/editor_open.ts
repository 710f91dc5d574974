/**
 * How fast the console's editor opens a large workflow, and how smooth a
 * drag is, in headless Chromium against a real `flow serve` (run from the
 * sources, serving the built console `ui/assets.gen.ts`: run `deno task
 * build:ui` first after changing `ui/src`).
 *
 * The workflow is `bigWorkflow` of `tests/ui_serve.ts` (500 `transform.set`
 * nodes in chains of 20, no layout block: the editor lays it out). Each run
 * opens `/edit?file=big.json` in a new browser context (empty cache: the
 * first visit), then again in the same context (a reload: scripts cached),
 * then drags one box by 60 mouse moves, then opens the viewer's
 * `/workflows/big` and from there the editor again by its Edit link.
 * Figures, in the page's clock from the navigation's start:
 *
 * - **drawn**: the first frame after React Flow has initialised the canvas
 *   with the boxes in view (`flow:editor-drawn`);
 * - **interactive**: the same, or later the end of the last task over 50 ms
 *   (a long task: input waits for it) before the page's main thread stays
 *   free of long tasks for 500 ms. This is "open": from navigation to the
 *   canvas drawn and answering input;
 * - the viewer: navigation to its graph drawn (`flow:graph-rendered`);
 * - the editor opened from the workflow page: from the click on Edit;
 * - the drag: time between frames while the mouse moves, and the longest
 *   frame after the drop (the move is written into the text then).
 *
 * Run: `deno task bench:editor [--runs N] [--nodes N]` (defaults 15, 500).
 * Prints the machine, each figure's median, p95 (nearest rank), min and
 * max. Not a test: nothing here fails on a slow machine.
 *
 * @module
 */
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../tests/browser.ts";
import { Served } from "../tests/serve_helpers.ts";
import { frameStats, pageNow, recordedFrames, recordFrames, twoFrames } from "../tests/ui_measure.ts";
import { bigWorkflow } from "../tests/ui_serve.ts";
import { intFlag, machineLine, median, quantile } from "./bundle.ts";

const SCRIPT = "bench/editor_open.ts";
/** A quiet spell this long after the canvas is drawn ends the open, ms. */
const QUIET_MS = 500;

/** Records long tasks (over 50 ms) from the navigation on, as `[start, end]` in `globalThis.flowLongTasks`. */
const LONG_TASKS = `(() => {
  globalThis.flowLongTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) globalThis.flowLongTasks.push([e.startTime, e.startTime + e.duration]);
  }).observe({ type: "longtask", buffered: true });
})()`;

/** Waits for `mark` and then for a quiet spell; resolves to `[mark, interactive]`, ms from the navigation. */
async function openTimes(page: Page, mark: string): Promise<[number, number]> {
  await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, mark, { timeout: 60_000 });
  const at = await page.evaluate((m) => performance.getEntriesByName(m)[0].startTime, mark);
  // Quiet: no long task has ended in the last QUIET_MS.
  await page.waitForFunction(
    ([from, quiet]) => {
      const tasks = (globalThis as unknown as { flowLongTasks: [number, number][] }).flowLongTasks;
      const last = Math.max(from, ...tasks.map(([, end]) => end));
      return performance.now() - last >= quiet;
    },
    [at, QUIET_MS] as const,
    { timeout: 60_000, polling: 50 },
  );
  const tasks = await page.evaluate("globalThis.flowLongTasks") as [number, number][];
  return [at, Math.max(at, ...tasks.map(([, end]) => end))];
}

/** The figures of one run, by name, ms. */
type Figures = Record<string, number>;

/** One run: the editor on a first visit and a reload, a drag, the viewer, the editor from the workflow page. */
export async function run(browser: Browser, base: string): Promise<Figures> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript(LONG_TASKS);
  const page = await context.newPage();
  const figures: Figures = {};
  try {
    await page.goto(`${base}/edit?file=big.json`);
    [figures["editor, first visit: drawn"], figures["editor, first visit: interactive"]] = await openTimes(
      page,
      "flow:editor-drawn",
    );
    await phases(page, figures);
    await page.goto(`${base}/edit?file=big.json`);
    [figures["editor, reload: drawn"], figures["editor, reload: interactive"]] = await openTimes(
      page,
      "flow:editor-drawn",
    );
    await drag(page, figures);
    await page.evaluate(() => localStorage.clear()); // the moved box's draft: the next open starts from the file
    await page.goto(`${base}/workflows/big`);
    [figures["viewer, reload: drawn"], figures["viewer, reload: interactive"]] = await openTimes(
      page,
      "flow:graph-rendered",
    );
    // From the workflow page, as a user opens the editor: Edit, then the same figures from the click on.
    const click = await pageNow(page);
    await page.getByRole("link", { name: "Edit", exact: true }).click();
    const [drawn, interactive] = await openTimes(page, "flow:editor-drawn");
    figures["editor, from the workflow page: drawn"] = drawn - click;
    figures["editor, from the workflow page: interactive"] = interactive - click;
  } finally {
    await context.close();
  }
  return figures;
}

/**
 * Where the first visit's time went: the console's scripts and the session
 * check (to `flow:editor-requested`), the file, node catalog and schema
 * (to `flow:editor-loaded`), then the graph, its layout and the first frame.
 */
async function phases(page: Page, figures: Figures): Promise<void> {
  const marks = await page.evaluate(() =>
    ["requested", "loaded", "drawn"].map((m) => performance.getEntriesByName(`flow:editor-${m}`)[0].startTime)
  );
  figures["  scripts and session"] = marks[0];
  figures["  file, catalog, schema"] = marks[1] - marks[0];
  figures["  graph, layout, first frame"] = marks[2] - marks[1];
  figures["  long tasks before drawn (count)"] = (await page.evaluate("globalThis.flowLongTasks") as [number, number][])
    .filter(([start]) => start < marks[2]).length;
}

/** Drags the first box by 60 mouse moves; notes the frame gaps during the drag and the longest after the drop. */
async function drag(page: Page, figures: Figures): Promise<void> {
  const head = page.locator('.edit-canvas .react-flow__node[data-id="n0"] .box-head');
  const b = (await head.boundingBox())!;
  await recordFrames(page);
  await page.mouse.move(b.x + 20, b.y + 10);
  await page.mouse.down();
  const down = await pageNow(page);
  for (let i = 1; i <= 60; i++) await page.mouse.move(b.x + 20 + i * 2, b.y + 10 + i * 2);
  const up = await pageNow(page);
  await page.mouse.up();
  await page.getByTestId("save-state").filter({ hasText: /^Unsaved changes$/ }).waitFor();
  await twoFrames(page);
  const frames = await recordedFrames(page);
  const during = frameStats(frames.filter(([at]) => at > down && at <= up).map(([, gap]) => gap));
  figures["drag: median frame"] = during.median;
  figures["drag: p95 frame"] = during.p95;
  figures["drag: longest frame"] = during.max;
  figures["drop: longest frame"] = frameStats(frames.filter(([at]) => at > up).map(([, gap]) => gap)).max;
}

/** The CPU's model name, from /proc/cpuinfo where there is one. */
function cpuModel(): string {
  try {
    return /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

const fmt = (ms: number) => ms.toFixed(1).padStart(7);

async function main() {
  const runs = intFlag(Deno.args, "runs", 15, SCRIPT);
  const nodes = intFlag(Deno.args, "nodes", 500, SCRIPT);
  const dir = await Deno.makeTempDir({ prefix: "flow-bench-editor-" });
  await Deno.writeTextFile(`${dir}/big.json`, JSON.stringify(bigWorkflow(nodes), null, 2) + "\n");
  await using server = await Served.start([dir]);
  await using browser = await launchChromium();
  const load = () => Deno.loadavg().map((l) => l.toFixed(1)).join(" ");
  console.log(machineLine(`${cpuModel()} · Chromium ${browser.version()} · viewport 1400x900`));
  console.log(`${nodes} nodes, ${runs} runs; load average before: ${load()}`);
  const all: Figures[] = [];
  for (let i = 0; i < runs; i++) {
    all.push(await run(browser, server.url));
    const f = all.at(-1)!;
    console.log(
      `run ${i + 1}: first visit ${fmt(f["editor, first visit: interactive"])} ms, reload ${
        fmt(f["editor, reload: interactive"])
      } ms, drag p95 ${f["drag: p95 frame"].toFixed(1)} ms`,
    );
  }
  console.log(`load average after: ${load()}\n`);
  console.log(`${"figure (ms)".padEnd(36)}  median     p95     min     max`);
  for (const name of Object.keys(all[0])) {
    const xs = all.map((f) => f[name]).sort((a, b) => a - b);
    console.log(
      `${name.padEnd(36)}  ${fmt(median(xs))}  ${fmt(quantile(xs, 0.95))}  ${fmt(xs[0])}  ${fmt(xs.at(-1)!)}`,
    );
  }
  await Deno.remove(dir, { recursive: true });
}

if (import.meta.main) await main();
