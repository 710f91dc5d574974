/** The browser helper: Debian's Chromium through playwright-core reads a page served on 127.0.0.1. */
import assert from "node:assert/strict";
import { chromiumAvailability, hasChromium, launchChromium } from "./browser.ts";

Deno.test("a missing Chromium is reported with what to install", async () => {
  const check = chromiumAvailability("/nonexistent/chromium");
  assert.equal(check.available, false);
  assert.equal(check.reason, "/nonexistent/chromium not found (apt-get install chromium)");
  await assert.rejects(launchChromium({ executablePath: "/nonexistent/chromium" }), /not found/);
});

Deno.test({
  name: "Chromium opens a page served by Deno.serve on 127.0.0.1 and reads its text",
  ignore: !hasChromium,
  fn: async () => {
    const html = `<!doctype html><title>flow</title><p id="msg">waiting</p>
      <script>document.getElementById("msg").textContent = "hello from " + location.hostname;</script>`;
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } }),
    );
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.addr.port}/`);
    assert.equal(await page.title(), "flow");
    assert.equal(await page.textContent("#msg"), "hello from 127.0.0.1");
  },
});
