/**
 * A real SMTP server on a free 127.0.0.1 port for tests, in the test's own
 * process (npm `smtp-server`, nodemailer's server): it speaks SMTP over a
 * socket, offers STARTTLS or TLS from the start with the test certificates
 * of tests/fixtures/tls, checks logins, and keeps every message it
 * received, whole, so a test can check what arrived.
 *
 * ```ts ignore
 * await using smtp = await startSmtp({ tls: "starttls", users: { alerts: "s3cret-pass" } });
 * // ... send to smtp.url("alerts", "s3cret-pass") ...
 * const mail = await smtp.received();
 * ```
 *
 * @module
 */
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { ROOT } from "./helpers.ts";

/** The test CA's certificate (PEM): trust it to verify the server. */
export const TEST_CA: string = Deno.readTextFileSync(`${ROOT}tests/fixtures/tls/ca.pem`);

/** One message the server received. */
export interface ReceivedMail {
  /** The envelope's sender. */
  from: string;
  /** The envelope's recipients (to, cc and bcc). */
  to: string[];
  /** The message as sent: headers and body (MIME). */
  raw: string;
  /** Whether the connection was encrypted (TLS from the start, or after STARTTLS). */
  secure: boolean;
  /** The user that logged in, if any. */
  user?: string;
}

/** Options of {@linkcode startSmtp}. */
export interface SmtpOptions {
  /** `starttls`: plain, STARTTLS offered; `tls`: TLS from the start; `none` (default): no TLS. */
  tls?: "none" | "starttls" | "tls";
  /** Accounts (user: password): a login is then required. Without, no login is offered. */
  users?: Record<string, string>;
  /** Refuse these recipients (550). */
  refuse?: string[];
}

/** A running test SMTP server. */
export interface TestSmtp extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Every message received, in order. */
  readonly messages: ReceivedMail[];
  /** Its URL (`smtp://` or `smtps://`), with a login when given. */
  url(user?: string, password?: string): string;
  /** The next message not yet taken, waited for (at most 10 s). */
  received(): Promise<ReceivedMail>;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts a test SMTP server; see {@linkcode SmtpOptions}. */
export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const tls = options.tls ?? "none";
  const messages: ReceivedMail[] = [];
  let taken = 0;
  const waiting: (() => void)[] = [];
  const config: SMTPServerOptions = {
    secure: tls === "tls",
    logger: false,
    disabledCommands: [...(tls === "none" ? ["STARTTLS"] : []), ...(options.users ? [] : ["AUTH"])],
    authOptional: !options.users,
    allowInsecureAuth: tls === "none",
    onAuth(auth, _session, callback) {
      if (options.users?.[auth.username ?? ""] === auth.password) callback(null, { user: auth.username });
      else callback(new Error("Invalid username or password"));
    },
    onRcptTo(address, _session, callback) {
      if (options.refuse?.includes(address.address)) {
        callback(Object.assign(new Error(`${address.address}: no such mailbox`), { responseCode: 550 }));
      } else callback();
    },
    onData(stream, session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      stream.on("end", () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: new TextDecoder().decode(concat(chunks)),
          secure: session.secure,
          user: session.user === undefined ? undefined : String(session.user),
        });
        for (const wake of waiting.splice(0)) wake();
        callback();
      });
    },
  };
  if (tls !== "none") {
    config.key = Deno.readTextFileSync(`${ROOT}tests/fixtures/tls/key.pem`);
    config.cert = Deno.readTextFileSync(`${ROOT}tests/fixtures/tls/cert.pem`);
  }
  const server = new SMTPServer(config);
  // A client that refuses the certificate ends the handshake with an alert: the server reports it here.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as { port: number }).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    port,
    messages,
    url(user, password) {
      const login = user ? `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ""}@` : "";
      return `${tls === "tls" ? "smtps" : "smtp"}://${login}127.0.0.1:${port}`;
    },
    async received() {
      const until = Date.now() + 10_000;
      while (taken >= messages.length) {
        if (Date.now() > until) throw new Error(`no message arrived at the test SMTP server within 10 s`);
        const { promise, resolve } = Promise.withResolvers<void>();
        waiting.push(resolve);
        const timer = setTimeout(resolve, until - Date.now());
        await promise;
        clearTimeout(timer);
      }
      return messages[taken++];
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The body of a message that has one text part (no attachment), decoded
 * from its transfer encoding (quoted-printable, base64, or none), with CRLF
 * line ends as LF and without the line end SMTP adds after the last line.
 */
export function textBody(mail: ReceivedMail): string {
  const split = mail.raw.indexOf("\r\n\r\n");
  const head = mail.raw.slice(0, split), body = mail.raw.slice(split + 4);
  const encoding = /^Content-Transfer-Encoding:\s*(\S+)/im.exec(head)?.[1].toLowerCase();
  let bytes: Uint8Array;
  if (encoding === "base64") bytes = Uint8Array.from(atob(body.replace(/\s/g, "")), (c) => c.charCodeAt(0));
  else if (encoding === "quoted-printable") {
    const text = body.replace(/=\r\n/g, "");
    const out: number[] = [];
    for (let i = 0; i < text.length; i++) {
      if (text[i] === "=" && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
        out.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else out.push(...new TextEncoder().encode(text[i]));
    }
    bytes = new Uint8Array(out);
  } else bytes = new TextEncoder().encode(body);
  return new TextDecoder().decode(bytes).replace(/\r\n/g, "\n").replace(/\n$/, "");
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
