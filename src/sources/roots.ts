/**
 * The served paths of `flow serve` as the editor's API names files in them,
 * and the confinement of every file it reads or writes.
 *
 * Names: with one served path, a file's name is its path relative to that
 * directory (`orders.json`, `billing/invoice.json`; a served file is its
 * base name). With several, each served path has a label, its base name
 * (`-2`, `-3` added to a repeated one), and a name starts with it
 * (`flows/orders.json`, `other/x.json`; a served file is its label).
 * Names use `/`; no two files share one.
 *
 * Confinement: a file is read or written only when its real path (every
 * symbolic link resolved) is inside the real path of a served directory,
 * or is a served file; a new file's name is checked before anything
 * touches the disk (no `..`, no absolute path, no backslash, no NUL, a
 * `.json` name, no folder that `flow serve` skips).
 *
 * @module
 */
import { basename, dirname } from "../path.ts";
import { SourceError } from "./errors.ts";

/** Folders `flow serve` does not look into (beside hidden ones): a file created there would not be served. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(["node_modules", ".git", "dist", ".scratch"]);

/** One served path. */
export interface ServedRoot {
  /** Absolute path, as given. */
  path: string;
  /** Whether it is a directory (else a file). */
  dir: boolean;
  /** Its label (the first part of names when several paths are served). */
  label: string;
}

/** Where a new file goes. */
export interface NewFileTarget {
  /** The served directory that will hold it. */
  root: ServedRoot;
  /** Its absolute path. */
  file: string;
  /** Its name, as the API lists it. */
  name: string;
}

const MAX_NAME = 1024;
const MAX_SEGMENT_BYTES = 255;

/** The served paths, naming files and confining reads and writes. */
export class ServedRoots {
  /** The served paths, in the order given. */
  readonly roots: readonly ServedRoot[];

  /** Names the served paths (absolute); each is looked at once, to know whether it is a directory. */
  constructor(paths: readonly string[]) {
    const seen = new Set<string>();
    this.roots = paths.map((given) => {
      const path = given.length > 1 ? given.replace(/\/+$/, "") : given;
      let dir = false;
      try {
        dir = Deno.statSync(path).isDirectory;
      } catch { /* missing: flow serve says so; nothing in it is served */ }
      const base = basename(path) || "root";
      let label = base;
      for (let n = 2; seen.has(label); n++) label = dir ? `${base}-${n}` : base.replace(/(\.json)?$/, `-${n}$1`);
      seen.add(label);
      return { path, dir, label };
    });
  }

  /**
   * The name of a served file (absolute path), or undefined when it is in
   * no served path.
   */
  name(file: string): string | undefined {
    const one = this.roots.length === 1;
    for (const root of this.roots) {
      if (!root.dir) {
        if (file === root.path) return one ? basename(file) : root.label;
        continue;
      }
      const prefix = root.path.endsWith("/") ? root.path : `${root.path}/`;
      if (file.startsWith(prefix)) {
        const rel = file.slice(prefix.length);
        return one ? rel : `${root.label}/${rel}`;
      }
    }
    return undefined;
  }

  /**
   * Where a new file named `name` goes: in the first served directory,
   * unless several paths are served and the name's first part is the
   * label of another. Throws a `BAD_PATH` {@linkcode SourceError} for a
   * name that is not allowed (see {@linkcode checkNewName}) or when no
   * directory is served.
   */
  target(name: string): NewFileTarget {
    checkNewName(name);
    const dirs = this.roots.filter((r) => r.dir);
    if (dirs.length === 0) {
      throw new SourceError(
        "BAD_PATH",
        "flow serve was given files, not a directory: there is no served directory to create a file in",
      );
    }
    const parts = name.split("/");
    const named = parts.length > 1 && this.roots.length > 1 ? dirs.find((r) => r.label === parts[0]) : undefined;
    const root = named ?? dirs[0];
    const rest = named ? parts.slice(1).join("/") : name;
    return {
      root,
      file: `${root.path === "/" ? "" : root.path}/${rest}`,
      name: this.roots.length > 1 ? `${root.label}/${rest}` : rest,
    };
  }

  /**
   * The real path of a served file, checked to be inside a served
   * directory (or to be a served file); a `BAD_PATH`
   * {@linkcode SourceError} when a symbolic link leads out.
   */
  async confine(file: string, name: string): Promise<string> {
    let real: string;
    try {
      real = await Deno.realPath(file);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) throw new SourceError("NOT_FOUND", `${name}: the file is gone`);
      throw err;
    }
    if (!await this.#inside(real)) throw outside(name);
    return real;
  }

  /**
   * Checks that the folder a new file goes into is inside its served
   * directory once its symbolic links are resolved (the nearest folder of
   * it that exists, as the rest will be created); a `BAD_PATH`
   * {@linkcode SourceError} otherwise.
   */
  async confineNew(target: NewFileTarget): Promise<void> {
    let dir = dirname(target.file);
    for (;;) {
      try {
        const real = await Deno.realPath(dir);
        if (!(await Deno.stat(real)).isDirectory) {
          throw new SourceError("BAD_PATH", `${target.name}: ${basename(dir)} is a file, not a folder`);
        }
        const root = await Deno.realPath(target.root.path);
        if (real !== root && !real.startsWith(root.endsWith("/") ? root : `${root}/`)) throw outside(target.name);
        return;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound) || dir === target.root.path || dir === dirname(dir)) throw err;
        dir = dirname(dir);
      }
    }
  }

  /** Whether a real path is inside the real path of a served directory, or is a served file. */
  async #inside(real: string): Promise<boolean> {
    for (const root of this.roots) {
      let rootReal: string;
      try {
        rootReal = await Deno.realPath(root.path);
      } catch {
        continue;
      }
      if (!root.dir) {
        if (real === rootReal) return true;
        continue;
      }
      if (real.startsWith(rootReal.endsWith("/") ? rootReal : `${rootReal}/`)) return true;
    }
    return false;
  }
}

function outside(name: string): SourceError {
  return new SourceError(
    "BAD_PATH",
    `${name}: resolves outside the served directories (through a symbolic link); flow serve writes only inside them`,
  );
}

/**
 * Checks the name of a new file, before anything touches the disk: a
 * relative path with `/` between its parts, none of them empty, `.` or
 * `..`, no backslash, NUL or other control character, ending in a `.json`
 * file name, and no folder that `flow serve` skips (hidden ones,
 * {@linkcode SKIPPED_DIRS}). Throws a `BAD_PATH` {@linkcode SourceError}
 * naming what is wrong.
 *
 * @example
 * ```ts
 * import { checkNewName } from "./roots.ts";
 * checkNewName("billing/invoice.json"); // fine
 * checkNewName("../x.json"); // throws BAD_PATH
 * ```
 */
export function checkNewName(name: string): void {
  const bad = (why: string) =>
    new SourceError("BAD_PATH", `file: ${why}; got ${JSON.stringify(name.length > 200 ? name.slice(0, 200) : name)}`);
  if (name === "") throw bad("expected a path such as orders.json");
  if (name.length > MAX_NAME) throw bad(`a path is at most ${MAX_NAME} characters`);
  if (name.includes("\0")) throw bad("a path cannot hold NUL");
  if (name.includes("\\")) throw bad("use / between folders, not \\");
  if (/\p{Cc}/u.test(name)) throw bad("a path cannot hold control characters");
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) {
    throw bad("expected a path relative to the served directory, not an absolute one");
  }
  const parts = name.split("/");
  for (const part of parts) {
    if (part === "") throw bad("a path has no empty parts (// or a / at either end)");
    if (part === "." || part === "..") throw bad(`"${part}" is not allowed in a path`);
    if (new TextEncoder().encode(part).length > MAX_SEGMENT_BYTES) throw bad(`a part is at most 255 bytes`);
  }
  for (const dir of parts.slice(0, -1)) {
    if (dir.startsWith(".") || SKIPPED_DIRS.has(dir)) {
      throw bad(`flow serve does not look into the folder ${JSON.stringify(dir)}, so the file would not be served`);
    }
  }
  const file = parts[parts.length - 1];
  if (!file.endsWith(".json") || file === ".json") throw bad("a workflow file name ends in .json");
}
