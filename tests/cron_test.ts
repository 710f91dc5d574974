import assert from "node:assert/strict";
import { parseNdjson, readUntil, ROOT, runCli, spawnCli, writeWorkflow } from "./helpers.ts";

const slowWorkflow = (id: string) => ({
  id,
  nodes: [{ id: "wait", type: "time.delay", config: { ms: 20000 } }],
  connections: [],
});

async function tempStateDir() {
  return await Deno.makeTempDir({ prefix: "flow-state-" });
}

Deno.test("--lock: a second run while the first is alive exits 75 with one line", async () => {
  const state = await tempStateDir();
  const wf = await writeWorkflow(slowWorkflow("nightly"));
  const first = spawnCli(["run", wf, "--lock", "--format", "ndjson"], { FLOW_STATE_DIR: state });
  const reader = first.stdout.pipeThrough(new TextDecoderStream()).getReader();
  await readUntil(reader, '"node.started"');
  const lockFile = `${state}/locks/nightly.lock`;
  const held = JSON.parse(await Deno.readTextFile(lockFile));
  assert.equal(held.pid, first.pid);

  const second = await runCli(["run", wf, "--lock"], { env: { FLOW_STATE_DIR: state } });
  assert.equal(second.code, 75);
  assert.equal(second.stdout, "");
  assert.match(
    second.stderr,
    new RegExp(`^flow: workflow "nightly" is already running \\(pid ${first.pid} on .*\\); lock: .*nightly\\.lock\\n$`),
  );

  first.kill("SIGTERM");
  await reader.cancel();
  assert.equal((await first.status).code, 130);
  await first.stderr.cancel();
  await assert.rejects(Deno.stat(lockFile), Deno.errors.NotFound, "the lock is released when the run ends");
});

Deno.test("settings.lock: true takes the lock without the flag", async () => {
  const state = await tempStateDir();
  await Deno.mkdir(`${state}/locks`, { recursive: true });
  // A live process holds it: this test process.
  await Deno.writeTextFile(
    `${state}/locks/locked.lock`,
    JSON.stringify({ pid: Deno.pid, hostname: Deno.hostname(), startedAt: new Date().toISOString() }),
  );
  const wf = await writeWorkflow({ ...slowWorkflow("locked"), settings: { lock: true } });
  const r = await runCli(["run", wf], { env: { FLOW_STATE_DIR: state } });
  assert.equal(r.code, 75);
  assert.match(r.stderr, /already running \(pid \d+/);
});

Deno.test("a stale lock left by a dead process is taken over", async () => {
  const state = await tempStateDir();
  // A real process that has exited: its PID is not alive any more.
  const dead = new Deno.Command(Deno.execPath(), { args: ["eval", ""] }).spawn();
  await dead.status;
  await Deno.mkdir(`${state}/locks`, { recursive: true });
  await Deno.writeTextFile(
    `${state}/locks/stale.lock`,
    JSON.stringify({ pid: dead.pid, hostname: Deno.hostname(), startedAt: "2026-01-01T00:00:00.000Z" }),
  );
  const wf = await writeWorkflow({
    id: "stale",
    nodes: [{ id: "a", type: "debug.log", config: { message: "ran" } }],
    connections: [],
  });
  const r = await runCli(["run", wf, "--lock", "--format", "json"], { env: { FLOW_STATE_DIR: state } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).status, "success");
  await assert.rejects(Deno.stat(`${state}/locks/stale.lock`), Deno.errors.NotFound);
});

Deno.test("--events FILE receives exactly the NDJSON stream while stdout gets pretty output", async () => {
  const wf = await writeWorkflow({
    id: "events",
    nodes: [{ id: "a", type: "debug.log", config: { message: "one" } }, { id: "b", type: "debug.log" }],
    connections: [{ from: "a.message", to: "b.message" }],
  });
  const dir = await Deno.makeTempDir();
  const file = `${dir}/events.ndjson`;
  const pretty = await runCli(["run", wf, "--events", file]);
  assert.equal(pretty.code, 0);
  assert.match(pretty.stdout, /✔ success/);
  const fileEvents = parseNdjson(await Deno.readTextFile(file));
  assert.equal(fileEvents.length, 8);
  // The file holds the same stream --format ndjson prints (ids and times aside).
  const stream = parseNdjson((await runCli(["run", wf, "--format", "ndjson"])).stdout);
  const strip = (e: object) => {
    const { executionId: _e, ts: _t, durationMs: _d, ...rest } = e as Record<string, unknown>;
    return rest;
  };
  assert.deepEqual(fileEvents.map(strip), stream.map(strip));
  // And with --format ndjson, the file content equals stdout byte for byte.
  const file2 = `${dir}/events2.ndjson`;
  const both = await runCli(["run", wf, "--format", "ndjson", "--events", file2]);
  assert.equal(await Deno.readTextFile(file2), both.stdout);
  // Appends, never truncates.
  await runCli(["run", wf, "--events", file, "-q"]);
  assert.equal(parseNdjson(await Deno.readTextFile(file)).length, 16);
  const bad = await runCli(["run", wf, "--events", `${dir}/no/such/dir/e.ndjson`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^flow: --events .*no\/such\/dir\/e\.ndjson: /);
});

Deno.test("inputs: --input, --input-json and --input-file combine, later forms win", async () => {
  const wf = await writeWorkflow({
    inputs: {
      a: { type: "string" },
      b: { type: "number" },
      c: { type: "object", default: {} },
      d: { type: "boolean", default: false },
    },
    nodes: [{ id: "m", type: "flow.merge" }],
    connections: [
      { from: "$inputs.a", to: "m.a" },
      { from: "$inputs.b", to: "m.b" },
      { from: "$inputs.c", to: "m.c" },
      { from: "$inputs.d", to: "m.d" },
    ],
    outputs: { m: "m.merged" },
  });
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/in.json`, JSON.stringify({ a: "from file", b: 1, c: { x: 1 } }));
  const r = await runCli([
    "run",
    wf,
    "--format",
    "json",
    "--input-file",
    `${dir}/in.json`,
    "--input-json",
    '{"b": 2}',
    "--input",
    "d=true",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).outputs.m, { a: "from file", b: 2, c: { x: 1 }, d: true });
  const cases: [string, RegExp][] = [
    ["missing.json", /^flow: --input-file .*missing\.json: file not found\n$/],
    ["bad.json", /^flow: --input-file .*bad\.json: invalid JSON: /],
    ["array.json", /^flow: --input-file .*array\.json: expected a JSON object\n$/],
  ];
  await Deno.writeTextFile(`${dir}/bad.json`, "{");
  await Deno.writeTextFile(`${dir}/array.json`, "[]");
  for (const [name, message] of cases) {
    const bad = await runCli(["run", wf, "--input-file", `${dir}/${name}`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, message);
  }
});

Deno.test("completion scripts are syntactically valid", async (t) => {
  for (const shell of ["bash", "zsh", "fish"]) {
    await t.step(shell, async () => {
      const r = await runCli(["completions", shell]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /run/);
      assert.match(r.stdout, /format/);
      const dir = await Deno.makeTempDir();
      await Deno.writeTextFile(`${dir}/flow.${shell}`, r.stdout);
      const check = shell === "fish" ? ["fish", "--no-execute"] : [shell, "-n"];
      let out: Deno.CommandOutput;
      try {
        out = await new Deno.Command(check[0], { args: [...check.slice(1), `${dir}/flow.${shell}`] }).output();
      } catch (err) {
        if (err instanceof Deno.errors.NotFound && shell !== "bash") {
          console.log(`${shell} is not installed; syntax check skipped`);
          return;
        }
        throw err;
      }
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    });
  }
  const bad = await runCli(["completions", "tcsh"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Allowed choices are bash, zsh, fish/);
});

Deno.test("bash completion completes commands and flag values", async () => {
  const script = (await runCli(["completions", "bash"])).stdout;
  const complete = async (words: string[]) => {
    const line = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${
      words.length - 1
    }; _flow; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = await new Deno.Command("bash", { args: ["-c", line] }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\n");
  };
  assert.deepEqual(await complete(["flow", "va"]), ["validate"]);
  assert.deepEqual(await complete(["flow", "run", "--format", "nd"]), ["ndjson"]);
  assert.deepEqual(await complete(["flow", "completions", "f"]), ["fish"]);
});

Deno.test("flow init writes a starter that validates and runs", async () => {
  const dir = `${await Deno.makeTempDir()}/my-project`;
  const r = await runCli(["init", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `wrote ${dir}/workflow.json\nwrote ${dir}/workflow.schema.json\n`);
  const wf = JSON.parse(await Deno.readTextFile(`${dir}/workflow.json`));
  assert.equal(wf.$schema, "./workflow.schema.json");
  assert.equal(wf.id, "my-project");
  const schema = await Deno.readTextFile(`${dir}/workflow.schema.json`);
  assert.equal(schema, await Deno.readTextFile(`${ROOT}schema/workflow.schema.json`));
  const validate = await runCli(["validate", `${dir}/workflow.json`]);
  assert.equal(validate.code, 0, validate.stderr);
  const run = await runCli(["run", `${dir}/workflow.json`, "--format", "json"]);
  assert.deepEqual(JSON.parse(run.stdout).outputs, { message: "hello from flow" });
  const again = await runCli(["init", dir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /workflow\.json already exists; use --force to overwrite/);
  assert.equal((await runCli(["init", dir, "--force"])).code, 0);
});

Deno.test("a lock held on another host cannot be checked: exit 75 naming the file", async () => {
  const state = await tempStateDir();
  await Deno.mkdir(`${state}/locks`, { recursive: true });
  await Deno.writeTextFile(
    `${state}/locks/shared.lock`,
    JSON.stringify({ pid: 4242, hostname: "other-host", startedAt: "2026-01-01T00:00:00.000Z" }),
  );
  const wf = await writeWorkflow(slowWorkflow("shared"));
  const r = await runCli(["run", wf, "--lock"], { env: { FLOW_STATE_DIR: state } });
  assert.equal(r.code, 75);
  assert.equal(
    r.stderr,
    `flow: workflow "shared" is locked by pid 4242 on other-host, which cannot be checked from here; remove ${state}/locks/shared.lock if no run is active\n`,
  );
});
