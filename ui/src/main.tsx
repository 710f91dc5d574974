/// <reference lib="dom" />
/**
 * The console's entry: the page frame, the routes, and the pages that the
 * first screen does not need loaded lazily (the graph pages bring React Flow
 * and ELK with them).
 *
 * @module
 */
import { lazy, StrictMode, Suspense, useEffect } from "react";
import { createRoot } from "react-dom/client";
import { setUnauthorizedHandler, signOut } from "./api.ts";
import { Link, match, navigate, useLocation } from "./router.tsx";
import { WorkflowsPage } from "./pages/workflows.tsx";
import { refreshSession, useSession } from "./session.ts";

// Each lazily loaded page, by the route that shows it.
const loaders = {
  "/workflows/:id": () => import("./pages/workflow.tsx"),
  "/runs": () => import("./pages/runs.tsx"),
  "/runs/:id": () => import("./pages/run.tsx"),
  "/edit": () => import("./edit/editor.tsx"),
  "/sign-in": () => import("./pages/sign_in.tsx"),
};
const WorkflowPage = lazy(loaders["/workflows/:id"]);
const RunsPage = lazy(loaders["/runs"]);
const RunPage = lazy(loaders["/runs/:id"]);
const EditorPage = lazy(loaders["/edit"]);
const SignInPage = lazy(loaders["/sign-in"]);
// The page the console opens on starts loading now, beside the session check, not after it (the browser keeps
// the module: `lazy` gets it from there).
try {
  for (const [route, load] of Object.entries(loaders)) if (match(route, location.pathname)) load().catch(() => {});
} catch { /* a malformed address: the page says so when it renders */ }

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
  useEffect(() => {
    setUnauthorizedHandler(() => void refreshSession().then(toSignIn));
    refreshSession().then((s) => {
      if (s.tokenRequired && !s.authenticated) toSignIn();
    });
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
        <Suspense fallback={<p className="muted" role="status">Loading…</p>}>
          {!session
            ? <p className="muted" role="status">Loading…</p>
            : signedOut && path !== "/sign-in"
            ? <p className="muted" role="status">Signing in…</p>
            : <Page />}
        </Suspense>
      </main>
    </>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
