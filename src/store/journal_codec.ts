/**
 * How journal chunks are stored in SQLite: the NDJSON text itself, or, for
 * chunks over {@linkcode COMPRESS_ABOVE} characters, that text deflated
 * (raw DEFLATE, level 1) in a BLOB. Event lines repeat their field names
 * and ids, so large chunks shrink about 20-fold, which keeps a 10,000-node
 * run's journal from costing more than the run. zlib is loaded only when a
 * chunk is that large.
 *
 * @module
 */

/** Chunks longer than this many characters are compressed. */
export const COMPRESS_ABOVE = 64 * 1024;

type Zlib = typeof import("node:zlib");
let zlib: Zlib | undefined;

/** Loads zlib when `needed`; resolves once it can be used synchronously. */
export async function loadCodec(needed: boolean): Promise<void> {
  if (needed && !zlib) zlib = await import("node:zlib");
}

/** The length in characters of some lines. */
export function textLength(lines: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < lines.length; i++) n += lines[i].length;
  return n;
}

/**
 * The stored form of a chunk's lines: text, or deflated bytes when long
 * (call {@linkcode loadCodec} first for those).
 */
export function encodeChunk(lines: readonly string[], length = textLength(lines)): string | Uint8Array {
  const text = lines.join("");
  if (length <= COMPRESS_ABOVE || !zlib) return text;
  // zlib takes the string and encodes it natively: quicker than encoding line by line here.
  return new Uint8Array(zlib.deflateRawSync(text, { level: 1 }));
}

/** The NDJSON text of a stored chunk (call {@linkcode loadCodec} first when it is bytes). */
export function decodeChunk(body: unknown): string {
  if (typeof body === "string") return body;
  if (!zlib) throw new Error("the journal codec is not loaded");
  return new TextDecoder().decode(zlib.inflateRawSync(body as Uint8Array));
}
