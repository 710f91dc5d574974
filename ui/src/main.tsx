/// <reference lib="dom" />
/**
 * The console's entry: the page frame, the routes, and the pages that the
 * first screen does not need loaded lazily (the graph pages bring React Flow
 * and ELK with them).
 *
 * @module
 */
import { type ComponentType, StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { setUnauthorizedHandler, signOut } from "./api.ts";
import { prefetchEditorData } from "./edit/open.ts";
import { Link, match, navigate, useLocation } from "./router.tsx";
import { WorkflowsPage } from "./pages/workflows.tsx";
import { hasAccess, refreshSession, useSession } from "./session.ts";

/**
 * A lazily loaded page: `start` loads its module (once); `Page` renders it,
 * or "Loading…" until it is here. It does not suspend: React holds back what
 * a Suspense boundary reveals for up to 300 ms after its fallback showed.
 * `early`, given the page's props, starts what the page will read, beside
 * its module, when the module is not loaded yet.
 */
function lazyPage<P extends object>(load: () => Promise<{ default: ComponentType<P> }>, early?: (props: P) => void) {
  let loaded: ComponentType<P> | undefined;
  let started: Promise<unknown> | undefined;
  const start = () => started ??= load().then((m) => loaded = m.default);
  function Page(props: P) {
    const [failed, setFailed] = useState<string>();
    const [, setReady] = useState(false);
    useEffect(() => {
      if (loaded) return;
      early?.(props);
      let live = true;
      start().then(() => live && setReady(true), (err) => live && setFailed((err as Error).message));
      return () => {
        live = false;
      };
    }, []);
    const Loaded = loaded;
    if (Loaded) return <Loaded {...props} />;
    if (failed) return <p role="alert" className="error">Cannot load this page: {failed}</p>;
    return <p className="muted" role="status">Loading…</p>;
  }
  return { Page, start };
}

// Each lazily loaded page, by the route that shows it.
const pages = {
  "/workflows/:id": lazyPage(() => import("./pages/workflow.tsx")),
  "/runs": lazyPage(() => import("./pages/runs.tsx")),
  "/runs/:id": lazyPage(() => import("./pages/run.tsx")),
  "/edit": lazyPage(() => import("./edit/editor.tsx"), ({ file }) => prefetchEditorData(file)),
  "/sign-in": lazyPage(() => import("./pages/sign_in.tsx")),
};
const WorkflowPage = pages["/workflows/:id"].Page;
const RunsPage = pages["/runs"].Page;
const RunPage = pages["/runs/:id"].Page;
const EditorPage = pages["/edit"].Page;
const SignInPage = pages["/sign-in"].Page;

/** The route of `path` among `pages`, if one (a malformed address matches none: the page says so). */
function routeOf(path: string): keyof typeof pages | undefined {
  try {
    return (Object.keys(pages) as (keyof typeof pages)[]).find((route) => match(route, path));
  } catch {
    return undefined;
  }
}

// At once, side by side: the session check, the module of the page the console opens on, and, once the session
// allows, what the editor reads when it opens on a file. The first page is drawn when the session and its module
// are both here.
const opening = refreshSession();
const firstRoute = routeOf(location.pathname);
const firstPage = firstRoute ? pages[firstRoute].start().catch(() => {}) : undefined;
if (firstRoute === "/edit") {
  const file = new URLSearchParams(location.search).get("file");
  opening.then((s) => file && hasAccess(s) && prefetchEditorData(file));
}

/** Sends the browser to the sign-in page, then back to where it was. */
function toSignIn() {
  if (location.pathname === "/sign-in") return;
  navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, true);
}

function Page() {
  const { path, query } = useLocation();
  let params: Record<string, string> | undefined;
  if (match("/", path)) return <WorkflowsPage />;
  if ((params = match("/workflows/:id", path))) return <WorkflowPage key={params.id} id={params.id} />;
  if (match("/runs", path)) return <RunsPage />;
  if ((params = match("/runs/:id", path))) return <RunPage key={params.id} id={params.id} />;
  if (match("/edit", path)) {
    const file = query.get("file") ?? "";
    return <EditorPage key={file} file={file} path={query.get("path") ?? ""} />;
  }
  if (match("/sign-in", path)) return <SignInPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href="/">Back to the workflows</Link>
      </p>
    </section>
  );
}

function App() {
  const { path } = useLocation();
  const session = useSession();
  const [firstLoaded, setFirstLoaded] = useState(!firstPage);
  useEffect(() => {
    setUnauthorizedHandler(() => void refreshSession().then(toSignIn));
    opening.then((s) => {
      if (s.tokenRequired && !s.authenticated) toSignIn();
    });
    firstPage?.then(() => setFirstLoaded(true));
  }, []);
  const section = path.startsWith("/runs") ? "runs" : "workflows";
  const signedOut = session?.tokenRequired && !session.authenticated;
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand" aria-hidden="true">flow</span>
        <nav aria-label="Main">
          <Link href="/" aria-current={section === "workflows" ? "page" : undefined}>Workflows</Link>
          <Link href="/runs" aria-current={section === "runs" ? "page" : undefined}>Runs</Link>
        </nav>
        {session?.tokenRequired && session.authenticated && (
          <div className="account">
            {session.role === "read" && <span className="tag">read-only</span>}
            <button
              type="button"
              className="small"
              onClick={async () => {
                await signOut().catch(() => {});
                await refreshSession();
                toSignIn();
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {!session || !firstLoaded
          ? <p className="muted" role="status">Loading…</p>
          : signedOut && path !== "/sign-in"
          ? <p className="muted" role="status">Signing in…</p>
          : <Page />}
      </main>
    </>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
