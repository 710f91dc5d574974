/**
 * A failed file operation of a `file.*` node as a `NodeError`: the path, what
 * was being done and why (`src/errors.ts` `fileErrorReason`).
 *
 * @module
 */
import { fileErrorReason, NodeError } from "../../src/errors.ts";

/**
 * The error for `err`, thrown while doing `action` (`reading`, `writing`,
 * `listing`) at `path`: `FILE_NOT_FOUND` for a missing file or folder,
 * `PERMISSION_DENIED` when flow itself lacks Deno's permission, else
 * `FILE_ERROR`. Not found and other errors are retryable (a file may appear,
 * a disk may free up); a denied permission is not.
 *
 * @example
 * ```ts
 * import { fileError } from "./errors.ts";
 * try { await Deno.readFile("/nonexistent"); } catch (err) { throw fileError(err, "reading", "/nonexistent"); }
 * ```
 */
export function fileError(err: unknown, action: string, path: string): NodeError {
  const message = `${action} ${JSON.stringify(path)}: ${fileErrorReason(err)}`;
  if (err instanceof Deno.errors.NotFound) return new NodeError(message, { code: "FILE_NOT_FOUND", cause: err });
  if ((err as Error)?.name === "NotCapable") {
    return new NodeError(message, { code: "PERMISSION_DENIED", retryable: false, cause: err });
  }
  return new NodeError(message, { code: "FILE_ERROR", cause: err });
}
