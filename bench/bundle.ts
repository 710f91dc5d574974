/**
 * Shared by the CLI benchmarks: the single-file bundle they run, rebuilt
 * (`deno task bundle`) when a source file is newer, and a few statistics.
 *
 * @module
 */
import { fromFileUrl } from "../src/path.ts";

/** Repository root, with a trailing slash. */
export const ROOT: string = fromFileUrl(new URL("../", import.meta.url));
/** The bundle the benchmarks run. */
export const BUNDLE: string = `${ROOT}dist/flow.js`;

/** The q-quantile (0..1) of sorted numbers, nearest-rank. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Median of sorted numbers (mean of the middle two for an even count). */
export function median(sorted: number[]): number {
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function newestSource(): Promise<number> {
  let newest = 0;
  const visit = async (path: string) => {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      for await (const e of Deno.readDir(path)) {
        if (e.isDirectory || /\.(ts|js|json)$/.test(e.name)) await visit(`${path}/${e.name}`);
      }
    } else newest = Math.max(newest, info.mtime?.getTime() ?? 0);
  };
  for (const p of ["cli.ts", "mod.ts", "deno.json", "deno.lock", "cli", "src", "nodes", "scripts/bundle.ts"]) {
    try {
      await visit(`${ROOT}${p}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return newest;
}

/** Builds `dist/flow.js` unless it is newer than every source file (or `rebuild` is set); exits 1 on failure. */
export async function ensureBundle(rebuild: boolean, name: string): Promise<void> {
  let built = 0;
  try {
    built = (await Deno.stat(BUNDLE)).mtime?.getTime() ?? 0;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!rebuild && built > 0 && built >= await newestSource()) {
    console.log("reusing dist/flow.js");
    return;
  }
  console.log("building dist/flow.js (deno task bundle)");
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "bundle"],
    cwd: ROOT,
    stdin: "null",
  }).output();
  if (code !== 0) {
    console.error(`${name}: deno task bundle failed`);
    Deno.exit(1);
  }
}

/** The value of `--NAME N` in the arguments (a positive integer), or `fallback`; exits 2 when malformed. */
export function intFlag(args: string[], name: string, fallback: number, script: string): number {
  const at = args.indexOf(`--${name}`);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${script}: --${name} takes a positive integer`);
    Deno.exit(2);
  }
  return value;
}

/** One line saying where a benchmark ran. */
export function machineLine(extra: string): string {
  const v = Deno.version;
  return `deno ${v.deno} · ${Deno.build.target} · ${navigator.hardwareConcurrency} CPUs · ${extra}`;
}
