/**
 * `exec.command` against real processes: what it outputs, exit codes,
 * stdin, the environment, the shell, the output limit, and that a timeout or
 * a cancelled run kills the whole process group, leaving no orphan.
 */
import assert from "node:assert/strict";
import { parseNdjson, spawnCli } from "./helpers.ts";
import { assertGone, failure, outputsOf, pidsFrom, runIn, SLEEPER, tempDir, writeIn } from "./system_helpers.ts";
import { Served, waitFor, writeFiles } from "./serve_helpers.ts";

const exec = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: "x",
  type: "exec.command",
  config,
  ...extra,
});

const granted = (run: string[], extra: Record<string, unknown> = {}) => ({ permissions: { run, ...extra } });

Deno.test("exec.command runs a program and outputs what it wrote", async (t) => {
  const dir = await tempDir();

  await t.step("echo: stdout exactly as written, an empty stderr, exit code 0", async () => {
    const { result, events } = await runIn(dir, {
      settings: granted(["echo"]),
      nodes: [exec({ command: "echo", args: ["hello", "world"] })],
      connections: [],
    });
    assert.equal(result.status, "success");
    assert.deepEqual(outputsOf(events, "x"), { stdout: "hello world\n", stderr: "", exitCode: 0, truncated: false });
  });

  await t.step("nothing is trimmed, stdout and stderr apart; args never go through a shell", async () => {
    const { events } = await runIn(dir, {
      settings: granted(["sh", "printf"]),
      nodes: [
        exec({ command: "sh", args: ["-c", 'printf "  two\\n\\n"; printf " err " >&2'] }),
        { id: "lit", type: "exec.command", config: { command: "printf", args: ["%s|", "$HOME; ls", "*"] } },
      ],
      connections: [],
    });
    assert.deepEqual(outputsOf(events, "x"), { stdout: "  two\n\n", stderr: " err ", exitCode: 0, truncated: false });
    assert.equal(outputsOf(events, "lit").stdout, "$HOME; ls|*|");
  });

  await t.step("false fails with EXIT_CODE; allowExitCodes accepts it and outputs the code", async () => {
    const { result } = await runIn(dir, {
      settings: granted(["false"]),
      nodes: [exec({ command: "false" })],
      connections: [],
    });
    assert.deepEqual(failure(result, "x"), { message: "false exited with code 1", code: "EXIT_CODE" });
    const ok = await runIn(dir, {
      settings: granted(["false"]),
      nodes: [exec({ command: "false", allowExitCodes: [0, 1] })],
      connections: [],
    });
    assert.equal(ok.result.status, "success");
    assert.equal(outputsOf(ok.events, "x").exitCode, 1);
  });

  await t.step("the failure names the program, the code and the error line of stderr", async () => {
    const { result } = await runIn(dir, {
      settings: granted(["sh"]),
      nodes: [exec({ command: "sh", args: ["-c", "echo 'x: error: no such table' >&2; echo '  detail' >&2; exit 3"] })],
      connections: [],
    });
    assert.deepEqual(failure(result, "x"), {
      message: "sh exited with code 3: x: error: no such table",
      code: "EXIT_CODE",
    });
  });

  await t.step("stdin: the input is written to the program", async () => {
    const { events } = await runIn(dir, {
      settings: granted(["cat"]),
      inputs: { text: { type: "string" } },
      nodes: [exec({ command: "cat" })],
      connections: [{ from: "$inputs.text", to: "x.stdin" }],
    }, { inputs: { text: "line 1\nline 2" } });
    assert.equal(outputsOf(events, "x").stdout, "line 1\nline 2");
  });

  await t.step(
    "env: only the declared variables; true passes flow's own, which settings.permissions.env grants",
    async () => {
      Deno.env.set("FLOW_TEST_PASSED", "from flow");
      Deno.env.set("FLOW_TEST_HIDDEN", "secret");
      const { events } = await runIn(dir, {
        settings: granted(["env"], { env: ["FLOW_TEST_PASSED"] }),
        nodes: [exec({ command: "env", env: { GIVEN: "a value", FLOW_TEST_PASSED: true } })],
        connections: [],
      });
      const lines = String(outputsOf(events, "x").stdout).trim().split("\n").sort();
      assert.deepEqual(lines, ["FLOW_TEST_PASSED=from flow", "GIVEN=a value"]);
    },
  );

  await t.step("cwd is the workflow file's folder, or a folder relative to it", async () => {
    await Deno.mkdir(`${dir}/sub`, { recursive: true });
    const real = await Deno.realPath(dir);
    const { events } = await runIn(dir, {
      settings: granted(["pwd"]),
      nodes: [exec({ command: "pwd" }), { id: "y", type: "exec.command", config: { command: "pwd", cwd: "sub" } }],
      connections: [],
    });
    assert.equal(await Deno.realPath(String(outputsOf(events, "x").stdout).trim()), real);
    assert.equal(await Deno.realPath(String(outputsOf(events, "y").stdout).trim()), `${real}/sub`);
  });

  await t.step("shell: true runs the command as an sh script, args as $1...", async () => {
    const { events } = await runIn(dir, {
      settings: granted(["sh"]),
      nodes: [exec({ command: 'echo "$1-$2" | tr a-z A-Z', args: ["ab", "cd"], shell: true })],
      connections: [],
    });
    assert.equal(outputsOf(events, "x").stdout, "AB-CD\n");
  });

  await t.step("a template makes args from upstream values (numbers as text)", async () => {
    const { events } = await runIn(dir, {
      settings: granted(["echo"]),
      nodes: [
        { id: "n", type: "transform.set", config: { value: 42 } },
        exec({ command: "echo", args: ["n={{ $node.n }}", "{{ $node.n }}"] }),
      ],
      connections: [{ from: "n.value", to: "x.n" }],
    });
    assert.equal(outputsOf(events, "x").stdout, "n=42 42\n");
  });

  await t.step("a program that does not exist fails with SPAWN_FAILED", async () => {
    const { result } = await runIn(dir, {
      settings: granted(["no-such-program-flow"]),
      nodes: [exec({ command: "no-such-program-flow" })],
      connections: [],
    });
    const error = failure(result, "x");
    assert.equal(error.code, "SPAWN_FAILED");
    assert.match(error.message, /^cannot run no-such-program-flow: not found/);
  });
});

Deno.test("exec.command: output past maxOutputBytes is cut, and said so", async () => {
  const dir = await tempDir();
  const { result, events } = await runIn(dir, {
    settings: granted(["sh"]),
    nodes: [exec({ command: "sh", args: ["-c", "seq 1 20000; echo done >&2"], maxOutputBytes: 1000 })],
    connections: [],
  });
  assert.equal(result.status, "success");
  const out = outputsOf(events, "x");
  assert.equal(out.stdout, new TextDecoder().decode(new TextEncoder().encode(seq(20000)).slice(0, 1000)));
  assert.equal(out.stderr, "done\n");
  assert.equal(out.truncated, true);
  const warn = events.find((e) => e.type === "node.log" && e.level === "warn");
  assert.ok(warn?.type === "node.log");
  assert.equal(
    warn.message,
    `stdout cut at 1000 bytes (maxOutputBytes): ${
      new TextEncoder().encode(seq(20000)).length - 1000
    } more bytes dropped`,
  );
  // A cut never splits a character: "é" is two bytes.
  const utf8 = await runIn(dir, {
    settings: granted(["printf"]),
    nodes: [exec({ command: "printf", args: ["aéé"], maxOutputBytes: 2 })],
    connections: [],
  });
  assert.equal(outputsOf(utf8.events, "x").stdout, "a");
});

function seq(n: number): string {
  return Array.from({ length: n }, (_, i) => `${i + 1}\n`).join("");
}

Deno.test("exec.command: a timeout kills the whole process group, no orphan left", async (t) => {
  const dir = await tempDir();
  for (
    const [label, node] of [
      ["config.timeoutMs", exec({ command: SLEEPER, args: [`${dir}/pids-a`], shell: true, timeoutMs: 1500 })],
      ["the node's timeoutMs", exec({ command: SLEEPER, args: [`${dir}/pids-b`], shell: true }, { timeoutMs: 1500 })],
    ] as const
  ) {
    await t.step(label, async () => {
      const pidFile = String((node.config as { args: string[] }).args[0]);
      const run = runIn(dir, { settings: granted(["sh"]), nodes: [node], connections: [] });
      const pids = await pidsFrom(pidFile, 2);
      const { result } = await run;
      const error = failure(result, "x");
      assert.equal(error.code, "TIMEOUT");
      await assertGone(pids);
    });
  }
});

Deno.test("exec.command: a cancelled run kills the whole process group", async (t) => {
  const dir = await tempDir();
  await t.step("in process: aborting the run's signal", async () => {
    const controller = new AbortController();
    const run = runIn(dir, {
      settings: granted(["sh"]),
      nodes: [exec({ command: SLEEPER, args: [`${dir}/pids-lib`], shell: true })],
      connections: [],
    }, { signal: controller.signal });
    const pids = await pidsFrom(`${dir}/pids-lib`, 2);
    controller.abort();
    const { result } = await run;
    assert.equal(result.status, "cancelled");
    await assertGone(pids);
  });

  await t.step("flow run, interrupted with SIGINT", async () => {
    const file = await writeIn(dir, {
      settings: granted(["sh"]),
      nodes: [exec({ command: SLEEPER, args: [`${dir}/pids-cli`], shell: true })],
      connections: [],
    }, "cli.json");
    const child = spawnCli(["run", file, "--format", "ndjson"]);
    const pids = await pidsFrom(`${dir}/pids-cli`, 2);
    child.kill("SIGINT");
    const out = await child.output();
    const events = parseNdjson(new TextDecoder().decode(out.stdout));
    const end = events.at(-1);
    assert.equal(end?.type === "workflow.completed" && end.status, "cancelled");
    assert.equal(out.code, 130, new TextDecoder().decode(out.stderr));
    await assertGone(pids);
  });

  await t.step("whatever the command leaves running when it exits goes with it", async () => {
    const { result } = await runIn(dir, {
      settings: granted(["sh"]),
      nodes: [exec({ command: `sleep 300 & echo $! > "$1"`, args: [`${dir}/left`], shell: true })],
      connections: [],
    });
    assert.equal(result.status, "success");
    await assertGone(await pidsFrom(`${dir}/left`, 1));
  });
});

Deno.test("exec.command: flow itself without --allow-run fails the node, with the reason", async () => {
  const dir = await tempDir();
  const file = await writeIn(dir, {
    settings: granted(["echo"]),
    nodes: [exec({ command: "echo", args: ["hi"] })],
    connections: [],
  });
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "--allow-write", "--allow-env", "--allow-net", cli, "run", file, "-q"],
    env: { NO_COLOR: "1", FLOW_STATE_DIR: dir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /cannot run echo: flow itself was started without Deno's --allow-run \(PERMISSION_DENIED\)/,
  );
});

Deno.test({
  name: "exec.command under flow serve: a run cancelled through the API, or a server stopped, kills the process group",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await writeFiles({
      "sleeper.json": {
        id: "sleeper",
        inputs: { pids: { type: "string" } },
        settings: granted(["sh"]),
        nodes: [exec({ command: SLEEPER, args: ["{{ $inputs.pids }}"], shell: true })],
        connections: [],
      },
    });
    // Stopped, the server gives runs in flight --grace to finish, then cancels them.
    await using server = await Served.start([dir, "--grace", "500ms"]);
    const start = async (pids: string) => {
      const r = await server.json("/api/v1/workflows/sleeper/runs", { json: { inputs: { pids } } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return r.body.executionId as string;
    };

    await t.step("POST /api/v1/runs/{id}/cancel", async () => {
      const id = await start(`${dir}/pids-api`);
      const pids = await pidsFrom(`${dir}/pids-api`, 2);
      const cancel = await server.json(`/api/v1/runs/${id}/cancel`, { method: "POST" });
      assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
      await assertGone(pids);
      await waitFor(async () => (await server.json(`/api/v1/runs/${id}`)).body.status === "cancelled");
    });

    await t.step("the server stopped (SIGTERM) with the command running, past --grace", async () => {
      await start(`${dir}/pids-stop`);
      const pids = await pidsFrom(`${dir}/pids-stop`, 2);
      await server.stop();
      await assertGone(pids);
    });
  },
});
