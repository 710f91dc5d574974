/**
 * The sandbox process: a child of flow, started by `process.ts` with a heap
 * limit (`launch.ts`), that runs permission-narrowed Workers (`worker.ts`),
 * several at once, and relays their messages over Node's IPC channel (V8
 * serialization, so values keep their structured-clone form). V8's heap limit
 * holds for each Worker's heap; an out-of-memory in one Worker ends this
 * process (all its Workers), not flow.
 *
 * Protocol: every message names its Worker by a number `w` that flow picks.
 * - in `{ w, op: "start", name, permissions }` -> a new Worker, with exactly those Deno permissions;
 * - in `{ w, op: "terminate" }` -> that Worker is terminated (the others go on);
 * - in `{ w, data }` -> `data` posted to that Worker; out `{ w, data }` for each message of the Worker;
 * - out `{ w, op: "crashed", message }` when that Worker has an uncaught error.
 *
 * It ends when flow closes the channel (or ends itself). The Workers cannot
 * reach the channel (`process.send` is not available in Workers).
 *
 * @module
 */

/** A message from flow. */
interface Inbound {
  w: number;
  op?: "start" | "terminate";
  name?: string;
  permissions?: Deno.PermissionOptionsObject;
  data?: unknown;
}

/**
 * Runs this process as a sandbox process until flow disconnects; call once,
 * at start. False, doing nothing, when flow did not start it (no IPC channel).
 */
export async function runSandboxChild(): Promise<boolean> {
  const { default: process } = await import("node:process");
  if (!process.send) return false;
  const send = (msg: unknown) => process.send?.(msg);
  const workers = new Map<number, Worker>();
  process.on("message", (msg: Inbound) => {
    const { w } = msg;
    if (msg.op === "terminate") {
      workers.get(w)?.terminate();
      workers.delete(w);
    } else if (msg.op === "start") {
      const worker = new Worker(new URL("./worker.ts", import.meta.url).href, {
        type: "module",
        name: msg.name,
        deno: { permissions: msg.permissions },
      });
      worker.onmessage = (e: MessageEvent) => send({ w, data: e.data });
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        send({ w, op: "crashed", message: e.message });
      };
      workers.set(w, worker);
    } else workers.get(w)?.postMessage(msg.data);
  });
  process.on("disconnect", () => Deno.exit(0));
  return true;
}

if (import.meta.main && !(await runSandboxChild())) {
  console.error("flow: src/sandbox/child.ts runs sandboxed code for a flow process that started it");
  Deno.exit(2);
}
