/**
 * Who may edit, in a real browser against a real `flow serve`:
 * `--read-only` shows no editing control and the API refuses writes; with
 * `--token`, the console's sign-in page takes the token and the session
 * cookie works; a `--read-token` session sees runs but cannot edit or run;
 * signing out ends the session.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { hasChromium, launchChromium } from "./browser.ts";
import { Served } from "./serve_helpers.ts";
import { editorShot, gitRepo, openEditor } from "./ui_editor.ts";

const WORKFLOW = JSON.stringify(
  { id: "hello", nodes: [{ id: "say", type: "transform.set", config: { value: "hi" } }], connections: [] },
  null,
  2,
) + "\n";

/** A PUT of the file's source from the page (its cookie, its Origin): the status. */
async function putFromPage(page: Page): Promise<number> {
  return await page.evaluate(`(async () => {
    const get = await fetch("/api/v1/files/hello.json/source");
    const etag = get.headers.get("etag") ?? '"x"';
    const res = await fetch("/api/v1/files/hello.json/source", {
      method: "PUT", headers: { "content-type": "application/json", "if-match": etag }, body: "{}",
    });
    return res.status;
  })()`) as number;
}

Deno.test({
  name: "the editor: --read-only hides editing and refuses writes; token sign-in, a read token, sign-out",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await gitRepo({ "hello.json": WORKFLOW });
    await using browser = await launchChromium();

    await t.step("--read-only: no editing controls, writes refused with 403 READ_ONLY", async () => {
      await using server = await Served.start([dir, "--read-only"]);
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      page.setDefaultTimeout(20_000);
      await page.goto(server.url);
      await page.locator('tr[data-workflow="hello"]').waitFor();
      assert.equal(await page.getByRole("button", { name: "New workflow…" }).count(), 0);
      assert.equal(await page.locator(".edit-link").count(), 0);
      await page.goto(`${server.url}/workflows/hello`);
      await page.locator(".graph[data-rendered]").waitFor();
      assert.equal(await page.getByRole("link", { name: "Edit" }).count(), 0);
      await openEditor(page, server.url, "hello.json");
      await page.getByRole("note").filter({ hasText: "read-only" }).waitFor();
      for (const name of ["Save", "Undo", "Redo", "Auto-layout"]) {
        assert.equal(await page.getByRole("button", { name, exact: true }).count(), 0, `no ${name} button`);
      }
      assert.equal(await page.getByRole("complementary", { name: "Node palette" }).count(), 0);
      assert.equal(await page.locator(".edit-canvas .react-flow__handle.connectable").count(), 0);
      assert.equal(await putFromPage(page), 403);
      const res = await fetch(`${server.url}/api/v1/files/hello.json/source`, {
        method: "PUT",
        headers: { "content-type": "application/json", "if-match": '"x"' },
        body: "{}",
      });
      assert.equal(res.status, 403);
      assert.equal((await res.json()).error.code, "READ_ONLY");
      await editorShot(page, "read-only");
    });

    await t.step("--token: sign in, edit, sign out; --read-token: runs but no editing", async () => {
      await using server = await Served.start([dir, "--token", "admin-secret", "--read-token", "reader-secret"], {
        token: "admin-secret",
      });
      const run = await fetch(`${server.url}/api/v1/workflows/hello/runs?wait=true`, {
        method: "POST",
        headers: { authorization: "Bearer admin-secret", "content-type": "application/json" },
        body: "{}",
      });
      assert.ok(run.ok, `a run: ${run.status}`);
      await run.body?.cancel();
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      page.setDefaultTimeout(20_000);

      await page.goto(`${server.url}/runs`);
      await page.waitForURL(/\/sign-in\?next=%2Fruns/);
      await page.getByLabel("API token").fill("wrong");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").waitFor();
      await editorShot(page, "sign-in");
      await page.getByLabel("API token").fill("admin-secret");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(/\/runs$/);
      await page.locator("tr[data-execution]").first().waitFor();
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === "flow_session");
      assert.ok(session?.httpOnly && session.sameSite === "Strict", JSON.stringify(cookies));
      await openEditor(page, server.url, "hello.json");
      await page.getByRole("button", { name: "Save", exact: true }).waitFor();
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(/\/sign-in/);
      assert.equal(await page.evaluate(`fetch("/api/v1/workflows").then((r) => r.status)`), 401);

      await page.getByLabel("API token").fill("reader-secret");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.goto(`${server.url}/runs`);
      await page.locator("tr[data-execution]").first().waitFor();
      await page.goto(`${server.url}/workflows/hello`);
      await page.locator(".graph[data-rendered]").waitFor();
      assert.equal(await page.getByRole("button", { name: "Run…" }).count(), 0, "a read token cannot start runs");
      assert.equal(await page.getByRole("link", { name: "Edit" }).count(), 0, "nor edit");
      assert.equal(await putFromPage(page), 403);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(/\/sign-in/);
    });
    await Deno.remove(dir, { recursive: true });
  },
});
