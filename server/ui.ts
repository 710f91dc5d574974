/**
 * Serves the web console's built files (`ui/assets.gen.ts`, made by
 * `deno task build:ui`): hashed `/assets/*` files cached for good,
 * `index.html` revalidated, and `index.html` for every client route (any
 * other GET path without a file extension), so that `/runs/ID` can be
 * reloaded or shared. API and webhook paths are never answered here.
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

/** Paths the console never answers: the API's and the webhooks'. */
const RESERVED = /^\/(api|hooks)(\/|$)/;

/**
 * A handler for `createApp`'s `ui` option: the response for a path, or
 * undefined (then the app answers 404).
 *
 * @example
 * ```ts
 * import { uiHandler } from "./ui.ts";
 * const ui = uiHandler();
 * console.log(ui("/")?.headers.get("content-type")); // text/html; charset=utf-8
 * ```
 */
export function uiHandler(assets: Record<string, UiAsset> = UI_ASSETS): (path: string) => Response | undefined {
  const encoded = new Map<string, Uint8Array<ArrayBuffer>>();
  const bytes = (path: string) => {
    let b = encoded.get(path);
    if (!b) encoded.set(path, b = new TextEncoder().encode(assets[path].body));
    return b;
  };
  return (path) => {
    if (RESERVED.test(path)) return undefined;
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
    const last = path.slice(path.lastIndexOf("/") + 1);
    if (last.includes(".") && path !== "/index.html") return undefined;
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
