/**
 * Helpers for tests of `flow serve` as a real subprocess: start it on port 0
 * (the URL is read from the first stdout line), talk to it over HTTP, wait
 * for conditions by polling (never blind sleeps) and stop it with a signal.
 *
 * Each server gets its own temporary `FLOW_STATE_DIR` unless a test gives
 * one, so run counts never mix between tests.
 *
 * @module
 */
import { spawnCli } from "./helpers.ts";

/** Options of {@linkcode Served.start}. */
export interface ServeOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** The history directory (default: a new temporary one). */
  stateDir?: string;
  /** How long to wait for the first line (ms, default 30 s). */
  startTimeoutMs?: number;
  /** The API token, for the readiness check. */
  token?: string;
  /** Return as soon as the first line is printed, without waiting for `/api/v1/ready`. */
  noWait?: boolean;
}

/** How a stopped server exited. */
export interface Stopped {
  /** Exit code. */
  code: number;
  /** Everything it wrote to stdout. */
  stdout: string;
  /** Everything it wrote to stderr. */
  stderr: string;
}

/** A JSON response, its body parsed. */
export interface JsonResponse {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A running `flow serve` subprocess; `await using` stops it. */
export class Served implements AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Its history directory. */
  readonly stateDir: string;
  readonly #child: Deno.ChildProcess;
  readonly #stdout: { text: string };
  readonly #stderr: { text: string };
  readonly #drained: Promise<unknown>;
  #stopped?: Promise<Stopped>;

  private constructor(
    url: string,
    stateDir: string,
    child: Deno.ChildProcess,
    out: { text: string },
    err: { text: string },
    drained: Promise<unknown>,
  ) {
    this.url = url;
    this.stateDir = stateDir;
    this.#child = child;
    this.#stdout = out;
    this.#stderr = err;
    this.#drained = drained;
  }

  /**
   * Starts `flow serve --port 0 ARGS...` and resolves once it prints where it
   * listens and `/api/v1/ready` answers 200 (its workflows are loaded).
   */
  static async start(args: string[], options: ServeOptions = {}): Promise<Served> {
    const stateDir = options.stateDir ?? await Deno.makeTempDir({ prefix: "flow-serve-state-" });
    const child = spawnCli(["serve", "--port", "0", ...args], { FLOW_STATE_DIR: stateDir, ...options.env });
    const out = { text: "" };
    const err = { text: "" };
    const firstLine = Promise.withResolvers<void>();
    const pump = async (stream: ReadableStream<Uint8Array>, sink: { text: string }, onText?: () => void) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        sink.text += chunk;
        onText?.();
      }
    };
    const drained = Promise.all([
      pump(child.stdout, out, () => out.text.includes("\n") && firstLine.resolve()),
      pump(child.stderr, err),
    ]).finally(() => firstLine.resolve());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), options.startTimeoutMs ?? 30_000)
    );
    const outcome = await Promise.race([firstLine.promise, timeout]);
    clearTimeout(timer);
    const line = out.text.split("\n")[0];
    const match = /^flow serve: listening on (http:\/\/\S+)$/.exec(line);
    if (outcome === "timeout" || !match) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await drained;
      throw new Error(`flow serve did not start: stdout ${JSON.stringify(out.text)}; stderr ${err.text}`);
    }
    const served = new Served(match[1], stateDir, child, out, err, drained);
    if (!options.noWait) {
      const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
      try {
        await waitFor(async () => (await served.json("/api/v1/ready", { headers })).status === 200, {
          message: () => `flow serve never got ready; stderr:\n${served.stderr}`,
        });
      } catch (e) {
        await served.stop("SIGKILL");
        throw e;
      }
    }
    return served;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.#stderr.text;
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.#stdout.text;
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Waits until stderr contains `text` (or matches a RegExp); returns stderr. */
  async waitForLog(text: string | RegExp, timeoutMs = 15_000): Promise<string> {
    await waitFor(
      () => typeof text === "string" ? this.stderr.includes(text) : text.test(this.stderr),
      { timeoutMs, message: () => `stderr never showed ${text}; it has:\n${this.stderr}` },
    );
    return this.stderr;
  }

  /** A request to the server; the path is relative to its URL. */
  fetch(path: string, init?: RequestInit): Promise<Response> {
    return fetch(this.url + path, init);
  }

  /** A request whose JSON answer is parsed (the body is always read). */
  async json(path: string, init?: RequestInit & { json?: unknown }): Promise<JsonResponse> {
    const { json, ...rest } = init ?? {};
    const headers = new Headers(rest.headers);
    if (json !== undefined) {
      headers.set("content-type", "application/json");
      rest.body = JSON.stringify(json);
      rest.method ??= "POST";
    }
    const res = await this.fetch(path, { ...rest, headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch { /* not JSON: keep the text */ }
    return { status: res.status, headers: res.headers, body };
  }

  /** Polls `GET /api/v1/runs/{id}` until the run has one of `statuses`; returns its detail. */
  // deno-lint-ignore no-explicit-any
  async waitForRun(executionId: string, statuses = ["success", "failed", "cancelled", "skipped"]): Promise<any> {
    // deno-lint-ignore no-explicit-any
    let last: any;
    await waitFor(async () => {
      last = await this.json(`/api/v1/runs/${executionId}`);
      return last.status === 200 && statuses.includes(last.body.status);
    }, { message: () => `run ${executionId} never reached ${statuses.join("/")}: ${JSON.stringify(last?.body)}` });
    return last.body;
  }

  /** Every recorded run (newest first), following pages; `query` like `workflow=a&status=success`. */
  // deno-lint-ignore no-explicit-any
  async runs(query = ""): Promise<any[]> {
    // deno-lint-ignore no-explicit-any
    const all: any[] = [];
    let before = "";
    for (;;) {
      const page = await this.json(`/api/v1/runs?limit=500${query ? `&${query}` : ""}${before}`);
      if (page.status !== 200) throw new Error(`GET /api/v1/runs: ${page.status} ${JSON.stringify(page.body)}`);
      all.push(...page.body.runs);
      if (!page.body.next) return all;
      before = `&before=${page.body.next}`;
    }
  }

  /** Sends a signal without waiting for the process to exit. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Sends a signal (default SIGTERM) and waits for the process to exit. */
  stop(signal: Deno.Signal = "SIGTERM"): Promise<Stopped> {
    this.#stopped ??= (async () => {
      try {
        this.#child.kill(signal);
      } catch { /* already gone */ }
      const status = await this.#child.status;
      await this.#drained;
      return { code: status.code, stdout: this.#stdout.text, stderr: this.#stderr.text };
    })();
    return this.#stopped;
  }

  /** Resolves when the process exits by itself. */
  async exited(): Promise<Stopped> {
    const status = await this.#child.status;
    await this.#drained;
    return { code: status.code, stdout: this.#stdout.text, stderr: this.#stderr.text };
  }

  /** Stops the server (SIGTERM, then SIGKILL if it is still there after 20 s). */
  async [Symbol.asyncDispose](): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) =>
      timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* gone */ }
        resolve();
      }, 20_000)
    );
    await Promise.race([this.stop(), late]);
    await this.stop();
    clearTimeout(timer);
  }
}

/**
 * Polls `check` every `intervalMs` (default 25) until it returns a truthy
 * value, which it resolves to; rejects after `timeoutMs` (default 15 s).
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; message?: () => string } = {},
): Promise<Exclude<T, false | 0 | "" | null | undefined>> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | 0 | "" | null | undefined>;
    if (Date.now() > deadline) throw new Error(options.message?.() ?? "timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}

/** Writes files (objects as JSON, strings as is) into `dir`, else a new temporary directory; returns its path. */
export async function writeFiles(files: Record<string, unknown>, dir?: string): Promise<string> {
  dir ??= await Deno.makeTempDir({ prefix: "flow-test-" });
  for (const [name, content] of Object.entries(files)) await writeFile(dir, name, content);
  return dir;
}

/** Writes one file (an object as JSON) under `dir`, creating folders; returns its path. */
export async function writeFile(dir: string, name: string, content: unknown): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  // Write then rename, as editors do, so the watcher never reads a half-written file.
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  await Deno.rename(tmp, path);
  return path;
}

/** A webhook workflow: `hook` (http.webhook with `config`) feeding the given nodes. */
export function webhookWorkflow(
  id: string,
  config: Record<string, unknown>,
  rest: { nodes?: unknown[]; connections?: unknown[]; outputs?: Record<string, string>; settings?: unknown } = {},
): Record<string, unknown> {
  return {
    id,
    nodes: [{ id: "hook", type: "http.webhook", config }, ...(rest.nodes ?? [])],
    connections: rest.connections ?? [],
    outputs: rest.outputs ?? { body: "hook.body" },
    ...(rest.settings ? { settings: rest.settings } : {}),
  };
}

/** An SSE event as parsed from the stream. */
export interface SseEvent {
  /** `id:` */
  id?: string;
  /** `event:` */
  event?: string;
  /** `data:` (joined lines). */
  data: string;
}

/** Parses SSE text into events (comments dropped). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split("\n\n")) {
    const e: SseEvent = { data: "" };
    let any = false;
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const at = line.indexOf(":");
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
      if (field === "id") e.id = value;
      else if (field === "event") e.event = value;
      else if (field === "data") e.data = e.data ? `${e.data}\n${value}` : value;
      else continue;
      any = true;
    }
    if (any) events.push(e);
  }
  return events;
}
