/**
 * The HTTP app of `flow serve`, as a function that returns a Hono app: tests
 * call `app.request()` without sockets, and the CLI only binds it to
 * `Deno.serve`.
 *
 * Routes: `/api/v1/...` (the API, with `/api/v1/openapi.json`),
 * `/hooks/<path>` (webhooks), and the console at `/` when one is given.
 * Every request first passes the guards of `guard.ts` (Host, path, origin,
 * media type, token: docs/security.md), registered before any route.
 *
 * @module
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { cors } from "hono/cors";
import type { FlowRuntime } from "../src/runtime/service.ts";
import { VERSION } from "../src/version.ts";
import { apiRoutes } from "./api.ts";
import { bodyDepthLimit, limitedBody } from "./body.ts";
import { handleError } from "./errors.ts";
import { type ConsoleHandler, fallback } from "./fallback.ts";
import { type AuthOptions, edgeGuard, requireToken, writeGuard } from "./guard.ts";
import { Sessions } from "./session.ts";
import { SOURCE_PATH } from "./sources.ts";
import { DEFAULT_MAX_API_BODY } from "./limits.ts";
import { handleWebhook } from "./hooks.ts";
import { TEST_HOOK_PREFIX, TestRequests } from "./test_requests.ts";

/** Options of {@linkcode createApp}. */
export interface AppOptions {
  /**
   * When set, every `/api` route but `/api/v1/health` and `/api/v1/session`
   * needs `Authorization: Bearer <token>` or a session cookie signed in with it.
   */
  token?: string;
  /** A second token that can only read (`--read-token`); needs `token`. */
  readToken?: string;
  /** Refuse every write of a workflow file (403 `READ_ONLY`; `--read-only`). */
  readOnly?: boolean;
  /** The console's sessions (default: a new table; tests give their own clock). */
  sessions?: Sessions;
  /** Allow cross-origin requests from this origin (off by default). */
  cors?: string;
  /** The address the server binds (`--host`, default `127.0.0.1`): its name is accepted as a Host. */
  host?: string;
  /** More names accepted as a Host (`--allow-host`); loopback names and addresses always are. */
  allowHosts?: readonly string[];
  /** Largest API request body, bytes (default {@linkcode DEFAULT_MAX_API_BODY}, `flow serve --max-api-body`). */
  maxApiBody?: number;
  /** The base URL clients use (for webhook URLs); default from each request. */
  baseUrl?: string;
  /** Serves the console: its page or a file for a `GET` of a path, or undefined. */
  ui?: ConsoleHandler;
  /** Where internal errors are logged (default stderr). */
  log?: (line: string) => void;
}

/**
 * Builds the app over a runtime.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * // const app = createApp(runtime, { token: "secret" });
 * // const res = await app.request("/api/v1/health");
 * ```
 */
export function createApp(runtime: FlowRuntime, options: AppOptions = {}): OpenAPIHono {
  const log = options.log ?? ((line: string) => console.error(line));
  bodyDepthLimit(); // a bad FLOW_MAX_WORKFLOW_DEPTH is refused now, not on each request
  const app = new OpenAPIHono();
  app.onError((err, c) => handleError(c, err, log));
  // Unknown paths: the console's own routes, else 405 with Allow or 404 (JSON).
  app.notFound(fallback(app, options.ui));
  // The guards come before everything else, so every route, present and future, is behind them.
  const guard = { host: options.host, allowHosts: options.allowHosts, cors: options.cors };
  app.use("*", edgeGuard(guard));
  let origin = options.baseUrl ?? "";
  app.use("*", async (c, next) => {
    if (!origin) origin = new URL(c.req.url).origin;
    await next();
  });
  if (options.cors) app.use("*", cors({ origin: options.cors, exposeHeaders: ["location", "x-flow-execution-id"] }));
  app.use("*", writeGuard(guard));

  if (options.readToken && !options.token) throw new Error("a read-only token (--read-token) needs --token as well");
  const auth: AuthOptions | undefined = options.token
    ? {
      token: options.token,
      readToken: options.readToken,
      sessions: options.sessions ?? new Sessions(),
      secure: (c) => overHttps(c, options.baseUrl),
    }
    : undefined;
  if (auth) app.use("/api/*", requireToken(auth));
  app.use(
    "/api/*",
    limitedBody({ bytes: options.maxApiBody ?? DEFAULT_MAX_API_BODY, setting: "--max-api-body" }, {
      verbatim: (method, path) => method === "PUT" && SOURCE_PATH.test(path),
    }),
  );

  const testRequests = new TestRequests(runtime);
  const api = apiRoutes(runtime, {
    baseUrl: () => options.baseUrl ?? origin,
    readOnly: options.readOnly,
    auth,
    testRequests,
  });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "flow", version: VERSION, description: "The flow serve HTTP API (docs/api.md)" },
  });
  app.route("/api/v1", api);

  app.all("/hooks/*", async (c) => {
    let status = 500;
    try {
      const res = c.req.path.startsWith(TEST_HOOK_PREFIX)
        ? await testRequests.handle(c)
        : await handleWebhook(c, runtime);
      status = res.status;
      return res;
    } catch (err) {
      const res = handleError(c, err, log);
      status = res.status;
      return res;
    } finally {
      runtime.metrics.inc("flow_webhook_requests_total", { status: String(status) });
    }
  });
  return app;
}

/**
 * Whether a request came over HTTPS: its URL, the base URL the server was
 * given, or `X-Forwarded-Proto: https` from a TLS proxy (trusting it can
 * only make a cookie `Secure`, which keeps it off plain HTTP).
 */
function overHttps(c: Context, baseUrl: string | undefined): boolean {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
  return forwarded === "https" || c.req.url.startsWith("https:") || (baseUrl?.startsWith("https:") ?? false);
}
