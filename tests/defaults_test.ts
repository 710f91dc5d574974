/**
 * Each default is one constant (`src/defaults.ts`): the code applies it, and
 * the help, the JSON Schema and the docs' tables say the same value.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_RUNS,
  DEFAULT_MAX_WAITING,
  DEFAULT_MAX_WORKFLOW_RETRIES,
  RETRY_DEFAULTS,
} from "../src/defaults.ts";
import { retryDelay } from "../src/engine/retry.ts";
import { validateWorkflow } from "../src/validate/validate.ts";
import { Registry } from "../src/node/registry.ts";
import { ROOT, runCli } from "./helpers.ts";

/** The Default column of the row of `name` in a Markdown table of `doc`. */
async function documented(doc: string, name: string, column = 2): Promise<string> {
  const text = await Deno.readTextFile(`${ROOT}docs/${doc}`);
  const row = text.split("\n").find((line) => line.startsWith(`| \`${name}`));
  assert.ok(row, `docs/${doc} has a row for ${name}`);
  return row.split("|")[column + 1].trim().replace(/^`|`$/g, "");
}

Deno.test("the code applies the defaults of src/defaults.ts", () => {
  const compiled = validateWorkflow({ nodes: [], connections: [] }, new Registry());
  assert.equal(compiled.settings.concurrency, DEFAULT_CONCURRENCY);
  assert.equal(compiled.settings.maxWorkflowRetries, DEFAULT_MAX_WORKFLOW_RETRIES);
  assert.equal(retryDelay({ maxAttempts: 3 }, 1), RETRY_DEFAULTS.delayMs);
  assert.equal(retryDelay({ maxAttempts: 3 }, 2), RETRY_DEFAULTS.delayMs * RETRY_DEFAULTS.multiplier);
  assert.equal(retryDelay({ maxAttempts: 99 }, 60), RETRY_DEFAULTS.maxDelayMs);
});

Deno.test("flow serve --help and the docs name the same defaults", async () => {
  const help = await runCli(["serve", "--help"]);
  assert.equal(help.code, 0);
  assert.match(
    help.stdout,
    new RegExp(`--max-runs <n>\\s+executions running at once \\(default: "${DEFAULT_MAX_RUNS}"\\)`),
  );
  assert.match(
    help.stdout,
    new RegExp(`--max-waiting <n>\\s+executions waiting beyond --max-runs \\(default ${DEFAULT_MAX_WAITING};`),
  );
  assert.equal(await documented("serve.md", "--max-runs N", 1), String(DEFAULT_MAX_RUNS));
  assert.equal(await documented("serve.md", "--max-waiting N", 1), String(DEFAULT_MAX_WAITING));
  assert.equal(await documented("workflow.md", "concurrency"), String(DEFAULT_CONCURRENCY));
  assert.equal(await documented("workflow.md", "maxWorkflowRetries"), String(DEFAULT_MAX_WORKFLOW_RETRIES));
  for (const [field, value] of Object.entries(RETRY_DEFAULTS)) {
    assert.equal(await documented("workflow.md", field), String(value), `retry.${field}`);
  }
});
