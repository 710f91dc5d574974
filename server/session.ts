/**
 * Console sessions (docs/security.md#sessions): a browser signs in once
 * with an API token (`POST /api/v1/session`) and gets a cookie
 * (`flow_session`: `HttpOnly`, `SameSite=Strict`, `Secure` over HTTPS) that
 * stands for the token's role until it expires (12 hours after its last
 * use) or the user signs out. Sessions live in this process's memory: a
 * restart signs everyone out. The session id is 32 random bytes; only its
 * SHA-256 is kept, so the table holds nothing a browser could present.
 *
 * @module
 */

/** What a credential may do: `admin` everything, `read` only what changes nothing. */
export type Role = "admin" | "read";

/** The session cookie's name. */
export const SESSION_COOKIE = "flow_session";

/** How long a session lasts after its last use, ms: 12 hours. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** The most sessions kept at once; past that, the one used longest ago goes. */
export const MAX_SESSIONS = 10_000;

interface Session {
  role: Role;
  /** When it expires, ms since the epoch. */
  expires: number;
  /** When its cookie was last set (a cookie set more than half a lifetime ago is set again). */
  cookieSet: number;
}

/** A session found for a cookie. */
export interface SessionUse {
  /** Its role. */
  role: Role;
  /** Whether its cookie should be set again (its `Max-Age` slides with the session). */
  refresh: boolean;
}

/** The sessions of one server. */
export class Sessions {
  readonly #byHash = new Map<string, Session>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  /** An empty table; `ttlMs` and `now` are for tests. */
  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? SESSION_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** How long a session lasts after its last use, in seconds (the cookie's `Max-Age`). */
  get maxAgeSeconds(): number {
    return Math.floor(this.#ttlMs / 1000);
  }

  /** Starts a session with a role; resolves to its id (the cookie's value). */
  async create(role: Role): Promise<string> {
    const id = new Uint8Array(32);
    crypto.getRandomValues(id);
    const value = id.toBase64({ alphabet: "base64url", omitPadding: true });
    const now = this.#now();
    if (this.#byHash.size >= MAX_SESSIONS) this.#evict(now);
    this.#byHash.set(await digest(value), { role, expires: now + this.#ttlMs, cookieSet: now });
    return value;
  }

  /** The session of a cookie value, its expiry moved on; undefined when unknown or expired. */
  async use(value: string): Promise<SessionUse | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(value)) return undefined;
    const key = await digest(value);
    const session = this.#byHash.get(key);
    const now = this.#now();
    if (!session) return undefined;
    if (session.expires <= now) {
      this.#byHash.delete(key);
      return undefined;
    }
    session.expires = now + this.#ttlMs;
    // Map order is use order: the first entry is the one used longest ago.
    this.#byHash.delete(key);
    this.#byHash.set(key, session);
    const refresh = now - session.cookieSet > this.#ttlMs / 2;
    if (refresh) session.cookieSet = now;
    return { role: session.role, refresh };
  }

  /** Ends the session of a cookie value (signing out); false when there was none. */
  async delete(value: string): Promise<boolean> {
    return /^[A-Za-z0-9_-]{43}$/.test(value) && this.#byHash.delete(await digest(value));
  }

  /** Drops expired sessions, then (if still full) the one used longest ago. */
  #evict(now: number) {
    for (const [key, s] of this.#byHash) if (s.expires <= now) this.#byHash.delete(key);
    if (this.#byHash.size >= MAX_SESSIONS) this.#byHash.delete(this.#byHash.keys().next().value!);
  }
}

async function digest(value: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
  return bytes.toHex();
}

/**
 * The `Set-Cookie` value of a session (empty `value` and no age: the
 * cookie cleared). `Secure` when the request came over HTTPS.
 */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}` +
    (secure ? "; Secure" : "");
}

/** The session cookie's value in a `Cookie` header, if any. */
export function sessionValue(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}
