/**
 * Measuring the console in the browser, for its tests and `bench/editor_open.ts`: the time between
 * frames (smoothness), the most boxes React Flow had in the page at once
 * (whether it draws only the boxes in view), and where each box's port
 * handles are drawn against where `ui/src/graph/geometry.ts` tells React
 * Flow they are. (Page scripts are strings: this module is type-checked
 * without the DOM's types.)
 *
 * @module
 */
import type { Page } from "playwright-core";
import { handlePlaces } from "../ui/src/graph/geometry.ts";

/** Frame gaps recorded by {@linkcode recordFrames}: `[time, gap since the frame before]`, ms. */
export type Frames = [number, number][];

/** Starts recording every frame's distance to the one before (on the page as it is: a navigation ends it). */
export async function recordFrames(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    globalThis.flowFrames = [];
    let last = performance.now();
    const tick = (now) => { globalThis.flowFrames.push([now, now - last]); last = now; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
}

/** The frames recorded since {@linkcode recordFrames}. */
export async function recordedFrames(page: Page): Promise<Frames> {
  return await page.evaluate("globalThis.flowFrames") as Frames;
}

/** Median, 95th percentile and longest of some frame gaps, ms. */
export function frameStats(gaps: number[]): { count: number; median: number; p95: number; max: number } {
  const sorted = [...gaps].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  return { count: sorted.length, median: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0 };
}

/**
 * Counts, from every later navigation of `page` on, the most React Flow
 * boxes in the document at once; read it with {@linkcode mostBoxes}.
 */
export async function countBoxes(page: Page): Promise<void> {
  await page.addInitScript(`(() => {
    globalThis.flowMostBoxes = 0;
    new MutationObserver(() => {
      globalThis.flowMostBoxes = Math.max(globalThis.flowMostBoxes, document.querySelectorAll(".react-flow__node").length);
    }).observe(document, { childList: true, subtree: true });
  })()`);
}

/** The most boxes in the document at once since the page was loaded (see {@linkcode countBoxes}). */
export async function mostBoxes(page: Page): Promise<number> {
  return await page.evaluate("globalThis.flowMostBoxes") as number;
}

/** The page's clock (`performance.now()`), to split recorded frames at a moment. */
export async function pageNow(page: Page): Promise<number> {
  return await page.evaluate("performance.now()") as number;
}

/** Resolves after the page has drawn two more frames. */
export async function twoFrames(page: Page): Promise<void> {
  await page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
}

/** One handle as drawn: relative to its box's top-left corner, at zoom 1, px. */
interface DrawnHandle {
  id: string;
  type: "source" | "target";
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Every handle of the boxes drawn under `scope` whose place differs by
 * more than one pixel from where `boxHandles` says it is (given React Flow
 * instead of measuring): `[]` when they all agree.
 */
export async function misplacedHandles(page: Page, scope: string, size: number): Promise<string[]> {
  const boxes = await page.evaluate(`(() => {
    const viewport = document.querySelector(${JSON.stringify(`${scope} .react-flow__viewport`)});
    const zoom = new DOMMatrixReadOnly(getComputedStyle(viewport).transform).m22;
    return [...document.querySelectorAll(${JSON.stringify(`${scope} .react-flow__node`)})].map((box) => {
      const r = box.getBoundingClientRect();
      const handles = [...box.querySelectorAll(".react-flow__handle")].map((h) => {
        const b = h.getBoundingClientRect();
        return {
          id: h.getAttribute("data-handleid") ?? "",
          type: h.classList.contains("source") ? "source" : "target",
          x: (b.left - r.left) / zoom,
          y: (b.top - r.top) / zoom,
          width: b.width / zoom,
          height: b.height / zoom,
        };
      });
      return { id: box.getAttribute("data-id"), width: box.offsetWidth, handles };
    });
  })()`) as { id: string; width: number; handles: DrawnHandle[] }[];
  const wrong: string[] = [];
  for (const box of boxes) {
    const ports = (type: string) =>
      box.handles.filter((h) => h.type === type).map((h) => ({ name: h.id, type: "any" }));
    const expected = handlePlaces({ inputs: ports("target"), outputs: ports("source") }, box.width, size);
    for (const h of box.handles) {
      const e = expected.find((x) => x.id === h.id && x.type === h.type);
      if (!e) {
        wrong.push(`${box.id} ${h.type} ${h.id}: drawn, not given`);
        continue;
      }
      const off = Math.max(
        Math.abs(h.x - e.x),
        Math.abs(h.y - e.y),
        Math.abs(h.width - e.width),
        Math.abs(h.height - e.height),
      );
      if (off > 1) wrong.push(`${box.id} ${h.type} ${h.id}: drawn ${JSON.stringify(h)}, given ${JSON.stringify(e)}`);
    }
  }
  return wrong;
}
