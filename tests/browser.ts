/**
 * Debian's Chromium, driven by `playwright-core` (which brings no browser of
 * its own): {@linkcode launchChromium} starts it headless with the flags this
 * closed network needs, and {@linkcode hasChromium} tells tests whether to run.
 *
 * ```ts ignore
 * Deno.test({ name: "page", ignore: !hasChromium, fn: async () => {
 *   await using browser = await launchChromium();
 *   const page = await browser.newPage();
 * } });
 * ```
 *
 * @module
 */
import { type Browser, chromium, type LaunchOptions } from "playwright-core";
import { announce, type Availability, findExecutable } from "./services.ts";

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Headless, no sandbox (tests run as root), and none of Chromium's background
 * connections: this network refuses them, many at a time.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Whether {@linkcode launchChromium} can work: the browser at `path`. */
export function chromiumAvailability(path = CHROMIUM_PATH): Availability {
  if (findExecutable(path)) return { available: true };
  return { available: false, reason: `${path} not found (apt-get install chromium)` };
}

/** Whether tests can launch Chromium here (else they are ignored; see {@linkcode chromiumAvailability}). */
export const hasChromium: boolean = announce("Chromium", chromiumAvailability());

/** A launched browser that `await using` closes. */
export type TestBrowser = Browser & AsyncDisposable;

/**
 * Launches Chromium at {@linkcode CHROMIUM_PATH} with {@linkcode CHROMIUM_ARGS}
 * (and a fresh profile, which Playwright removes on close).
 *
 * @example
 * ```ts ignore
 * await using browser = await launchChromium();
 * const page = await browser.newPage();
 * await page.goto("http://127.0.0.1:8000/");
 * ```
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<TestBrowser> {
  const path = options.executablePath ?? CHROMIUM_PATH;
  const check = chromiumAvailability(path);
  if (!check.available) throw new Error(check.reason);
  const browser = await chromium.launch({
    ...options,
    executablePath: path,
    args: [...CHROMIUM_ARGS, ...options.args ?? []],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}
