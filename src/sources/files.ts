/**
 * Reading and writing workflow files for the editor: bytes within the
 * workflow size limit, tagged with their SHA-256; writes that are atomic (a
 * temporary file in the same folder, flushed to disk, then renamed over
 * the file, which keeps its mode), and creation that never replaces a file.
 *
 * @module
 */
import { basename, dirname } from "../path.ts";
import { WorkflowValidationError } from "../errors.ts";
import { sha256Hex } from "../workflow/hash.ts";
import { formatBytes, workflowLimits } from "../workflow/limits.ts";
import { readWorkflowBytes } from "../workflow/load.ts";
import { SourceError } from "./errors.ts";

/** A file's bytes and their tag. */
export interface SourceBytes {
  /** The bytes, as on disk. */
  bytes: Uint8Array;
  /** SHA-256 of the bytes, hex. */
  etag: string;
}

/**
 * A workflow file's bytes and tag. A file larger than the workflow size
 * limit is a `TOO_LARGE` {@linkcode SourceError}, a missing one `NOT_FOUND`.
 */
export async function readSource(file: string, name: string): Promise<SourceBytes> {
  let bytes: Uint8Array;
  try {
    bytes = readWorkflowBytes(file, name);
  } catch (err) {
    if (err instanceof WorkflowValidationError) throw new SourceError("TOO_LARGE", err.message);
    if (err instanceof Deno.errors.NotFound) throw new SourceError("NOT_FOUND", `${name}: the file is gone`);
    throw err;
  }
  return { bytes, etag: await sha256Hex(bytes) };
}

/** Checks that bytes to write are within the workflow size limit (`FLOW_MAX_WORKFLOW_BYTES`): `TOO_LARGE` beyond. */
export function checkSize(bytes: Uint8Array, name: string): void {
  const { maxBytes } = workflowLimits();
  if (bytes.length > maxBytes) {
    throw new SourceError(
      "TOO_LARGE",
      `${name}: the new text is ${bytes.length} bytes, larger than the workflow size limit of ` +
        `${formatBytes(maxBytes, true)} (FLOW_MAX_WORKFLOW_BYTES)`,
    );
  }
}

/**
 * Writes bytes to `file` atomically: into a temporary file beside it,
 * flushed to disk, given the mode of the file it replaces, then renamed
 * over it (a reader sees the old bytes or the new, never a mix). With
 * `create`, the file must not exist (an `EXISTS` {@linkcode SourceError}),
 * and its missing folders are made.
 */
export async function writeAtomic(file: string, bytes: Uint8Array, name: string, create = false): Promise<void> {
  const dir = dirname(file);
  if (create) await Deno.mkdir(dir, { recursive: true });
  const mode = create ? undefined : (await Deno.stat(file)).mode ?? undefined;
  const temp = `${dir}/.${basename(file)}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    {
      using handle = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
      for (let at = 0; at < bytes.length;) at += await handle.write(bytes.subarray(at));
      await handle.sync();
    }
    if (mode !== undefined && mode !== null) await Deno.chmod(temp, mode & 0o7777);
    if (create) await placeNew(temp, file, name);
    else await Deno.rename(temp, file);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
  await syncFolder(dir);
}

/** Moves a written temporary file to a new name that must not exist: a hard link does it atomically. */
async function placeNew(temp: string, file: string, name: string): Promise<void> {
  try {
    await Deno.link(temp, file);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) throw exists(name);
    // No hard links on this file system: check, then rename (a file made in between would be replaced).
    if (await Deno.lstat(file).then(() => true, () => false)) throw exists(name);
    await Deno.rename(temp, file);
    return;
  }
  await Deno.remove(temp);
}

function exists(name: string): SourceError {
  return new SourceError("EXISTS", `${name} already exists; open it to edit it, or choose another name`);
}

/** Flushes a folder's entries (the rename) to disk, where the system allows it. */
async function syncFolder(dir: string): Promise<void> {
  try {
    using handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch { /* not every system opens a folder */ }
}
