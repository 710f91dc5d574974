/**
 * The catalog: every workflow file under the served paths, each valid (with
 * the version it serves) or with its errors. Files are loaded at start and
 * again when they change (hot reload): a valid edit replaces the version, an
 * invalid one keeps the old version serving and reports the error.
 *
 * Conflicts are resolved over the whole catalog after every change: two
 * files with the same workflow id are both refused; a webhook method and
 * path claimed twice is refused in the file seen later.
 *
 * @module
 */
import { type ValidationIssue, WorkflowValidationError } from "../errors.ts";
import { logicText, sha256Hex } from "../workflow/hash.ts";
import { readWorkflowBytes, readWorkflowSource } from "../workflow/load.ts";
import type { Registry } from "../node/registry.ts";
import { SKIPPED_DIRS } from "../sources/roots.ts";
import { buildVersion, type WorkflowVersion } from "./version.ts";

/** One workflow file as the catalog knows it. */
export interface CatalogEntry {
  /** Absolute path. */
  readonly file: string;
  /** The order in which files were first seen (earlier wins a webhook route). */
  readonly seq: number;
  /** The last valid version of the file (it serves unless `conflicts` says otherwise). */
  version?: WorkflowVersion;
  /** Problems of the file's latest content, one line each (empty when it is valid). */
  errors: string[];
  /** The same problems, each with its path in the file (for the editor). */
  issues: ValidationIssue[];
  /** SHA-256 (hex) of the file's bytes when last read; undefined when it could not be read. */
  etag?: string;
  /** The tag of bytes the API wrote and reloaded, until the watcher has seen them. */
  written?: string;
  /** Why the file's valid version is refused (duplicate id, webhook route taken). */
  conflicts: string[];
}

/** What a reload compares an entry against: what it served, and why not. */
interface Snapshot {
  version?: WorkflowVersion;
  serving: boolean;
  conflicts: string[];
}

/** An entry's state before a reload. */
function snapshot(entry: CatalogEntry): Snapshot {
  return { version: entry.version, serving: serving(entry), conflicts: entry.conflicts };
}

/** Whether an entry serves: it has a valid version and no conflict. */
export function serving(entry: CatalogEntry): boolean {
  return entry.version !== undefined && entry.conflicts.length === 0;
}

/** Who changed a file: the API (`flow serve`'s editor routes) or something else on the disk. */
export type ChangeOrigin = "api" | "disk";

/** A file written or removed, as the catalog saw it on reload. */
export interface FileChange {
  /** `file.written` (new bytes) or `file.removed`. */
  type: "file.written" | "file.removed";
  /** Absolute path. */
  file: string;
  /** The workflow id it has (its serving version's, or the previous one while invalid). */
  id?: string;
  /** SHA-256 (hex) of the new bytes. */
  etag?: string;
  /** Who changed it. */
  origin: ChangeOrigin;
}

/** What the catalog reports as it loads and reloads. */
export interface CatalogEvents {
  /** One line for the log (`flow serve: ...` or a validation problem). */
  log?: (line: string) => void;
  /** The set of serving versions changed: triggers must follow. */
  changed?: () => void;
  /** A file's bytes changed (or it went) since the catalog last read it. */
  file?: (change: FileChange) => void;
}

/** Options of {@linkcode Catalog.reload}. */
export interface ReloadOptions {
  /** Who changed the files (default `disk`). */
  origin?: ChangeOrigin;
  /** Take the files in even when they do not look like workflows (a draft the editor created). */
  include?: boolean;
}

/** How loading one file went: valid, invalid, or bytes unchanged (nothing to do or to report). */
type LoadOutcome = "valid" | "invalid" | "unchanged";

/** A webhook route: method and path (`/hooks/...`) to the trigger node serving it. */
export interface WebhookRoute {
  /** The entry serving it. */
  entry: CatalogEntry;
  /** The webhook node. */
  nodeId: string;
}

/** Loads and watches the workflow files under some paths. */
export class Catalog {
  readonly #paths: string[];
  readonly #registry: Registry;
  readonly #nodeDirs: string[];
  readonly #events: CatalogEvents;
  readonly #entries = new Map<string, CatalogEntry>();
  #byId = new Map<string, CatalogEntry>();
  #serving = new Map<string, WorkflowVersion>();
  #routes = new Map<string, Map<string, WebhookRoute>>();
  #seq = 0;
  #watcher?: Deno.FsWatcher;
  #closed = false;
  /** The tags of bytes the API is writing, by file: whichever reload reads them first reports them as the API's. */
  readonly #apiWrites = new Map<string, string>();
  #reloading: Promise<void> = Promise.resolve();

  /** A catalog of the workflow files under `paths` (files or directories, absolute). */
  constructor(paths: string[], registry: Registry, options: { nodeDirs?: string[] } & CatalogEvents = {}) {
    this.#paths = paths;
    this.#registry = registry;
    this.#nodeDirs = options.nodeDirs ?? [];
    this.#events = options;
  }

  /** Every known file, in the order first seen. */
  entries(): CatalogEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The entry serving workflow `id`. */
  get(id: string): CatalogEntry | undefined {
    return this.#byId.get(id);
  }

  /** The route of a webhook request: a route, or the methods the path allows (405), or undefined (404). */
  route(method: string, path: string): WebhookRoute | { allow: string[] } | undefined {
    const byMethod = this.#routes.get(path);
    if (!byMethod) return undefined;
    return byMethod.get(method) ?? { allow: [...byMethod.keys()].sort() };
  }

  /**
   * Loads every workflow file under the paths. Changes the watcher sees
   * meanwhile ({@linkcode Catalog.watch} may start first) are reloaded after it.
   */
  load(): Promise<void> {
    const loading = this.#reloading.then(() => this.#loadAll());
    this.#reloading = loading.catch(() => {});
    return loading;
  }

  async #loadAll(): Promise<void> {
    const files = await this.#discover();
    for (const file of files) this.#entry(file);
    const all = new Set(files);
    await Promise.all(files.map((file) => this.#loadFile(file, all)));
    this.#resolve();
    for (const entry of this.entries()) for (const line of entry.conflicts) this.#log(line);
  }

  /** Watches the paths and reloads what changes, until {@linkcode Catalog.close}. */
  watch(): void {
    const roots = this.#paths.filter((p) => {
      try {
        Deno.statSync(p);
        return true;
      } catch {
        return false;
      }
    });
    if (roots.length === 0) return;
    this.#watcher = Deno.watchFs(roots, { recursive: true });
    (async () => {
      let pending = new Set<string>();
      let timer: ReturnType<typeof setTimeout> | undefined;
      for await (const event of this.#watcher!) {
        for (const path of event.paths) pending.add(path);
        // Editors save in bursts (write, rename, chmod): settle for a moment.
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => {
          const paths = pending;
          pending = new Set();
          timer = undefined;
          this.#reloading = this.#reloading.then(() => this.reload([...paths]));
        }, 100);
      }
      if (timer !== undefined) clearTimeout(timer);
    })().catch(() => {});
  }

  /** Waits until the reloads started so far are done. */
  settled(): Promise<void> {
    return this.#reloading;
  }

  /**
   * Reloads the given changed paths (and the workflows that depend on them),
   * then logs one line per file for what actually changed in what it serves.
   */
  async reload(paths: string[], options: ReloadOptions = {}): Promise<void> {
    if (this.#closed) return;
    const origin = options.origin ?? "disk";
    const changed = new Set(paths);
    const affected = new Set<string>();
    for (const path of paths) {
      if (this.#entries.has(path) || (path.endsWith(".json") && this.#underRoots(path))) affected.add(path);
      for (const entry of this.#entries.values()) {
        if (entry.version?.dependencies.has(path)) affected.add(entry.file);
      }
    }
    const before = new Map(this.entries().map((e) => [e, snapshot(e)]));
    const removed: CatalogEntry[] = [];
    const loads: Promise<LoadOutcome>[] = [];
    const loaded: CatalogEntry[] = [];
    for (const file of affected) {
      let exists = false;
      try {
        exists = Deno.statSync(file).isFile;
      } catch { /* removed */ }
      if (!exists) {
        const entry = this.#entries.get(file);
        if (!entry) continue;
        this.#entries.delete(file);
        removed.push(entry);
        continue;
      }
      if (!this.#entries.has(file) && !options.include && !(await isWorkflowFile(file))) continue;
      const etag = this.#entries.get(file)?.etag;
      loaded.push(this.#entry(file));
      loads.push(
        this.#loadFile(file, changed).then((outcome) => {
          const entry = this.#entries.get(file);
          // The API's bytes, whichever reload read them first (the watcher's may run before the API's own).
          const by = entry?.etag !== undefined && this.#apiWrites.get(file) === entry.etag ? "api" : origin;
          // The watcher will see this write too: it is the same bytes, to be left alone even if invalid.
          if (entry && by === "api") entry.written = entry.etag;
          if (entry?.etag !== undefined && entry.etag !== etag) {
            this.#events.file?.({ type: "file.written", file, id: entry.version?.id, etag: entry.etag, origin: by });
          }
          return outcome;
        }),
      );
    }
    const outcomes = await Promise.all(loads);
    this.#resolve();
    for (const entry of removed) {
      this.#log(
        `flow serve: ${entry.file}: removed; ${
          before.get(entry)?.serving ? `stopped serving "${entry.version!.id}"` : "it served nothing"
        }`,
      );
      this.#events.file?.({ type: "file.removed", file: entry.file, id: entry.version?.id, origin });
      entry.version?.retire();
    }
    const invalid = new Set(loaded.filter((_, i) => outcomes[i] === "invalid"));
    const reloaded = loaded.filter((_, i) => outcomes[i] !== "unchanged");
    for (const entry of this.entries()) this.#report(entry, before.get(entry), reloaded.includes(entry), invalid);
  }

  /**
   * Announces bytes the API is about to write to `file` (by their tag), so
   * that the watcher's reload, if it reads them first, reports them with
   * origin `api` too; the returned function ends the announcement (after
   * the API's own reload).
   */
  expectWrite(file: string, etag: string): () => void {
    this.#apiWrites.set(file, etag);
    return () => {
      if (this.#apiWrites.get(file) === etag) this.#apiWrites.delete(file);
    };
  }

  /**
   * Reloads files now, after the reloads already started (the editor's
   * writes: the answer to a write tells what the file now serves, without
   * waiting for the watcher, which then finds the bytes unchanged).
   */
  reloadNow(paths: string[], options: ReloadOptions = {}): Promise<void> {
    const done = this.#reloading.then(() => this.reload(paths, options));
    this.#reloading = done.catch(() => {});
    return done;
  }

  /**
   * The log lines of one file after a reload: what it serves now against
   * what it served before (`loaded`, `reloaded`, `now serving`, `stopped
   * serving`), and its conflicts that are new.
   */
  #report(entry: CatalogEntry, was: Snapshot | undefined, loaded: boolean, invalid: Set<CatalogEntry>) {
    const file = `flow serve: ${entry.file}`;
    const id = entry.version ? `"${entry.version.id}"` : "";
    const fresh = entry.conflicts.filter((line) => loaded || !was?.conflicts.includes(line));
    for (const line of fresh) this.#log(line);
    if (invalid.has(entry)) {
      if (serving(entry)) this.#log(`${file}: invalid; still serving the previous version of ${id}`);
      else if (entry.version) this.#log(`${file}: invalid; its previous version of ${id} is refused too`);
      return;
    }
    const now = serving(entry);
    if (now && !was?.serving) {
      if (!was?.version) this.#log(`${file}: loaded ${id}`);
      else if (was.version !== entry.version) this.#log(`${file}: reloaded ${id}`);
      else this.#log(`${file}: now serving ${id}; its conflict is gone`);
    } else if (now && was?.version !== entry.version) {
      this.#log(`${file}: reloaded ${id}`);
    } else if (!now && was?.serving) {
      this.#log(`${file}: stopped serving "${was.version!.id}"`);
    }
  }

  /** Stops watching and retires every version (each disposed after its last run). */
  async close(): Promise<void> {
    this.#closed = true;
    try {
      this.#watcher?.close();
    } catch { /* already closed */ }
    await Promise.all([...this.#entries.values()].map((e) => e.version?.retire()));
  }

  #entry(file: string): CatalogEntry {
    let entry = this.#entries.get(file);
    if (!entry) {
      entry = { file, seq: this.#seq++, errors: [], issues: [], conflicts: [] };
      this.#entries.set(file, entry);
    }
    return entry;
  }

  /**
   * Loads one file into its entry; an invalid file keeps its previous
   * version, and its problems are logged. `changed` holds every path of
   * this reload: a file whose bytes did not change is not loaded again
   * unless one of its dependencies is there, and a change of its `layout`
   * alone keeps its version (see {@linkcode WorkflowVersion.relayout}).
   */
  async #loadFile(file: string, changed: Set<string>): Promise<LoadOutcome> {
    const entry = this.#entry(file);
    const old = entry.version;
    const dependencyChanged = [...old?.dependencies ?? []].some((dep) => dep !== file && changed.has(dep));
    try {
      const { bytes, text } = await this.#read(entry);
      const etag = entry.etag;
      entry.etag = await sha256Hex(bytes);
      // Bytes the catalog has loaded already: nothing to do, unless they were invalid and not the API's own write
      // (touching a file retries it: a node's setup may have failed for a reason that is gone).
      const written = entry.written;
      entry.written = undefined;
      if (etag === entry.etag && !dependencyChanged && (entry.errors.length === 0 || written === etag)) {
        return "unchanged";
      }
      if (old && !dependencyChanged && (text === old.text || await logicText(text) === await logicText(old.text))) {
        old.relayout(text);
        this.#valid(entry);
        return "valid";
      }
      const version = await buildVersion(file, text, this.#registry, this.#nodeDirs);
      if (this.#closed || !this.#entries.has(file)) {
        version.retire();
        return "valid";
      }
      // Only sub-workflow files changed, in their layout alone: the version serving goes on (its schedules too).
      const onlyLayout = old !== undefined && version.hash === old.hash &&
        [...changed].every((p) => p === file || !old.dependencies.has(p) || old.sources.has(p));
      if (onlyLayout) {
        version.retire();
        old.relayout(text);
      } else {
        entry.version = version;
        old?.retire();
      }
      this.#valid(entry);
      return "valid";
    } catch (err) {
      // Anything else is a bug, not a problem of the file: still one line, and the server goes on.
      entry.issues = err instanceof WorkflowValidationError
        ? err.issues
        : [{ path: "", message: `cannot load: ${err instanceof Error ? err.message : String(err)}` }];
      entry.errors = err instanceof WorkflowValidationError
        ? err.message.split("\n")
        : [`${file}: ${entry.issues[0].message}`];
      for (const line of entry.errors) this.#log(line);
      return "invalid";
    }
  }

  /** The file's bytes and text; a file that cannot be read loses its tag. */
  async #read(entry: CatalogEntry): Promise<{ bytes: Uint8Array; text: string }> {
    try {
      return await Promise.resolve(readWorkflowSource(entry.file));
    } catch (err) {
      entry.etag = undefined;
      throw err;
    }
  }

  #valid(entry: CatalogEntry) {
    entry.errors = [];
    entry.issues = [];
  }

  /** Recomputes who serves which id and webhook route. */
  #resolve() {
    const entries = this.entries();
    // What served at the last resolve (an entry's version may have been replaced since: compare versions).
    const before = this.#serving;
    const withId = new Map<string, CatalogEntry[]>();
    for (const entry of entries) {
      entry.conflicts = [];
      if (!entry.version) continue;
      const list = withId.get(entry.version.id) ?? [];
      list.push(entry);
      withId.set(entry.version.id, list);
    }
    for (const [id, list] of withId) {
      if (list.length < 2) continue;
      for (const entry of list) {
        const others = list.filter((e) => e !== entry).map((e) => e.file).join(", ");
        entry.conflicts.push(`${entry.file}: workflow id "${id}" is also used by ${others}; both are refused`);
      }
    }
    const routes = new Map<string, Map<string, WebhookRoute>>();
    for (const entry of entries) {
      if (!serving(entry)) continue;
      const claims = entry.version!.triggers.filter((t) => t.kind === "webhook").map((t) => ({
        nodeId: t.nodeId,
        method: String(t.config.method),
        path: webhookPath(String(t.config.path)),
      }));
      const taken = claims.flatMap((c) => {
        const owner = routes.get(c.path)?.get(c.method);
        return owner
          ? [
            `${entry.file}: webhook ${c.method} ${c.path} (node "${c.nodeId}") is already served by ${owner.entry.file}; refused`,
          ]
          : [];
      });
      if (taken.length) {
        entry.conflicts.push(...taken);
        continue;
      }
      for (const c of claims) {
        if (!routes.has(c.path)) routes.set(c.path, new Map());
        routes.get(c.path)!.set(c.method, { entry, nodeId: c.nodeId });
      }
    }
    const byId = new Map<string, CatalogEntry>();
    for (const entry of entries) if (serving(entry)) byId.set(entry.version!.id, entry);
    this.#byId = byId;
    this.#serving = new Map([...byId].map(([id, e]) => [id, e.version!]));
    this.#routes = routes;
    const changed = byId.size !== before.size || [...byId].some(([id, e]) => before.get(id) !== e.version);
    if (changed) this.#events.changed?.();
  }

  #log(line: string) {
    this.#events.log?.(line);
  }

  #underRoots(path: string): boolean {
    return this.#paths.some((root) => path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`));
  }

  /** The workflow files under the paths: given files always; `.json` workflow files under directories. */
  async #discover(): Promise<string[]> {
    const files: string[] = [];
    const walk = async (dir: string) => {
      const names: Deno.DirEntry[] = [];
      for await (const e of Deno.readDir(dir)) names.push(e);
      names.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of names) {
        const path = `${dir}/${e.name}`;
        if (e.isDirectory && !e.name.startsWith(".") && !SKIPPED_DIRS.has(e.name)) await walk(path);
        else if (e.isFile && e.name.endsWith(".json") && await isWorkflowFile(path)) files.push(path);
      }
    };
    for (const path of this.#paths) {
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(path);
      } catch {
        this.#log(`flow serve: ${path}: file not found`);
        continue;
      }
      if (info.isDirectory) await walk(path.replace(/\/+$/, ""));
      else files.push(path);
    }
    return [...new Set(files)];
  }
}

/** The served path of a webhook's `path` config: `orders` is `/hooks/orders`. */
export function webhookPath(path: string): string {
  return `/hooks/${path.replace(/^\/+/, "")}`;
}

/**
 * Whether a `.json` file under a served directory is a workflow: a JSON
 * object with `nodes`, or text that is not valid JSON at all, or a file
 * larger than the size limit (reported as an invalid workflow rather than
 * ignored). Other JSON (package.json, deno.json) is skipped.
 */
async function isWorkflowFile(path: string): Promise<boolean> {
  let text: string;
  try {
    // Never more than the size limit: a larger file is taken as a workflow, to be reported as too large.
    text = new TextDecoder().decode(await Promise.resolve(readWorkflowBytes(path)));
  } catch (err) {
    return err instanceof WorkflowValidationError;
  }
  try {
    const value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    return value !== null && typeof value === "object" && !Array.isArray(value) && "nodes" in value;
  } catch {
    return /"nodes"\s*:/.test(text);
  }
}
