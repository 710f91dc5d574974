/**
 * Helpers of the editor's browser tests: a served folder that is a git
 * repository (so tests read `git diff` as a user would), the editor opened
 * on a file, and the mouse gestures React Flow needs (drag a box, drag
 * between two ports).
 *
 * @module
 */
import type { Page } from "playwright-core";
import { ROOT } from "./helpers.ts";
import { screenshotPath } from "./ui_serve.ts";

/** Runs git in `dir`; resolves to its stdout (throws with stderr on failure). */
export async function git(dir: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.name=flow test", "-c", "user.email=test@flow.invalid", "-c", "core.autocrlf=false", ...args],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (!out.success) throw new Error(`git ${args.join(" ")}: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout);
}

/** A temporary git repository holding `files` (path to text), all committed. */
export async function gitRepo(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "flow-editor-" });
  await git(dir, "init", "-q");
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "-m", "start");
  return dir;
}

/** `git diff --numstat` of one file: lines added and removed. */
export async function numstat(dir: string, file: string): Promise<{ added: number; removed: number }> {
  const line = (await git(dir, "diff", "--numstat", "--", file)).trim();
  if (!line) return { added: 0, removed: 0 };
  const [added, removed] = line.split("\t");
  return { added: Number(added), removed: Number(removed) };
}

/** The lines a `git diff -U0` of `file` removes and adds. */
export async function diffLines(dir: string, file: string): Promise<{ removed: string[]; added: string[] }> {
  const diff = await git(dir, "diff", "-U0", "--", file);
  const lines = diff.split("\n").filter((l) => !l.startsWith("---") && !l.startsWith("+++"));
  return {
    removed: lines.filter((l) => l.startsWith("-")).map((l) => l.slice(1)),
    added: lines.filter((l) => l.startsWith("+")).map((l) => l.slice(1)),
  };
}

/** Opens the editor on `file` and waits until its boxes are drawn and the catalog is loaded. */
export async function openEditor(page: Page, base: string, file: string, path = ""): Promise<void> {
  await page.goto(`${base}/edit?file=${encodeURIComponent(file)}${path ? `&path=${encodeURIComponent(path)}` : ""}`);
  await page.locator(".edit-canvas .react-flow__node").first().waitFor();
}

/** The box of node `id` on the canvas. */
export function box(page: Page, id: string) {
  return page.locator(`.edit-canvas .react-flow__node[data-id="${id}"]`);
}

/** Drags the box of node `id` by (dx, dy) screen pixels with the mouse. */
export async function dragBox(page: Page, id: string, dx: number, dy: number): Promise<void> {
  const b = (await box(page, id).locator(".box-head").boundingBox())!;
  const x = b.x + b.width / 2, y = b.y + b.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 5 });
  await page.mouse.move(x + dx, y + dy, { steps: 5 });
  await page.mouse.up();
}

/** The handle of a port: `source` (output) or `target` (input). */
export function handle(page: Page, node: string, side: "source" | "target", port: string) {
  return page.locator(`.edit-canvas .react-flow__handle.${side}[data-nodeid="${node}"][data-handleid="${port}"]`);
}

/** Drags from output port `from` (`node.port`) to input port `to` with the mouse. */
export async function connectPorts(page: Page, from: string, to: string): Promise<void> {
  const [fn, fp] = from.split("."), [tn, tp] = to.split(".");
  const a = (await handle(page, fn, "source", fp).boundingBox())!;
  const b = (await handle(page, tn, "target", tp).boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** Runs a command of the command palette by its label. */
export async function command(page: Page, label: string): Promise<void> {
  await page.keyboard.press("Control+k");
  const dialog = page.getByRole("dialog", { name: "Command palette" });
  await dialog.getByRole("combobox").fill(label);
  await dialog.getByRole("option", { name: label }).first().click();
  await dialog.waitFor({ state: "hidden" });
}

/** Replaces the text of the expression field with DOM id `id` by typing `text` (`paste`: inserted at once). */
export async function typeExpression(page: Page, id: string, text: string, paste = false): Promise<void> {
  const field = page.locator(`.cm-content[id="${id}"]`);
  await field.click();
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Delete");
  if (paste) await page.keyboard.insertText(text);
  else await page.keyboard.type(text, { delay: 10 });
}

/** Waits until the editor says its text is saved (or not). */
export async function saveState(page: Page, text: "Saved" | "Unsaved changes"): Promise<void> {
  await page.getByTestId("save-state").filter({ hasText: new RegExp(`^${text}$`) }).waitFor();
}

/** A screenshot for docs/editor.md (written there with FLOW_UPDATE_SCREENSHOTS=1). */
export async function editorShot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: await screenshotPath(`${ROOT}docs/editor/`, name) });
}
