/**
 * `flow serve` shows what each workflow may reach (the API's workflow
 * detail, `permissions`), and runs the nodes that touch the system held to
 * those grants.
 */
import assert from "node:assert/strict";
import { Served, writeFiles } from "./serve_helpers.ts";

Deno.test("flow serve: a workflow's permissions in its detail; its nodes run held to them", async (t) => {
  const dir = await writeFiles({
    "backup.json": {
      id: "backup",
      inputs: { prog: { type: "string", default: "echo" } },
      settings: { permissions: { run: ["echo"], write: ["./out"], env: ["HOME"] } },
      nodes: [
        { id: "say", type: "exec.command", config: { command: "{{ $inputs.prog }}", args: ["served"] } },
        { id: "save", type: "file.write", config: { path: "out/said.txt", mkdir: true } },
      ],
      connections: [{ from: "say.stdout", to: "save.content" }],
      outputs: { file: "save.path" },
    },
    "plain.json": { id: "plain", nodes: [], connections: [] },
  });
  await using server = await Served.start([dir]);
  const real = await Deno.realPath(dir);

  await t.step("GET /api/v1/workflows/{id} has the resolved grants", async () => {
    const backup = await server.json("/api/v1/workflows/backup");
    assert.equal(backup.status, 200);
    const out = backup.body.permissions.write[0] as string;
    assert.ok(out === `${dir}/out` || out === `${real}/out`, out);
    assert.deepEqual({ ...backup.body.permissions, write: [] }, {
      run: ["echo"],
      read: [],
      write: [],
      net: [],
      env: ["HOME"],
    });
    const plain = await server.json("/api/v1/workflows/plain");
    assert.deepEqual(plain.body.permissions, { run: [], read: [], write: [], net: [], env: [] });
  });

  await t.step("a run started through the API runs the program and writes the file", async () => {
    const r = await server.json("/api/v1/workflows/backup/runs?wait=true", { json: {} });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, "success", JSON.stringify(r.body.error));
    assert.equal(await Deno.readTextFile(`${dir}/out/said.txt`), "served\n");
  });

  await t.step("an input that names another program is refused at run time", async () => {
    const r = await server.json("/api/v1/workflows/backup/runs?wait=true", { json: { inputs: { prog: "rm" } } });
    assert.equal(r.body.status, "failed");
    assert.deepEqual(r.body.error, {
      message: 'command: may not run "rm": settings.permissions.run does not grant it',
      code: "PERMISSION_DENIED",
      nodeId: "say",
    });
  });
});
