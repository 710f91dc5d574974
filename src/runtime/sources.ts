/**
 * The workflow files of a runtime as the editor reads and writes them
 * (docs/api.md#editing-workflow-files): a served file's bytes and tag
 * (SHA-256), a new text or a JSON Patch written only over the version the
 * client read (`If-Match`), a new file from the starter. Every write is
 * confined to the served directories (`src/sources/roots.ts`), atomic
 * (`src/sources/files.ts`), within the workflow size limit, one at a time
 * per file, and followed at once by a reload of that file, so the answer
 * tells what the file now serves, as `GET /api/v1/workflows` will.
 *
 * @module
 */
import { basename, dirname } from "../path.ts";
import { SourceError, StaleError } from "../sources/errors.ts";
import { checkSize, readSource, writeAtomic } from "../sources/files.ts";
import { applyPatch, type PatchOperation } from "../sources/patch.ts";
import type { ServedRoots } from "../sources/roots.ts";
import { sha256Hex } from "../workflow/hash.ts";
import { invalidUtf8Offset } from "../workflow/load.ts";
import { type LocatedIssue, locateIssues } from "../workflow/locate.ts";
import { fileText, idFromName, starterWorkflow } from "../workflow/starter.ts";
import { type Catalog, type CatalogEntry, serving } from "./catalog.ts";

/** Which file: by workflow id (the serving file, or the one whose last valid version had it), or by name. */
export type SourceRef = { id: string } | { path: string };

/** The tags a write may replace (`If-Match`): `*` (any), or a list. */
export type IfMatch = "*" | readonly string[];

/** A served file's bytes. */
export interface SourceText {
  /** Its name (see `ServedRoots`). */
  file: string;
  /** SHA-256 of the bytes, hex. */
  etag: string;
  /** The bytes, as on disk. */
  bytes: Uint8Array;
}

/** What a write did: the new tag, and what the file serves now. */
export interface WriteResult {
  /** Its name. */
  file: string;
  /** SHA-256 of the bytes written, hex. */
  etag: string;
  /** Whether the new text is a valid workflow that serves (as `GET /api/v1/workflows` says). */
  valid: boolean;
  /** Its problems (and conflicts with other files), each with its place in the text. */
  errors: LocatedIssue[];
  /** The workflow id (of the version serving, while the new text is invalid). */
  id?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads and writes the served workflow files. */
export class WorkflowSources {
  readonly #catalog: Catalog;
  readonly #roots: ServedRoots;
  readonly #locks = new Map<string, Promise<unknown>>();

  /** The files of a catalog, named and confined by `roots`. */
  constructor(catalog: Catalog, roots: ServedRoots) {
    this.#catalog = catalog;
    this.#roots = roots;
  }

  /** The catalog entry of a file, and its name; a `NOT_FOUND` {@linkcode SourceError} when none. */
  find(ref: SourceRef): { entry: CatalogEntry; name: string } {
    let entry: CatalogEntry | undefined;
    if ("id" in ref) {
      entry = this.#catalog.get(ref.id) ?? this.#catalog.entries().find((e) => e.version?.id === ref.id);
    } else {
      entry = this.#catalog.entries().find((e) => this.#roots.name(e.file) === ref.path);
    }
    const name = entry && this.#roots.name(entry.file);
    if (!entry || name === undefined) {
      throw new SourceError(
        "NOT_FOUND",
        "id" in ref
          ? `no workflow "${ref.id}" is served; a file that never loaded is opened by its path (/api/v1/files/...)`
          : `no served workflow file ${JSON.stringify(ref.path)}; GET /api/v1/workflows lists them`,
      );
    }
    return { entry, name };
  }

  /** A served file's bytes and tag, read now. */
  async read(ref: SourceRef): Promise<SourceText> {
    const { entry, name } = this.find(ref);
    const real = await this.#roots.confine(entry.file, name);
    const { bytes, etag } = await readSource(real, name);
    return { file: name, etag, bytes };
  }

  /**
   * Replaces a file's text with `bytes` (any UTF-8 text: a draft that is
   * not valid is written too, and the version serving goes on serving),
   * if its tag is one of `ifMatch`.
   */
  put(ref: SourceRef, bytes: Uint8Array, ifMatch: IfMatch | undefined): Promise<WriteResult> {
    const { entry, name } = this.find(ref);
    const bad = invalidUtf8Offset(bytes);
    if (bad >= 0) throw new SourceError("BAD_TEXT", `the text is not UTF-8 (byte offset ${bad}); nothing was written`);
    checkSize(bytes, name);
    return this.#write(entry, name, ifMatch, () => bytes);
  }

  /** Applies a JSON Patch to a file's text in place (`src/sources/patch.ts`), if its tag is one of `ifMatch`. */
  patch(ref: SourceRef, operations: readonly PatchOperation[], ifMatch: IfMatch | undefined): Promise<WriteResult> {
    const { entry, name } = this.find(ref);
    return this.#write(entry, name, ifMatch, (current) => {
      const text = applyPatch(decodeText(current, name), operations);
      const bytes = encoder.encode(text);
      checkSize(bytes, name);
      return bytes;
    });
  }

  /**
   * Creates a new file (see `ServedRoots.target` for where); without a
   * text, the starter workflow of `flow init` with an id from the file name
   * (one no served workflow has). It is served from now on, valid or not.
   */
  async create(name: string, text?: string): Promise<WriteResult> {
    const target = this.#roots.target(name);
    await this.#roots.confineNew(target);
    const bytes = encoder.encode(text ?? await this.#starter(target.file));
    checkSize(bytes, target.name);
    return await this.#locked(target.file, async () => {
      const done = this.#catalog.expectWrite(target.file, await sha256Hex(bytes));
      try {
        await writeAtomic(target.file, bytes, target.name, true);
        await this.#catalog.reloadNow([target.file], { origin: "api", include: true });
      } finally {
        done();
      }
      return this.#result(target.file, target.name, bytes);
    });
  }

  /** The starter's text for a new file: a unique id from its name, and `$schema` when `flow init`'s schema is beside it. */
  async #starter(file: string): Promise<string> {
    const base = idFromName(basename(file).replace(/\.json$/, ""));
    const taken = new Set(this.#catalog.entries().map((e) => e.version?.id));
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    const schema = await Deno.stat(`${dirname(file)}/workflow.schema.json`).then((s) => s.isFile, () => false);
    return fileText(starterWorkflow(id, schema ? "./workflow.schema.json" : undefined));
  }

  /** Writes a file's new bytes (made from its current ones) if its tag matches, then reloads it. */
  #write(
    entry: CatalogEntry,
    name: string,
    ifMatch: IfMatch | undefined,
    make: (current: Uint8Array) => Uint8Array,
  ): Promise<WriteResult> {
    if (ifMatch === undefined) {
      throw new SourceError(
        "PRECONDITION_REQUIRED",
        `a write needs If-Match with the ETag of the version it changes (GET /api/v1/files/${name}/source)`,
      );
    }
    return this.#locked(entry.file, async () => {
      const real = await this.#roots.confine(entry.file, name);
      const current = await readSource(real, name);
      if (ifMatch !== "*" && !ifMatch.includes(current.etag)) {
        throw new StaleError(
          `${name} changed since that version was read (If-Match ${ifMatch.map((t) => `"${t}"`).join(", ")}; ` +
            `it is now "${current.etag}"): nothing was written; the file's text and ETag are in this answer`,
          current.etag,
          decoder.decode(current.bytes),
        );
      }
      const bytes = make(current.bytes);
      const done = this.#catalog.expectWrite(entry.file, await sha256Hex(bytes));
      try {
        await writeAtomic(real, bytes, name);
        await this.#catalog.reloadNow([entry.file], { origin: "api" });
      } finally {
        done();
      }
      return this.#result(entry.file, name, bytes);
    });
  }

  /** What a file serves after a write. */
  async #result(file: string, name: string, bytes: Uint8Array): Promise<WriteResult> {
    const entry = this.#catalog.entries().find((e) => e.file === file);
    const text = decoder.decode(bytes);
    const issues = [...entry?.issues ?? [], ...(entry?.conflicts ?? []).map((message) => ({ path: "", message }))];
    return {
      file: name,
      etag: entry?.etag ?? await sha256Hex(bytes),
      valid: entry !== undefined && serving(entry) && entry.errors.length === 0,
      errors: locateIssues(text, issues),
      ...(entry?.version ? { id: entry.version.id } : {}),
    };
  }

  /** Runs `task` after every earlier one on the same file (one write at a time, and its reload). */
  #locked<T>(file: string, task: () => Promise<T>): Promise<T> {
    const run = (this.#locks.get(file) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => {});
    this.#locks.set(file, tail);
    tail.then(() => {
      if (this.#locks.get(file) === tail) this.#locks.delete(file);
    });
    return run;
  }
}

/** A file's text for a patch: UTF-8, else a `NOT_JSON` {@linkcode SourceError}. */
function decodeText(bytes: Uint8Array, name: string): string {
  const bad = invalidUtf8Offset(bytes);
  if (bad >= 0) {
    throw new SourceError("NOT_JSON", `${name} is not UTF-8 text (byte offset ${bad}), so it cannot be patched`);
  }
  return decoder.decode(bytes);
}
