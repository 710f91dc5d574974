/**
 * `file.write`: writes one file, replacing it atomically, or appends to it.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";
import { NodeError } from "../../src/errors.ts";
import { basename, dirname, join } from "../../src/path.ts";
import { encode, ENCODINGS } from "./encoding.ts";
import { fileError } from "./errors.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    path: described(
      z.string().check(z.minLength(1)),
      "The file, relative to the workflow file's folder; needs settings.permissions.write",
    ),
    encoding: described(
      z._default(z.enum(ENCODINGS), "utf8"),
      "utf8 (content is text), json (any value, written as JSON) or base64 (content is base64 bytes)",
    ),
    append: described(z._default(z.boolean(), false), "Append instead of replacing (json: one value per line)"),
    mkdir: described(z._default(z.boolean(), false), "Create missing parent folders"),
  })
);

/** The `file.write` node type. */
export default defineNode({
  type: "file.write",
  description: "Writes content to a file (config.path), atomically unless appending; needs settings.permissions.write",
  inputs: { content: { type: "any", description: "Text (utf8), any JSON value (json) or base64 (base64)" } },
  dynamicInputs: { type: "any", description: "Visible to config templates as $node.NAME" },
  outputs: {
    path: { type: "string", description: "The absolute path written" },
    bytes: { type: "number", description: "Bytes written" },
  },
  get config() {
    return configSchema();
  },
  needs: (config) => [{ permission: "write", value: config.path, field: ["path"] }],
  async run({ inputs, config, permissions }) {
    const path = await permissions.checkPath("write", config.path, "path");
    const bytes = encode(inputs.content, config.encoding, config.append);
    try {
      if (config.mkdir) await Deno.mkdir(dirname(path), { recursive: true });
      if (config.append) await Deno.writeFile(path, bytes, { append: true, create: true });
      else await replace(path, bytes);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound && !config.mkdir) {
        throw new NodeError(`writing ${JSON.stringify(path)}: its folder does not exist (mkdir: true creates it)`, {
          code: "FILE_NOT_FOUND",
          cause: err,
        });
      }
      throw fileError(err, "writing", path);
    }
    return { path, bytes: bytes.byteLength };
  },
});

/**
 * Writes a new file beside `path` and renames it over `path`: a reader sees
 * the old content or the new, never a part. An existing file's mode is kept.
 */
async function replace(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  let mode: number | undefined;
  try {
    mode = (await Deno.stat(path)).mode ?? undefined;
  } catch { /* a new file */ }
  try {
    await Deno.writeFile(temp, bytes, { createNew: true, ...(mode === undefined ? {} : { mode: mode & 0o7777 }) });
    if (mode !== undefined && Deno.build.os !== "windows") await Deno.chmod(temp, mode & 0o7777);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}
