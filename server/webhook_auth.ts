/**
 * Webhook authentication: a bearer token, a named header, HTTP basic, or an
 * HMAC signature over the raw body. Secrets come from environment variables
 * listed in the workflow's `settings.secrets`; every comparison takes
 * constant time.
 *
 * @module
 */
import type { WebhookConfig } from "../nodes/http/webhook.ts";

const encoder = new TextEncoder();

/** Compares two byte strings in time that depends only on their lengths. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i % (a.length || 1)] ?? 0) ^ (b[i % (b.length || 1)] ?? 0);
  return diff === 0;
}

const safeEqual = (a: string, b: string) => timingSafeEqual(encoder.encode(a), encoder.encode(b));

/**
 * The credentials of an `Authorization` value under `scheme` (given in lower
 * case): `Bearer abc`, `bearer abc` and `BEARER  abc` all give `abc` for
 * `"bearer"`, as the scheme is case-insensitive (RFC 9110, section 11.1).
 * Undefined for another scheme or no value.
 *
 * @example
 * ```ts
 * import { authCredentials } from "./webhook_auth.ts";
 * authCredentials("bearer s3cret", "bearer"); // "s3cret"
 * authCredentials("Basic YTpi", "bearer"); // undefined
 * ```
 */
export function authCredentials(value: string | null | undefined, scheme: string): string | undefined {
  if (!value) return undefined;
  const space = value.indexOf(" ");
  if (space < 0 || value.slice(0, space).toLowerCase() !== scheme) return undefined;
  return value.slice(space + 1).trim();
}

/**
 * Whether a request passes the webhook's `auth` (true when it has none).
 * `secret` reads an environment variable.
 */
export async function checkWebhookAuth(
  auth: WebhookConfig["auth"],
  headers: Headers,
  body: Uint8Array,
  secret: (name: string) => string | undefined,
): Promise<boolean> {
  if (!auth) return true;
  const expected = secret(auth.secret);
  if (!expected) return false; // a missing secret never lets anyone in
  switch (auth.type) {
    case "bearer": {
      const given = authCredentials(headers.get("authorization"), "bearer");
      return given !== undefined && safeEqual(given, expected);
    }
    case "header":
      return safeEqual(headers.get(auth.name) ?? "", expected);
    case "basic": {
      const given = authCredentials(headers.get("authorization"), "basic");
      if (given === undefined) return false;
      let decoded: string;
      try {
        decoded = atob(given);
      } catch {
        return false;
      }
      return safeEqual(decoded, `${auth.username}:${expected}`);
    }
    case "hmac": {
      const given = headers.get(auth.header) ?? "";
      if (!given.startsWith(auth.prefix)) return false;
      const hash = { sha256: "SHA-256", sha1: "SHA-1", sha512: "SHA-512" }[auth.algorithm];
      const key = await crypto.subtle.importKey("raw", encoder.encode(expected), { name: "HMAC", hash }, false, [
        "sign",
      ]);
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, body as Uint8Array<ArrayBuffer>));
      const text = auth.encoding === "hex"
        ? Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")
        : btoa(String.fromCharCode(...mac));
      const signature = given.slice(auth.prefix.length).trim();
      return safeEqual(auth.encoding === "hex" ? signature.toLowerCase() : signature, text);
    }
  }
}
