/**
 * `file.read`: reads one file, as text, JSON or base64.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";
import { NodeError } from "../../src/errors.ts";
import { decode, ENCODINGS } from "./encoding.ts";
import { fileError } from "./errors.ts";

/** Default of `maxBytes`: 64 MiB. */
export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    path: described(
      z.string().check(z.minLength(1)),
      "The file, relative to the workflow file's folder; needs settings.permissions.read",
    ),
    encoding: described(z._default(z.enum(ENCODINGS), "utf8"), "utf8 (text), json (parsed) or base64 (bytes)"),
    maxBytes: described(
      z._default(z.number().check(z.int(), z.minimum(1), z.maximum(2 ** 31 - 1)), DEFAULT_MAX_READ_BYTES),
      "Refuse a larger file (FILE_TOO_LARGE); default 64 MiB",
    ),
  })
);

/** The `file.read` node type. */
export default defineNode({
  type: "file.read",
  description: "Reads a file (config.path) as utf8 text, parsed json or base64; needs settings.permissions.read",
  inputs: {},
  dynamicInputs: { type: "any", description: "Visible to config templates as $node.NAME" },
  outputs: { content: { type: "any", description: "The text, the parsed JSON value, or the bytes as base64" } },
  get config() {
    return configSchema();
  },
  needs: (config) => [{ permission: "read", value: config.path, field: ["path"] }],
  async run({ config, permissions }) {
    const path = await permissions.checkPath("read", config.path, "path");
    const bytes = await readBounded(path, config.maxBytes);
    return { content: decode(bytes, config.encoding, path) };
  },
});

/** The file's bytes; fails with `FILE_TOO_LARGE` past `max` (read as a stream: a device or a pipe has no size). */
async function readBounded(path: string, max: number): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    throw fileError(err, "reading", path);
  }
  try {
    const info = await file.stat();
    if (info.isDirectory) {
      throw new NodeError(`reading ${JSON.stringify(path)}: is a directory (file.list lists one)`, {
        code: "NOT_A_FILE",
        retryable: false,
      });
    }
    if (info.size > max) throw tooLarge(path, max);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of file.readable) {
      total += chunk.byteLength;
      if (total > max) throw tooLarge(path, max);
      chunks.push(chunk);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  } catch (err) {
    throw err instanceof NodeError ? err : fileError(err, "reading", path);
  } finally {
    try {
      file.close();
    } catch { /* file.readable closes the file when it ends */ }
  }
}

function tooLarge(path: string, max: number): NodeError {
  return new NodeError(`reading ${JSON.stringify(path)}: larger than maxBytes (${max} bytes)`, {
    code: "FILE_TOO_LARGE",
    retryable: false,
  });
}
