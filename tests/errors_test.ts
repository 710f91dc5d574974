/**
 * User-facing errors carry their own contract (a stable code, the HTTP status
 * and the exit code they map to), and one lookup reads it for the CLI and for
 * the server, by a mark rather than by class: an error made by another copy of
 * the engine's modules (each lazy part of the single-file bundle has one) is
 * reported exactly as one made by this copy.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { asFlowError, ExitCode, type FlowError, WorkflowValidationError } from "../src/errors.ts";
import { BusyError, ResumeError, TriggerChoiceError, UnavailableError } from "../src/runtime/mod.ts";
import { ExecutionLookupError } from "../src/runtime/history.ts";
import { NotFoundError } from "../src/runtime/service.ts";
import { isStoreError, StoreError } from "../src/store/mod.ts";
import { CliError, reportError } from "../cli/exit_codes.ts";
import { handleError, HttpError } from "../server/errors.ts";

/** The status, headers and JSON body the server answers when a handler throws `err`. */
async function served(err: unknown): Promise<{ status: number; headers: Headers; body: unknown }> {
  const lines: string[] = [];
  const app = new Hono().get("/", () => {
    throw err;
  });
  app.onError((e, c) => handleError(c, e, (line) => lines.push(line)));
  const res = await app.request("/");
  return { status: res.status, headers: res.headers, body: await res.json() };
}

Deno.test("every user-facing error carries its code, HTTP status and exit code", () => {
  const cases: [FlowError, string, number, number][] = [
    [new WorkflowValidationError([{ path: "id", message: "required" }], "a.json"), "INVALID", 400, 2],
    [new TriggerChoiceError('workflow "w" has 2 triggers; choose one: a, b'), "TRIGGER", 400, 2],
    [new NotFoundError('no workflow "w" is being served'), "NOT_FOUND", 404, 2],
    [new ExecutionLookupError('no execution matches "ab"'), "NOT_FOUND", 404, 2],
    [new ExecutionLookupError('"ab" matches 2 executions', ["ab1", "ab2"]), "AMBIGUOUS_ID", 409, 2],
    [new ResumeError("nothing to resume: execution x succeeded", "NOTHING_TO_RESUME"), "NOTHING_TO_RESUME", 409, 2],
    [new BusyError("the run slots and the queue are full", 3), "BUSY", 503, 75],
    [new UnavailableError(), "SHUTTING_DOWN", 503, 75],
    [new UnavailableError("the queue is unreachable", "QUEUE_UNAVAILABLE"), "QUEUE_UNAVAILABLE", 503, 75],
    [new StoreError("flow.db: database disk image is malformed"), "STORE_UNAVAILABLE", 503, 2],
    [new CliError("--input: expected name=value"), "USAGE", 400, ExitCode.Usage],
    [new CliError('workflow "w" is already running', ExitCode.Locked), "LOCKED", 400, ExitCode.Locked],
    [new HttpError(401, "UNAUTHORIZED", "wrong or missing credentials"), "UNAUTHORIZED", 401, 2],
  ];
  for (const [err, code, status, exitCode] of cases) {
    const known = asFlowError(err);
    assert.deepEqual({ code: known?.code, status: known?.status, exitCode: known?.exitCode }, {
      code,
      status,
      exitCode,
    });
  }
  assert.equal(asFlowError(new Error("a bug")), undefined);
  assert.equal(asFlowError({ code: "INVALID", status: 400, exitCode: 2 }), undefined); // the mark, not the shape
  assert.equal(asFlowError(undefined), undefined);
});

Deno.test("the server answers each error with its own status, code, fields and headers", async () => {
  const invalid = await served(new WorkflowValidationError([{ path: "inputs.n", message: "expected a number" }]));
  assert.equal(invalid.status, 400);
  assert.deepEqual(invalid.body, {
    error: {
      message: "inputs.n: expected a number",
      code: "INVALID",
      issues: [{ path: "inputs.n", message: "expected a number" }],
    },
  });
  const ambiguous = await served(new ExecutionLookupError('"ab" matches 2 executions', ["ab1", "ab2"]));
  assert.equal(ambiguous.status, 409);
  assert.deepEqual(ambiguous.body, {
    error: { message: '"ab" matches 2 executions', code: "AMBIGUOUS_ID", candidates: ["ab1", "ab2"] },
  });
  const busy = await served(new BusyError("full", 3));
  assert.deepEqual([busy.status, busy.headers.get("retry-after")], [503, "3"]);
  const down = await served(new UnavailableError());
  assert.deepEqual([down.status, down.headers.get("retry-after"), down.body], [503, "5", {
    error: { message: "the server is shutting down", code: "SHUTTING_DOWN" },
  }]);
  const bug = await served(new TypeError("x is undefined"));
  assert.deepEqual([bug.status, bug.body], [500, {
    error: { message: "internal error; see the server log", code: "INTERNAL" },
  }]);
});

Deno.test("the CLI prints each error as one line (an invalid workflow as its issues) with its exit code", () => {
  assert.deepEqual(reportError(new WorkflowValidationError([{ path: "id", message: "required" }], "a.json")), {
    text: "a.json: id: required\n",
    exitCode: 2,
  });
  assert.deepEqual(reportError(new StoreError("flow.db: database disk image is malformed")), {
    text: "flow: history: flow.db: database disk image is malformed\n",
    exitCode: 2,
  });
  assert.deepEqual(reportError(new ResumeError("execution x is still running; cancel it first", "STILL_RUNNING")), {
    text: "flow: execution x is still running; cancel it first\n",
    exitCode: 2,
  });
  assert.deepEqual(reportError(new CliError('workflow "w" lock is contended: w.lock', ExitCode.Locked)), {
    text: 'flow: workflow "w" lock is contended: w.lock\n',
    exitCode: 75,
  });
  assert.equal(reportError(new TypeError("a bug")), undefined);
});

Deno.test("an error made by another copy of the engine's modules, as a lazy part of the bundle has, is reported the same", async () => {
  // A module loaded under another URL is a second copy of it, with classes of its own: what each lazy part of the
  // single-file bundle carries (the PostgreSQL store throws its own StoreError to the CLI's main part).
  const errors: typeof import("../src/errors.ts") = await import(`../src/errors.ts?copy=${"bundle-chunk"}`);
  const store: typeof import("../src/store/types.ts") = await import(`../src/store/types.ts?copy=${"bundle-chunk"}`);
  const pairs: [unknown, unknown][] = [
    [
      new errors.WorkflowValidationError([{ path: "id", message: "required" }], "a.json"),
      new WorkflowValidationError([{ path: "id", message: "required" }], "a.json"),
    ],
    [new store.StoreError("db: connection refused"), new StoreError("db: connection refused")],
  ];
  for (const [copied, own] of pairs) {
    assert.notEqual((copied as object).constructor, (own as object).constructor);
    assert.deepEqual(reportError(copied), reportError(own));
    const [a, b] = [await served(copied), await served(own)];
    assert.deepEqual([a.status, a.body], [b.status, b.body]);
  }
  assert.ok(isStoreError(pairs[1][0]));
  assert.ok(!(pairs[1][0] instanceof StoreError));
});
