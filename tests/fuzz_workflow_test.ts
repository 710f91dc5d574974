/**
 * Fuzzing workflow files and run values (docs/security.md#fuzzing): hostile
 * files through the loader and the validator, mutants of valid workflows
 * run and reported as `flow run` does (every format, history recorded), and
 * a bounded number of real `flow validate` and `flow run` processes over
 * generated files, arguments and stdin.
 *
 * The properties: a file is valid or refused with a
 * `WorkflowValidationError` whose every line names the file and carries no
 * stack trace; a run ends (success, failed or cancelled) and every reporter
 * and the history writer cope with what it produced; the CLI exits 0, 1 or
 * 2 with one clean line per problem.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { builtinRegistry } from "../nodes/mod.ts";
import { WorkflowValidationError } from "../src/errors.ts";
import { EventBus } from "../src/engine/events.ts";
import { validateWithExpressions } from "../src/sandbox/imports.ts";
import { jsonTooDeepAt, tooDeepMessage } from "../src/workflow/limits.ts";
import { readWorkflowFile } from "../src/workflow/load.ts";
import { runRecorded } from "../src/runtime/recorded.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { Recorder } from "../src/store/recorder.ts";
import { resolveInputs } from "../src/validate/validate.ts";
import { palette } from "../cli/color.ts";
import { Output } from "../cli/output.ts";
import { jsonReporter, ndjsonReporter, prettyReporter, quietReporter, type Reporter } from "../cli/reporters.ts";
import {
  assertNoStack,
  depthArb,
  editTree,
  fuzz,
  hostileBytes,
  hostileJsonText,
  jsonText,
  nestedText,
  sample,
  toText,
  treeEdit,
} from "./fuzz.ts";
import { mutantText, RUNNABLE } from "./fuzz_bases.ts";
import { runCli } from "./helpers.ts";

/** Workflow file text: a mutant of a valid workflow, or any hostile JSON. */
const workflowText: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: mutantText }, {
  weight: 1,
  arbitrary: hostileJsonText,
});

/** Checks that a validation error is one clean line per problem, each naming `label`. */
function assertCleanRefusal(err: unknown, label: string): void {
  if (!(err instanceof WorkflowValidationError)) throw err;
  assertNoStack(err.message, "the validation message");
  assert.ok(err.issues.length > 0, "a refusal names a problem");
  for (const line of err.message.split("\n")) assert.ok(line.startsWith(label), `a line without the file: ${line}`);
}

/** Reads, parses and validates a file as `flow validate` does (no module imports). */
async function validateFile(path: string) {
  return await validateWithExpressions(await readWorkflowFile(path), builtinRegistry(), { file: path });
}

Deno.test("fuzz: hostile workflow files are valid or refused with one clean line per problem", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow-fuzz-" });
  const path = `${dir}/fuzz.json`;
  try {
    await fuzz("workflow files", hostileBytes(workflowText), async (bytes) => {
      await Deno.writeFile(path, bytes);
      try {
        await validateFile(path);
      } catch (err) {
        assertCleanRefusal(err, path);
      }
    }, 1500);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Memory outputs for every reporter `flow run` has. */
function reporters(): { all: Reporter[]; text: () => string } {
  const chunks: string[] = [];
  const sink = { writeSync: (p: Uint8Array) => (chunks.push(new TextDecoder().decode(p)), p.length) };
  const out = new Output(sink, false);
  const c = palette(true);
  return {
    all: [ndjsonReporter(out), jsonReporter(out), prettyReporter(out, c), quietReporter(out)],
    text: () => chunks.join(""),
  };
}

/** Given input values: hostile JSON (deep, huge numbers, prototype keys), parsed or as text. */
const givenInputs: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.dictionary(
    fc.constantFrom("text", "n", "value", "items", "__proto__", "constructor", "toString", "other"),
    fc.oneof(
      hostileJsonText.map((t) => {
        try {
          return JSON.parse(t);
        } catch {
          return t;
        }
      }),
      hostileJsonText, // as a string: the text transform.json_parse parses
    ),
    { maxKeys: 3 },
  ),
  // Deep JSON text for transform.json_parse: its value then goes through every reporter and the history.
  fc.record({
    text: fc.tuple(depthArb, fc.constantFrom("array" as const, "object" as const, "mixed" as const))
      .map(([depth, style]) => nestedText(depth, "1", style)),
  }),
);

Deno.test("fuzz: mutants of valid workflows run to an end; every reporter and the history cope", async () => {
  const store = await openSqliteStore(":memory:");
  const failures: unknown[] = [];
  const recorder = new Recorder(store, { onError: (err) => failures.push(err) });
  try {
    const arbitrary = fc.tuple(
      fc.constantFrom(...RUNNABLE),
      fc.array(treeEdit, { maxLength: 3 }),
      givenInputs,
    );
    await fuzz("runs", arbitrary, async ([base, edits, given]) => {
      let compiled;
      let inputs;
      try {
        compiled = await validateWithExpressions(JSON.parse(toText(editTree(base, edits))), builtinRegistry());
        inputs = resolveInputs(compiled, given);
      } catch (err) {
        if (err instanceof SyntaxError) return; // the mutant is not JSON: the file property covers it
        return assertCleanRefusal(err, "");
      }
      const { all, text } = reporters();
      const bus = new EventBus();
      for (const r of all) bus.subscribe((e) => r.onEvent(e));
      const result = await runRecorded(compiled, {
        inputs,
        bus,
        recorder,
        trigger: "cli",
        signal: AbortSignal.timeout(3000),
      });
      for (const r of all) await r.onResult(result);
      await recorder.flush();
      assert.deepEqual(failures, [], "the history stopped recording");
      assertNoStack(text(), "what flow run printed");
    }, 300);
  } finally {
    await recorder.close();
    await store.close();
  }
});

/** A file of a hostile workflow text, for the real CLI. */
async function writeAll(dir: string, texts: Uint8Array[]): Promise<string[]> {
  return await Promise.all(texts.map(async (bytes, i) => {
    const path = `${dir}/w${i}.json`;
    await Deno.writeFile(path, bytes);
    return path;
  }));
}

/** Lines of stderr: each must name one of `labels` and carry no stack. */
function assertCleanLines(stderr: string, labels: string[], what: string): void {
  assertNoStack(stderr, what);
  for (const line of stderr.split("\n").filter(Boolean)) {
    assert.ok(labels.some((l) => line.startsWith(l)), `${what}: a line names no file: ${line.slice(0, 500)}`);
  }
}

Deno.test("fuzz: the real CLI on generated files, arguments and stdin exits 0, 1 or 2 without a stack trace", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "flow-fuzz-cli-" });
  try {
    await t.step("flow validate on many hostile files at once", async () => {
      const files = await writeAll(dir, sample(hostileBytes(workflowText), 40));
      const r = await runCli(["validate", ...files]);
      assert.ok(r.code === 0 || r.code === 2, `exit ${r.code}: ${r.stderr.slice(0, 2000)}`);
      assertCleanLines(r.stderr, files, "flow validate");
    });

    await t.step("flow run on mutants, in every format", async () => {
      const formats = ["json", "ndjson", "pretty", "quiet"];
      const texts = sample(fc.tuple(fc.constantFrom(...RUNNABLE), fc.array(treeEdit, { maxLength: 2 })), 4, 1)
        .map(([base, edits]) => new TextEncoder().encode(toText(editTree(base, edits))));
      const files = await writeAll(dir, texts);
      for (const [i, file] of files.entries()) {
        const format = formats[i % formats.length];
        const r = await runCli([
          "run",
          file,
          "--no-history",
          ...(format === "quiet" ? ["--quiet"] : ["--format", format]),
        ]);
        assert.ok([0, 1, 2].includes(r.code), `flow run ${format}: exit ${r.code}: ${r.stderr.slice(0, 2000)}`);
        assertNoStack(r.stderr + r.stdout, `flow run --format ${format}`);
        if (format === "json" && r.code !== 2) JSON.parse(r.stdout);
      }
    });

    await t.step("flow run with hostile --input-json and --trigger-data", async () => {
      const file = `${dir}/values.json`;
      await Deno.writeTextFile(file, JSON.stringify(RUNNABLE[0]));
      const hook = `${dir}/hook.json`;
      await Deno.writeTextFile(
        hook,
        JSON.stringify({
          id: "hook",
          nodes: [{ id: "hook", type: "http.webhook", config: { path: "in" } }],
          connections: [],
          outputs: { body: "hook.body" },
        }),
      );
      const deep = nestedText(20_000, "1", "array");
      const limit = "nested deeper than the limit of 64 levels of arrays and objects (FLOW_MAX_WORKFLOW_DEPTH)";
      // Pinned findings first (exit code and the line expected), then generated values (any clean end).
      const runs: [string[], number?, RegExp?][] = [
        // A string holding deep JSON, which transform.json_parse parses: ndjson shows the node's outputs.
        [["run", file, "--format", "ndjson", "--input-json", JSON.stringify({ text: deep })], 1],
        [["run", file, "--format", "json", "--input-json", `{"text":${nestedText(20_000, "1", "object")}}`], 2],
        [
          ["run", hook, "--format", "json", "--trigger-data", `{"body":${deep}}`],
          2,
          new RegExp(`^flow: --trigger-data: body(\\[0\\]){63}: ${limit.replace(/[()]/g, "\\$&")}\n$`),
        ],
        [["run", hook, "--format", "pretty", "--trigger-data", `{"body":${nestedText(5000, "1", "mixed")}}`], 2],
        ...await Promise.all(
          sample(hostileJsonText, 2, 2).map(async (v, i): Promise<[string[]]> => {
            // A long value goes in a file, as one holding NUL: an argument may hold at most 128 KiB, and no NUL.
            const data = `{"body":${v}}`;
            if (data.length < 60_000 && !data.includes("\0")) {
              return [["run", hook, "--format", "json", "--trigger-data", data]];
            }
            await Deno.writeTextFile(`${dir}/trigger${i}.json`, data);
            return [["run", hook, "--format", "json", "--trigger-data", `@${dir}/trigger${i}.json`]];
          }),
        ),
        ...await Promise.all(
          sample(hostileJsonText, 2, 3).map(async (v, i): Promise<[string[]]> => {
            if (v.length < 60_000 && !v.includes("\0")) return [["run", file, "--format", "json", "--input-json", v]];
            await Deno.writeTextFile(`${dir}/inputs${i}.json`, v);
            return [["run", file, "--format", "json", "--input-file", `${dir}/inputs${i}.json`]];
          }),
        ),
      ];
      for (const [args, code, stderr] of runs) {
        const r = await runCli([...args, "--no-history"]);
        const what = `flow ${args.slice(0, 5).join(" ")} ${args[5].slice(0, 60)}`;
        assert.ok([0, 1, 2].includes(r.code), `${what}: exit ${r.code}: ${r.stderr.slice(0, 2000)}`);
        assertNoStack(r.stderr + r.stdout.slice(0, 100_000), what);
        if (code !== undefined) assert.equal(r.code, code, `${what}: ${r.stderr.slice(0, 500)}`);
        if (stderr) assert.match(r.stderr, stderr);
      }
    });

    await t.step("flow validate - on hostile stdin", async () => {
      for (const bytes of sample(hostileBytes(jsonText), 2, 3)) {
        const r = await runCli(["validate", "-"], { stdin: new TextDecoder().decode(bytes) });
        assert.ok(r.code === 0 || r.code === 2, `exit ${r.code}: ${r.stderr.slice(0, 2000)}`);
        assertCleanLines(r.stderr, ["<stdin>"], "flow validate -");
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** How deep a parsed JSON value nests (the value itself is level 1 when it is an array or object). */
function depthOf(root: unknown): number {
  let most = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    most = Math.max(most, depth);
    for (const item of Object.values(value)) stack.push([item, depth + 1]);
  }
  return most;
}

Deno.test("fuzz: the depth scan of JSON text before parsing lets nothing too deep through, and names its path", async () => {
  const arbitrary = fc.tuple(hostileJsonText, fc.integer({ min: 1, max: 80 }));
  await fuzz("depth scan", arbitrary, ([text, maxDepth]) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return; // not JSON: the parser's error comes first
    }
    const at = jsonTooDeepAt(text, maxDepth);
    // Nothing too deep gets through. (The scan may refuse more: text nested deeper under a duplicate key, which
    // JSON.parse drops, still counts.)
    if (depthOf(value) > maxDepth) assert.ok(at >= 0, `limit ${maxDepth}: the scan let a deeper value through`);
    // Without objects (no colon) there is no duplicate key: then the scan refuses only what is too deep.
    if (at >= 0 && !text.includes(":")) {
      assert.ok(depthOf(value) > maxDepth, `limit ${maxDepth}: the scan refused at ${at} a value within it`);
    }
    if (at >= 0) {
      assert.ok("[{".includes(text[at]), `offset ${at} is not a bracket`);
      const message = tooDeepMessage("the body", text, at, maxDepth);
      assertNoStack(message, "the message");
      assert.ok(!message.includes("\n"), message);
    }
  }, 300);
});
