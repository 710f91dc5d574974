/**
 * `email.send`: sends one message over SMTP (STARTTLS when offered, or
 * TLS from the start with `smtps://`), with attachments from its inputs.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { zodIssues } from "../../src/workflow/zod_issues.ts";
import { preview } from "../../src/workflow/values.ts";
import { defineNode } from "../../src/node/node.ts";
import { NodeError } from "../../src/errors.ts";
import { credentialScrubber, hostPort } from "../connection_url.ts";
import { smtpError } from "./errors.ts";
import type { Attachment } from "./smtp.ts";
import { describeSmtp, parseSmtpUrl, smtpNeeds, type SmtpTarget } from "./target.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() =>
  z.object({
    url: described(
      z.string().check(z.minLength(1)),
      "smtp://USER:PASSWORD@HOST:PORT (STARTTLS when offered; port 587 by default) or smtps://… (TLS; 465); " +
        "needs settings.permissions.net; usually {{ $env.NAME }} of a secret",
    ),
    from: described(
      z.string().check(z.minLength(1)),
      'The sender: "alerts@example.com" or "Alerts <alerts@example.com>"',
    ),
    requireTLS: described(
      z._default(z.boolean(), false),
      "Refuse to send over a connection that is not encrypted (smtp:// without STARTTLS)",
    ),
    ca: described(
      z.optional(z.string().check(z.minLength(1))),
      "PEM certificates to trust besides the system's (a private CA)",
    ),
  })
);

/** An attachment as the `attachments` input gives it. */
const attachmentsSchema = once(() =>
  z.array(z.object({
    filename: z.string().check(z.minLength(1)),
    content: z.string(),
    encoding: z._default(z.enum(["utf8", "base64"]), "utf8"),
    contentType: z.optional(z.string().check(z.minLength(1))),
  }))
);

/** The `email.send` node type. */
export default defineNode({
  type: "email.send",
  description: "Sends an email over SMTP (config.url; STARTTLS when offered); outputs messageId and accepted",
  inputs: {
    to: { type: "any", description: "Recipients: an address, or a list of addresses" },
    cc: { type: "any", description: "Copies: an address, or a list", required: false },
    bcc: { type: "any", description: "Blind copies: an address, or a list", required: false },
    subject: { type: "string", description: "The subject line", required: false },
    text: { type: "string", description: "The plain-text body", required: false },
    html: { type: "string", description: "The HTML body", required: false },
    attachments: {
      type: "array",
      description: "Files: { filename, content, encoding?: utf8 | base64, contentType? } each",
      required: false,
    },
  },
  dynamicInputs: { type: "any", description: "Visible to config templates as $node.NAME; connect one to order nodes" },
  outputs: {
    messageId: { type: "string", description: "The Message-ID of the message sent" },
    accepted: { type: "array", description: "The recipients the server accepted" },
    rejected: { type: "array", description: "The recipients the server refused (the others got the message)" },
  },
  get config() {
    return configSchema();
  },
  prepare(config, tools) {
    if (config.url.includes("{{")) return;
    try {
      parseSmtpUrl(config.url);
    } catch (err) {
      tools.issue("url", (err as Error).message);
    }
  },
  needs(config) {
    try {
      return smtpNeeds(parseSmtpUrl(config.url));
    } catch {
      return []; // reported by prepare, or templated
    }
  },
  async run({ inputs, config, permissions, signal, log }) {
    const target = parseTarget(config.url);
    permissions.check("net", hostPort(target.host, target.port), "url");
    const message = {
      from: config.from,
      to: addresses(inputs.to, "to"),
      cc: addresses(inputs.cc, "cc"),
      bcc: addresses(inputs.bcc, "bcc"),
      subject: inputs.subject ?? "",
      text: inputs.text,
      html: inputs.html,
      attachments: attachments(inputs.attachments),
    };
    if (message.to.length === 0) throw badInput("to: no recipient");
    const { sendMessage } = await import("./smtp.ts");
    try {
      const sent = await sendMessage(target, { requireTLS: config.requireTLS, ca: config.ca }, message, signal);
      if (sent.rejected.length) log.warn(`the server refused ${sent.rejected.join(", ")}`);
      return sent;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw smtpError(err, describeSmtp(target), credentialScrubber(target.rawPassword));
    }
  },
});

/** The server `url` names, or a `BAD_URL` error that does not show the URL. */
function parseTarget(url: string): SmtpTarget {
  try {
    return parseSmtpUrl(url);
  } catch (err) {
    throw new NodeError(`url: ${(err as Error).message}`, { code: "BAD_URL", retryable: false });
  }
}

/** An address input (one, or a list) as a list; nothing is an empty list. */
function addresses(value: unknown, port: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || !list.every((a) => typeof a === "string" && a.trim() !== "")) {
    throw badInput(`${port}: expected an address or a list of addresses; got ${preview(value)}`);
  }
  return list;
}

/** The `attachments` input, checked. */
function attachments(value: unknown[] | undefined): Attachment[] {
  if (value === undefined) return [];
  const r = attachmentsSchema().safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const issue = zodIssues(r.error.issues, ["attachments"])[0];
  throw badInput(`${issue.path}: ${issue.message}`);
}

function badInput(message: string): NodeError {
  return new NodeError(message, { code: "BAD_INPUT", retryable: false });
}
