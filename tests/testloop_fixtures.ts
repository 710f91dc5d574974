/**
 * What the test loop's tests share (the API's in serve_editor_runs_test.ts,
 * the browser's in editor_testloop_test.ts): a local HTTP server that counts
 * its hits per path, a webhook workflow that calls it, a schedule, a secret.
 *
 * @module
 */

/** A local server: `POST /<name>` answers `{ path, hit, got, auth }` (the body it got, parsed), counting hits per path. */
export function hitServer() {
  const hits = new Map<string, number>();
  const got = new Map<string, unknown>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const hit = (hits.get(path) ?? 0) + 1;
    hits.set(path, hit);
    const text = await req.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* text */ }
    got.set(path, body);
    return Response.json({ path, hit, got: body, auth: req.headers.get("authorization") });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    hits: (path: string) => hits.get(path) ?? 0,
    got: (path: string) => got.get(path),
    close: () => server.shutdown(),
  };
}

/** A webhook whose run calls `/paid` then `/after` on `base`: what a pin of `paid` must spare. */
export const hooked = (base: string) => ({
  id: "hooked",
  nodes: [
    { id: "hook", type: "http.webhook", config: { path: "hooked" } },
    { id: "paid", type: "http.request", config: { method: "POST", url: `${base}/paid` } },
    { id: "after", type: "http.request", config: { method: "POST", url: `${base}/after` } },
  ],
  connections: [{ from: "hook.body", to: "paid.body" }, { from: "paid.body", to: "after.body" }],
});

/** A schedule that fires only when asked (hourly). */
export const ticker = {
  id: "ticker",
  nodes: [
    { id: "tick", type: "time.interval", config: { every: "1h" } },
    { id: "stamp", type: "transform.set", config: { value: "fired at {{ $node.at }}" } },
  ],
  connections: [{ from: "tick.firedAt", to: "stamp.at" }],
};

/** A secret's value: it must never reach a preview, an inspector or a page. */
export const SECRET = "s3cr3t-token-value";
