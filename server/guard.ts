/**
 * The checks every request to `flow serve` passes before any route runs
 * (docs/security.md). `createApp` registers them first, so a route added
 * later is covered without doing anything:
 *
 * - {@linkcode edgeGuard}, every request: the `Host` names this server
 *   (else 421 `HOST_NOT_ALLOWED`: no DNS rebinding), and the path is
 *   canonical (else 400 `BAD_PATH`: the router and every check see the same
 *   path).
 * - {@linkcode writeGuard}, every state-changing request but webhooks: an
 *   `Origin` is this server's own or the `--cors` one, `Sec-Fetch-Site` is
 *   not another site (else 403 `CROSS_ORIGIN`), and a body is JSON (else
 *   415 `UNSUPPORTED_MEDIA_TYPE`), so a web page cannot send a "simple"
 *   cross-origin request either.
 * - {@linkcode requireToken}, `/api` with `--token`: the bearer token or
 *   a session cookie, and the role (`--read-token` only reads).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { isJsonType, mediaType } from "./body.ts";
import { errorResponse } from "./errors.ts";
import { type Role, sessionCookie, type Sessions, sessionValue } from "./session.ts";
import { authCredentials, timingSafeEqual } from "./webhook_auth.ts";

/** What the guards accept. */
export interface GuardOptions {
  /** The address the server binds (`--host`); default `127.0.0.1`. Its name is always accepted as a Host. */
  host?: string;
  /** More names accepted as a Host (`--allow-host`); a leading dot accepts the domain and every subdomain. */
  allowHosts?: readonly string[];
  /** The origin allowed cross-origin (`--cors`); `*` allows any. */
  cors?: string;
}

/** The one API route that needs no token. */
export const HEALTH_PATH = "/api/v1/health";

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HOST_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*$/;

/** Whether `text` is an IPv4 address in dotted-quad form (each part 0 to 255). */
function isIPv4(text: string): boolean {
  const m = IPV4.exec(text);
  return m !== null && m.slice(1).every((part) => Number(part) <= 255);
}

/**
 * A host name or address as the guards compare it: lower case, without the
 * brackets of an IPv6 literal and without a final dot; undefined when it is
 * neither a DNS name nor an IP address.
 *
 * @example
 * ```ts
 * import { normaliseHostName } from "./guard.ts";
 * normaliseHostName("[::1]"); // "::1"
 * normaliseHostName("Flow.Example.com."); // "flow.example.com"
 * ```
 */
export function normaliseHostName(text: string): string | undefined {
  let name = text.toLowerCase();
  if (name.startsWith("[") && name.endsWith("]")) {
    name = name.slice(1, -1);
    return IPV6.test(name) ? name : undefined;
  }
  if (IPV6.test(name)) return name;
  if (name.endsWith(".")) name = name.slice(0, -1);
  return HOST_NAME.test(name) ? name : undefined;
}

/**
 * Whether a host (a `--host` value or a Host header's name) is this
 * machine's loopback: `localhost`, any address in 127.0.0.0/8, or `::1`.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./guard.ts";
 * isLoopbackHost("127.0.0.2"); // true
 * isLoopbackHost("0.0.0.0"); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const name = normaliseHostName(host);
  if (name === undefined) return false;
  return name === "localhost" || name === "::1" || (name.startsWith("127.") && isIPv4(name));
}

/** Whether a bind address is every interface (`0.0.0.0`, `::`). */
function isWildcardHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]" || host === "";
}

/**
 * The name in a `Host` header value (`name`, `name:port`, `[v6]:port`),
 * normalised; undefined when the value is malformed.
 */
export function hostHeaderName(value: string): string | undefined {
  let name = value;
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    if (close < 0) return undefined;
    name = value.slice(0, close + 1);
    const rest = value.slice(close + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return undefined;
  } else {
    const colon = value.indexOf(":");
    if (colon >= 0) {
      if (!/^\d{1,5}$/.test(value.slice(colon + 1))) return undefined;
      name = value.slice(0, colon);
    }
  }
  return normaliseHostName(name);
}

/**
 * Which `Host` values name this server: loopback names and addresses, the
 * `--host` value, the `--allow-host` names and, when the server binds every
 * interface, any IP address (DNS rebinding needs a name the attacker's DNS
 * answers for; a page that sends an IP address as Host is on a different
 * origin from that address, so it cannot read the answers, and its
 * state-changing requests are refused by {@linkcode writeGuard}).
 */
export class HostPolicy {
  readonly #names = new Set<string>(["localhost", "::1"]);
  readonly #suffixes: string[] = [];
  readonly #anyAddress: boolean;
  /** Host header values already accepted, so the hot path is one lookup. */
  readonly #accepted = new Set<string>();

  /** Precomputes the names from the options. */
  constructor(options: Pick<GuardOptions, "host" | "allowHosts"> = {}) {
    const host = options.host ?? "127.0.0.1";
    this.#anyAddress = isWildcardHost(host);
    const bound = normaliseHostName(host);
    if (bound !== undefined && !this.#anyAddress) this.#names.add(bound);
    for (const allowed of options.allowHosts ?? []) {
      if (allowed.startsWith(".")) {
        const domain = normaliseHostName(allowed.slice(1));
        if (domain !== undefined) this.#suffixes.push(`.${domain}`);
      } else {
        const name = normaliseHostName(allowed);
        if (name !== undefined) this.#names.add(name);
      }
    }
  }

  /** Whether a `Host` header value (with or without its port) names this server. */
  allows(value: string): boolean {
    if (this.#accepted.has(value)) return true;
    const name = hostHeaderName(value);
    if (name === undefined || !this.#allowsName(name)) return false;
    if (this.#accepted.size >= 256) this.#accepted.clear();
    this.#accepted.add(value);
    return true;
  }

  #allowsName(name: string): boolean {
    if (this.#names.has(name)) return true;
    if (isIPv4(name)) return this.#anyAddress || name.startsWith("127.");
    if (name.includes(":")) return this.#anyAddress;
    return this.#suffixes.some((suffix) => name === suffix.slice(1) || name.endsWith(suffix));
  }
}

/** The host part of a request URL (`http://HOST/path`), as the router and handlers see it. */
function urlHost(url: string): string {
  const start = url.indexOf("//") + 2;
  const end = url.indexOf("/", start);
  return url.slice(start, end < 0 ? url.length : end);
}

/** The request's Host: the header, or the URL's host when there is none (HTTP/1.0). */
function requestHost(c: Context): string {
  return c.req.header("host") ?? urlHost(c.req.url);
}

/** Dot segments (also percent-encoded) and backslashes: what URL parsers resolve and Hono's router does not. */
const NON_CANONICAL = /\\|%2e|(?:^|\/)\.\.?(?:\/|$)/i;

/** A header value cut to a length that keeps a message on one short line. */
function shown(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

/**
 * Every request: refuses a `Host` that does not name this server (421
 * `HOST_NOT_ALLOWED`) and a path that is not canonical (400 `BAD_PATH`).
 */
export function edgeGuard(options: GuardOptions = {}): MiddlewareHandler {
  const hosts = new HostPolicy(options);
  return async (c, next) => {
    const header = c.req.header("host");
    const fromUrl = urlHost(c.req.url);
    // An absolute-form request target can name another host than the header: both must name this server.
    const refused = header !== undefined && header !== fromUrl && !hosts.allows(header)
      ? header
      : hosts.allows(fromUrl)
      ? undefined
      : fromUrl;
    if (refused !== undefined) {
      const name = hostHeaderName(refused);
      return errorResponse(
        c,
        421,
        "HOST_NOT_ALLOWED",
        `Host ${shown(refused)} does not name this server` +
          (name ? `; to serve that name, start flow serve with --allow-host ${name}` : ""),
      );
    }
    if (NON_CANONICAL.test(c.req.path)) {
      return errorResponse(
        c,
        400,
        "BAD_PATH",
        `the path ${shown(c.req.path)} has dot segments or backslashes; send the path it stands for`,
      );
    }
    await next();
  };
}

/** Methods that change nothing. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether an `Origin` is this request's own: its host and port are the request's Host (the scheme is not compared: behind a TLS proxy this server speaks plain HTTP). */
function isOwnOrigin(origin: string, host: string): boolean {
  const at = origin.indexOf("://");
  return at > 0 && origin.slice(at + 3).toLowerCase() === host.toLowerCase();
}

/**
 * Every state-changing request (not GET, HEAD or OPTIONS) but webhooks
 * (`/hooks/...`, which other servers call and their `auth` protects):
 *
 * - an `Origin` must be the server's own (the request's Host) or the
 *   `--cors` one; `Origin: null` never is (403 `CROSS_ORIGIN`);
 * - `Sec-Fetch-Site: cross-site` or `same-site` needs the `--cors` origin (403 `CROSS_ORIGIN`);
 * - a body must have a JSON media type (415 `UNSUPPORTED_MEDIA_TYPE`);
 *   a `PATCH` must be `application/json-patch+json`.
 *
 * Requests without `Origin` (curl, scripts, other servers) and without a
 * body pass.
 */
export function writeGuard(options: GuardOptions = {}): MiddlewareHandler {
  const cors = options.cors;
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method) || c.req.path.startsWith("/hooks/")) return await next();
    const origin = c.req.header("origin");
    const corsAllowed = origin !== undefined && origin !== "null" && cors !== undefined &&
      (cors === "*" || origin === cors);
    if (origin !== undefined && !corsAllowed && (origin === "null" || !isOwnOrigin(origin, requestHost(c)))) {
      return errorResponse(
        c,
        403,
        "CROSS_ORIGIN",
        `a request from origin ${shown(origin)} may not change anything here` +
          " (only this server's own pages, or the origin given with --cors)",
      );
    }
    const site = c.req.header("sec-fetch-site");
    if ((site === "cross-site" || site === "same-site") && !corsAllowed) {
      return errorResponse(
        c,
        403,
        "CROSS_ORIGIN",
        `a ${site} request (Sec-Fetch-Site) may not change anything here` +
          " (only this server's own pages, or the origin given with --cors)",
      );
    }
    const type = c.req.header("content-type");
    const length = c.req.header("content-length");
    const hasBody = (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
    if (type !== undefined ? !isJsonType(type) : hasBody) {
      return errorResponse(
        c,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        `a request body must be JSON (content-type: application/json); got ${
          type === undefined ? "no content-type" : `content-type ${shown(type)}`
        }`,
      );
    }
    if (c.req.method === "PATCH" && mediaType(type) !== "application/json-patch+json") {
      return errorResponse(
        c,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        `a PATCH body is a JSON Patch (RFC 6902): content-type: application/json-patch+json; got ${
          type === undefined ? "no content-type" : `content-type ${shown(type)}`
        }`,
      );
    }
    await next();
  };
}

/** What the API accepts as credentials (`--token`, `--read-token`, the sessions they sign in). */
export interface AuthOptions {
  /** The token of full access (`--token`). */
  token: string;
  /** A token that can only read (`--read-token`). */
  readToken?: string;
  /** The console's sessions. */
  sessions: Sessions;
  /** Whether a request came over HTTPS (a session cookie is then `Secure`). */
  secure: (c: Context) => boolean;
}

/** Who sent a request: a role, and whether it came with the bearer header or a session cookie. */
export interface Caller {
  /** What it may do. */
  role: Role;
  /** How it proved it. */
  via: "bearer" | "session";
  /** A session whose cookie should be set again (its age slides). */
  refresh?: string;
}

/** Why a request has no caller: no credential, a wrong token, or a session that ended. */
export type NoCaller = "none" | "wrong" | "ended";

/** The routes that need no credential: liveness, and signing in and out (they check the token themselves). */
export const SESSION_PATH = "/api/v1/session";

/** State-changing requests a read-only caller may still send: they change nothing (validation, previews). */
const READ_ROLE_POSTS = /^\/api\/v1\/(?:validate|workflows\/[^/]+\/preview)$/;

/**
 * Who sent a request: `Authorization: Bearer <token>` (the scheme in any
 * case, RFC 9110), compared in constant time with the full and the
 * read-only token; else the session cookie. A bearer header wins over a
 * cookie (a wrong one is refused, whatever the cookie).
 */
export async function authenticate(c: Context, auth: AuthOptions): Promise<Caller | NoCaller> {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    const given = authCredentials(header, "bearer");
    if (given === undefined) return "wrong";
    const bytes = new TextEncoder().encode(given);
    if (timingSafeEqual(bytes, new TextEncoder().encode(auth.token))) return { role: "admin", via: "bearer" };
    if (auth.readToken !== undefined && timingSafeEqual(bytes, new TextEncoder().encode(auth.readToken))) {
      return { role: "read", via: "bearer" };
    }
    return "wrong";
  }
  const value = sessionValue(c.req.header("cookie"));
  if (value === undefined) return "none";
  const use = await auth.sessions.use(value);
  if (!use) return "ended";
  return { role: use.role, via: "session", ...(use.refresh ? { refresh: value } : {}) };
}

/**
 * The one decision about credentials, on every route it guards but
 * `GET /api/v1/health` and `/api/v1/session` (signing in and out):
 *
 * - a bearer token or a session cookie ({@linkcode authenticate}), else
 *   401 `UNAUTHORIZED` (a session that ended gets its cookie cleared);
 * - a read-only caller (`--read-token`, or a session it signed in) sends
 *   only requests that change nothing: any other is 403 `FORBIDDEN`;
 * - a state-changing request signed in by a cookie must show where it
 *   comes from (`Origin`, which {@linkcode writeGuard} has checked, or
 *   `Sec-Fetch-Site: same-origin`): 403 `CROSS_ORIGIN` otherwise.
 *
 * The exemptions are decided on the path the router matches
 * (`c.req.path`), and {@linkcode edgeGuard} has already refused paths a
 * URL parser would read differently.
 */
export function requireToken(auth: AuthOptions): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (path === HEALTH_PATH && (c.req.method === "GET" || c.req.method === "HEAD")) return await next();
    if (path === SESSION_PATH) return await next();
    const caller = await authenticate(c, auth);
    if (typeof caller === "string") {
      const headers: Record<string, string> = { "www-authenticate": "Bearer" };
      if (caller === "ended") headers["set-cookie"] = sessionCookie("", 0, auth.secure(c));
      return errorResponse(
        c,
        401,
        "UNAUTHORIZED",
        caller === "ended"
          ? "the session has ended (it expired, was signed out, or the server restarted); sign in again"
          : "missing or wrong API token (Authorization: Bearer ..., or sign in: POST /api/v1/session)",
        {},
        headers,
      );
    }
    const changes = !SAFE_METHODS.has(c.req.method);
    if (changes && caller.role === "read" && !(c.req.method === "POST" && READ_ROLE_POSTS.test(path))) {
      return errorResponse(
        c,
        403,
        "FORBIDDEN",
        `this token can only read: ${c.req.method} ${path} changes something (it needs the token of --token)`,
      );
    }
    if (
      changes && caller.via === "session" && c.req.header("origin") === undefined &&
      c.req.header("sec-fetch-site") !== "same-origin"
    ) {
      return errorResponse(
        c,
        403,
        "CROSS_ORIGIN",
        "a request signed in by the session cookie must come from this server's pages (it has no Origin)",
      );
    }
    await next();
    if (caller.refresh) {
      c.res.headers.append("set-cookie", sessionCookie(caller.refresh, auth.sessions.maxAgeSeconds, auth.secure(c)));
    }
  };
}
