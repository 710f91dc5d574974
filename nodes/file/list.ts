/**
 * `file.list`: the files of a folder that match a glob, with their size and
 * modification time.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { defineNode } from "../../src/node/node.ts";
import { NodeError } from "../../src/errors.ts";
import { join } from "../../src/path.ts";
import { fileError } from "./errors.ts";

/** Default of `maxFiles`. */
export const DEFAULT_MAX_FILES = 10_000;

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    dir: described(
      z.string().check(z.minLength(1)),
      "The folder, relative to the workflow file's folder; needs settings.permissions.read",
    ),
    glob: described(
      z._default(z.string().check(z.minLength(1)), "*"),
      'Which files, by their path inside dir: "*.csv", "**/*.json" (subfolders); default "*"',
    ),
    maxFiles: described(
      z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1_000_000)), DEFAULT_MAX_FILES),
      "List at most this many (the first by path); default 10000",
    ),
  })
);

/** One file found. */
interface Found {
  path: string;
  name: string;
  size: number;
  modifiedAt: string | null;
}

/** The `file.list` node type. */
export default defineNode({
  type: "file.list",
  description: "Lists the files of config.dir matching config.glob; needs settings.permissions.read",
  inputs: {},
  dynamicInputs: { type: "any", description: "Visible to config templates as $node.NAME" },
  outputs: {
    files: { type: "array", description: "{ path, name, size, modifiedAt } of each file, by path" },
    truncated: { type: "boolean", description: "Whether more files matched than maxFiles" },
  },
  get config() {
    return configSchema();
  },
  needs: (config) => [{ permission: "read", value: config.dir, field: ["dir"] }],
  async run({ config, permissions, log, signal }) {
    const root = await permissions.checkPath("read", config.dir, "dir");
    const { matchesGlob } = await import("node:path");
    const recursive = config.glob.includes("/") || config.glob.includes("**");
    const matched: Found[] = [];
    await walk(root, "", recursive, async (name, entry) => {
      if (!matchesGlob(name, config.glob)) return;
      const full = join(root, name);
      if (entry.isSymlink) {
        // A link is listed only when it leads to a file the grant covers.
        try {
          await permissions.checkPath("read", full);
        } catch {
          return;
        }
      }
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(full);
      } catch {
        return; // gone meanwhile, or a dangling link
      }
      if (!info.isFile) return;
      matched.push({
        path: join(config.dir, name).replaceAll("\\", "/"),
        name: name.replaceAll("\\", "/"),
        size: info.size,
        modifiedAt: info.mtime?.toISOString() ?? null,
      });
    }, signal);
    matched.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const truncated = matched.length > config.maxFiles;
    if (truncated) {
      log.warn(`${matched.length} files matched; listed the first ${config.maxFiles} (maxFiles)`);
    }
    return { files: truncated ? matched.slice(0, config.maxFiles) : matched, truncated };
  },
});

/** Calls `visit` with each entry's path inside `root` (folders entered when `recursive`, links not followed). */
async function walk(
  root: string,
  rel: string,
  recursive: boolean,
  visit: (name: string, entry: Deno.DirEntry) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const dir = rel ? join(root, rel) : root;
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (err) {
    if (rel) return; // a subfolder that went away or cannot be read
    if (err instanceof Deno.errors.NotADirectory || /os error 20\)/.test(String(err))) {
      throw new NodeError(`listing ${JSON.stringify(dir)}: not a directory`, {
        code: "NOT_A_DIRECTORY",
        retryable: false,
      });
    }
    throw fileError(err, "listing", dir);
  }
  for (const entry of entries) {
    if (signal.aborted) throw signal.reason;
    const name = rel ? join(rel, entry.name) : entry.name;
    if (entry.isDirectory) {
      if (recursive) await walk(root, name, recursive, visit, signal);
    } else await visit(name, entry);
  }
}
