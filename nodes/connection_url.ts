/**
 * Connection URLs (`postgres://user:PASSWORD@host/db`,
 * `smtps://user:PASSWORD@host`) in what the nodes that use them say: their
 * messages name the host and port, never the URL, and whatever a driver
 * says is scrubbed of the password in every form it may take.
 *
 * @module
 */

/** The mask that replaces a password. */
export const MASK = "***";

/**
 * A function that replaces `password` (as written in a URL, decoded, and
 * URL- and JSON-encoded) with `***` in a text. Like `settings.secrets`, a
 * password shorter than 3 characters is left alone (it would mask letters of
 * every word).
 *
 * @example
 * ```ts
 * import { credentialScrubber } from "./connection_url.ts";
 * const scrub = credentialScrubber(new URL("postgres://flow:p%40ss!@db/flow").password);
 * scrub("login with p@ss! failed"); // "login with *** failed"
 * ```
 */
export function credentialScrubber(rawPassword: string): (text: string) => string {
  let decoded = rawPassword;
  try {
    decoded = decodeURIComponent(rawPassword);
  } catch { /* a lone % stays as written */ }
  const forms = [...new Set([rawPassword, decoded, encodeURIComponent(decoded), JSON.stringify(decoded).slice(1, -1)])]
    .filter((form) => form.length >= 3)
    .sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  return (text) => {
    for (const form of forms) if (text.includes(form)) text = text.replaceAll(form, MASK);
    return text;
  };
}

/**
 * What a URL's scheme is, for a message about a URL that must not be shown
 * (it may hold a password): `scheme "mysql:"`, or `no scheme`.
 */
export function schemeOf(url: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  return match ? `scheme ${JSON.stringify(match[1].toLowerCase() + ":")}` : "no scheme";
}

/** `host:port` as `settings.permissions.net` takes it (`[v6]:port` for an IPv6 address). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
