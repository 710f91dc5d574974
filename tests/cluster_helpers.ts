/**
 * A real flow cluster for the distributed-mode tests: Redis and PostgreSQL
 * (from `services.ts`), API servers (`flow serve --queue --db`) and workers
 * (`flow worker`), each a subprocess of the CLI under test, with their output
 * watched line by line so that tests await what a process says instead of
 * sleeping.
 *
 * ```ts ignore
 * await using services = await startServices();
 * await using cluster = await startCluster({ services, paths: [dir], servers: 2, workers: 3 });
 * await fetch(`${cluster.servers[0].url}/hooks/x`, { method: "POST" });
 * ```
 *
 * With `FLOW_TEST_REDIS_URL` set, the cluster uses that server's `flow:`
 * keys (flow's fixed key prefix; give the URL a database number of its own)
 * and deletes them when it stops.
 *
 * @module
 */
import { Redis } from "ioredis";
import postgres from "postgres";
import { openPostgresStore, type PostgresStore } from "../src/store/postgres.ts";
import type { ExecutionRecord } from "../src/store/types.ts";
import { spawnCli } from "./helpers.ts";
import { type PostgresService, type RedisService, startPostgres, startRedis, within } from "./services.ts";

export { within };

/** How long a process may take to say it is up, ms. */
const START_MS = 60_000;

/** How long a process may take to exit after SIGTERM before it is killed, ms. */
const EXIT_MS = 30_000;

// ---------------------------------------------------------------------------
// Waiting

/** Options of {@linkcode waitUntil}. */
export interface WaitOptions {
  /** Give up after this long, ms (default 30 000). */
  timeoutMs?: number;
  /** Check this often, ms (default 100). */
  intervalMs?: number;
  /** What is awaited, for the failure message. */
  what?: string;
}

/**
 * Checks `condition` until it returns a value other than `undefined` or
 * `false`, and resolves to that value; rejects after `timeoutMs` naming
 * `what` (and the last value or error seen). For state that no process
 * announces (rows in PostgreSQL, Redis keys); never a blind sleep.
 */
export async function waitUntil<T>(
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 100, what = "the condition" } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------
// Processes

/** A subprocess of the CLI whose stdout and stderr are read line by line. */
export class Proc {
  /** A name for messages (`server 1`, `worker 3`). */
  readonly name: string;
  /** The child process. */
  readonly child: Deno.ChildProcess;
  /** Resolves when both output streams have ended. */
  readonly drained: Promise<void>;
  #text = "";
  #waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  #ended = false;
  #status?: Deno.CommandStatus;

  /** Starts `flow ARGS...` with `env` added to the test environment. */
  constructor(name: string, args: string[], env: Record<string, string> = {}) {
    this.name = name;
    this.child = spawnCli(args, env);
    this.child.status.then((s) => this.#status = s);
    this.drained = Promise.all([this.#drain(this.child.stdout), this.#drain(this.child.stderr)]).then(() => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w.reject(new Error(`${this.name} exited:\n${this.tail()}`));
    });
  }

  async #drain(stream: ReadableStream<Uint8Array>) {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      this.#text += chunk;
      this.#waiters = this.#waiters.filter((w) => {
        const m = this.#text.match(w.pattern);
        if (m) w.resolve(m);
        return !m;
      });
    }
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid;
  }

  /** The exit status, once it exited. */
  get exited(): Deno.CommandStatus | undefined {
    return this.#status;
  }

  /** Everything it printed so far (stdout and stderr interleaved by arrival). */
  get output(): string {
    return this.#text;
  }

  /** The last lines of its output. */
  tail(lines = 20): string {
    return this.#text.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /**
   * Resolves with the match once its output matches `pattern` (already
   * printed or later); rejects when it exits first or after `timeoutMs`.
   */
  waitFor(pattern: RegExp, timeoutMs = START_MS): Promise<RegExpMatchArray> {
    const m = this.#text.match(pattern);
    if (m) return Promise.resolve(m);
    if (this.#ended) return Promise.reject(new Error(`${this.name} exited before ${pattern}:\n${this.tail()}`));
    const found = new Promise<RegExpMatchArray>((resolve, reject) => this.#waiters.push({ pattern, resolve, reject }));
    return within(found, timeoutMs, `${this.name} printing ${pattern}`).catch((err) => {
      throw new Error(`${(err as Error).message}\n${this.tail()}`);
    });
  }

  /** Sends a signal (ignored when it has exited). */
  kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch { /* already gone */ }
  }

  /** SIGTERM (or `signal`), then its exit status; SIGKILL when it has not exited after `timeoutMs`. */
  async stop(signal: Deno.Signal = "SIGTERM", timeoutMs = EXIT_MS): Promise<Deno.CommandStatus> {
    this.kill(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((r) => timer = setTimeout(r, timeoutMs));
    await Promise.race([this.child.status, late]);
    clearTimeout(timer);
    this.kill("SIGKILL");
    const status = await this.child.status;
    await this.drained;
    return status;
  }
}

// ---------------------------------------------------------------------------
// Services

/** Redis and PostgreSQL for one cluster. */
export interface Services extends AsyncDisposable {
  /** The Redis server. */
  redis: RedisService;
  /** The PostgreSQL server. */
  pg: PostgresService;
  /** Stops both (and removes `flow:` keys from an external Redis). */
  stop(): Promise<void>;
}

/** Starts Redis and PostgreSQL (or uses `FLOW_TEST_REDIS_URL` / `FLOW_TEST_DATABASE_URL`). */
export async function startServices(): Promise<Services> {
  const [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
  const services: Services = {
    redis,
    pg,
    stop: async () => {
      if (!redis.local) await deleteFlowKeys(redis.url);
      await Promise.allSettled([redis.stop(), pg.stop()]);
    },
    [Symbol.asyncDispose]: () => services.stop(),
  };
  return services;
}

/** Deletes every `flow:` key (BullMQ's queue, schedulers and events) of an external Redis. */
export async function deleteFlowKeys(url: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    for await (const keys of client.scanStream({ match: "flow:*", count: 500 })) {
      if ((keys as string[]).length) await client.unlink(...(keys as string[]));
    }
  } finally {
    client.disconnect();
  }
}

// ---------------------------------------------------------------------------
// The cluster

/** An API server of the cluster. */
export interface ApiServer {
  /** Its process. */
  proc: Proc;
  /** Its base URL, `http://127.0.0.1:PORT`. */
  url: string;
}

/** Options of {@linkcode startCluster}. */
export interface ClusterOptions {
  /** Redis and PostgreSQL. */
  services: Services;
  /** Workflow files and directories every API server serves. */
  paths: string[];
  /** API servers (default 2). */
  servers?: number;
  /** Workers (default 3). */
  workers?: number;
  /** Extra flags of every worker (e.g. `--grace 5s`). */
  workerArgs?: string[];
  /** Extra flags of every API server. */
  serverArgs?: string[];
  /** Extra environment of every process (e.g. `FLOW_WORKER_LOCK_MS`). */
  env?: Record<string, string>;
  /** Another database on the same PostgreSQL (default `services.pg.url`). */
  dbUrl?: string;
}

/** API servers and workers on shared services, with a database client for assertions. */
export class Cluster implements AsyncDisposable {
  /** The API servers, in start order. */
  readonly servers: ApiServer[] = [];
  /** The workers, in start order (stopped ones stay listed). */
  readonly workers: Proc[] = [];
  /** The shared database, for assertions. */
  readonly store: PostgresStore;
  /** A raw SQL client on it. */
  readonly sql: postgres.Sql;
  readonly #options: ClusterOptions;
  #serials = { server: 0, worker: 0 };

  /** Use {@linkcode startCluster}. */
  constructor(options: ClusterOptions, store: PostgresStore) {
    this.#options = options;
    this.store = store;
    this.sql = postgres(this.dbUrl, { max: 2, onnotice: () => {}, fetch_types: false });
  }

  /** The Redis URL. */
  get redisUrl(): string {
    return this.#options.services.redis.url;
  }

  /** The PostgreSQL URL. */
  get dbUrl(): string {
    return this.#options.dbUrl ?? this.#options.services.pg.url;
  }

  /** Starts one more API server; resolves when it serves its workflows. */
  async addServer(extra: string[] = []): Promise<ApiServer> {
    const o = this.#options;
    const args = ["serve", ...o.paths, "--port", "0", "--queue", this.redisUrl, "--db", this.dbUrl];
    const proc = new Proc(`server ${++this.#serials.server}`, [...args, ...(o.serverArgs ?? []), ...extra], o.env);
    const [, url] = await proc.waitFor(/listening on (http:\/\/\S+)/);
    await proc.waitFor(/serving \d+ workflow/);
    const server = { proc, url };
    this.servers.push(server);
    return server;
  }

  /** Starts one more worker; resolves when it is connected. */
  async addWorker(extra: string[] = []): Promise<Proc> {
    const o = this.#options;
    const args = ["worker", "--queue", this.redisUrl, "--db", this.dbUrl, ...(o.workerArgs ?? []), ...extra];
    const proc = new Proc(`worker ${++this.#serials.worker}`, args, o.env);
    await proc.waitFor(/flow worker: connected to/);
    this.workers.push(proc);
    return proc;
  }

  /** Workers that have not exited. */
  liveWorkers(): Proc[] {
    return this.workers.filter((w) => w.exited === undefined);
  }

  /** The worker whose process id is `pid`. */
  workerByPid(pid: number | undefined): Proc | undefined {
    return this.workers.find((w) => w.pid === pid);
  }

  /** An execution as the database has it. */
  execution(id: string): Promise<ExecutionRecord | undefined> {
    return this.store.getExecution(id);
  }

  /** Waits until execution `id` has one of `statuses` (default: any final one); resolves to its record. */
  settled(id: string, statuses?: string[], timeoutMs = 60_000): Promise<ExecutionRecord> {
    const final = statuses ?? ["success", "failed", "cancelled", "skipped"];
    return waitUntil(async () => {
      const r = await this.store.getExecution(id);
      return r && final.includes(r.status) ? r : undefined;
    }, { timeoutMs, what: `execution ${id} to be ${final.join(" or ")}` });
  }

  /** The events of an execution's journal, parsed. */
  async journal(id: string): Promise<Record<string, unknown>[]> {
    return (await this.store.readJournal(id)).map((l) => JSON.parse(l));
  }

  /** Everything every process printed, for failure messages. */
  logs(): string {
    return [...this.servers.map((s) => s.proc), ...this.workers]
      .map((p) => `--- ${p.name} (pid ${p.pid})\n${p.tail(40)}`).join("\n");
  }

  /** Stops every process (SIGTERM, then SIGKILL) and closes the database clients. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.servers.map((s) => s.proc.stop()), ...this.workers.map((w) => w.stop())]);
    await Promise.allSettled([this.sql.end({ timeout: 1 }), this.store.close()]);
  }

  /** Same as {@linkcode Cluster.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Starts `servers` API servers and `workers` workers on `services`; resolves when all are up. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const store = await openPostgresStore(options.dbUrl ?? options.services.pg.url);
  const cluster = new Cluster(options, store);
  try {
    // The first server migrates the schema; the rest start together.
    await cluster.addServer();
    await Promise.all([
      ...Array.from({ length: (options.servers ?? 2) - 1 }, () => cluster.addServer()),
      ...Array.from({ length: options.workers ?? 3 }, () => cluster.addWorker()),
    ]);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

// ---------------------------------------------------------------------------
// HTTP

/** POSTs JSON; resolves to the status and the parsed body (or text). */
export async function postJson(url: string, body: unknown = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, body: parsed };
}

/** GETs JSON; resolves to the status and the parsed body. */
export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/** Reads a Server-Sent Events response to its end: every event's `id`, `event` and `data`. */
export async function readSse(res: Response): Promise<{ id?: string; event?: string; data: string }[]> {
  const events: { id?: string; event?: string; data: string }[] = [];
  let buffer = "";
  for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const e: { id?: string; event?: string; data: string } = { data: "" };
      for (const line of block.split("\n")) {
        const i = line.indexOf(":");
        if (i <= 0) continue;
        const field = line.slice(0, i);
        const value = line.slice(i + 1).replace(/^ /, "");
        if (field === "id") e.id = value;
        else if (field === "event") e.event = value;
        else if (field === "data") e.data += value;
      }
      if (e.data !== "" || e.event) events.push(e);
    }
  }
  return events;
}
