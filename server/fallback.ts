/**
 * What a request that no route takes gets: the console's page (a `GET` of
 * one of its own routes that accepts HTML, or one of its files), else 405
 * with `Allow` when the path has routes for other methods, else 404; both
 * as JSON errors. So `/api/...` and `/hooks/...` always answer JSON, and an
 * unknown path such as `/metrics` is a 404, not the console.
 *
 * @module
 */
import type { Context } from "hono";
import { errorResponse } from "./errors.ts";

/** Serves the console: the response for a `GET` of `path` (with its `Accept`), or undefined. */
export type ConsoleHandler = (path: string, accept: string | undefined) => Response | undefined;

/** A route as Hono lists it (`app.routes`). */
interface RouteEntry {
  method: string;
  path: string;
}

/** A Hono path pattern (`/api/v1/runs/:id`, `/hooks/*`) as a RegExp over whole paths. */
function patternRegExp(pattern: string): RegExp {
  const source = pattern.split("/").map((part) => {
    if (part === "*") return ".*";
    if (part.startsWith(":")) return "[^/]+";
    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }).join("/");
  return new RegExp(`^${source}$`);
}

/**
 * The methods routes of `routes` answer at `path` (middleware, registered
 * for every method, left out). `HEAD` comes with `GET`, as Hono answers it.
 */
export function allowedMethods(routes: readonly RouteEntry[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL" || methods.has(route.method)) continue;
    if (patternRegExp(route.path).test(path)) methods.add(route.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

/** The app's `notFound` handler: the console's page or file, 405 with `Allow`, or 404. */
export function fallback(app: { routes: readonly RouteEntry[] }, ui?: ConsoleHandler): (c: Context) => Response {
  return (c) => {
    const path = new URL(c.req.url).pathname;
    const method = c.req.method;
    if (ui && (method === "GET" || method === "HEAD")) {
      const page = ui(path, c.req.header("accept"));
      if (page) return page;
    }
    const allow = allowedMethods(app.routes, path);
    if (allow.length) {
      return errorResponse(
        c,
        405,
        "METHOD_NOT_ALLOWED",
        `${method} is not allowed at ${path}; use ${allow.join(", ")}`,
        {},
        {
          allow: allow.join(", "),
        },
      );
    }
    return errorResponse(c, 404, "NOT_FOUND", `no route ${method} ${path}`);
  };
}
