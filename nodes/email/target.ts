/**
 * The mail server an `email.send` URL names: `smtp://USER:PASSWORD@HOST:PORT`
 * (STARTTLS when the server offers it) or `smtps://…` (TLS from the start);
 * what it needs from `settings.permissions`; how messages name it.
 *
 * @module
 */
import type { PermissionNeed } from "../../src/node/node.ts";
import { hostPort, schemeOf } from "../connection_url.ts";

/** An SMTP server. */
export interface SmtpTarget {
  /** `smtps://`: TLS from the start; `smtp://`: plain, upgraded with STARTTLS when offered. */
  secure: boolean;
  /** The host name or address (an IPv6 address without brackets). */
  host: string;
  /** The port: as given, else 465 for `smtps://` and 587 for `smtp://`. */
  port: number;
  /** The user name, decoded; empty: no login. */
  user: string;
  /** The password, decoded. */
  password: string;
  /** The password as the URL writes it, for scrubbing messages. */
  rawPassword: string;
}

const EXPECTED = "expected smtp://USER:PASSWORD@HOST:PORT or smtps://USER:PASSWORD@HOST:PORT";

/**
 * Parses an SMTP URL; throws an `Error` whose message never holds the URL
 * (it may hold a password).
 *
 * @example
 * ```ts
 * import { parseSmtpUrl } from "./target.ts";
 * parseSmtpUrl("smtps://alerts:s3cret@mail.example.com").port; // 465
 * ```
 */
export function parseSmtpUrl(url: string): SmtpTarget {
  if (!/^smtps?:\/\//i.test(url)) throw new Error(`${EXPECTED}; got a URL of ${schemeOf(url)}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${EXPECTED}; got an SMTP URL that does not parse`);
  }
  if (!u.hostname) throw new Error(`${EXPECTED}; got an SMTP URL without a host`);
  if ([...u.searchParams.keys()].length || (u.pathname !== "" && u.pathname !== "/")) {
    throw new Error(`${EXPECTED}; got a path or parameters after the host (set options in the node's config)`);
  }
  const secure = u.protocol.toLowerCase() === "smtps:";
  return {
    secure,
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    rawPassword: u.password,
  };
}

/** How messages name the server: `smtp mail.example.com:587` (never with the user or password). */
export function describeSmtp(target: SmtpTarget): string {
  return `${target.secure ? "smtps" : "smtp"} ${hostPort(target.host, target.port)}`;
}

/** What sending through the server needs: `net` for its `host:port`. */
export function smtpNeeds(target: SmtpTarget): PermissionNeed[] {
  return [{ permission: "net", value: hostPort(target.host, target.port), field: ["url"] }];
}
