/**
 * The sandbox process: a child of flow, started by `process.ts` with a heap
 * limit (`launch.ts`), that runs the permission-narrowed Worker (`worker.ts`)
 * and relays its messages over Node's IPC channel (V8 serialization, so
 * values keep their structured-clone form). An out-of-memory in the Worker
 * ends this process, not flow.
 *
 * Protocol (besides the Worker's own messages, relayed both ways as they are):
 * - in, first: `{ op: "start", name, permissions }` -> the Worker, with exactly those Deno permissions;
 * - out: `{ op: "crashed", message }` when the Worker has an uncaught error.
 *
 * It ends when flow closes the channel (or ends itself). The Worker cannot
 * reach the channel (`process.send` is not available in Workers).
 *
 * @module
 */

/** The start message. */
interface Start {
  op: "start";
  name: string;
  permissions: Deno.PermissionOptionsObject;
}

/**
 * Runs this process as a sandbox process until flow disconnects; call once,
 * at start. False, doing nothing, when flow did not start it (no IPC channel).
 */
export async function runSandboxChild(): Promise<boolean> {
  const { default: process } = await import("node:process");
  if (!process.send) return false;
  const send = (msg: unknown) => process.send?.(msg);
  let worker: Worker | undefined;
  process.on("message", (msg: Start | Record<string, unknown>) => {
    if (worker) return worker.postMessage(msg);
    const start = msg as Start;
    worker = new Worker(new URL("./worker.ts", import.meta.url).href, {
      type: "module",
      name: start.name,
      deno: { permissions: start.permissions },
    });
    worker.onmessage = (e: MessageEvent) => send(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      send({ op: "crashed", message: e.message });
    };
  });
  process.on("disconnect", () => Deno.exit(0));
  return true;
}

if (import.meta.main && !(await runSandboxChild())) {
  console.error("flow: src/sandbox/child.ts runs sandboxed code for a flow process that started it");
  Deno.exit(2);
}
