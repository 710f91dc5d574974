/**
 * How flow starts a sandbox process (`process.ts`): the program, its
 * arguments and its Deno permissions, and the heap limit that makes an
 * out-of-memory end that process instead of flow.
 *
 * The same child entry (`child.ts`) is reached three ways:
 * - from a source checkout (or flow imported as a library), `deno run` of
 *   `child.ts` itself, with flow's `deno.json` for its imports;
 * - from the single-file bundle, `deno run` of the bundle (`Deno.mainModule`)
 *   with the hidden argument {@linkcode SANDBOX_COMMAND}, which `cli/main.ts`
 *   hands to `child.ts`;
 * - from a compiled binary (`Deno.execPath()` is flow itself, whose
 *   permissions were fixed at compile time), the binary with that argument.
 *
 * @module
 */
import { basename, dirname, fromFileUrl } from "../path.ts";
import { envValue, parseLimit } from "../workflow/limits.ts";

/** The hidden first argument of `flow` that makes it a sandbox process (see `cli/main.ts`). */
export const SANDBOX_COMMAND = "__sandbox";

/** The variable that sets the heap limit of a sandbox process. */
export const MEMORY_VAR = "FLOW_SANDBOX_MEMORY";
/** The heap limit of a sandbox process unless {@linkcode MEMORY_VAR} sets another: 512 MiB. */
export const DEFAULT_SANDBOX_MEMORY = 512 * 1024 ** 2;
/** The lowest limit accepted: 32 MiB (Deno itself needs some of it). */
export const MIN_SANDBOX_MEMORY = 32 * 1024 ** 2;
/** The highest limit accepted: 64 GiB. */
export const MAX_SANDBOX_MEMORY = 64 * 1024 ** 3;

/**
 * The heap limit of sandbox processes, in bytes: {@linkcode MEMORY_VAR} where
 * set (and readable), else {@linkcode DEFAULT_SANDBOX_MEMORY}. Whole MiB:
 * V8 takes the limit in MiB. Throws a one-line error naming the variable
 * for a bad value.
 *
 * @example
 * ```ts
 * import { sandboxMemoryLimit } from "./launch.ts";
 * sandboxMemoryLimit(); // 536870912 unless FLOW_SANDBOX_MEMORY is set
 * ```
 */
export function sandboxMemoryLimit(): number {
  const text = envValue(MEMORY_VAR);
  const bytes = parseLimit(MEMORY_VAR, text, DEFAULT_SANDBOX_MEMORY, MAX_SANDBOX_MEMORY, true, MIN_SANDBOX_MEMORY);
  return Math.ceil(bytes / 1024 ** 2) * 1024 ** 2;
}

/** One Deno permission as a Worker's options take it: false, true, or a list. */
export type Grant = boolean | string[];

/** What a sandbox process may do: at least what its Worker may. */
export interface ProcessGrants {
  net: Grant;
  read: Grant;
  write: Grant;
  env: Grant;
  run: Grant;
}

/** How to start one sandbox process. */
export interface SandboxLaunch {
  /** The program. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Variables to set in its environment (on top of flow's own). */
  env: Record<string, string>;
}

/** Where flow runs from: the facts {@linkcode sandboxLaunch} decides on (the running process's by default). */
export interface LaunchSite {
  /** `Deno.execPath()`. */
  execPath: string;
  /** `Deno.mainModule`. */
  mainModule: string;
  /** The URL of this module (`file:`/`https:` from source; the bundle's, or `blob:`, in a bundle). */
  moduleUrl: string;
}

/**
 * The command that starts a sandbox process with the heap limit `memory`
 * (bytes) and the Deno permissions `grants` (no wider: the Worker inside
 * gets these or fewer). See the module's description for the three ways.
 *
 * @example
 * ```ts
 * import { sandboxLaunch } from "./launch.ts";
 * const none = { net: false, read: false, write: false, env: false, run: false };
 * sandboxLaunch(none, 64 * 1024 ** 2, { execPath: "/usr/bin/deno", mainModule: "file:///x/flow.js", moduleUrl: "file:///x/flow.js" });
 * // { command: "/usr/bin/deno", args: ["run", "--v8-flags=--max-old-space-size=64", ..., "file:///x/flow.js", "__sandbox"], env: {} }
 * ```
 */
export function sandboxLaunch(grants: ProcessGrants, memory: number, site: LaunchSite = here()): SandboxLaunch {
  const mib = Math.ceil(memory / 1024 ** 2);
  if (!/^deno(\.exe)?$/i.test(basename(site.execPath))) {
    // A compiled binary: its permissions and unstable features are its own. Deno's node:child_process rewrites the
    // arguments of a command that is exactly Deno.execPath() as Node's (into `run -A ...`): the same file named
    // through "." is not rewritten.
    const sep = site.execPath.includes("\\") && !site.execPath.includes("/") ? "\\" : "/";
    return {
      command: `${dirname(site.execPath)}${sep}.${sep}${basename(site.execPath)}`,
      args: [SANDBOX_COMMAND],
      env: { DENO_V8_FLAGS: `--max-old-space-size=${mib}` },
    };
  }
  const fromSource = /^(file|https?):.*\/sandbox\/launch\.ts$/.test(site.moduleUrl);
  const entry = fromSource ? new URL("./child.ts", site.moduleUrl).href : site.mainModule;
  // From source, the process reads the Worker's modules (flow's, and its node_modules) to start it; the Worker
  // itself needs no read access for that. A bundle holds its Worker.
  const root = fromSource && site.moduleUrl.startsWith("file:") ? new URL("../..", site.moduleUrl) : undefined;
  const read = root ? addPath(grants.read, fromFileUrl(root)) : grants.read;
  const config = root ? ["--config", fromFileUrl(new URL("deno.json", root))] : fromSource ? [] : ["--no-config"];
  return {
    command: site.execPath,
    args: [
      "run",
      `--v8-flags=--max-old-space-size=${mib}`,
      "--unstable-worker-options",
      "--no-prompt",
      ...config,
      ...permissionFlags({ ...grants, read }),
      entry,
      ...(fromSource ? [] : [SANDBOX_COMMAND]),
    ],
    env: {},
  };
}

function here(): LaunchSite {
  return { execPath: Deno.execPath(), mainModule: Deno.mainModule, moduleUrl: import.meta.url };
}

/** A read grant with one more path (a grant of everything stays so). */
function addPath(grant: Grant, path: string): Grant {
  if (grant === true) return true;
  return [...(grant === false ? [] : grant), path];
}

/**
 * `deno run` flags for grants: `--allow-read=/a,/b`, `--allow-net` for true,
 * nothing for false. Deno's flags cannot name a value with a comma in it:
 * such a grant becomes the whole permission for the process, which only runs
 * flow's own code (the Worker inside keeps the exact list).
 *
 * @example
 * ```ts
 * import { permissionFlags } from "./launch.ts";
 * permissionFlags({ net: true, read: ["/a", "/b"], write: ["/c,d"], env: [], run: false });
 * // ["--allow-net", "--allow-read=/a,/b", "--allow-write"]
 * ```
 */
export function permissionFlags(grants: ProcessGrants): string[] {
  const flags: string[] = [];
  for (const name of ["net", "read", "write", "env", "run"] as const) {
    const grant = grants[name];
    if (grant === true || (Array.isArray(grant) && grant.some((v) => v.includes(",")))) flags.push(`--allow-${name}`);
    else if (Array.isArray(grant) && grant.length) flags.push(`--allow-${name}=${grant.join(",")}`);
  }
  return flags;
}
