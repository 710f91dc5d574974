/**
 * File paths and file URLs for the platform flow runs on (POSIX, or Windows
 * with drive letters, UNC paths and either slash), without `node:path` and
 * `node:url`: loading Node's compatibility layer costs tens of milliseconds
 * of start-up time, which every `flow` command would pay.
 *
 * @module
 */

const WINDOWS = Deno.build.os === "windows";
const SEP = WINDOWS ? "\\" : "/";

const isSep = (c: string | undefined) => c === "/" || (WINDOWS && c === "\\");

/** The root of a path: `/`, `C:\`, `\\server\share\`, or "" for a relative path. */
function rootOf(path: string): string {
  if (!WINDOWS) return path.startsWith("/") ? "/" : "";
  const unc = /^[\\/]{2}[^\\/]+[\\/][^\\/]+[\\/]?/.exec(path);
  if (unc) return unc[0].replaceAll("/", "\\").replace(/\\?$/, "\\");
  const drive = /^[A-Za-z]:([\\/])?/.exec(path);
  if (drive) return drive[1] ? `${path.slice(0, 2)}\\` : path.slice(0, 2);
  return isSep(path[0]) ? "\\" : "";
}

/** Whether a path is absolute. */
export function isAbsolute(path: string): boolean {
  const root = rootOf(path);
  return root !== "" && (!WINDOWS || root.length !== 2);
}

/** Joins path segments and normalises the result (`.` and `..` resolved, one separator). */
export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== "").join(SEP));
}

/** Resolves segments right to left into an absolute, normalised path, like `node:path`'s `resolve`. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(path); i--) {
    if (parts[i] === "") continue;
    path = path === "" ? parts[i] : `${parts[i]}${SEP}${path}`;
  }
  if (!isAbsolute(path)) path = path === "" ? Deno.cwd() : `${Deno.cwd()}${SEP}${path}`;
  const out = normalize(path);
  return out.length > rootOf(out).length && isSep(out[out.length - 1]) ? out.slice(0, -1) : out;
}

/** Normalises a path: `.` and `..` segments resolved, repeated separators collapsed (a trailing one kept). */
export function normalize(path: string): string {
  const root = rootOf(path);
  const out: string[] = [];
  for (const seg of path.slice(root.length).split(WINDOWS ? /[\\/]/ : "/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && out.length && out[out.length - 1] !== "..") out.pop();
    else if (seg !== ".." || root === "") out.push(seg);
  }
  const trailing = isSep(path[path.length - 1]) ? SEP : "";
  const body = out.join(SEP) + (out.length ? trailing : "");
  return root + body || (root === "" ? `.${trailing}` : root);
}

/** The folder of a path (`.` for a bare file name). */
export function dirname(path: string): string {
  const root = rootOf(path);
  let end = path.length;
  while (end > root.length && isSep(path[end - 1])) end--;
  let i = end - 1;
  while (i >= root.length && !isSep(path[i])) i--;
  if (i < root.length) return root || ".";
  while (i > root.length && isSep(path[i - 1])) i--;
  return path.slice(0, i) || root;
}

/** The last segment of a path. */
export function basename(path: string): string {
  let end = path.length;
  while (end > 0 && isSep(path[end - 1])) end--;
  let i = end - 1;
  while (i >= 0 && !isSep(path[i]) && !(WINDOWS && i === 1 && path[1] === ":")) i--;
  return path.slice(i + 1, end);
}

/** The extension of the last segment, with its dot (`.ts`), or "". */
export function extname(path: string): string {
  const base = basename(path);
  const dot = base.lastIndexOf(".");
  return dot <= 0 || base === ".." ? "" : base.slice(dot);
}

/** The `file:` URL of a path (made absolute first). */
export function toFileUrl(path: string): URL {
  let abs = resolve(path);
  if (WINDOWS) {
    abs = abs.replaceAll("\\", "/");
    if (abs.startsWith("//")) {
      const url = new URL("file:");
      const slash = abs.indexOf("/", 2);
      url.hostname = abs.slice(2, slash);
      url.pathname = encodePath(abs.slice(slash));
      return url;
    }
    abs = `/${abs}`;
  }
  return new URL(`file://${encodePath(abs)}`);
}

/** The path of a `file:` URL. */
export function fromFileUrl(url: string | URL): string {
  const u = url instanceof URL ? url : new URL(url);
  if (u.protocol !== "file:") throw new TypeError(`expected a file: URL; got ${u.href}`);
  const path = decodeURIComponent(u.pathname);
  if (!WINDOWS) return path;
  const local = path.replace(/^\/([A-Za-z]:)/, "$1").replaceAll("/", "\\");
  return u.hostname ? `\\\\${u.hostname}${local}` : local;
}

function encodePath(path: string): string {
  return path.split("/").map((seg) => encodeURIComponent(seg).replaceAll("%3A", ":")).join("/");
}
