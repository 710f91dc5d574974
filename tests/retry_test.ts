import assert from "node:assert/strict";
import { RETRY_DEFAULTS, retryDelay } from "../src/engine/retry.ts";

Deno.test("retryDelay: exponential backoff from delayMs by multiplier", () => {
  const policy = { maxAttempts: 6, delayMs: 100, multiplier: 3 };
  assert.deepEqual([1, 2, 3, 4].map((a) => retryDelay(policy, a)), [100, 300, 900, 2700]);
});

Deno.test("retryDelay: defaults are 200 ms, factor 2, cap 30 s, no jitter", () => {
  const policy = { maxAttempts: 20 };
  assert.equal(retryDelay(policy, 1), RETRY_DEFAULTS.delayMs);
  assert.equal(retryDelay(policy, 2), 400);
  assert.equal(retryDelay(policy, 15), RETRY_DEFAULTS.maxDelayMs, "capped");
});

Deno.test("retryDelay: maxDelayMs caps every delay", () => {
  const policy = { maxAttempts: 10, delayMs: 100, maxDelayMs: 250 };
  assert.deepEqual([1, 2, 3, 4].map((a) => retryDelay(policy, a)), [100, 200, 250, 250]);
});

Deno.test("retryDelay: jitter spreads each delay between half and all of it", () => {
  const policy = { maxAttempts: 5, delayMs: 1000, jitter: true };
  assert.equal(retryDelay(policy, 1, () => 0), 500);
  assert.equal(retryDelay(policy, 1, () => 0.5), 750);
  assert.equal(retryDelay(policy, 2, () => 0.999999), 2000);
});
