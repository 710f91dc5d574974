/**
 * `settings.permissions`: nothing is granted by default; what a node's
 * static config needs is checked at validation (exit 2 naming the node, the
 * field and the missing grant); what comes from an expression is checked at
 * run time (`PERMISSION_DENIED`); sub-workflows get no more than their parent.
 */
import assert from "node:assert/strict";
import { WorkflowPermissions } from "../src/permissions/permissions.ts";
import { NodeError } from "../src/errors.ts";
import { runCli } from "./helpers.ts";
import { failure, issuesIn, outputsOf, runIn, tempDir, writeIn } from "./system_helpers.ts";

Deno.test("WorkflowPermissions: Deno's meanings, paths against the workflow's folder", async (t) => {
  const p = new WorkflowPermissions({
    run: ["pg_dump", "./bin/tool"],
    read: ["./data", "/etc/hostname"],
    write: ["out"],
    net: ["db.example.com", "127.0.0.1:8080", "[::1]:5432"],
    env: ["PGPASSWORD"],
  }, "/srv/flows");

  await t.step("nothing is granted by default", () => {
    const none = new WorkflowPermissions(undefined, "/srv/flows");
    for (const name of ["run", "read", "write", "net", "env"] as const) assert.equal(none.allows(name, "x"), false);
    assert.equal(none.any, false);
    assert.deepEqual(none.describe(), []);
  });

  await t.step("read and write: a folder grants what is under it; relative paths from the workflow's folder", () => {
    assert.equal(p.allows("read", "data"), true);
    assert.equal(p.allows("read", "data/in/x.csv"), true);
    assert.equal(p.allows("read", "/srv/flows/data/x.csv"), true);
    assert.equal(p.allows("read", "data/../secret"), false);
    assert.equal(p.allows("read", "database"), false, "a sibling with the same prefix");
    assert.equal(p.allows("read", "/etc/hostname"), true);
    assert.equal(p.allows("read", "/etc/passwd"), false);
    assert.equal(p.allows("write", "out/a.txt"), true);
    assert.equal(p.allows("write", "data/a.txt"), false, "read is not write");
  });

  await t.step("run: a name, or a path resolved like read paths", () => {
    assert.equal(p.allows("run", "pg_dump"), true);
    assert.equal(p.allows("run", "bin/tool"), true);
    assert.equal(p.allows("run", "/srv/flows/bin/tool"), true);
    assert.equal(p.allows("run", "tool"), false);
    assert.equal(p.allows("run", "./pg_dump"), false, "a program by path is not the one on PATH");
    assert.equal(p.allows("run", "sh"), false);
  });

  await t.step("net: host for any port, host:port for one; env: names", () => {
    assert.equal(p.allows("net", "db.example.com:5432"), true);
    assert.equal(p.allows("net", "DB.example.com"), true);
    assert.equal(p.allows("net", "127.0.0.1:8080"), true);
    assert.equal(p.allows("net", "127.0.0.1:8081"), false);
    assert.equal(p.allows("net", "127.0.0.1"), false, "any port is more than one port");
    assert.equal(p.allows("net", "[::1]:5432"), true);
    assert.equal(p.allows("net", "evil.example.com"), false);
    assert.equal(p.allows("env", "PGPASSWORD"), true);
    assert.equal(p.allows("env", "HOME"), false);
  });

  await t.step("true grants anything; asking for anything needs true", () => {
    const any = new WorkflowPermissions({ read: true }, "/");
    assert.equal(any.allows("read", "/etc/shadow"), true);
    assert.equal(any.allows("read", true), true);
    assert.equal(p.allows("read", true), false);
  });

  await t.step("check throws PERMISSION_DENIED, not retried, naming the field", () => {
    assert.throws(() => p.check("read", "/etc/passwd", "path"), (err: unknown) => {
      assert.ok(err instanceof NodeError);
      assert.equal(err.code, "PERMISSION_DENIED");
      assert.equal(err.retryable, false);
      assert.equal(
        err.message,
        'path: may not read "/etc/passwd": settings.permissions.read does not grant it',
      );
      return true;
    });
  });

  await t.step("describe and toJSON show the resolved grants", () => {
    assert.deepEqual(p.describe(), [
      "run: pg_dump, /srv/flows/bin/tool",
      "read: /srv/flows/data, /etc/hostname",
      "write: /srv/flows/out",
      "net: db.example.com, 127.0.0.1:8080, [::1]:5432",
      "env: PGPASSWORD",
    ]);
    assert.deepEqual(new WorkflowPermissions({ net: true }, "/").toJSON(), {
      run: [],
      read: [],
      write: [],
      net: true,
      env: [],
    });
  });

  await t.step("outside: what one set grants beyond another", () => {
    const inner = new WorkflowPermissions({ read: ["./data/in", "/tmp"], net: true }, "/srv/flows");
    assert.deepEqual(inner.outside(p), [
      'may not read "/tmp": settings.permissions.read does not grant it',
      "may reach anything: settings.permissions.net is not true",
    ]);
  });
});

Deno.test("checkPath: a symbolic link inside a granted folder that leads outside it is refused", async () => {
  const dir = await tempDir();
  const outside = await tempDir();
  await Deno.mkdir(`${dir}/data`);
  await Deno.writeTextFile(`${outside}/secret.txt`, "secret");
  await Deno.writeTextFile(`${dir}/data/ok.txt`, "ok");
  await Deno.symlink(`${outside}/secret.txt`, `${dir}/data/link.txt`);
  await Deno.symlink(`${dir}/data/ok.txt`, `${dir}/data/inner-link.txt`);
  await Deno.symlink(outside, `${dir}/data/out-dir`);
  const p = new WorkflowPermissions({ read: ["./data"], write: ["./data"] }, dir);
  assert.equal(await p.checkPath("read", "data/inner-link.txt"), `${dir}/data/inner-link.txt`);
  await assert.rejects(() => p.checkPath("read", "data/link.txt", "path"), {
    name: "NodeError",
    message: `path: may not read "${dir}/data/link.txt": it leads to "${await Deno.realPath(
      `${outside}/secret.txt`,
    )}" (a symbolic link), which settings.permissions.read does not grant`,
  });
  // A file that does not exist yet, in a linked folder outside.
  await assert.rejects(() => p.checkPath("write", "data/out-dir/new.txt"), { code: "PERMISSION_DENIED" });
  // A dangling link to a file outside, and a link to it: writing through either would create that file.
  await Deno.symlink(`${outside}/new.txt`, `${dir}/data/dangling.txt`);
  await Deno.symlink(`${dir}/data/dangling.txt`, `${dir}/data/dangling-2.txt`);
  await assert.rejects(() => p.checkPath("write", "data/dangling.txt"), { code: "PERMISSION_DENIED" });
  await assert.rejects(() => p.checkPath("write", "data/dangling-2.txt"), { code: "PERMISSION_DENIED" });
  const appended = await runIn(dir, {
    settings: { permissions: { write: ["./data"] } },
    nodes: [{ id: "w", type: "file.write", config: { path: "data/dangling.txt", content: "x", append: true } }],
    connections: [],
  });
  assert.equal(failure(appended.result, "w").code, "PERMISSION_DENIED");
  assert.equal(await Deno.stat(`${outside}/new.txt`).then(() => true, () => false), false, "nothing written outside");
  // Through the node: the link is not read.
  const { result } = await runIn(dir, {
    settings: { permissions: { read: ["./data"] } },
    nodes: [{ id: "r", type: "file.read", config: { path: "data/link.txt" } }],
    connections: [],
  });
  assert.equal(failure(result, "r").code, "PERMISSION_DENIED");
});

Deno.test("validation: every static need must be granted (node, field, grant named)", async (t) => {
  const dir = await tempDir();

  await t.step("nothing granted: each node of each family is refused", async () => {
    const issues = await issuesIn(dir, {
      nodes: [
        { id: "r", type: "file.read", config: { path: "/etc/passwd" } },
        { id: "w", type: "file.write", config: { path: "out.txt", content: "x" } },
        { id: "l", type: "file.list", config: { dir: "." } },
        { id: "x", type: "exec.command", config: { command: "pg_dump", env: { PGPASSWORD: true, A: "set" } } },
        { id: "s", type: "exec.command", config: { command: "echo hi", shell: "bash" } },
        {
          id: "c",
          type: "code.function",
          config: { source: "return {};", permissions: { read: ["./data"], net: ["localhost:8080"], run: true } },
        },
      ],
      connections: [],
    });
    assert.deepEqual(issues, [
      'nodes[0].config.path: node "r" may not read "/etc/passwd": settings.permissions.read does not grant it',
      `nodes[1].config.path: node "w" may not write "${dir}/out.txt": settings.permissions.write does not grant it`,
      `nodes[2].config.dir: node "l" may not read "${dir}": settings.permissions.read does not grant it`,
      'nodes[3].config.command: node "x" may not run "pg_dump": settings.permissions.run does not grant it',
      'nodes[3].config.env.PGPASSWORD: node "x" may not read the environment variable "PGPASSWORD": ' +
      "settings.permissions.env does not grant it",
      'nodes[4].config.shell: node "s" may not run "bash": settings.permissions.run does not grant it',
      'nodes[5].config.permissions.run: node "c" may run anything: settings.permissions.run is not true',
      `nodes[5].config.permissions.read[0]: node "c" may not read "${dir}/data": settings.permissions.read does not grant it`,
      'nodes[5].config.permissions.net[0]: node "c" may not reach "localhost:8080": settings.permissions.net does not grant it',
    ]);
  });

  await t.step("granted, the same workflow is valid", async () => {
    const { result } = await runIn(dir, {
      settings: {
        permissions: {
          read: ["/etc/passwd", "."],
          write: ["."],
          run: true,
          net: ["localhost"],
          env: ["PGPASSWORD"],
        },
      },
      nodes: [
        { id: "r", type: "file.read", config: { path: "/etc/passwd" } },
        { id: "c", type: "code.function", config: { source: "return {};", permissions: { read: ["./data"] } } },
      ],
      connections: [],
    });
    assert.equal(result.status, "success");
  });

  await t.step("a templated value is not checked at validation (it is at run time)", async () => {
    const issues = await issuesIn(dir, {
      inputs: { path: { type: "string" } },
      nodes: [
        { id: "r", type: "file.read", config: { path: "{{ $inputs.path }}" } },
        { id: "x", type: "exec.command", config: { command: "ls" } },
      ],
      connections: [],
    });
    assert.deepEqual(issues, [
      'nodes[1].config.command: node "x" may not run "ls": settings.permissions.run does not grant it',
    ]);
  });

  await t.step("flow validate: exit 2 with one line per missing grant; ok lists what is granted", async () => {
    const bad = await writeIn(dir, {
      nodes: [{ id: "dump", type: "exec.command", config: { command: "pg_dump" } }],
      connections: [],
    }, "bad.json");
    const r = await runCli(["validate", bad]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `${bad}: nodes[0].config.command: node "dump" may not run "pg_dump": settings.permissions.run does not grant it\n`,
    );
    const good = await writeIn(dir, {
      settings: { permissions: { run: ["pg_dump"], write: ["./backups"], env: ["PGPASSWORD"] } },
      nodes: [{ id: "dump", type: "exec.command", config: { command: "pg_dump" } }],
      connections: [],
    }, "good.json");
    const ok = await runCli(["validate", good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(
      ok.stdout,
      `${good}: ok (1 node, 0 connections)\n  run: pg_dump\n  write: ${dir}/backups\n  env: PGPASSWORD\n`,
    );
  });

  await t.step("a settings.permissions block the schema refuses is reported once, not per node", async () => {
    const issues = await issuesIn(dir, {
      settings: { permissions: { reed: ["."] } },
      nodes: [{ id: "r", type: "file.read", config: { path: "x" } }],
      connections: [],
    });
    assert.equal(issues.length, 1);
    assert.match(issues[0], /^settings\.permissions\.reed: unknown key/);
  });
});

Deno.test("run time: a value from an expression outside the grants fails with PERMISSION_DENIED", async () => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/data`);
  await Deno.writeTextFile(`${dir}/data/in.txt`, "inside");
  const { result, events } = await runIn(dir, {
    inputs: { path: { type: "string" }, dir: { type: "string" }, out: { type: "string" }, prog: { type: "string" } },
    settings: { onError: "continue", permissions: { read: ["./data"], write: ["./data"], run: ["echo"] } },
    nodes: [
      { id: "ok", type: "file.read", config: { path: "data/{{ 'in.txt' }}" } },
      { id: "read", type: "file.read", config: { path: "{{ $inputs.path }}" } },
      { id: "list", type: "file.list", config: { dir: "{{ $inputs.dir }}" } },
      { id: "write", type: "file.write", config: { path: "{{ $inputs.out }}", content: "x" } },
      { id: "exec", type: "exec.command", config: { command: "{{ $inputs.prog }}" } },
    ],
    connections: [],
  }, { inputs: { path: "/etc/passwd", dir: "/", out: "../escape.txt", prog: "rm" } });
  assert.equal(outputsOf(events, "ok").content, "inside");
  assert.deepEqual(failure(result, "read"), {
    code: "PERMISSION_DENIED",
    message: 'path: may not read "/etc/passwd": settings.permissions.read does not grant it',
  });
  assert.deepEqual(failure(result, "list"), {
    code: "PERMISSION_DENIED",
    message: 'dir: may not read "/": settings.permissions.read does not grant it',
  });
  const escape = `${dir.slice(0, dir.lastIndexOf("/"))}/escape.txt`;
  assert.deepEqual(failure(result, "write"), {
    code: "PERMISSION_DENIED",
    message: `path: may not write "${escape}": settings.permissions.write does not grant it`,
  });
  assert.deepEqual(failure(result, "exec"), {
    code: "PERMISSION_DENIED",
    message: 'command: may not run "rm": settings.permissions.run does not grant it',
  });
  await assert.rejects(() => Deno.stat(escape), Deno.errors.NotFound);
  // Not retried: a retry cannot grant anything.
  const retried = await runIn(dir, {
    inputs: { path: { type: "string" } },
    nodes: [{ id: "r", type: "file.read", config: { path: "{{ $inputs.path }}" }, retry: { maxAttempts: 3 } }],
    connections: [],
  }, { inputs: { path: "/etc/passwd" } });
  assert.equal(retried.result.nodes[0].attempts, 1);
});

Deno.test("sub-workflows: no more than their parent grants", async (t) => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/data`);
  await Deno.writeTextFile(`${dir}/data/in.txt`, "from the sub-workflow");

  await t.step("an inline sub-workflow shares its parent's grants", async () => {
    const { result } = await runIn(dir, {
      settings: { permissions: { read: ["./data"] } },
      nodes: [{
        id: "sub",
        type: "flow.subworkflow",
        config: {
          workflow: {
            nodes: [{ id: "r", type: "file.read", config: { path: "data/in.txt" } }],
            connections: [],
            outputs: { text: "r.content" },
          },
        },
      }],
      connections: [],
      outputs: { text: "sub.text" },
    });
    assert.deepEqual(result.outputs, { text: "from the sub-workflow" });
  });

  await t.step("an inline or file sub-workflow that grants more is refused", async () => {
    await writeIn(`${dir}/data`, {
      settings: { permissions: { read: ["."], run: ["sh"] } },
      nodes: [{ id: "r", type: "file.read", config: { path: "in.txt" } }],
      connections: [],
    }, "sub.json");
    const issues = await issuesIn(dir, {
      settings: { permissions: { read: ["./data"] } },
      nodes: [
        { id: "file", type: "flow.subworkflow", config: { workflowFile: "data/sub.json" } },
        {
          id: "inline",
          type: "flow.subworkflow",
          config: { workflow: { settings: { permissions: { write: ["."] } }, nodes: [], connections: [] } },
        },
      ],
      connections: [],
    });
    assert.deepEqual(issues, [
      "nodes[0].config.workflowFile: the sub-workflow is granted more than this workflow, which may not run " +
      '"sh": settings.permissions.run does not grant it',
      "nodes[1].config.workflow.settings.permissions: the sub-workflow is granted more than this workflow, which " +
      `may not write "${dir}": settings.permissions.write does not grant it`,
    ]);
  });
});
