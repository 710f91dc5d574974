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
 */
export function redisConnection(url: string, role: ConnectionRole, onError?: (err: Error) => void): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: role === "producer" ? 1 : null,
    enableOfflineQueue: role !== "producer",
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  };
  const redis = new Redis(url, options);
  // ioredis emits "error" on every failed reconnect; unhandled, it would crash the process.
  redis.on("error", (err: Error) => onError?.(err));
  return redis;
}
