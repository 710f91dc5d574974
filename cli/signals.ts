/**
 * What the long-running commands (`serve`, `worker`) share: the queue URL
 * and waiting for the signal that stops them.
 *
 * @module
 */
import { CliError, ExitCode } from "./exit_codes.ts";

/** The queue URL from `--queue` or `FLOW_QUEUE_URL` (undefined: no queue). */
export function queueUrl(flag: unknown): string | undefined {
  const url = typeof flag === "string" && flag !== "" ? flag : Deno.env.get("FLOW_QUEUE_URL") || undefined;
  if (url !== undefined && !/^rediss?:\/\//.test(url)) {
    throw new CliError(`--queue: expected a redis:// URL; got ${JSON.stringify(url.replace(/:[^:@/]*@/, ":***@"))}`);
  }
  return url;
}

/**
 * Resolves on the first SIGINT or SIGTERM; a second one calls `onSecond` and
 * exits at once with 130.
 */
export function waitForSignal(onSecond: () => void): Promise<void> {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  let received = 0;
  return new Promise<void>((resolve) => {
    const handler = () => {
      if (++received > 1) {
        onSecond();
        Deno.exit(ExitCode.Cancelled);
      }
      resolve();
    };
    for (const s of signals) Deno.addSignalListener(s, handler);
  });
}
