/**
 * The hot-reload log of a real `flow serve` says what actually happened to
 * each file: a duplicate id refuses both files (and the one that served says
 * it stopped); removing the duplicate says it served nothing and that the
 * other serves again; a file whose webhook route is taken is refused without
 * ever being said to load; freeing the route makes it serve.
 */
import assert from "node:assert/strict";
import { Served, webhookWorkflow, writeFile, writeFiles } from "./serve_helpers.ts";

/** The lines `server` wrote to stderr after `mark` characters. */
function linesAfter(server: Served, mark: number): string[] {
  return server.stderr.slice(mark).split("\n").filter(Boolean);
}

Deno.test("flow serve: each hot-reload line says what happened", async (t) => {
  const dir = await writeFiles({
    "a.json": webhookWorkflow("h", { path: "h" }),
    "x.json": webhookWorkflow("x", { path: "route" }),
  });
  await using server = await Served.start([dir]);
  const status = async (path: string) => (await server.json(path, { method: "POST", body: "{}" })).status;
  assert.equal(await status("/hooks/h"), 200);

  await t.step("a second file with the same id: both refused, the first stops serving", async () => {
    const mark = server.stderr.length;
    await writeFile(dir, "b.json", webhookWorkflow("h", { path: "h2" }));
    await server.waitForLog(`${dir}/a.json: stopped serving "h"`, 5_000);
    assert.deepEqual(linesAfter(server, mark), [
      `${dir}/a.json: workflow id "h" is also used by ${dir}/b.json; both are refused`,
      `flow serve: ${dir}/a.json: stopped serving "h"`,
      `${dir}/b.json: workflow id "h" is also used by ${dir}/a.json; both are refused`,
    ]);
    assert.equal(await status("/hooks/h"), 404);
  });

  await t.step("removing the duplicate: it served nothing; the first serves again", async () => {
    const mark = server.stderr.length;
    await Deno.remove(`${dir}/b.json`);
    await server.waitForLog(`${dir}/a.json: now serving "h"`, 5_000);
    assert.deepEqual(linesAfter(server, mark), [
      `flow serve: ${dir}/b.json: removed; it served nothing`,
      `flow serve: ${dir}/a.json: now serving "h"; its conflict is gone`,
    ]);
    assert.equal(await status("/hooks/h"), 200);
  });

  await t.step("a file whose webhook route is taken is refused, never said to load", async () => {
    const mark = server.stderr.length;
    await writeFile(dir, "other.json", webhookWorkflow("other", { path: "route" }));
    await server.waitForLog(`${dir}/other.json: webhook POST /hooks/route`, 5_000);
    assert.deepEqual(linesAfter(server, mark), [
      `${dir}/other.json: webhook POST /hooks/route (node "hook") is already served by ${dir}/x.json; refused`,
    ]);
    const refused = (await server.json("/api/v1/workflows/other")).body;
    assert.equal(refused.valid, false);
    assert.match(refused.errors.join("\n"), /already served by/);
  });

  await t.step("freeing the route: the refused file serves", async () => {
    const mark = server.stderr.length;
    await Deno.remove(`${dir}/x.json`);
    await server.waitForLog(`${dir}/other.json: now serving "other"`, 5_000);
    assert.deepEqual(linesAfter(server, mark), [
      `flow serve: ${dir}/x.json: removed; stopped serving "x"`,
      `flow serve: ${dir}/other.json: now serving "other"; its conflict is gone`,
    ]);
    assert.equal((await server.json("/api/v1/workflows/other")).body.valid, true);
    assert.equal(await status("/hooks/route"), 200);
  });

  await t.step("an edit of a served file says reloaded; a new file says loaded", async () => {
    const mark = server.stderr.length;
    await writeFile(dir, "a.json", { ...webhookWorkflow("h", { path: "h" }), name: "edited" });
    await server.waitForLog(`${dir}/a.json: reloaded "h"`, 5_000);
    await writeFile(dir, "c.json", webhookWorkflow("c", { path: "c" }));
    await server.waitForLog(`${dir}/c.json: loaded "c"`, 5_000);
    assert.deepEqual(linesAfter(server, mark), [
      `flow serve: ${dir}/a.json: reloaded "h"`,
      `flow serve: ${dir}/c.json: loaded "c"`,
    ]);
  });
});
