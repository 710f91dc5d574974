/**
 * A small local HTTP server for the examples and tests: no internet needed.
 *
 * Routes:
 * - `GET /zen.json` -> `{"zen": "..."}`
 * - `GET /users/:id` -> a user object
 * - `GET /users.csv?count=N` -> users 1 to N (default 5) as CSV: `id,name,email` then one line each
 * - `GET /flaky/:key?fail=N` -> 503 for the first N requests per key, then 200
 * - `GET /status/:code` -> that status
 * - `GET /slow?ms=N` -> 200 after N ms (at once when the server closes)
 * - `POST /echo` -> the request body and headers as JSON
 * - `GET /items?after=N` -> a JSON array of the items whose id is greater
 *   than N (`after` defaults to 0), oldest first: `[{ "id": 6, "title":
 *   "item 6" }, …]`. The feed starts with items 1 to 5 and grows by 3 new
 *   items after every request, so polling it again finds new ones
 *   (`examples/poll-new-items.json`).
 *
 * Run it alone: `deno run --allow-net examples/server.ts [port]`.
 *
 * @module
 */

/** A running demo server. */
export interface DemoServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  /** Requests seen per path. */
  hits: Map<string, number>;
  /** Stops the server (pending `/slow` requests are answered at once). */
  close(): Promise<void>;
}

/** Starts the demo server on 127.0.0.1 (port 0 picks a free port). */
export function startDemoServer(port = 0): DemoServer {
  const hits = new Map<string, number>();
  let newestItem = 5;
  // Pending /slow waits: close() ends them, so a server whose client was killed mid-request stops at once.
  const waits = new Set<() => void>();
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const path = url.pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === "/zen.json") return json({ zen: "Practicality beats purity." });
    if (path === "/users.csv") {
      const count = Math.min(Math.max(0, Number(url.searchParams.get("count") ?? "5") || 0), 10_000);
      const lines = ["id,name,email"];
      for (let id = 1; id <= count; id++) lines.push(`${id},user ${id},user${id}@example.test`);
      return new Response(lines.join("\n") + "\n", { headers: { "content-type": "text/csv; charset=utf-8" } });
    }
    let m = /^\/users\/(\d+)$/.exec(path);
    if (m) return json({ id: Number(m[1]), name: `user ${m[1]}`, email: `user${m[1]}@example.test` });
    m = /^\/flaky\/([\w-]+)$/.exec(path);
    if (m) {
      const fail = Number(url.searchParams.get("fail") ?? "2");
      return hits.get(path)! <= fail
        ? json({ error: "temporarily unavailable" }, 503)
        : json({ ok: true, attempts: hits.get(path) });
    }
    m = /^\/status\/(\d{3})$/.exec(path);
    if (m) return json({ status: Number(m[1]) }, Number(m[1]));
    if (path === "/slow") {
      const ms = Number(url.searchParams.get("ms") ?? "100");
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waits.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        waits.add(wake);
      });
      return json({ waited: ms });
    }
    if (path === "/items") {
      const after = Number(url.searchParams.get("after") ?? "0");
      if (!Number.isFinite(after)) return json({ error: "after: expected a number" }, 400);
      const items = [];
      for (let id = Math.max(0, Math.floor(after)) + 1; id <= newestItem; id++) items.push({ id, title: `item ${id}` });
      newestItem += 3;
      return json(items);
    }
    if (path === "/echo") {
      return json({ method: req.method, body: await req.text(), headers: Object.fromEntries(req.headers) });
    }
    return json({ error: "not found" }, 404);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    hits,
    close: () => {
      for (const wake of [...waits]) wake();
      return server.shutdown();
    },
  };
}

if (import.meta.main) {
  const s = startDemoServer(Number(Deno.args[0] ?? 8080));
  console.log(`demo server on ${s.url}`);
}
