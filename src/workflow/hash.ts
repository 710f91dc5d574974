/**
 * Content hashes of workflow files: a resumed or queued execution must run
 * exactly the version that was accepted.
 *
 * @module
 */

/**
 * The `sha256:` hex digest of a text (its UTF-8 bytes).
 *
 * @example
 * ```ts
 * import { contentHash } from "./hash.ts";
 * await contentHash(""); // "sha256:e3b0c442..."
 * ```
 */
export async function contentHash(text: string): Promise<string> {
  return `sha256:${await sha256Hex(new TextEncoder().encode(text))}`;
}

/**
 * The SHA-256 digest of bytes, in hex (a file's version tag in the editor's API).
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./hash.ts";
 * await sha256Hex(new Uint8Array()); // "e3b0c442..."
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)).toHex();
}

/** A hash shortened for messages: `sha256:` and 12 hex digits. */
export function shortHash(hash: string): string {
  return hash.slice(0, 19);
}

/**
 * A workflow text without its `layout` blocks (`layout.ts`): what the hash
 * covers, as moving nodes in the editor changes nothing that runs. A text
 * that does not mention `"layout"` is returned at once (the JSON parser is
 * loaded only for one that does).
 *
 * @example
 * ```ts
 * import { logicText } from "./hash.ts";
 * await logicText('{"nodes": [], "layout": {}}'); // '{"nodes": []}'
 * ```
 */
export async function logicText(text: string): Promise<string> {
  if (!text.includes('"layout"')) return text;
  const { withoutLayout } = await import("./layout.ts");
  return withoutLayout(text);
}

/**
 * The hash of a workflow version: its file's text, and the text of every
 * sub-workflow file it uses (by absolute path), each without its `layout`
 * blocks ({@linkcode logicText}): a change of layout alone keeps the hash,
 * so `flow resume` and the history see the same version. Without
 * sub-workflow files it is the {@linkcode contentHash} of that text.
 *
 * @example
 * ```ts
 * import { versionHash } from "./hash.ts";
 * await versionHash("{}", new Map()); // the same as contentHash("{}")
 * ```
 */
export async function versionHash(text: string, sources: ReadonlyMap<string, string>): Promise<string> {
  const main = await logicText(text);
  if (sources.size === 0) return await contentHash(main);
  const files = await Promise.all(
    [...sources].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(async ([path, t]) => [path, await logicText(t)]),
  );
  return await contentHash(JSON.stringify([main, files]));
}
