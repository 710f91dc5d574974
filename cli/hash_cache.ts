/**
 * The content hash a recorded `flow run` stores, remembered between runs: a
 * workflow that cron runs again and again is hashed once, not on every run.
 * SHA-256 through WebCrypto costs a short run about 1 ms, most of it
 * WebCrypto's first use in the process; reading back a small file costs a
 * tenth of that.
 *
 * What is remembered is the text itself beside its hash, one file per
 * workflow path in `hashes/` in the state directory: a remembered hash is
 * used only when the text just read is exactly the text that was hashed, so
 * it is always the hash of what runs. (Keyed by the file's size and times
 * instead, it would trust the clock, and a process's first `Deno.statSync`
 * costs more than this read.) Only texts up to
 * {@linkcode CACHED_TEXT_LENGTH} are remembered, and
 * the {@linkcode CACHED_FILES} newest; a workflow with sub-workflow files is
 * hashed on every run. `flow resume` does not use the cache.
 *
 * The cache is only a cache: a file that is missing, unreadable or not ours
 * is ignored, and one that cannot be written is not written.
 *
 * @module
 */
import { versionHash } from "../src/workflow/mod.ts";
import { stateDir } from "./state.ts";

/** The longest text remembered, in UTF-16 code units (a longer one is hashed on every run): 64 Ki. */
export const CACHED_TEXT_LENGTH = 64 * 1024;

/** How many workflow files are remembered; past that, the ones written longest ago are removed. */
export const CACHED_FILES = 256;

/** One workflow file read for a run. */
export interface HashedFile {
  /** Its absolute path: the cache's key. */
  path: string;
  /** Its text, as run. */
  text: string;
  /** The texts of the sub-workflow files it uses (a workflow that has any is always hashed). */
  sources: ReadonlyMap<string, string>;
}

/** Options of {@linkcode workflowHash}. */
export interface WorkflowHashOptions {
  /** The cache directory (default: `hashes` in the state directory). */
  dir?: string;
}

const HASH = /^sha256:[0-9a-f]{64}$/;

/**
 * The `versionHash` of a workflow file: the remembered one when this exact
 * text was hashed before, else computed (and remembered).
 *
 * @example
 * ```ts
 * import { workflowHash } from "./hash_cache.ts";
 * const dir = await Deno.makeTempDir();
 * await workflowHash({ path: "/srv/wf.json", text: "{}", sources: new Map() }, { dir }); // computed
 * await workflowHash({ path: "/srv/wf.json", text: "{}", sources: new Map() }, { dir }); // remembered
 * ```
 */
export async function workflowHash(file: HashedFile, options: WorkflowHashOptions = {}): Promise<string> {
  const { text, sources } = file;
  const cached = sources.size === 0 && text.length <= CACHED_TEXT_LENGTH
    ? cacheFile(file.path, options.dir)
    : undefined;
  if (cached === undefined) return await versionHash(text, sources);
  const known = readEntry(cached, text);
  if (known !== undefined) return known;
  const hash = await versionHash(text, sources);
  writeEntry(cached, hash, text);
  return hash;
}

/** The cache file of the workflow at `path`, or undefined when there is none to use (no state directory, a long path). */
function cacheFile(path: string, dir: string | undefined): string | undefined {
  const name = encodeURIComponent(path);
  if (name.length > 240) return undefined; // past what file systems take as a name
  try {
    return `${dir ?? `${stateDir()}/hashes`}/${name}`;
  } catch {
    return undefined; // no state directory: nowhere to remember
  }
}

/** The remembered hash when the cache file holds exactly `text`. */
function readEntry(file: string, text: string): string | undefined {
  let entry: string;
  try {
    entry = Deno.readTextFileSync(file);
  } catch {
    return undefined;
  }
  const newline = entry.indexOf("\n");
  const hash = entry.slice(0, newline);
  return newline > 0 && entry.length - newline - 1 === text.length && entry.endsWith(text) && HASH.test(hash)
    ? hash
    : undefined;
}

/** Remembers `hash` of `text` (written whole, then renamed into place), and removes the oldest past the cap. */
function writeEntry(file: string, hash: string, text: string) {
  const dir = file.slice(0, file.lastIndexOf("/"));
  const temp = `${file}.${Deno.pid}.tmp`;
  try {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(temp, `${hash}\n${text}`);
    Deno.renameSync(temp, file);
    trim(dir);
  } catch {
    try {
      Deno.removeSync(temp);
    } catch { /* never written */ }
  }
}

/** Removes the files written longest ago while there are more than {@linkcode CACHED_FILES}. */
function trim(dir: string) {
  const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && !e.name.endsWith(".tmp")).map((e) => e.name);
  if (names.length <= CACHED_FILES) return;
  const written = (name: string) => Deno.statSync(`${dir}/${name}`).mtime?.getTime() ?? 0;
  const oldest = names.map((name) => ({ name, at: written(name) })).sort((a, b) => a.at - b.at);
  for (const { name } of oldest.slice(0, names.length - CACHED_FILES)) Deno.removeSync(`${dir}/${name}`);
}
