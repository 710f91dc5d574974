/// <reference lib="dom" />
/**
 * Who the console is signed in as (`GET /api/v1/session`), loaded once and
 * shared by every page: whether a token is needed, the role (a read-only
 * token cannot edit or start runs) and whether the server is `--read-only`.
 *
 * @module
 */
import { useSyncExternalStore } from "react";
import { ApiError, getSession, type Session } from "./api.ts";

let current: Session | undefined;
const listeners = new Set<() => void>();

/** What a server without the session route is: open, editable. */
const OPEN: Session = { authenticated: true, role: null, tokenRequired: false, readOnly: false };

/** Loads the session again (after signing in or out). */
export async function refreshSession(): Promise<Session> {
  try {
    current = await getSession();
  } catch (err) {
    current = err instanceof ApiError && err.status === 404
      ? OPEN
      : { ...OPEN, authenticated: false, tokenRequired: true };
  }
  for (const l of listeners) l();
  return current;
}

/** The session, once loaded (undefined before). */
export function useSession(): Session | undefined {
  return useSyncExternalStore((l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  }, () => current);
}

/** Whether the console may call the API: no token is needed, or it is signed in. */
export function hasAccess(s: Session | undefined): boolean {
  return !!s && (!s.tokenRequired || s.authenticated);
}

/** Whether a session may change files: it has access, the server is not read-only, and it is not the read token. */
export function canEdit(s: Session | undefined): boolean {
  return hasAccess(s) && !s!.readOnly && s!.role !== "read";
}

/** Whether a session may start runs (not the read token). */
export function canRun(s: Session | undefined): boolean {
  return hasAccess(s) && s!.role !== "read";
}
