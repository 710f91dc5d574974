/**
 * Real local services for tests: a `redis-server` and a PostgreSQL 15 server,
 * each on a free 127.0.0.1 port in its own temporary directory, stopped (and
 * the directory removed) by `stop()` or `await using`.
 *
 * When `FLOW_TEST_REDIS_URL` / `FLOW_TEST_DATABASE_URL` are set, those servers
 * are used instead: each test gets its own key prefix or its own database,
 * removed again by `stop()`.
 *
 * Deno decides whether a test is ignored when it registers it, so the checks
 * are synchronous booleans:
 *
 * ```ts ignore
 * Deno.test({ name: "queue", ignore: !hasRedis, fn: async () => {
 *   await using redis = await startRedis();
 *   // ... redis.url, redis.prefix
 * } });
 * ```
 *
 * A missing service is announced once per test process, on stderr.
 *
 * @module
 */
import postgres from "postgres";
import { Redis } from "ioredis";

/** Where Debian's `postgresql-15` package puts the server programs. */
export const POSTGRES_BIN_DIR = "/usr/lib/postgresql/15/bin";

/** Whether a service can be started here, and if not, why. */
export interface Availability {
  /** True when the service can be used. */
  available: boolean;
  /** Why not (one line, with what to install), when it cannot. */
  reason?: string;
}

/** A running test service. */
export interface TestService extends AsyncDisposable {
  /** Where to connect. */
  readonly url: string;
  /** True for a server this helper started; false for one named by a `FLOW_TEST_*` variable. */
  readonly local: boolean;
  /** Stops the server but keeps its port and data, to simulate an outage (local servers only). */
  halt(): Promise<void>;
  /** Starts the server again after {@linkcode TestService.halt}, on the same port with the same data. */
  resume(): Promise<void>;
  /** Stops the server for good and removes its directory (or the test's keys or database). */
  stop(): Promise<void>;
}

/** A Redis server for one test. */
export interface RedisService extends TestService {
  /** A prefix unique to this test: start every key with it (BullMQ: pass it as `prefix`). */
  readonly prefix: string;
}

/** A PostgreSQL server with a database for one test. */
export interface PostgresService extends TestService {
  /** Creates another empty database on the same server; resolves to its URL. `stop()` drops it. */
  createDatabase(): Promise<string>;
}

/** Options of {@linkcode startRedis}. */
export interface RedisOptions {
  /** The server program; default `redis-server` on PATH. */
  binary?: string;
}

/** Options of {@linkcode startPostgres}. */
export interface PostgresOptions {
  /** The directory of `initdb`, `pg_ctl` and `postgres`; default {@linkcode POSTGRES_BIN_DIR}. */
  binDir?: string;
  /**
   * Require this password on TCP (SCRAM) for the `postgres` user, instead of
   * trusting loopback; the URL includes it. Ignored for `FLOW_TEST_DATABASE_URL`.
   */
  password?: string;
}

// ---------------------------------------------------------------------------
// Availability

/** The path of an executable `name` (a path, or a name looked up on PATH), or undefined. */
export function findExecutable(name: string, path = Deno.env.get("PATH") ?? ""): string | undefined {
  const candidates = name.includes("/")
    ? [name]
    : path.split(Deno.build.os === "windows" ? ";" : ":").filter(Boolean).map((dir) => `${dir}/${name}`);
  for (const candidate of candidates) {
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) return candidate;
    } catch { /* not there */ }
  }
  return undefined;
}

/** Whether {@linkcode startRedis} can work: an external URL, or a `redis-server` program. */
export function redisAvailability(binary = "redis-server"): Availability {
  if (Deno.env.get("FLOW_TEST_REDIS_URL")) return { available: true };
  if (findExecutable(binary)) return { available: true };
  return {
    available: false,
    reason: `${binary} not found (apt-get install redis-server, or set FLOW_TEST_REDIS_URL)`,
  };
}

/** Whether {@linkcode startPostgres} can work: an external URL, or the PostgreSQL 15 server programs. */
export function postgresAvailability(binDir = POSTGRES_BIN_DIR): Availability {
  if (Deno.env.get("FLOW_TEST_DATABASE_URL")) return { available: true };
  const hint = "apt-get install postgresql-15, or set FLOW_TEST_DATABASE_URL";
  for (const program of ["initdb", "pg_ctl", "postgres"]) {
    if (!findExecutable(`${binDir}/${program}`)) {
      return { available: false, reason: `${binDir}/${program} not found (${hint})` };
    }
  }
  if (isRoot()) {
    if (!findExecutable("runuser")) {
      return { available: false, reason: "PostgreSQL refuses to run as root, and runuser is not installed" };
    }
    if (!postgresUser()) {
      return { available: false, reason: `PostgreSQL refuses to run as root, and there is no postgres user (${hint})` };
    }
  }
  return { available: true };
}

/**
 * Returns `check.available`; when false, prints once per test process which
 * tests are skipped and why.
 */
export function announce(service: string, check: Availability): boolean {
  if (check.available) return true;
  const marker = `FLOW_TEST_ANNOUNCED_${service.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  if (!Deno.env.get(marker)) {
    Deno.env.set(marker, "1");
    console.error(`SKIPPED: tests that need ${service}: ${check.reason}`);
  }
  return false;
}

/** Whether tests can start Redis here (else they are ignored; see {@linkcode redisAvailability}). */
export const hasRedis: boolean = announce("Redis", redisAvailability());

/** Whether tests can start PostgreSQL here (else they are ignored; see {@linkcode postgresAvailability}). */
export const hasPostgres: boolean = announce("PostgreSQL", postgresAvailability());

function isRoot(): boolean {
  return Deno.build.os !== "windows" && Deno.uid() === 0;
}

/** The uid and gid of the `postgres` system user, from /etc/passwd. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) => l.startsWith("postgres:"));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(":");
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Shared parts

/** A free TCP port on 127.0.0.1 (free when asked: a server may still lose a race for it, so retry). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** How many ports to try when another process takes the free port first. */
const PORT_TRIES = 5;

/** How long a server may take to start, ms. */
const START_TIMEOUT_MS = 30_000;

/** Thrown by a start attempt when the port was taken meanwhile. */
class PortTaken extends Error {}

/** Runs `attempt` on free ports until one is not taken by someone else. */
async function onFreePort<T>(attempt: (port: number) => Promise<T>): Promise<T> {
  for (let tries = 1;; tries++) {
    try {
      return await attempt(freePort());
    } catch (err) {
      if (!(err instanceof PortTaken) || tries >= PORT_TRIES) throw err;
    }
  }
}

/** Rejects with `what timed out` unless `promise` settles within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a child's output to the end, keeping its tail, and tells when a line appears. */
class OutputWatch {
  #text = "";
  #waiters: { pattern: RegExp; resolve: () => void; reject: (err: Error) => void }[] = [];
  #ended = false;
  /** Settles when every stream has ended. */
  readonly done: Promise<void>;

  constructor(streams: ReadableStream<Uint8Array>[]) {
    this.done = Promise.all(streams.map((s) => this.#drain(s))).then(() => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w.reject(new Error(this.tail()));
    });
  }

  async #drain(stream: ReadableStream<Uint8Array>) {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      this.#text = (this.#text + chunk).slice(-65_536);
      this.#waiters = this.#waiters.filter((w) => w.pattern.test(this.#text) ? (w.resolve(), false) : true);
    }
  }

  /** Resolves when the output matches `pattern`; rejects with the output's tail when it ends first. */
  waitFor(pattern: RegExp): Promise<void> {
    if (pattern.test(this.#text)) return Promise.resolve();
    if (this.#ended) return Promise.reject(new Error(this.tail()));
    return new Promise((resolve, reject) => this.#waiters.push({ pattern, resolve, reject }));
  }

  /** The last lines of output. */
  tail(lines = 10): string {
    return this.#text.trimEnd().split("\n").slice(-lines).join("\n");
  }
}

/** Services still running (a test that forgot `stop()`) and templates: ended when the process unloads. */
const running = new Set<() => void>();
globalThis.addEventListener("unload", () => {
  for (const stopNow of running) stopNow();
});

function removeDir(dir: string) {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* already gone */ }
}

/** A name unique to this test: letters, digits and underscores. */
function uniqueName(kind: string): string {
  return `flow_test_${kind}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

// ---------------------------------------------------------------------------
// Redis

/**
 * Starts a `redis-server` on a free 127.0.0.1 port in a temporary directory
 * (append-only file on, so data survives {@linkcode TestService.halt}), or
 * uses `FLOW_TEST_REDIS_URL` with a key prefix of its own.
 *
 * @example
 * ```ts ignore
 * await using redis = await startRedis();
 * const client = new Redis(redis.url);
 * await client.set(`${redis.prefix}:k`, "v");
 * await client.quit();
 * ```
 */
export async function startRedis(options: RedisOptions = {}): Promise<RedisService> {
  const prefix = uniqueName("redis");
  const external = Deno.env.get("FLOW_TEST_REDIS_URL");
  if (external) return externalRedis(external, prefix);
  const binary = options.binary ?? "redis-server";
  const path = findExecutable(binary);
  if (!path) throw new Error(redisAvailability(binary).reason);
  const dir = await Deno.makeTempDir({ prefix: "flow-redis-" });
  try {
    let server = await onFreePort((port) => spawnRedis(path, dir, port));
    const port = server.port;
    const killNow = () => {
      try {
        server.child.kill("SIGKILL");
      } catch { /* already gone */ }
      removeDir(dir);
    };
    running.add(killNow);
    let halted = false;
    const service: RedisService = {
      url: `redis://127.0.0.1:${port}`,
      local: true,
      prefix,
      halt: async () => {
        if (halted) return;
        halted = true;
        await server.stop();
      },
      resume: async () => {
        if (!halted) return;
        server = await spawnRedis(path, dir, port);
        halted = false;
      },
      stop: async () => {
        if (!running.delete(killNow)) return;
        if (!halted) await server.stop();
        await Deno.remove(dir, { recursive: true });
      },
      [Symbol.asyncDispose]: () => service.stop(),
    };
    return service;
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}

interface RedisProcess {
  child: Deno.ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Starts `redis-server` in the foreground and waits for its "Ready to accept connections". */
async function spawnRedis(binary: string, dir: string, port: number): Promise<RedisProcess> {
  // deno-fmt-ignore
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no", "--logfile", "",
    "--save", "", "--appendonly", "yes", "--appendfsync", "no",
  ];
  const child = new Deno.Command(binary, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
  const output = new OutputWatch([child.stdout, child.stderr]);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already exited */ }
    await child.status;
    await output.done;
  };
  try {
    await within(output.waitFor(/Ready to accept connections/), START_TIMEOUT_MS, `redis-server on port ${port}`);
  } catch (err) {
    await stop();
    const text = output.tail();
    if (/Address already in use/i.test(text)) throw new PortTaken(text);
    throw new Error(`redis-server did not start: ${(err as Error).message}`);
  }
  return { child, port, stop };
}

/** A key prefix on an external Redis; `stop()` deletes its keys. */
function externalRedis(url: string, prefix: string): RedisService {
  const notLocal = () => Promise.reject(new Error("halt/resume need a local server (FLOW_TEST_REDIS_URL is set)"));
  const service: RedisService = {
    url,
    local: false,
    prefix,
    halt: notLocal,
    resume: notLocal,
    stop: async () => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await client.connect();
        for await (const keys of client.scanStream({ match: `${prefix}*`, count: 500 })) {
          if ((keys as string[]).length) await client.unlink(...(keys as string[]));
        }
      } finally {
        client.disconnect();
      }
    },
    [Symbol.asyncDispose]: () => service.stop(),
  };
  return service;
}

// ---------------------------------------------------------------------------
// PostgreSQL

/** Server settings for tests: durability off, small, quiet. */
const POSTGRES_SETTINGS = [
  "listen_addresses = '127.0.0.1'",
  "fsync = off",
  "synchronous_commit = off",
  "full_page_writes = off",
  "max_connections = 100",
  "shared_buffers = 32MB",
  "max_wal_size = 256MB",
  "logging_collector = off",
];

/**
 * Starts a PostgreSQL 15 server on a free 127.0.0.1 port in a temporary
 * directory (its unix socket there too; loopback trusted, or password-checked
 * with `options.password`), or creates a database of its own on
 * `FLOW_TEST_DATABASE_URL`. As root, the server runs as the `postgres` user.
 *
 * @example
 * ```ts ignore
 * await using pg = await startPostgres();
 * const store = await openPostgresStore(pg.url);
 * ```
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresService> {
  const external = Deno.env.get("FLOW_TEST_DATABASE_URL");
  if (external) return await externalPostgres(external);
  const binDir = options.binDir ?? POSTGRES_BIN_DIR;
  const check = postgresAvailability(binDir);
  if (!check.available) throw new Error(check.reason);
  const dir = await Deno.makeTempDir({ prefix: "flow-pg-" });
  const cluster = new Cluster(binDir, dir);
  try {
    await cluster.init(options.password);
    const port = await onFreePort((p) => cluster.start(p));
    const stopNow = () => {
      cluster.stopSync();
      removeDir(dir);
    };
    running.add(stopNow);
    const auth = options.password === undefined ? "postgres" : `postgres:${encodeURIComponent(options.password)}`;
    const base = `postgres://${auth}@127.0.0.1:${port}`;
    const databases = new Databases(`${base}/postgres`);
    let halted = false;
    const service: PostgresService = {
      url: `${base}/postgres`,
      local: true,
      createDatabase: () => databases.create(),
      halt: async () => {
        if (halted) return;
        halted = true;
        await cluster.stop("fast");
      },
      resume: async () => {
        if (!halted) return;
        await cluster.start(port);
        halted = false;
      },
      stop: async () => {
        if (!running.delete(stopNow)) return;
        if (!halted) await cluster.stop("immediate");
        await Deno.remove(dir, { recursive: true });
      },
      [Symbol.asyncDispose]: () => service.stop(),
    };
    return service;
  } catch (err) {
    cluster.stopSync();
    removeDir(dir);
    throw err;
  }
}

/** The command line that runs `program` from `binDir` (through runuser as `postgres` when root). */
function postgresCommand(binDir: string, program: string, args: string[]): [string, string[]] {
  const path = `${binDir}/${program}`;
  return isRoot() ? ["runuser", ["-u", "postgres", "--", path, ...args]] : [path, args];
}

/** Runs a PostgreSQL program in `cwd`; resolves to whether it succeeded and what it printed. */
async function runPostgresProgram(
  binDir: string,
  program: string,
  args: string[],
  cwd: string,
): Promise<{ ok: boolean; output: string }> {
  const [cmd, argv] = postgresCommand(binDir, program, args);
  const out = await new Deno.Command(cmd, { args: argv, cwd, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { ok: out.success, output: (dec.decode(out.stdout) + dec.decode(out.stderr)).trim() };
}

/** `initdb` into `data` (its parent owned by the server's user), trusting the socket. */
async function initdb(binDir: string, data: string, extra: string[]): Promise<void> {
  const args = ["-D", data, "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"];
  const result = await runPostgresProgram(binDir, "initdb", [...args, "--auth-local=trust", ...extra], dirname(data));
  if (!result.ok) throw new Error(`initdb failed: ${result.output}`);
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** Data directories initialised once per process (by bin dir) and copied for each trusting server. */
const templates = new Map<string, Promise<string>>();

/** This process's template data directory for `binDir` (trust on loopback), removed at unload. */
function template(binDir: string): Promise<string> {
  let data = templates.get(binDir);
  if (!data) {
    data = (async () => {
      const dir = await Deno.makeTempDir({ prefix: "flow-pg-template-" });
      running.add(() => removeDir(dir));
      const user = isRoot() ? postgresUser() : undefined;
      if (user) await Deno.chown(dir, user.uid, user.gid);
      await initdb(binDir, `${dir}/data`, ["--auth-host=trust"]);
      return `${dir}/data`;
    })();
    data.catch(() => templates.delete(binDir));
    templates.set(binDir, data);
  }
  return data;
}

/** One database cluster in a directory, driven by `initdb` and `pg_ctl` (as `postgres` when root). */
class Cluster {
  readonly #binDir: string;
  readonly #dir: string;
  readonly #data: string;
  #started = false;

  constructor(binDir: string, dir: string) {
    this.#binDir = binDir;
    this.#dir = dir;
    this.#data = `${dir}/data`;
  }

  #run(program: string, args: string[]): Promise<{ ok: boolean; output: string }> {
    return runPostgresProgram(this.#binDir, program, args, this.#dir);
  }

  /**
   * A data directory with trust on the socket, trust (a copy of this process's
   * template) or SCRAM with `password` on loopback, and the test settings.
   */
  async init(password?: string) {
    const user = isRoot() ? postgresUser() : undefined;
    if (user) await Deno.chown(this.#dir, user.uid, user.gid);
    await Deno.mkdir(`${this.#dir}/socket`);
    if (user) await Deno.chown(`${this.#dir}/socket`, user.uid, user.gid);
    if (password === undefined) {
      const copy = await new Deno.Command("cp", { args: ["-a", await template(this.#binDir), this.#data] }).output();
      if (!copy.success) throw new Error(`cp failed: ${new TextDecoder().decode(copy.stderr).trim()}`);
    } else {
      const pwfile = `${this.#dir}/password`;
      await Deno.writeTextFile(pwfile, password + "\n", { mode: 0o600 });
      if (user) await Deno.chown(pwfile, user.uid, user.gid);
      await initdb(this.#binDir, this.#data, ["--auth-host=scram-sha-256", `--pwfile=${pwfile}`]);
    }
    const settings = [...POSTGRES_SETTINGS, `unix_socket_directories = '${this.#dir}/socket'`];
    await Deno.writeTextFile(`${this.#data}/postgresql.conf`, "\n" + settings.join("\n") + "\n", { append: true });
  }

  /** `pg_ctl start -w` on `port`, resolving to it; {@linkcode PortTaken} when someone else has it. */
  async start(port: number): Promise<number> {
    const log = `${this.#dir}/server.log`;
    const result = await this.#run("pg_ctl", [
      "start",
      "-D",
      this.#data,
      "-l",
      log,
      "-w",
      "-t",
      "30",
      "-o",
      `-p ${port}`,
    ]);
    if (result.ok) {
      this.#started = true;
      return port;
    }
    let text = "";
    try {
      text = (await Deno.readTextFile(log)).trimEnd().split("\n").slice(-10).join("\n");
    } catch { /* no log */ }
    if (/could not bind|Address already in use/i.test(text)) throw new PortTaken(text);
    throw new Error(`PostgreSQL did not start: ${result.output}\n${text}`);
  }

  /** `pg_ctl stop -w`: `fast` shuts down cleanly, `immediate` just ends the processes. */
  async stop(mode: "fast" | "immediate") {
    if (!this.#started) return;
    const result = await this.#run("pg_ctl", ["stop", "-D", this.#data, "-m", mode, "-w", "-t", "30"]);
    if (!result.ok) throw new Error(`pg_ctl stop failed: ${result.output}`);
    this.#started = false;
  }

  /** Stops the server now, synchronously (process unload, failed start). */
  stopSync() {
    if (!this.#started) return;
    const [cmd, args] = postgresCommand(this.#binDir, "pg_ctl", ["stop", "-D", this.#data, "-m", "immediate", "-w"]);
    try {
      new Deno.Command(cmd, { args, cwd: this.#dir, stdin: "null", stdout: "null", stderr: "null" }).outputSync();
    } catch { /* nothing more to do */ }
    this.#started = false;
  }
}

/** Databases created on a server through its maintenance URL, dropped by `dropAll()`. */
class Databases {
  readonly #adminUrl: string;
  readonly names: string[] = [];

  constructor(adminUrl: string) {
    this.#adminUrl = adminUrl;
  }

  #connect() {
    return postgres(this.#adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  }

  /** Creates an empty database; resolves to its URL. */
  async create(): Promise<string> {
    const name = uniqueName("db");
    const sql = this.#connect();
    try {
      await sql`CREATE DATABASE ${sql(name)}`;
    } finally {
      await sql.end();
    }
    this.names.push(name);
    const url = new URL(this.#adminUrl);
    url.pathname = `/${name}`;
    return url.href;
  }

  /** Drops every database created here (closing their connections). */
  async dropAll(): Promise<void> {
    if (!this.names.length) return;
    const sql = this.#connect();
    try {
      for (const name of this.names.splice(0)) await sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`;
    } finally {
      await sql.end();
    }
  }
}

/** A database of its own on `FLOW_TEST_DATABASE_URL`; `stop()` drops it. */
async function externalPostgres(adminUrl: string): Promise<PostgresService> {
  const databases = new Databases(adminUrl);
  const url = await databases.create();
  const notLocal = () => Promise.reject(new Error("halt/resume need a local server (FLOW_TEST_DATABASE_URL is set)"));
  const service: PostgresService = {
    url,
    local: false,
    createDatabase: () => databases.create(),
    halt: notLocal,
    resume: notLocal,
    stop: () => databases.dropAll(),
    [Symbol.asyncDispose]: () => service.stop(),
  };
  return service;
}
