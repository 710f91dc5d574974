/**
 * Retry backoff: exponential delays with an optional jitter.
 *
 * @module
 */
import { RETRY_DEFAULTS } from "../defaults.ts";
import type { RetryPolicy } from "../workflow/format.ts";

export { RETRY_DEFAULTS } from "../defaults.ts";

/**
 * Delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
 * `delayMs * multiplier^(attempt-1)`, capped at `maxDelayMs`; with jitter, a
 * random value between half and all of it.
 *
 * @example
 * ```ts
 * import { retryDelay } from "./retry.ts";
 * retryDelay({ maxAttempts: 4, delayMs: 100 }, 3); // 400
 * ```
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = policy.delayMs ?? RETRY_DEFAULTS.delayMs;
  const factor = policy.multiplier ?? RETRY_DEFAULTS.multiplier;
  const cap = policy.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const delay = Math.min(cap, base * factor ** (attempt - 1));
  return Math.round(policy.jitter ? delay / 2 + random() * delay / 2 : delay);
}
