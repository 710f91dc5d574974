/**
 * Hex encoding for the build scripts.
 *
 * @module
 */

/** Bytes as lowercase hex. */
export function encodeHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
