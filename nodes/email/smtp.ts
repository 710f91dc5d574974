/**
 * Sending one message over SMTP with nodemailer. Loaded with `import()` only
 * by a workflow that sends mail (a lazy part of the single-file bundle,
 * scripts/bundle.ts): it rejects with nodemailer's own errors, which the
 * node turns into its error codes.
 *
 * @module
 */
import nodemailer from "nodemailer";
import type { SmtpTarget } from "./target.ts";

/** Milliseconds to wait for the connection, and then for the server's greeting. */
export const CONNECT_TIMEOUT_MS = 30_000;

/** Milliseconds the connection may stay silent once open. */
export const SOCKET_TIMEOUT_MS = 60_000;

/** One attachment, as `email.send` takes it. */
export interface Attachment {
  /** The file name the recipient sees. */
  filename: string;
  /** The content: text, or base64 with `encoding: "base64"`. */
  content: string;
  /** `utf8` (text) or `base64` (bytes). */
  encoding: "utf8" | "base64";
  /** The MIME type; guessed from the file name when absent. */
  contentType?: string;
}

/** The message to send. */
export interface Message {
  /** The sender: `address` or `Name <address>`. */
  from: string;
  /** Recipients. */
  to: string[];
  /** Copies. */
  cc: string[];
  /** Blind copies. */
  bcc: string[];
  /** The subject line. */
  subject: string;
  /** The plain-text body. */
  text?: string;
  /** The HTML body. */
  html?: string;
  /** Files attached. */
  attachments: Attachment[];
}

/** How to talk to the server. */
export interface SmtpOptions {
  /** Refuse to send unless the connection is encrypted (STARTTLS must be offered on `smtp://`). */
  requireTLS: boolean;
  /** PEM certificates to trust besides the system's (a private CA). */
  ca?: string;
}

/** What the server said. */
export interface Sent {
  /** The `Message-ID` of the message sent. */
  messageId: string;
  /** The recipients the server accepted. */
  accepted: string[];
  /** The recipients the server refused (the message went to the others). */
  rejected: string[];
}

/**
 * Sends `message` through `target` (a new connection, closed after it).
 * Aborting `signal` closes the connection and rejects.
 *
 * @example
 * ```ts ignore
 * import { sendMessage } from "./smtp.ts";
 * import { parseSmtpUrl } from "./target.ts";
 * await sendMessage(parseSmtpUrl("smtp://127.0.0.1:2525"), { requireTLS: false }, {
 *   from: "flow@example.com", to: ["ops@example.com"], cc: [], bcc: [], subject: "hi", text: "hello", attachments: [],
 * }, new AbortController().signal);
 * ```
 */
export async function sendMessage(
  target: SmtpTarget,
  options: SmtpOptions,
  message: Message,
  signal: AbortSignal,
): Promise<Sent> {
  const transport = nodemailer.createTransport({
    host: target.host,
    port: target.port,
    secure: target.secure,
    auth: target.user ? { user: target.user, pass: target.password } : undefined,
    requireTLS: options.requireTLS,
    tls: options.ca ? { ca: options.ca } : undefined,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    // Only what the node passes goes out: no attachment or body read from a file or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    const info = await transport.sendMail({
      ...message,
      cc: message.cc.length ? message.cc : undefined,
      bcc: message.bcc.length ? message.bcc : undefined,
      signal,
    });
    return {
      messageId: String(info.messageId ?? ""),
      accepted: (info.accepted ?? []).map(address),
      rejected: (info.rejected ?? []).map(address),
    };
  } finally {
    transport.close();
  }
}

/** An address nodemailer reports, as text. */
function address(a: string | { address: string }): string {
  return typeof a === "string" ? a : a.address;
}
