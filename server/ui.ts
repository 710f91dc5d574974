/**
 * Serves the web console's built files (`ui/assets.gen.ts`, made by
 * `deno task build:ui`): hashed `/assets/*` files cached for good,
 * `index.html` revalidated, and `index.html` for each of the console's own
 * routes ({@linkcode CONSOLE_ROUTES}) to a request that accepts HTML, so
 * that `/runs/ID` can be reloaded or shared. Any other path (`/nope`,
 * `/metrics`, API and webhook paths) is not answered here: the app answers
 * it with a JSON 404.
 *
 * @module
 */
import { UI_ASSETS } from "../ui/assets.gen.ts";

/** A built file: content type and text. */
export interface UiAsset {
  /** Content type. */
  type: string;
  /** The text. */
  body: string;
}

/**
 * The console's client routes: those `ui/src/main.tsx` renders a page for
 * (`tests/ui_unit_test.ts` checks that the two lists agree).
 */
export const CONSOLE_ROUTES: readonly string[] = ["/", "/workflows/:id", "/runs", "/runs/:id", "/edit", "/sign-in"];

/** Whether `path` is one of {@linkcode CONSOLE_ROUTES}, as the console's router matches them (a trailing slash is fine). */
export function isConsoleRoute(path: string): boolean {
  if (path === "/") return true;
  const have = path.replace(/\/+$/, "").split("/");
  return CONSOLE_ROUTES.some((route) => {
    const want = route.split("/");
    return want.length === have.length && want.every((w, i) => w.startsWith(":") ? have[i] !== "" : w === have[i]);
  });
}

/** Whether an `Accept` header takes HTML (no header takes anything). */
export function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined) return true;
  return accept.split(",").some((part) => {
    const [range, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) return false;
    return range === "text/html" || range === "text/*" || range === "*/*";
  });
}

/**
 * A handler for `createApp`'s `ui` option: the response for a `GET` of a
 * path with its `Accept` header, or undefined (then the app answers 404).
 *
 * @example
 * ```ts
 * import { uiHandler } from "./ui.ts";
 * const ui = uiHandler();
 * console.log(ui("/")?.headers.get("content-type")); // text/html; charset=utf-8
 * ```
 */
export function uiHandler(
  assets: Record<string, UiAsset> = UI_ASSETS,
): (path: string, accept?: string) => Response | undefined {
  const encoded = new Map<string, Uint8Array<ArrayBuffer>>();
  const bytes = (path: string) => {
    let b = encoded.get(path);
    if (!b) encoded.set(path, b = new TextEncoder().encode(assets[path].body));
    return b;
  };
  return (path, accept) => {
    if (path.startsWith("/assets/")) {
      if (!Object.hasOwn(assets, path)) return undefined;
      return new Response(bytes(path), {
        headers: {
          "content-type": assets[path].type,
          "cache-control": "public, max-age=31536000, immutable",
          "x-content-type-options": "nosniff",
        },
      });
    }
    if (path !== "/index.html" && !(isConsoleRoute(path) && acceptsHtml(accept))) return undefined;
    if (!Object.hasOwn(assets, "/index.html")) return undefined;
    return new Response(bytes("/index.html"), {
      headers: {
        "content-type": assets["/index.html"].type,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
      },
    });
  };
}
