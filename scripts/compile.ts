/**
 * Builds the single `flow` binary with `deno compile`, one per target:
 * `dist/flow-<target>` (`dist/flow-<target>.exe` for Windows).
 *
 * Usage:
 *   deno task compile                       # every target in TARGETS
 *   deno task compile host                  # the target of the running Deno
 *   deno task compile aarch64-apple-darwin  # the targets named
 *
 * The binary gets the permissions the CLI needs: net, read, write, env, and
 * run for `exec.command` and `code.function`, which a workflow's
 * `settings.permissions.run` confines (no -A). Its version is deno.json's
 * "version", which the CLI imports, so it is embedded at compile time.
 *
 * `deno compile` embeds the program in a `denort` base binary that it
 * downloads once per Deno version and target. Set `DENORT_BIN` to the path of
 * a local denort to build offline: Deno itself reads that variable (before
 * consulting its cache) for any `--target`, so this script passes it through
 * only for the host target and removes it for other targets, which then need
 * their own download.
 *
 * Exits non-zero with a one-line message when a build fails.
 *
 * @module
 */

import { exists, failer } from "./common.ts";

/** The release targets. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** The permissions baked into the binary. */
export const PERMISSIONS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-run"];

const ROOT = new URL("../", import.meta.url);

/** The output path (relative to the repository root) for one target. */
export function outputFor(target: string): string {
  return `dist/flow-${target}${target.includes("windows") ? ".exe" : ""}`;
}

const fail = failer("compile");

/** Reduces `deno compile`'s multi-line error report to one line. */
export function summarize(stderr: string): string {
  // deno-lint-ignore no-control-regex
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim());
  const download = lines.join("\n").match(/error sending request for url \((\S+?)\)/);
  if (download) {
    return `cannot download the denort base binary ${download[1]}; ` +
      "set DENORT_BIN to a local denort to build the host target offline";
  }
  const error = (lines.find((l) => l.startsWith("error:"))?.slice("error:".length).trim() ?? "unknown error")
    .replace(/\.$/, "");
  const end = lines.findIndex((l) => l.startsWith("Stack backtrace"));
  const start = lines.indexOf("Caused by:");
  const causes = start < 0 ? [] : lines.slice(start + 1, end < 0 ? undefined : end);
  const cause = lines.find((l) => /^TS\d+ /.test(l)) ?? // first type error
    causes.find((l) => /^\d+: /.test(l))?.replace(/^\d+: /, "");
  const text = cause ? `${error}: ${cause}` : error;
  return text.length > 240 ? `${text.slice(0, 237)}...` : text;
}

if (import.meta.main) {
  const host = Deno.build.target;
  const args = Deno.args.map((a) => a === "host" ? host : a);
  const unknown = args.filter((a) => !(TARGETS as readonly string[]).includes(a));
  if (unknown.length) fail(`unknown target ${unknown.join(", ")}; expected "host" or one of ${TARGETS.join(", ")}`);
  const targets = args.length ? [...new Set(args)] : [...TARGETS];

  const include: string[] = [];
  // The sandbox Worker for custom nodes is started with `new Worker(new URL(...))`,
  // which `deno compile` does not follow statically, so it must be embedded
  // explicitly. It is being added separately: include it only once it exists.
  if (await exists(new URL("src/sandbox/worker.ts", ROOT))) {
    include.push("--include", "src/sandbox/worker.ts");
    console.error("compile: including src/sandbox/worker.ts");
  }

  let denort = Deno.env.get("DENORT_BIN") || undefined;
  if (denort) {
    if (!denort.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(denort)) {
      // `deno task` runs in the repository root; resolve against the caller's directory.
      denort = `${Deno.env.get("INIT_CWD") ?? Deno.cwd()}/${denort}`;
    }
    if (!(await exists(denort))) fail(`DENORT_BIN=${denort} does not exist`);
  }

  await Deno.mkdir(new URL("dist/", ROOT), { recursive: true });
  for (const target of targets) {
    const output = outputFor(target);
    const env = Deno.env.toObject();
    delete env.DENORT_BIN;
    if (denort && target === host) env.DENORT_BIN = denort;
    else if (denort) console.error(`compile: ${target} is not the host target ${host}: DENORT_BIN not used for it`);
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      // Sandboxed custom nodes start Workers with their own permissions (also set in deno.json; explicit here).
      args: [
        "compile",
        ...PERMISSIONS,
        "--unstable-worker-options",
        ...include,
        "--target",
        target,
        "--output",
        output,
        "cli.ts",
      ],
      cwd: ROOT,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      const log = `dist/compile-${target}.log`;
      await Deno.writeFile(new URL(log, ROOT), stderr);
      fail(`${target} failed: ${summarize(new TextDecoder().decode(stderr))} (full output: ${log})`);
    }
    const { size } = await Deno.stat(new URL(output, ROOT));
    console.error(`compile: built ${output} (${(size / 1048576).toFixed(1)} MiB)`);
  }
}
