/**
 * The content hash a recorded `flow run` stores, remembered between runs by
 * the file's stamp (device, inode, size, modification and change times) in
 * `hashes.json` in the state directory. A workflow that cron runs again and
 * again is hashed once, not on every run: SHA-256 through WebCrypto costs a
 * short run about 1 ms, most of it WebCrypto's first use in the process.
 *
 * A remembered hash is only ever used for the exact stamp it was computed
 * with, and that stamp is taken before the file is read, so the hash is of
 * the text that stamp describes. A stamp is remembered only once the file's
 * change time is {@linkcode SETTLED_MS} in the past: any later change gives
 * the file a later change time (the kernel sets it; no tool can set it back),
 * even where a file system keeps times to the second. This is how `git`
 * trusts its index. `flow resume` does not use the cache: it hashes the file.
 *
 * The cache is only a cache: a file that is missing, unreadable or not ours
 * is ignored, and one that cannot be written is not written.
 *
 * @module
 */
import { versionHash } from "../src/hash.ts";
import { stateDir } from "./state.ts";

/** How long ago a file's change time must be before its stamp is remembered, ms. */
export const SETTLED_MS = 3000;

/** How many files the cache remembers; the ones hashed longest ago are dropped first. */
export const CACHED_FILES = 256;

/** What identifies one version of a file without reading it. */
export interface FileStamp {
  /** Device. */
  dev: number;
  /** Inode. */
  ino: number;
  /** Size in bytes. */
  size: number;
  /** Last modification, ms since the epoch. */
  mtimeMs: number;
  /** Last change of content or metadata, ms since the epoch (set by the kernel). */
  ctimeMs: number;
}

/** The stamp of the file at `path`, or undefined when it has none (stdin, an error, a system without inodes). */
export function fileStamp(path: string): FileStamp | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    return undefined;
  }
  if (!info.isFile || info.ino === null || info.mtime === null || info.ctime === null) return undefined;
  return {
    dev: info.dev,
    ino: info.ino,
    size: info.size,
    mtimeMs: info.mtime.getTime(),
    ctimeMs: info.ctime.getTime(),
  };
}

/** One workflow file read for a run. */
export interface HashedFile {
  /** Its absolute path: the cache's key. */
  path: string;
  /** Its stamp, taken before `text` was read. */
  stamp?: FileStamp;
  /** Its text. */
  text: string;
  /** The texts of the sub-workflow files it uses (a workflow that has any is always hashed). */
  sources: ReadonlyMap<string, string>;
}

/** Options of {@linkcode workflowHash}. */
export interface WorkflowHashOptions {
  /** The directory of `hashes.json` (default: the state directory). */
  dir?: string;
  /** The current time, ms since the epoch (default `Date.now()`). */
  now?: number;
}

/** A remembered file: its stamp's fields in order, then its hash. */
type Entry = [dev: number, ino: number, size: number, mtimeMs: number, ctimeMs: number, hash: string];

/**
 * The `versionHash` of a workflow file: remembered when its stamp matches,
 * else computed (and remembered once the file has settled).
 *
 * @example
 * ```ts
 * import { fileStamp, workflowHash } from "./hash_cache.ts";
 * const path = await Deno.makeTempFile();
 * const stamp = fileStamp(path);
 * const text = await Deno.readTextFile(path);
 * await workflowHash({ path, stamp, text, sources: new Map() }, { dir: await Deno.makeTempDir() }); // "sha256:e3b0..."
 * ```
 */
export async function workflowHash(file: HashedFile, options: WorkflowHashOptions = {}): Promise<string> {
  const { stamp } = file;
  if (!stamp || file.sources.size > 0) return await versionHash(file.text, file.sources);
  let cacheFile: string;
  try {
    cacheFile = `${options.dir ?? stateDir()}/hashes.json`;
  } catch {
    return await versionHash(file.text, file.sources); // no state directory: nowhere to remember
  }
  const files = readCache(cacheFile);
  const known = files.get(file.path);
  if (known && sameStamp(known, stamp)) return known[5];
  const hash = await versionHash(file.text, file.sources);
  const now = options.now ?? Date.now();
  if (stamp.ctimeMs <= now - SETTLED_MS && stamp.mtimeMs <= now - SETTLED_MS) {
    files.delete(file.path); // re-added last: the most recently hashed are kept
    files.set(file.path, [stamp.dev, stamp.ino, stamp.size, stamp.mtimeMs, stamp.ctimeMs, hash]);
    writeCache(cacheFile, files);
  }
  return hash;
}

function sameStamp(entry: Entry, stamp: FileStamp): boolean {
  return entry[0] === stamp.dev && entry[1] === stamp.ino && entry[2] === stamp.size && entry[3] === stamp.mtimeMs &&
    entry[4] === stamp.ctimeMs;
}

/** The remembered files, oldest first; none when the cache is missing or not ours. */
function readCache(path: string): Map<string, Entry> {
  const files = new Map<string, Entry>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return files;
  }
  const entries = (parsed as { files?: unknown } | null)?.files;
  if (typeof entries !== "object" || entries === null) return files;
  for (const [key, value] of Object.entries(entries)) {
    if (isEntry(value)) files.set(key, value);
  }
  return files;
}

function isEntry(value: unknown): value is Entry {
  return Array.isArray(value) && value.length === 6 && value.slice(0, 5).every((n) => typeof n === "number") &&
    typeof value[5] === "string";
}

/** Replaces the cache file at once (write, then rename), keeping the newest {@linkcode CACHED_FILES}. */
function writeCache(path: string, files: Map<string, Entry>) {
  const kept = [...files].slice(-CACHED_FILES);
  const temp = `${path}.${Deno.pid}.tmp`;
  try {
    Deno.writeTextFileSync(temp, JSON.stringify({ files: Object.fromEntries(kept) }) + "\n");
    Deno.renameSync(temp, path);
  } catch {
    try {
      Deno.removeSync(temp);
    } catch { /* never written */ }
  }
}
