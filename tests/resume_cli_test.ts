/**
 * `flow resume` through the real CLI, with the example server's hit counter
 * proving which nodes ran again: completed nodes are reused (top level, in
 * `control.loop` iterations and in `flow.subworkflow` runs), the rest runs;
 * a successful execution and a changed workflow file are refused.
 */
import assert from "node:assert/strict";
import { type DemoServer, startDemoServer } from "../examples/server.ts";
import type { FlowEvent } from "../mod.ts";
import { shortHash } from "../src/workflow/hash.ts";
import { contentHash } from "../src/workflow/hash.ts";
import { ofType, parseNdjson, writeWorkflow } from "./helpers.ts";
import { eventsOf, jsonOf, tempState } from "./history_helpers.ts";

/** a -> b (fails once) -> c, and d beside b: a and d complete in the first run, b fails. */
const chain = (key: string) => ({
  id: "chain",
  inputs: { base: { type: "string" } },
  nodes: [
    { id: "a", type: "http.request", config: { url: "{{ $inputs.base }}/users/1" } },
    { id: "b_url", type: "transform.set", config: { value: `{{ $inputs.base }}/flaky/${key}?fail=1` } },
    { id: "b", type: "http.request" },
    { id: "c", type: "transform.set", config: { value: "{{ $node.a }} {{ $node.b }}" } },
  ],
  connections: [
    { from: "a.status", to: "b_url.after" },
    { from: "b_url.value", to: "b.url" },
    { from: "a.status", to: "c.a" },
    { from: "b.status", to: "c.b" },
  ],
  outputs: { c: "c.value" },
});

type Completed = Extract<FlowEvent, { type: "node.completed" }>;

async function withServer(fn: (server: DemoServer) => Promise<void>) {
  const server = startDemoServer();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

Deno.test("resume: a new execution that reuses completed nodes and runs the failed one and those after it", async () => {
  await using state = await tempState();
  await withServer(async (server) => {
    const wf = await writeWorkflow(chain("top"));
    const first = await state.flow(["run", wf, "--format", "ndjson", "-i", `base=${server.url}`]);
    assert.equal(first.code, 1, first.stderr);
    const { executionId: failedId } = eventsOf(first);
    assert.deepEqual([server.hits.get("/users/1"), server.hits.get("/flaky/top")], [1, 1]);

    const resumed = await state.flow(["resume", failedId.slice(0, 8), "--format", "ndjson"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const { events, executionId } = eventsOf(resumed);
    assert.notEqual(executionId, failedId, "a new execution id");
    const started = ofType(events, "workflow.started")[0];
    assert.equal(started.resumedFrom, failedId);
    assert.deepEqual(ofType(events, "node.started").map((e) => e.nodeId), ["b", "c"], "a and b_url did not run");
    const completed = ofType(events, "node.completed");
    assert.deepEqual(completed.map((e) => [e.nodeId, e.reused ?? false]), [
      ["a", true],
      ["b_url", true],
      ["b", false],
      ["c", false],
    ]);
    assert.deepEqual((events.at(-1) as { outputs: unknown }).outputs, { c: "200 200" });
    assert.deepEqual([server.hits.get("/users/1"), server.hits.get("/flaky/top")], [1, 2], "a was not called again");

    // In the history: resumedFrom, the inputs of the resumed one, reused nodes.
    const detail = jsonOf<Record<string, unknown>>(await state.flow(["runs", "show", executionId, "-f", "json"]));
    assert.equal(detail.resumedFrom, failedId);
    assert.equal(detail.status, "success");
    assert.deepEqual(detail.inputs, { base: server.url });
    const nodes = detail.nodes as { id: string; reused?: boolean }[];
    assert.deepEqual(nodes.filter((n) => n.reused).map((n) => n.id), ["a", "b_url"]);
    const listed = jsonOf<{ executionId: string; resumedFrom?: string }[]>(
      await state.flow(["runs", "-f", "json"]),
    );
    assert.deepEqual(listed.map((r) => [r.executionId, r.resumedFrom]), [[executionId, failedId], [
      failedId,
      undefined,
    ]]);
    const text = await state.flow(["runs", "show", executionId]);
    assert.match(text.stdout, new RegExp(`^resumed +from ${failedId}$`, "m"));
    assert.match(text.stdout, /│ a +│ http\.request +│ completed \(reused\) │ 0 /, "reused: no attempt made");
    const journal = await state.flow(["runs", "events", executionId]);
    assert.equal(journal.stdout, resumed.stdout);

    // A successful execution has nothing to resume.
    const again = await state.flow(["resume", executionId]);
    assert.equal(again.code, 2);
    assert.equal(again.stdout, "");
    assert.equal(again.stderr, `flow: nothing to resume: execution ${executionId} succeeded\n`);
  });
});

Deno.test("resume takes --format json, --quiet and --events", async () => {
  await using state = await tempState();
  await withServer(async (server) => {
    for (const [key, flags] of [["fmt", ["--format", "json"]], ["quiet", ["--quiet"]], ["events", ["-q"]]]) {
      const wf = await writeWorkflow(chain(key as string));
      const first = await state.flow(["run", wf, "-f", "json", "-i", `base=${server.url}`]);
      const failedId = JSON.parse(first.stdout).executionId;
      const eventsFile = `${wf}.ndjson`;
      const extra = key === "events" ? ["--events", eventsFile] : [];
      const r = await state.flow(["resume", failedId, ...flags as string[], ...extra]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      if (key === "fmt") {
        const summary = JSON.parse(r.stdout);
        assert.equal(summary.status, "success");
        assert.notEqual(summary.executionId, failedId);
      } else assert.equal(r.stdout, "", `${key}: quiet on success`);
      if (key === "events") {
        const events = parseNdjson(await Deno.readTextFile(eventsFile));
        assert.equal(ofType(events, "workflow.started")[0].resumedFrom, failedId);
        assert.ok(ofType(events, "node.completed").some((e) => e.nodeId === "a" && e.reused));
      }
    }
  });
});

Deno.test("resume inside control.loop: only the items that did not complete run again", async () => {
  await using state = await tempState();
  await withServer(async (server) => {
    const urls = Array.from(
      { length: 8 },
      (_, i) => i === 4 ? `${server.url}/flaky/loop?fail=1` : `${server.url}/users/${i + 1}`,
    );
    const wf = await writeWorkflow({
      id: "loop-resume",
      inputs: { urls: { type: "array" } },
      nodes: [
        {
          id: "each",
          type: "control.loop",
          config: {
            concurrency: 2,
            workflow: {
              nodes: [
                { id: "fetch", type: "http.request" },
                { id: "parse", type: "transform.json_parse" },
              ],
              connections: [{ from: "$inputs.item", to: "fetch.url" }, { from: "fetch.body", to: "parse.json" }],
              outputs: { got: "parse.parsed" },
            },
          },
        },
      ],
      connections: [{ from: "$inputs.urls", to: "each.items" }],
      outputs: { results: "each.results" },
    });
    const first = await state.flow(["run", wf, "-f", "ndjson", "--input-json", JSON.stringify({ urls })]);
    assert.equal(first.code, 1, first.stderr);
    const { executionId: failedId, events: firstEvents } = eventsOf(first);
    const doneBefore = new Set(
      ofType(firstEvents, "node.completed").filter((e) => e.nodeId === "parse").map((e) => e.runPath),
    );
    assert.ok(doneBefore.size >= 4 && !doneBefore.has("each[4]"), `completed first: ${[...doneBefore]}`);

    const resumed = await state.flow(["resume", failedId, "-f", "ndjson"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const { events } = eventsOf(resumed);
    const ran = new Set(ofType(events, "node.started").filter((e) => e.nodeId === "fetch").map((e) => e.runPath));
    const reused = ofType(events, "node.completed").filter((e: Completed) => e.reused && e.nodeId === "parse");
    assert.deepEqual(new Set(reused.map((e) => e.runPath)), doneBefore, "the completed iterations were reused");
    for (const path of doneBefore) assert.ok(!ran.has(path), `${path} ran again`);
    assert.ok(ran.has("each[4]"), "the failed item ran again");
    assert.equal(ran.size + doneBefore.size, 8, "every other item ran once");

    // Every URL was called exactly once over both executions; the flaky one twice.
    for (let i = 1; i <= 8; i++) if (i !== 5) assert.equal(server.hits.get(`/users/${i}`), 1, `/users/${i}`);
    assert.equal(server.hits.get("/flaky/loop"), 2);
    type Results = { results: { got: { id?: number; ok?: boolean } }[] };
    const { results } = (events.at(-1) as Extract<FlowEvent, { type: "workflow.completed" }>).outputs as Results;
    assert.deepEqual(results.map((r) => r.got.id ?? r.got.ok), [1, 2, 3, 4, true, 6, 7, 8], "results in item order");
  });
});

Deno.test("resume inside flow.subworkflow: the sub-run's completed nodes are not called again", async () => {
  await using state = await tempState();
  await withServer(async (server) => {
    const wf = await writeWorkflow({
      id: "sub-resume",
      inputs: { base: { type: "string" } },
      nodes: [
        {
          id: "sub",
          type: "flow.subworkflow",
          config: {
            workflow: {
              inputs: { base: { type: "string" } },
              nodes: [
                { id: "one", type: "http.request", config: { url: "{{ $inputs.base }}/users/3" } },
                { id: "two_url", type: "transform.set", config: { value: "{{ $inputs.base }}/flaky/sub?fail=1" } },
                { id: "two", type: "http.request" },
              ],
              connections: [{ from: "one.status", to: "two_url.after" }, { from: "two_url.value", to: "two.url" }],
              outputs: { one: "one.status", two: "two.status" },
            },
          },
        },
      ],
      connections: [{ from: "$inputs.base", to: "sub.base" }],
      outputs: { one: "sub.one", two: "sub.two" },
    });
    const first = await state.flow(["run", wf, "-f", "json", "-i", `base=${server.url}`]);
    assert.equal(first.code, 1, first.stderr);
    const resumed = await state.flow(["resume", JSON.parse(first.stdout).executionId, "-f", "ndjson"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const { events } = eventsOf(resumed);
    const reused = ofType(events, "node.completed").filter((e) => e.reused).map((e) => `${e.runPath}/${e.nodeId}`);
    assert.deepEqual(reused, ["sub/one", "sub/two_url"]);
    assert.deepEqual((events.at(-1) as { outputs: unknown }).outputs, { one: 200, two: 200 });
    assert.equal(server.hits.get("/users/3"), 1);
    assert.equal(server.hits.get("/flaky/sub"), 2);
  });
});

Deno.test("resume refuses a workflow file that changed (naming both hashes) unless --force", async () => {
  await using state = await tempState();
  await withServer(async (server) => {
    const wf = await writeWorkflow(chain("changed"));
    const before = await contentHash(await Deno.readTextFile(wf));
    const first = await state.flow(["run", wf, "-f", "json", "-i", `base=${server.url}`]);
    const failedId = JSON.parse(first.stdout).executionId;
    const edited = JSON.stringify({ ...chain("changed"), name: "edited" });
    await Deno.writeTextFile(wf, edited);
    const after = await contentHash(edited);

    const refused = await state.flow(["resume", failedId]);
    assert.equal(refused.code, 2);
    assert.equal(refused.stdout, "");
    assert.equal(
      refused.stderr,
      `flow: ${await Deno.realPath(wf)} changed since execution ${failedId} (${shortHash(before)} then, ${
        shortHash(after)
      } now); pass --force to resume with the current file\n`,
    );
    assert.equal(server.hits.get("/users/1"), 1, "nothing ran");

    const forced = await state.flow(["resume", failedId, "--force", "-f", "json"]);
    assert.equal(forced.code, 0, forced.stderr);
    const detail = jsonOf<{ hash: string; resumedFrom: string }>(
      await state.flow(["runs", "show", JSON.parse(forced.stdout).executionId, "-f", "json"]),
    );
    assert.equal(detail.hash, after, "the new execution records the file it ran");
    assert.equal(detail.resumedFrom, failedId);
    assert.equal(server.hits.get("/users/1"), 1, "a was reused even so");
  });
});

Deno.test("resume after a change of the layout block alone: the same workflow (its hash leaves layout out)", async () => {
  await using state = await tempState();
  await withServer(async (server) => {
    const wf = await writeWorkflow(chain("layout"));
    const first = await state.flow(["run", wf, "-f", "json", "-i", `base=${server.url}`]);
    assert.equal(first.code, 1, first.stderr);
    const failedId = JSON.parse(first.stdout).executionId;
    const recorded = jsonOf<{ hash: string }>(await state.flow(["runs", "show", failedId, "-f", "json"])).hash;
    // The editor moved two nodes: a layout block at the end, the lines of the logic untouched.
    const text = await Deno.readTextFile(wf);
    const moved = text.replace(/\n}$/, ',\n  "layout": {\n    "a": [0, 0],\n    "b": [240, 80]\n  }\n}');
    assert.notEqual(moved, text);
    await Deno.writeTextFile(wf, moved);

    const resumed = await state.flow(["resume", failedId, "-f", "json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const detail = jsonOf<{ hash: string; resumedFrom: string }>(
      await state.flow(["runs", "show", JSON.parse(resumed.stdout).executionId, "-f", "json"]),
    );
    assert.equal(detail.resumedFrom, failedId);
    assert.equal(detail.hash, recorded, "the same version");
    assert.equal(server.hits.get("/users/1"), 1, "a was reused");

    // A change of anything else is a change of the workflow.
    await Deno.writeTextFile(wf, moved.replace('"id": "chain",', '"id": "chain",\n  "name": "edited",'));
    const refused = await state.flow(["resume", failedId]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /changed since execution/);
  });
});

Deno.test("a run cancelled by SIGINT is recorded cancelled; resume runs the cancelled node, not the completed one", async () => {
  if (Deno.build.os === "windows") return;
  await using state = await tempState();
  await withServer(async (server) => {
    const wf = await writeWorkflow({
      id: "cancelled",
      inputs: { base: { type: "string" } },
      nodes: [
        { id: "first", type: "http.request", config: { url: "{{ $inputs.base }}/users/1" } },
        // Long while the test cancels it, short once resumed: the delay comes from each process's environment.
        { id: "wait", type: "time.delay", config: { ms: "{{ $number($env.WAIT_MS) }}" } },
        { id: "last", type: "transform.set", config: { value: "done" } },
      ],
      connections: [{ from: "first.status", to: "wait.value" }, { from: "wait.value", to: "last.after" }],
      outputs: { last: "last.value" },
      settings: { env: ["WAIT_MS"] },
    });
    await using run = state.spawn(["run", wf, "-f", "ndjson", "-i", `base=${server.url}`], { WAIT_MS: "60000" });
    const { executionId } = JSON.parse(await run.waitForLine('"type":"workflow.started"'));
    await run.waitForLine('"type":"node.started"', '"nodeId":"wait"');
    run.child.kill("SIGINT");
    const cancelled = await run.finish();
    assert.equal(cancelled.code, 130, cancelled.stderr);
    const detail = jsonOf<{ status: string; nodes: { id: string; status: string; error?: { code: string } }[] }>(
      await state.flow(["runs", "show", executionId, "-f", "json"]),
    );
    assert.equal(detail.status, "cancelled");
    assert.deepEqual(detail.nodes.map((n) => [n.id, n.status, n.error?.code]), [
      ["first", "completed", undefined],
      ["wait", "failed", "CANCELLED"],
      ["last", "pending", undefined], // never started, as flow run's own table shows it
    ]);

    const resumed = await state.flow(["resume", executionId, "-f", "ndjson"], { env: { WAIT_MS: "1" } });
    assert.equal(resumed.code, 0, resumed.stderr);
    const { events } = eventsOf(resumed);
    assert.deepEqual(ofType(events, "node.started").map((e) => e.nodeId), ["wait", "last"]);
    assert.equal(server.hits.get("/users/1"), 1);
  });
});

Deno.test("resume refuses a workflow read from stdin and a workflow file that is gone (exit 2, one line)", async () => {
  await using state = await tempState();
  const failing = {
    id: "unresumable",
    nodes: [{ id: "p", type: "transform.json_parse", config: { json: "{" } }],
    connections: [],
  };
  const piped = await state.flow(["run", "-", "-f", "json"], { stdin: JSON.stringify(failing) });
  assert.equal(piped.code, 1);
  const pipedId = JSON.parse(piped.stdout).executionId;
  const r1 = await state.flow(["resume", pipedId]);
  assert.equal(r1.code, 2);
  assert.equal(
    r1.stderr,
    `flow: execution ${pipedId} ran a workflow that was not read from a file; it cannot be resumed\n`,
  );

  const wf = await writeWorkflow(failing);
  const fromFile = await state.flow(["run", wf, "-f", "json"]);
  const fileId = JSON.parse(fromFile.stdout).executionId;
  await Deno.remove(wf);
  const r2 = await state.flow(["resume", fileId]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, new RegExp(`^flow: cannot resume ${fileId}: /.+/wf\\.json: [^\\n]+\\n$`));
});
