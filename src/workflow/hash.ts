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
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `sha256:${digest.toHex()}`;
}

/** A hash shortened for messages: `sha256:` and 12 hex digits. */
export function shortHash(hash: string): string {
  return hash.slice(0, 19);
}

/**
 * The hash of a workflow version: its file's text, and the text of every
 * sub-workflow file it uses (by absolute path). Without sub-workflow files it
 * is the file's {@linkcode contentHash}.
 *
 * @example
 * ```ts
 * import { versionHash } from "./hash.ts";
 * await versionHash("{}", new Map()); // the same as contentHash("{}")
 * ```
 */
export async function versionHash(text: string, sources: ReadonlyMap<string, string>): Promise<string> {
  if (sources.size === 0) return await contentHash(text);
  const files = [...sources].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  return await contentHash(JSON.stringify([text, files]));
}
