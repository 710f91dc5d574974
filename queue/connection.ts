/**
 * Redis connections for the distributed mode (BullMQ runs on ioredis).
 * Producers fail fast when Redis is away, so an API server answers 503 at
 * once instead of holding requests; workers and subscribers wait and
 * reconnect by themselves.
 *
 * @module
 */
import { Redis, type RedisOptions } from "ioredis";

/** How a connection behaves while Redis is away. */
export type ConnectionRole = "producer" | "blocking";

/** The URL with its password replaced by `***`, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<invalid redis URL>";
  }
}

/**
 * A Redis connection for `url` (`redis://[:password@]host[:port][/db]`).
 * `producer`: commands fail at once while disconnected; `blocking`: commands
 * wait for the reconnection (what BullMQ workers and event readers need).
 * `pipelined`: the commands issued in one turn of the event loop are sent in
 * one write (ioredis's auto-pipelining), for a connection that only publishes:
 * each socket write costs Deno's Node layer more than Redis takes to run a
 * PUBLISH. Not for BullMQ's connections: each pipeline copies every Lua
 * script's command onto itself, which costs more than the writes it saves.
 */
export function redisConnection(
  url: string,
  role: ConnectionRole,
  onError?: (err: Error) => void,
  pipelined = false,
): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: role === "producer" ? 1 : null,
    enableOfflineQueue: role !== "producer",
    enableAutoPipelining: pipelined,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  };
  const redis = new Redis(url, options);
  // ioredis emits "error" on every failed reconnect; unhandled, it would crash the process.
  redis.on("error", (err: Error) => onError?.(err));
  return redis;
}

/** Resolves once the connection is ready; rejects with the connection error after `timeoutMs`. */
export function whenReady(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last: Error | undefined;
    const onError = (err: Error) => last = err;
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      redis.off("error", onError);
      reject(last ?? new Error(`not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      redis.off("error", onError);
      resolve();
    };
    redis.once("ready", onReady);
    redis.on("error", onError);
  });
}
