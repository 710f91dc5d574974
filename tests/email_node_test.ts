/**
 * `email.send` against a real SMTP server on loopback (tests/smtp.ts): what
 * arrives (headers, bodies, attachments, envelope), STARTTLS and TLS with a
 * verified certificate, logins, refusals, the permissions it needs, and a
 * password that never shows.
 */
import assert from "node:assert/strict";
import { PERMISSIONS } from "../scripts/compile.ts";
import type { FlowEvent } from "../mod.ts";
import { parseNdjson, ROOT, runCli } from "./helpers.ts";
import { startSmtp, TEST_CA } from "./smtp.ts";
import { failure, issuesIn, outputsOf, runIn, tempDir, writeIn } from "./system_helpers.ts";

const send = (id: string, config: Record<string, unknown>) => ({
  id,
  type: "email.send",
  config: { from: "Flow <flow@example.test>", to: "ops@example.test", subject: "Backup failed", ...config },
});
const net = { permissions: { net: ["127.0.0.1"] } };

/** The part of a raw message after `header` up to the next blank line or boundary. */
const section = (raw: string, header: string) =>
  raw.slice(raw.indexOf(header)).split(/\r?\n\r?\n/)[1]?.split("\r\n--")[0];

Deno.test("email.send: the message arrives as sent, with its attachments", async (t) => {
  const dir = await tempDir();
  await using smtp = await startSmtp();

  await t.step("plain SMTP: headers, envelope, text and HTML bodies, text and binary attachments", async () => {
    const { result, events } = await runIn(dir, {
      settings: net,
      nodes: [send("mail", {
        url: smtp.url(),
        to: ["ops@example.test", "dba@example.test"],
        cc: "lead@example.test",
        bcc: ["audit@example.test"],
        subject: "Nightly report",
        text: "All 3 backups done.",
        html: "<p>All <b>3</b> backups done.</p>",
        attachments: [
          { filename: "report.csv", content: "db,bytes\napp,1024\n", contentType: "text/csv" },
          { filename: "blob.bin", content: "AP8BAg==", encoding: "base64" },
        ],
      })],
      connections: [],
    });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    const mail = await smtp.received();
    const out = outputsOf(events, "mail");
    assert.deepEqual(out.accepted, ["ops@example.test", "dba@example.test", "lead@example.test", "audit@example.test"]);
    assert.deepEqual(out.rejected, []);
    assert.match(
      mail.raw,
      new RegExp(`^Message-ID: ${String(out.messageId).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"),
    );
    assert.equal(mail.from, "flow@example.test");
    assert.deepEqual(mail.to, ["ops@example.test", "dba@example.test", "lead@example.test", "audit@example.test"]);
    assert.match(mail.raw, /^From: Flow <flow@example\.test>$/m);
    assert.match(mail.raw, /^To: ops@example\.test, dba@example\.test$/m);
    assert.match(mail.raw, /^Cc: lead@example\.test$/m);
    assert.doesNotMatch(mail.raw, /^Bcc:/m, "blind copies are not in the headers");
    assert.match(mail.raw, /^Subject: Nightly report$/m);
    assert.match(mail.raw, /Content-Type: text\/plain[^]*All 3 backups done\./);
    assert.match(mail.raw, /Content-Type: text\/html[^]*<p>All <b>3<\/b> backups done\.<\/p>/);
    assert.match(mail.raw, /Content-Disposition: attachment; filename=report\.csv/);
    assert.equal(atob(section(mail.raw, "filename=report.csv").replace(/\s/g, "")), "db,bytes\napp,1024\n");
    assert.match(mail.raw, /Content-Disposition: attachment; filename=blob\.bin/);
    assert.equal(section(mail.raw, "filename=blob.bin").trim(), "AP8BAg==");
    assert.equal(mail.secure, false);
  });

  await t.step("inputs from connections: the failure report of an upstream node becomes the body", async () => {
    const { result } = await runIn(dir, {
      settings: net,
      nodes: [
        { id: "db", type: "transform.set", config: { value: "app" } },
        { id: "report", type: "transform.set", config: { value: "The backup of {{ $node.db }} failed" } },
        send("mail", { url: smtp.url(), subject: "{{ $node.db }} failed" }),
      ],
      connections: [
        { from: "db.value", to: "report.db" },
        { from: "db.value", to: "mail.db" },
        { from: "report.value", to: "mail.text" },
      ],
    });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    const mail = await smtp.received();
    assert.match(mail.raw, /^Subject: app failed$/m);
    assert.match(mail.raw, /\r\n\r\nThe backup of app failed/);
  });

  await t.step("a refused recipient is reported, the others get the message; all refused fails", async () => {
    await using picky = await startSmtp({ refuse: ["nobody@example.test"] });
    const { result, events } = await runIn(dir, {
      settings: { ...net, onError: "continue" },
      nodes: [
        send("some", { url: picky.url(), to: ["ops@example.test", "nobody@example.test"], text: "x" }),
        { ...send("none", { url: picky.url(), to: "nobody@example.test", text: "x" }), retry: { maxAttempts: 3 } },
      ],
      connections: [],
    });
    const out = outputsOf(events, "some");
    assert.deepEqual([out.accepted, out.rejected], [["ops@example.test"], ["nobody@example.test"]]);
    const warn = events.find((e) => e.type === "node.log" && e.nodeId === "some");
    assert.equal(warn?.type === "node.log" && warn.message, "the server refused nobody@example.test");
    assert.equal(failure(result, "none").code, "SMTP_REJECTED");
    assert.match(
      failure(result, "none").message,
      new RegExp(`^smtp 127\\.0\\.0\\.1:${picky.port}: .*nobody@example\\.test`),
    );
    assert.equal(events.filter((e) => e.type === "node.retrying").length, 0, "a 5xx refusal is not retried");
    assert.equal(picky.messages.length, 1);
  });

  await t.step("inputs that do not fit fail with BAD_INPUT, and nothing is sent", async () => {
    const { result } = await runIn(dir, {
      settings: { ...net, onError: "continue" },
      nodes: [
        send("noto", { url: smtp.url(), to: [] }),
        send("badto", { url: smtp.url(), to: [42] }),
        send("badfile", { url: smtp.url(), attachments: [{ filename: "a.txt", content: { not: "text" } }] }),
        send("badenc", { url: smtp.url(), attachments: [{ filename: "a.txt", content: "x", encoding: "hex" }] }),
      ],
      connections: [],
    });
    assert.deepEqual(failure(result, "noto"), { code: "BAD_INPUT", message: "to: no recipient" });
    assert.deepEqual(failure(result, "badto"), {
      code: "BAD_INPUT",
      message: "to: expected an address or a list of addresses; got [42]",
    });
    assert.deepEqual(failure(result, "badfile"), {
      code: "BAD_INPUT",
      message: 'attachments[0].content: expected string; got {"not":"text"}',
    });
    assert.equal(failure(result, "badenc").code, "BAD_INPUT");
    assert.match(failure(result, "badenc").message, /^attachments\[0\]\.encoding: expected one of utf8, base64/);
    assert.equal(smtp.messages.length, 2, "only the two earlier messages arrived");
  });
});

Deno.test("email.send: STARTTLS and TLS with a verified certificate, logins, and their failures", async (t) => {
  const dir = await tempDir();
  const users = { alerts: "s3cret-pass!" };

  await t.step("smtp:// upgrades with STARTTLS when offered, then logs in", async () => {
    await using smtp = await startSmtp({ tls: "starttls", users });
    const { result } = await runIn(dir, {
      settings: net,
      nodes: [send("mail", { url: smtp.url("alerts", users.alerts), ca: TEST_CA, requireTLS: true, text: "x" })],
      connections: [],
    });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    const mail = await smtp.received();
    assert.deepEqual([mail.secure, mail.user], [true, "alerts"]);
  });

  await t.step("smtps:// speaks TLS from the start", async () => {
    await using smtp = await startSmtp({ tls: "tls", users });
    const { result } = await runIn(dir, {
      settings: net,
      nodes: [send("mail", { url: smtp.url("alerts", users.alerts), ca: TEST_CA, text: "x" })],
      connections: [],
    });
    assert.equal(result.status, "success", JSON.stringify(result.error));
    assert.deepEqual([(await smtp.received()).secure, smtp.url().startsWith("smtps://")], [true, true]);
  });

  await t.step("requireTLS refuses a server that offers no STARTTLS; an unknown certificate is refused", async () => {
    await using plain = await startSmtp();
    await using tls = await startSmtp({ tls: "starttls" });
    const { result } = await runIn(dir, {
      settings: { ...net, onError: "continue" },
      nodes: [
        send("plain", { url: plain.url(), requireTLS: true, text: "x" }),
        send("unknown", { url: tls.url(), text: "x" }),
      ],
      connections: [],
    });
    assert.equal(failure(result, "plain").code, "SMTP_TLS");
    assert.match(failure(result, "plain").message, new RegExp(`^smtp 127\\.0\\.0\\.1:${plain.port}: `));
    assert.equal(failure(result, "unknown").code, "SMTP_TLS");
    assert.match(failure(result, "unknown").message, /certificate/);
    assert.deepEqual([plain.messages.length, tls.messages.length], [0, 0]);
  });

  await t.step("a wrong password fails with SMTP_AUTH; no event or message shows a password", async () => {
    await using smtp = await startSmtp({ tls: "starttls", users });
    const file = await writeIn(dir, {
      settings: { ...net, env: ["SMTP_URL", "SMTP_CA"], secrets: ["SMTP_URL"], onError: "continue" },
      nodes: [
        { ...send("literal", { url: smtp.url("alerts", "wr0ng-pass"), ca: "{{ $env.SMTP_CA }}", text: "x" }) },
        send("secret", { url: "{{ $env.SMTP_URL }}", ca: "{{ $env.SMTP_CA }}", text: "x" }),
      ],
      connections: [],
    }, "auth.json");
    const r = await runCli(["run", file, "--format", "ndjson"], {
      env: { SMTP_URL: smtp.url("alerts", users.alerts), SMTP_CA: TEST_CA },
    });
    assert.equal(r.code, 1);
    const events = parseNdjson(r.stdout);
    assert.deepEqual(outputsOf(events, "secret").accepted, ["ops@example.test"]);
    const failed = events.find((e) => e.type === "node.failed") as Extract<FlowEvent, { type: "node.failed" }>;
    assert.deepEqual(failed.error, {
      code: "SMTP_AUTH",
      message: `smtp 127.0.0.1:${smtp.port}: Invalid login: 535 Invalid username or password`,
    });
    for (const text of [r.stdout, r.stderr]) {
      for (const secret of [users.alerts, encodeURIComponent(users.alerts), "wr0ng-pass"]) {
        assert.ok(!text.includes(secret), `${secret} shows in ${text}`);
      }
    }
    assert.equal(smtp.messages.length, 1, "the message sent with the secret URL");
  });

  await t.step("under the permissions the installed flow has (no --allow-sys), mail goes out", async () => {
    await using smtp = await startSmtp({ tls: "starttls", users });
    const file = await writeIn(dir, {
      settings: { ...net, env: ["SMTP_CA"] },
      nodes: [send("mail", { url: smtp.url("alerts", users.alerts), ca: "{{ $env.SMTP_CA }}", text: "x" })],
      connections: [],
    }, "installed.json");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...PERMISSIONS, `${ROOT}cli.ts`, "run", file, "-q"],
      env: { NO_COLOR: "1", FLOW_STATE_DIR: dir, SMTP_CA: TEST_CA },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal((await smtp.received()).secure, true);
  });
});

Deno.test("email.send permissions: the SMTP host must be granted, at validation and at run time", async (t) => {
  const dir = await tempDir();

  await t.step("a literal URL's host:port is checked at validation; a bad URL never shows its password", async () => {
    const issues = await issuesIn(dir, {
      settings: { permissions: { net: ["mail.example.test:465"] } },
      nodes: [
        send("ok", { url: "smtps://alerts:s3cret-pass@mail.example.test" }),
        send("port", { url: "smtp://alerts:s3cret-pass@mail.example.test" }),
        send("bad", { url: "http://alerts:s3cret-pass@mail.example.test" }),
      ],
      connections: [],
    });
    assert.deepEqual(issues, [
      'nodes[2].config.url: expected smtp://USER:PASSWORD@HOST:PORT or smtps://USER:PASSWORD@HOST:PORT; got a URL of scheme "http:"',
      'nodes[1].config.url: node "port" may not reach "mail.example.test:587": settings.permissions.net does not grant it',
    ]);
  });

  await t.step("a URL from the environment outside the grants fails with PERMISSION_DENIED", async () => {
    await using smtp = await startSmtp();
    const { result } = await runIn(dir, {
      settings: { permissions: { net: ["localhost"] }, env: ["SMTP_URL"] },
      nodes: [send("mail", { url: "{{ $env.SMTP_URL }}", text: "x" })],
      connections: [],
    }, { getEnv: (name) => name === "SMTP_URL" ? smtp.url() : undefined });
    assert.deepEqual(failure(result, "mail"), {
      code: "PERMISSION_DENIED",
      message: `url: may not reach "127.0.0.1:${smtp.port}": settings.permissions.net does not grant it`,
    });
    assert.equal(smtp.messages.length, 0);
  });
});
