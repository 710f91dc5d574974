/**
 * What nodemailer threw, as the `NodeError` an `email.send` fails with: the
 * server named (never its URL), the password scrubbed from what was said,
 * and whether another attempt may help.
 *
 * @module
 */
import { NodeError } from "../../src/errors.ts";

/**
 * The error `email.send` fails with for `err`, thrown while sending through
 * the server named `label` (`smtp mail.example.com:587`): `SMTP_AUTH` (login
 * refused), `SMTP_TLS` (no encryption when it was required, or a
 * certificate that does not verify), `SMTP_REJECTED` (the server refused
 * the sender, the recipients or the message; retried only for a temporary
 * 4xx refusal), `SMTP_UNREACHABLE` (no connection; retried), else
 * `SMTP_ERROR` (retried).
 *
 * @example
 * ```ts
 * import { smtpError } from "./errors.ts";
 * const err = Object.assign(new Error("Invalid login: 535 Authentication failed"), { code: "EAUTH" });
 * smtpError(err, "smtp 127.0.0.1:587", (s) => s).code; // "SMTP_AUTH"
 * ```
 */
export function smtpError(err: unknown, label: string, scrub: (text: string) => string): NodeError {
  if (err instanceof NodeError) return err;
  const e = (err ?? {}) as Record<string, unknown>;
  const text = scrub(String(e.message ?? err).split("\n")[0]);
  const message = `${label}: ${text}`;
  const fail = (code: string, retryable: boolean) => new NodeError(message, { code, retryable, cause: err });
  switch (e.code) {
    case "EAUTH":
    case "ENOAUTH":
      return fail("SMTP_AUTH", false);
    case "ETLS":
    case "EREQUIRETLS":
      return fail("SMTP_TLS", false);
    case "EENVELOPE":
    case "EMESSAGE": {
      const status = typeof e.responseCode === "number" ? e.responseCode : 0;
      return fail("SMTP_REJECTED", status >= 400 && status < 500);
    }
    case "ESOCKET":
      // A certificate that does not verify will not verify on the next attempt either.
      return /certificate|self[- ]signed|unknown ?ca|verify/i.test(text)
        ? fail("SMTP_TLS", false)
        : fail("SMTP_UNREACHABLE", true);
    case "ECONNECTION":
    case "ETIMEDOUT":
    case "EDNS":
      return fail("SMTP_UNREACHABLE", true);
    default:
      return fail("SMTP_ERROR", true);
  }
}
