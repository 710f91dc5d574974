/**
 * The defaults flow applies where a user sets nothing, each written once:
 * the code applies these constants, and the CLI's help, the published JSON
 * Schema's descriptions and the docs' tables name the same values (the help
 * and the schema read them from here). A module of its own, importing
 * nothing, so that `flow --help` can read it without loading the engine.
 *
 * @module
 */

/** `flow serve --max-runs`, `FlowRuntime`'s `maxRuns`: executions running at once in one process. */
export const DEFAULT_MAX_RUNS = 16;

/**
 * `flow serve --max-waiting` (formerly `--queue N`), `FlowRuntime`'s
 * `maxWaiting`: executions waiting for a slot beyond `maxRuns`, in one
 * process. Past both limits, new work is refused (503 `BUSY`).
 */
export const DEFAULT_MAX_WAITING = 1000;

/** `settings.concurrency`: nodes of one run running at once. */
export const DEFAULT_CONCURRENCY = 16;

/** `settings.maxWorkflowRetries`: passes after the first under `onError: "retry"`. */
export const DEFAULT_MAX_WORKFLOW_RETRIES = 1;

/** Defaults applied to a node's `retry` policy (`maxAttempts` has none: it is required). */
export const RETRY_DEFAULTS = { delayMs: 200, multiplier: 2, maxDelayMs: 30_000, jitter: false } as const;
