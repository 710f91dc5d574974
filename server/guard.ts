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
 * - {@linkcode requireToken}, `/api` with `--token`: the bearer token.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { isJsonType } from "./body.ts";
import { errorResponse } from "./errors.ts";
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
 * - a body must have a JSON media type (415 `UNSUPPORTED_MEDIA_TYPE`).
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
    await next();
  };
}

/**
 * `Authorization: Bearer <token>` (the scheme in any case, RFC 9110) on
 * every route it guards but `GET /api/v1/health`, compared in constant time.
 * The exemption is decided on the path the router matches (`c.req.path`),
 * and {@linkcode edgeGuard} has already refused paths a URL parser would
 * read differently.
 */
export function requireToken(token: string): MiddlewareHandler {
  const want = new TextEncoder().encode(token);
  return async (c, next) => {
    if (c.req.path === HEALTH_PATH && (c.req.method === "GET" || c.req.method === "HEAD")) return await next();
    const given = authCredentials(c.req.header("authorization"), "bearer");
    if (given === undefined || !timingSafeEqual(new TextEncoder().encode(given), want)) {
      return errorResponse(c, 401, "UNAUTHORIZED", "missing or wrong API token (Authorization: Bearer ...)", {}, {
        "www-authenticate": "Bearer",
      });
    }
    await next();
  };
}
