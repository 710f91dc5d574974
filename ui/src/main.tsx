/// <reference lib="dom" />
/**
 * The console's entry: the page frame, the routes, and the pages that the
 * first screen does not need loaded lazily (the graph pages bring React Flow
 * and ELK with them).
 *
 * @module
 */
import { lazy, StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { Link, match, useLocation } from "./router.tsx";
import { WorkflowsPage } from "./pages/workflows.tsx";

const WorkflowPage = lazy(() => import("./pages/workflow.tsx"));
const RunsPage = lazy(() => import("./pages/runs.tsx"));
const RunPage = lazy(() => import("./pages/run.tsx"));

function Page() {
  const { path } = useLocation();
  let params: Record<string, string> | undefined;
  if (match("/", path)) return <WorkflowsPage />;
  if ((params = match("/workflows/:id", path))) return <WorkflowPage key={params.id} id={params.id} />;
  if (match("/runs", path)) return <RunsPage />;
  if ((params = match("/runs/:id", path))) return <RunPage key={params.id} id={params.id} />;
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
  const section = path.startsWith("/runs") ? "runs" : "workflows";
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand" aria-hidden="true">flow</span>
        <nav aria-label="Main">
          <Link href="/" aria-current={section === "workflows" ? "page" : undefined}>Workflows</Link>
          <Link href="/runs" aria-current={section === "runs" ? "page" : undefined}>Runs</Link>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted" role="status">Loading…</p>}>
          <Page />
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
