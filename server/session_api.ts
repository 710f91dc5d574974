/**
 * `/api/v1/session`: the console signs in with a token and gets a session
 * cookie (`session.ts`), asks who it is and what it may show, and signs
 * out. These routes need no credential themselves (`requireToken` lets
 * them through); signing in and out are state-changing requests, so the
 * origin checks of `writeGuard` apply to them as to every other.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { errorResponse, HttpError } from "./errors.ts";
import { authenticate, type AuthOptions } from "./guard.ts";
import * as S from "./schemas.ts";
import { sessionCookie, sessionValue } from "./session.ts";
import { timingSafeEqual } from "./webhook_auth.ts";

/** What the session routes need. */
export interface SessionRouteOptions {
  /** The credentials, when the API needs a token (else there is nothing to sign in to). */
  auth?: AuthOptions;
  /** `flow serve --read-only`. */
  readOnly?: boolean;
}

const json = (schema: typeof S.ErrorBody | typeof S.SessionInfo, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/** The `/api/v1/session` routes. */
export function sessionRoutes(api: OpenAPIHono, options: SessionRouteOptions): void {
  const { auth } = options;
  api.openapi(
    createRoute({
      method: "get",
      path: "/session",
      summary: "Who this request is (token or session), and whether the console must sign in or hide editing",
      responses: { 200: json(S.SessionInfo, "The session (needs no token)") },
    }),
    async (c) => {
      const readOnly = options.readOnly === true;
      if (!auth) return c.json({ authenticated: false, role: "admin" as const, tokenRequired: false, readOnly }, 200);
      const caller = await authenticate(c, auth);
      const known = typeof caller !== "string";
      const headers: Record<string, string> = caller === "ended"
        ? { "set-cookie": sessionCookie("", 0, auth.secure(c)) }
        : {};
      return c.json(
        { authenticated: known, role: known ? caller.role : null, tokenRequired: true, readOnly },
        200,
        headers,
      );
    },
  );

  api.openapi(
    createRoute({
      method: "post",
      path: "/session",
      summary: "Sign in: a token for a session cookie (HttpOnly, SameSite=Strict; Secure over HTTPS)",
      request: { body: { content: { "application/json": { schema: S.SessionRequest } }, required: true } },
      responses: {
        204: { description: "Signed in: Set-Cookie flow_session" },
        400: json(S.ErrorBody, "NO_TOKEN: this server needs no token; BAD_REQUEST: no token given"),
        401: json(S.ErrorBody, "UNAUTHORIZED: wrong token"),
      },
    }),
    async (c) => {
      if (!auth) {
        throw new HttpError(400, "NO_TOKEN", "this server has no --token: there is nothing to sign in to");
      }
      const given = new TextEncoder().encode(c.req.valid("json").token);
      const role = timingSafeEqual(given, new TextEncoder().encode(auth.token))
        ? "admin"
        : auth.readToken !== undefined && timingSafeEqual(given, new TextEncoder().encode(auth.readToken))
        ? "read"
        : undefined;
      if (!role) return errorResponse(c, 401, "UNAUTHORIZED", "wrong API token");
      const value = await auth.sessions.create(role);
      return signedIn(c, sessionCookie(value, auth.sessions.maxAgeSeconds, auth.secure(c)));
    },
  );

  api.openapi(
    createRoute({
      method: "delete",
      path: "/session",
      summary: "Sign out: the session ends on the server and its cookie is cleared",
      responses: { 204: { description: "Signed out (also when there was no session)" } },
    }),
    async (c) => {
      const value = sessionValue(c.req.header("cookie"));
      if (auth && value !== undefined) await auth.sessions.delete(value);
      return signedIn(c, sessionCookie("", 0, auth?.secure(c) ?? false));
    },
  );
}

/** A 204 that sets (or clears) the session cookie. */
function signedIn(c: Context, cookie: string) {
  c.header("set-cookie", cookie);
  c.header("cache-control", "no-store");
  return c.body(null, 204) as never;
}
