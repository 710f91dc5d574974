/**
 * How journal chunks are stored in SQLite: the NDJSON text itself, or, for
 * chunks over {@linkcode COMPRESS_ABOVE} characters, that text compressed
 * with Zstandard (level 1) in a BLOB. Event lines repeat their field names
 * and ids, so a 10,000-node run's 4 MB journal becomes about 50 KB, which
 * keeps its journal from costing much more than the run. zlib is loaded only
 * when a chunk is that large.
 *
 * Databases from schema version 2 hold large chunks as raw DEFLATE; those
 * still decode. A Zstandard frame starts with the bytes `28 B5 2F FD`, which
 * zlib's raw DEFLATE never starts with (a first byte of `0x28` would be a
 * stored block with non-zero padding bits).
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
 * The stored form of a chunk's lines: text, or compressed bytes when long
 * (call {@linkcode loadCodec} first for those).
 */
export function encodeChunk(lines: readonly string[], length = textLength(lines)): string | Uint8Array {
  if (length <= COMPRESS_ABOVE || !zlib) return lines.join("");
  const level = { [zlib.constants.ZSTD_c_compressionLevel]: 1 };
  return new Uint8Array(zlib.zstdCompressSync(utf8(lines, length), { params: level }));
}

/** The NDJSON text of a stored chunk (call {@linkcode loadCodec} first when it is bytes). */
export function decodeChunk(body: unknown): string {
  if (typeof body === "string") return body;
  if (!zlib) throw new Error("the journal codec is not loaded");
  const bytes = body as Uint8Array;
  const zstd = bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd;
  return decoder.decode(zstd ? zlib.zstdDecompressSync(bytes) : zlib.inflateRawSync(bytes));
}

/** Lines are joined and encoded about this many characters at a time. */
const PIECE = 32 * 1024;
/** The largest encoding buffer kept from one chunk to the next, bytes. */
const MAX_KEPT_BUFFER = 8 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let kept: Uint8Array | undefined;

/**
 * The UTF-8 bytes of `lines`, `length` characters in all, in a buffer that
 * is only valid until the next call.
 *
 * A large chunk (a 10,000-node run's journal is 20,000 lines, 4 MB) is
 * joined and encoded a piece at a time into a buffer kept between calls: a
 * 4 MB string and a 4 MB array each time make the garbage collector run a
 * full collection every few chunks (12 ms each on this machine), and zlib or
 * `TextEncoder.encode` handed a whole string convert it about fifteen times
 * slower than `encodeInto` fills a buffer. Event lines are almost always
 * ASCII (a byte per character); for the rest the buffer grows to the most
 * UTF-8 can take, three bytes per UTF-16 unit.
 */
function utf8(lines: readonly string[], length: number): Uint8Array {
  let buffer = kept && kept.length >= length ? kept : new Uint8Array(length);
  let written = encodePieces(lines, buffer);
  if (written < 0) {
    buffer = new Uint8Array(length * 3);
    written = encodePieces(lines, buffer);
  }
  if (buffer.length <= MAX_KEPT_BUFFER && buffer.length > (kept?.length ?? 0)) kept = buffer;
  return buffer.subarray(0, written);
}

/** Encodes `lines` into `buffer` a piece at a time; the bytes written, or -1 when they do not fit. */
function encodePieces(lines: readonly string[], buffer: Uint8Array): number {
  let written = 0;
  for (let i = 0; i < lines.length;) {
    let size = 0;
    const from = i;
    while (i < lines.length && size < PIECE) size += lines[i++].length;
    const piece = i - from === 1 ? lines[from] : lines.slice(from, i).join("");
    const result = encoder.encodeInto(piece, buffer.subarray(written));
    if (result.read < piece.length) return -1;
    written += result.written;
  }
  return written;
}
