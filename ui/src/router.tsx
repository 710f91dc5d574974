/// <reference lib="dom" />
/**
 * A small client-side router over the History API: the current location as
 * a hook, `navigate()`, and a `Link` that keeps plain clicks in the page
 * (new tabs and modified clicks behave as usual).
 *
 * @module
 */
import { type MouseEvent, type ReactNode, useSyncExternalStore } from "react";

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  globalThis.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    globalThis.removeEventListener("popstate", listener);
  };
}

const current = () => location.pathname + location.search;

/** The current path and query, e.g. `/runs?status=failed`; re-renders on navigation. */
export function useLocation(): { path: string; query: URLSearchParams; href: string } {
  const href = useSyncExternalStore(subscribe, current);
  const url = new URL(href, location.origin);
  return { path: url.pathname, query: url.searchParams, href };
}

/** Goes to `href` in the page (`replace` keeps history from growing). */
export function navigate(href: string, replace = false): void {
  if (href === current()) return;
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  for (const l of listeners) l();
  if (!replace) globalThis.scrollTo?.(0, 0);
}

/** Matches `/runs/:id`-style patterns; returns the decoded params or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const have = path.replace(/\/+$/, "").split("/");
  if (path === "/" && pattern === "/") return {};
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(have[i]);
    else if (want[i] !== have[i]) return undefined;
  }
  return params;
}

/** The editor's address for a served file (and a loop body's node path). */
export function editHref(file: string, path = ""): string {
  return `/edit?file=${encodeURIComponent(file)}${path ? `&path=${encodeURIComponent(path)}` : ""}`;
}

/** An in-page link. */
export function Link(
  props: { href: string; children: ReactNode; className?: string; title?: string; "aria-current"?: "page" },
) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a
      href={props.href}
      onClick={onClick}
      className={props.className}
      title={props.title}
      aria-current={props["aria-current"]}
    >
      {props.children}
    </a>
  );
}
