import { launchChromium } from "./tests/browser.ts";
const base = "http://127.0.0.1:8099";
await using browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") console.log("CONSOLE", m.type(), m.text()); });
page.on("pageerror", (e) => console.log("PAGEERROR", e.message));
for (const [name, url] of Deno.args.map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)])) {
  await page.goto(base + url);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `/tmp/${name}.png` });
  console.log("shot", name);
}
