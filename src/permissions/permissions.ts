/**
 * A workflow's `settings.permissions`, resolved: what the nodes that touch
 * the system (`code.function`, `exec.command`, the `file.*`, `sql.query` and
 * `email.send` nodes) may reach. Nothing is granted by default. Validation
 * checks what each node's static config needs (`NodeDefinition.needs`), and
 * nodes check what they use at run time with `ctx.permissions`
 * ({@linkcode WorkflowPermissions.check}).
 *
 * The meanings are Deno's: `run` lists programs (a name, or a path), `read`
 * and `write` list files and folders (a folder grants everything under it),
 * `net` lists `host` (any port) or `host:port`, `env` lists variable names;
 * `true` grants anything. Relative paths are resolved against the workflow
 * file's folder.
 *
 * @module
 */
import { NodeError } from "../errors.ts";
import type { NodePermissions, PermissionName } from "../node/node.ts";
import { basename, dirname, isAbsolute, join, resolve } from "../path.ts";
import type { DeclaredPermissions } from "../workflow/format.ts";

/** The permission names, in the order they are shown. */
export const PERMISSION_NAMES: readonly PermissionName[] = ["run", "read", "write", "net", "env"];

/** One resolved grant: `true` (anything), or the list (empty: nothing). */
export type Grant = true | readonly string[];

/** Every permission's resolved grant. */
export type Grants = Readonly<Record<PermissionName, Grant>>;

const VERB: Record<PermissionName, string> = {
  run: "run",
  read: "read",
  write: "write",
  net: "reach",
  env: "read the environment variable",
};

const SEP = Deno.build.os === "windows" ? "\\" : "/";

/**
 * A workflow's grants, with relative paths resolved against its folder.
 *
 * @example
 * ```ts
 * import { WorkflowPermissions } from "./permissions.ts";
 * const p = new WorkflowPermissions({ read: ["./data"], run: ["pg_dump"] }, "/srv/flows");
 * p.allows("read", "data/in.csv"); // true
 * p.allows("read", "/etc/passwd"); // false
 * p.allows("run", "pg_dump"); // true
 * ```
 */
export class WorkflowPermissions implements NodePermissions {
  /** The folder relative paths are resolved against. */
  readonly base: string;
  /** Every permission's grant, resolved. */
  readonly grants: Grants;
  /** Real paths (symbolic links resolved) of the read and write grants, computed on first use. */
  #realRoots = new Map<PermissionName, Promise<string[]>>();

  /** Resolves `declared` (`settings.permissions` as written) against `base`. */
  constructor(declared: DeclaredPermissions | undefined, base: string) {
    this.base = base;
    const grants = {} as Record<PermissionName, Grant>;
    for (const name of PERMISSION_NAMES) {
      const given = declared?.[name];
      grants[name] = given === true
        ? true
        : Array.isArray(given)
        ? [...new Set(given.filter((v) => typeof v === "string").map((v) => this.#normalize(name, v)))]
        : [];
    }
    this.grants = grants;
  }

  /** A path made absolute against the workflow's folder. */
  resolve(path: string): string {
    return resolve(this.base, path);
  }

  /** Whether anything at all is granted. */
  get any(): boolean {
    return PERMISSION_NAMES.some((name) => this.grants[name] === true || (this.grants[name] as string[]).length > 0);
  }

  /** Whether `value` is granted (`true`: anything, which only a grant of `true` covers). */
  allows(permission: PermissionName, value: string | true): boolean {
    const grant = this.grants[permission];
    if (grant === true) return true;
    if (value === true) return false;
    const v = this.#normalize(permission, value);
    switch (permission) {
      case "read":
      case "write":
        return grant.some((g) => isWithin(v, g));
      case "net":
        return grant.some((g) => hostCovers(g, v));
      default:
        return grant.includes(v);
    }
  }

  /**
   * Why `value` is not granted (`may not read "/etc/passwd": settings.permissions.read does not grant it`),
   * or undefined when it is.
   */
  denial(permission: PermissionName, value: string | true): string | undefined {
    if (this.allows(permission, value)) return undefined;
    const what = value === true
      ? `may ${VERB[permission]} anything: settings.permissions.${permission} is not true`
      : `may not ${VERB[permission]} ${JSON.stringify(this.#normalize(permission, value))}: ` +
        `settings.permissions.${permission} does not grant it`;
    return what;
  }

  /** Throws a `PERMISSION_DENIED` `NodeError` (not retried) unless `value` is granted. */
  check(permission: PermissionName, value: string | true, field?: string): void {
    const denial = this.denial(permission, value);
    if (denial) throw denied(field ? `${field}: ${denial}` : denial);
  }

  /**
   * {@linkcode check} for a path, then for the real path it leads to (symbolic
   * links resolved, in the part that exists): a link inside a granted folder
   * that points outside every granted one is refused. Resolves to the
   * absolute path (links not resolved).
   */
  async checkPath(permission: "read" | "write", path: string, field?: string): Promise<string> {
    const abs = this.resolve(path);
    this.check(permission, abs, field);
    const grant = this.grants[permission];
    if (grant === true) return abs;
    const real = await realPathOf(abs);
    if (real === abs) return abs;
    let roots = this.#realRoots.get(permission);
    if (!roots) this.#realRoots.set(permission, roots = Promise.all(grant.map(realPathOf)));
    if ((await roots).some((root) => isWithin(real, root))) return abs;
    const message = `may not ${permission} ${JSON.stringify(abs)}: it leads to ${JSON.stringify(real)} ` +
      `(a symbolic link), which settings.permissions.${permission} does not grant`;
    throw denied(field ? `${field}: ${message}` : message);
  }

  /**
   * What these grants hold that `outer` does not (a sub-workflow's grants
   * must lie within its parent's): one message per entry, empty when within.
   */
  outside(outer: WorkflowPermissions): string[] {
    const out: string[] = [];
    for (const name of PERMISSION_NAMES) {
      const grant = this.grants[name];
      for (const value of grant === true ? [true as const] : grant) {
        const denial = outer.denial(name, value);
        if (denial) out.push(denial);
      }
    }
    return out;
  }

  /** One line per permission that grants something (`run: pg_dump, sh`; `read: any`). Empty when none does. */
  describe(): string[] {
    return PERMISSION_NAMES.flatMap((name) => {
      const grant = this.grants[name];
      if (grant === true) return [`${name}: any`];
      return grant.length ? [`${name}: ${grant.join(", ")}`] : [];
    });
  }

  /** The grants as JSON: each permission `true` or its list. */
  toJSON(): Record<PermissionName, true | string[]> {
    const out = {} as Record<PermissionName, true | string[]>;
    for (const name of PERMISSION_NAMES) {
      const grant = this.grants[name];
      out[name] = grant === true ? true : [...grant];
    }
    return out;
  }

  /** A value as compared: paths absolute, programs given by path absolute, hosts lower-case. */
  #normalize(permission: PermissionName, value: string): string {
    if (permission === "read" || permission === "write") return this.resolve(value);
    if (permission === "run") return /[\\/]/.test(value) ? this.resolve(value) : value;
    if (permission === "net") return value.toLowerCase();
    return value;
  }
}

/**
 * The grants of a workflow read from `file` (relative paths against its
 * folder; the current folder for stdin, `<...>` labels or no file).
 */
export function permissionsOf(
  declared: DeclaredPermissions | undefined,
  file: string | undefined,
): WorkflowPermissions {
  const base = file && !file.startsWith("<") ? dirname(resolve(file)) : Deno.cwd();
  return new WorkflowPermissions(declared, base);
}

function denied(message: string): NodeError {
  return new NodeError(message, { code: "PERMISSION_DENIED", retryable: false });
}

/** Whether absolute path `path` is `root` or inside it. */
function isWithin(path: string, root: string): boolean {
  if (path === root) return true;
  return path.startsWith(root.endsWith(SEP) ? root : root + SEP);
}

/** Splits `host`, `host:port`, `[v6]` or `[v6]:port` (lower-case) into host and port. */
function splitHost(value: string): { host: string; port?: string } {
  const v6 = /^\[([^\]]*)\](?::(\d+))?$/.exec(value);
  if (v6) return { host: v6[1], port: v6[2] };
  const colon = value.lastIndexOf(":");
  if (colon > 0 && value.indexOf(":") === colon && /^\d+$/.test(value.slice(colon + 1))) {
    return { host: value.slice(0, colon), port: value.slice(colon + 1) };
  }
  return { host: value };
}

/** Whether a `net` grant (`host` for any port, or `host:port`) covers `value`. */
function hostCovers(grant: string, value: string): boolean {
  const g = splitHost(grant), v = splitHost(value);
  return g.host === v.host && (g.port === undefined || g.port === v.port);
}

/**
 * The real path of `path`: symbolic links resolved in the longest part of it
 * that exists, and a dangling link followed to where it points (opening it
 * to write creates the file there).
 */
async function realPathOf(path: string, hops = 0): Promise<string> {
  const abs = isAbsolute(path) ? path : resolve(path);
  try {
    return await Deno.realPath(abs);
  } catch {
    if (hops < MAX_LINK_HOPS) {
      let target: string | undefined;
      try {
        target = await Deno.readLink(abs);
      } catch { /* not a link */ }
      if (target !== undefined) return await realPathOf(resolve(dirname(abs), target), hops + 1);
    }
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(await realPathOf(parent, hops), basename(abs));
  }
}

/** Links followed at most while resolving a path (Linux's own limit): a loop of links ends there. */
const MAX_LINK_HOPS = 40;
