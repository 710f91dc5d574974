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
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return `sha256:${hex}`;
}

/** A hash shortened for messages: `sha256:` and 12 hex digits. */
export function shortHash(hash: string): string {
  return hash.slice(0, 19);
}
