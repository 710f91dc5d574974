/**
 * `flow serve [PATH...]`: serves every workflow under the paths: webhooks,
 * schedules, the HTTP API and live event streams (docs/serve.md).
 *
 * @module
 */
import { FlowRuntime } from "../../src/runtime/service.ts";
import { isStoreError, type Store } from "../../src/store/mod.ts";
import { workflowLimits } from "../../src/workflow/mod.ts";
import { builtinRegistry } from "../../nodes/mod.ts";
import { createApp } from "../../server/app.ts";
import { isLoopbackHost, normaliseHostName } from "../../server/guard.ts";
import { intIn, type Invocation } from "../commands.ts";
import { CliError, ExitCode } from "../exit_codes.ts";
import { databaseUrl, historyWanted, keepPerWorkflow, openStore } from "../history.ts";
import { stderr, stdout } from "../output.ts";
import { queueUrl, waitForSignal } from "../signals.ts";

/** Runs `flow serve`; resolves to the exit code when the server has shut down. */
export default async function serve({ args, options }: Invocation): Promise<number> {
  const host = String(options.host);
  const port = options.port as number;
  const maxRuns = options.maxRuns as number;
  // --queue is the distributed mode's Redis URL; a number there is the former spelling of --max-waiting.
  const queueFlag = options.queue as string | undefined;
  const maxWaiting = (options.maxWaiting as number | undefined) ??
    (queueFlag !== undefined && /^\d+$/.test(queueFlag) ? intIn(queueFlag, "--queue", 0, 1_000_000) : undefined);
  const graceMs = options.grace as number;
  const token = (options.token as string | undefined) ?? (Deno.env.get("FLOW_API_TOKEN") || undefined);
  const readToken = (options.readToken as string | undefined) ?? (Deno.env.get("FLOW_READ_TOKEN") || undefined);
  if (readToken !== undefined && !token) {
    throw new CliError(
      "--read-token (or FLOW_READ_TOKEN) needs --token (or FLOW_API_TOKEN): the token that may change things",
    );
  }
  if (readToken !== undefined && readToken === token) {
    throw new CliError("--read-token must differ from --token: a request with it could not be told apart");
  }
  if (!isLoopbackHost(host) && !token && !options.insecureNoAuth) {
    throw new CliError(
      `--host ${host} exposes the API beyond this machine: set --token (or FLOW_API_TOKEN), or pass --insecure-no-auth`,
    );
  }
  const allowHosts = allowedHosts(options.allowHost as string[]);
  const paths = await absolutePaths((args.paths as string[] | undefined)?.length ? args.paths as string[] : ["."]);
  const queue = queueUrl(queueFlag !== undefined && /^\d+$/.test(queueFlag) ? undefined : queueFlag);
  const db = databaseUrl(options.db);
  const keep = keepPerWorkflow();
  if (queue !== undefined && db === undefined) {
    throw new CliError(
      "serve: --queue needs --db postgres://... (or FLOW_DATABASE_URL): workers read executions from it",
    );
  }
  // A bad FLOW_MAX_WORKFLOW_BYTES or FLOW_MAX_WORKFLOW_DEPTH (the depth limit of request bodies too) stops here, exit 2.
  workflowLimits();
  let store: Store | undefined;
  if (queue !== undefined || historyWanted(options.noHistory === true, undefined)) {
    try {
      store = await openStore(db, { serving: true, warn: (line) => stderr.write(`flow serve: ${line}\n`) });
    } catch (err) {
      if (isStoreError(err)) {
        throw new CliError(`history: ${err.message}${db ? "" : " (or pass --no-history)"}`);
      }
      throw err;
    }
  }
  const log = (line: string) => stderr.write(line + "\n");
  let connector;
  if (queue !== undefined) {
    const { connectQueue } = await import("../../queue/connector.ts");
    try {
      connector = await connectQueue({ url: queue, store: store!, log });
    } catch (err) {
      await store?.close();
      throw new CliError((err as Error).message);
    }
  }
  const runtime = FlowRuntime.create({
    paths,
    registry: builtinRegistry(),
    nodeDirs: options.nodes as string[],
    store,
    keep,
    maxRuns,
    maxWaiting,
    log,
    connector,
  });
  // The console's files are loaded only when it is served.
  const ui = options.noUi === true ? undefined : (await import("../../server/ui.ts")).uiHandler();
  const app = createApp(runtime, {
    token,
    readToken,
    readOnly: options.readOnly === true,
    cors: options.cors as string | undefined,
    host,
    allowHosts,
    maxApiBody: options.maxApiBody as number,
    log,
    ui,
  });
  let server: Deno.HttpServer;
  try {
    // Bound first (a port in use fails before any loading), silently: the address is printed once loaded.
    server = Deno.serve({ hostname: host, port, onListen: () => {} }, app.fetch);
  } catch (err) {
    await store?.close();
    throw new CliError(
      `cannot listen on ${host}:${port}: ${(err as Error).message.replace(/\s*\(os error \d+\)/, "")}`,
    );
  }
  await runtime.load();
  // "listening" is printed once the workflows are loaded: a script that reads it may call a webhook at once.
  const { hostname, port: bound } = server.addr as Deno.NetAddr;
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  stdout.write(`flow serve: listening on http://${shown}:${bound}\n`);
  stdout.flush();
  if (ui) log(`flow serve: console at http://${shown}:${bound}/`);
  const served = runtime.workflows();
  log(
    `flow serve: serving ${served.filter((w) => w.valid).length} workflow(s)` +
      (served.some((w) => !w.valid) ? `; ${served.filter((w) => !w.valid).length} invalid` : ""),
  );
  await shutdownOnSignal(runtime, server, graceMs, log);
  await store?.close();
  // Connections the libraries keep (Redis, PostgreSQL pools, timers) must not hold the process: it has shut down.
  stdout.flush();
  Deno.exit(ExitCode.Success);
}

/** Waits for SIGINT or SIGTERM, then stops accepting work, drains for up to `graceMs` and closes. */
async function shutdownOnSignal(
  runtime: FlowRuntime,
  server: Deno.HttpServer,
  graceMs: number,
  log: (line: string) => void,
): Promise<void> {
  await waitForSignal(() => log("flow serve: second signal; exiting now"));
  const { running, queued } = await runtime.backend.counts();
  log(`flow serve: shutting down; waiting up to ${graceMs} ms for ${running + queued} run(s)`);
  await runtime.shutdown(graceMs);
  await server.shutdown();
  log("flow serve: stopped");
}

/**
 * The names `--allow-host` gives (or, without it, `FLOW_ALLOW_HOST`,
 * comma-separated), each checked: a host name or IP address, with a leading
 * dot for a domain and its subdomains, and no scheme, port or path.
 */
function allowedHosts(flags: string[]): string[] {
  const env = Deno.env.get("FLOW_ALLOW_HOST") || undefined;
  const given = flags.length ? flags.map((v) => ({ v, from: "--allow-host" })) : (env ?? "").split(",")
    .map((v) => ({ v: v.trim(), from: "FLOW_ALLOW_HOST" })).filter(({ v }) => v !== "");
  return given.map(({ v, from }) => {
    const name = normaliseHostName(v.startsWith(".") ? v.slice(1) : v);
    if (name === undefined) {
      throw new CliError(
        `${from}: expected a host name such as flow.example.com (no scheme, port or path); got ${JSON.stringify(v)}`,
      );
    }
    return v.startsWith(".") ? `.${name}` : name;
  });
}

async function absolutePaths(paths: string[]): Promise<string[]> {
  return await Promise.all(paths.map(async (p) => {
    try {
      return await Deno.realPath(p);
    } catch {
      throw new CliError(`${p}: no such file or directory`);
    }
  }));
}
