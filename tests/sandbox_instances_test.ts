/**
 * Node instances of sandboxed custom nodes: `setup` and `dispose` run inside
 * the module's Worker, `ctx.instance` is the instance there, and a Worker
 * restarted after a hung node gets its instances set up again.
 */
import assert from "node:assert/strict";
import { builtinRegistry, loadWorkflow, type RunResult, runWorkflow } from "../mod.ts";
import { type NodeInstances, setupInstances } from "../src/engine/instances.ts";
import { writeWorkflow } from "./helpers.ts";

const MODULE = `
let setups = 0;
const disposed = [];
export const counter = {
  type: "sx.counter",
  description: "counts runs in its instance",
  inputs: { busy: { type: "boolean", required: false } },
  outputs: { instance: { type: "string" }, runs: { type: "number" }, setups: { type: "number" } },
  setup(config, info) {
    setups++;
    return { id: info.nodeId + "#" + setups, runs: 0 };
  },
  dispose(instance) {
    disposed.push(instance.id);
  },
  run({ instance, inputs }) {
    if (inputs.busy) for (;;) {} // hangs the Worker: it is restarted
    if (!instance) return { instance: "none" };
    instance.runs++;
    return { instance: instance.id, runs: instance.runs, setups };
  },
};
export const report = {
  type: "sx.disposed",
  description: "what was disposed in this Worker",
  inputs: {},
  outputs: { disposed: { type: "array" } },
  run: () => ({ disposed: [...disposed] }),
};
`;

Deno.test("sandboxed custom nodes: setup once, ctx.instance across runs, dispose, re-setup after a restart", async () => {
  // With concurrency 1, "c" runs right after "h"; when "h" hangs, its Worker is restarted first.
  const file = await writeWorkflow({
    imports: ["./sx.ts"],
    inputs: { busy: { type: "boolean", default: false } },
    nodes: [
      { id: "h", type: "sx.counter", timeoutMs: 300, onError: "continue" },
      { id: "c", type: "sx.counter" },
      { id: "r", type: "sx.disposed" },
    ],
    connections: [{ from: "$inputs.busy", to: "h.busy" }],
    outputs: { instance: "c.instance", runs: "c.runs", setups: "c.setups", disposed: "r.disposed" },
    settings: { concurrency: 1 },
  });
  await Deno.writeTextFile(file.replace(/wf\.json$/, "sx.ts"), MODULE);
  const loaded = await loadWorkflow(file, builtinRegistry());
  const run = async (instances: NodeInstances, busy = false): Promise<RunResult> => {
    const result = await runWorkflow(loaded, { inputs: { busy }, instances });
    assert.equal(result.nodes.find((n) => n.id === "c")?.status, "completed", JSON.stringify(result));
    return result;
  };
  try {
    const instances = await setupInstances(loaded);
    for (let i = 1; i <= 3; i++) {
      assert.deepEqual((await run(instances)).outputs, { instance: "c#2", runs: i, setups: 2, disposed: [] });
    }
    // "h" hangs: its Worker is restarted and sets both instances up again (its own count starts over).
    const hung = await run(instances, true);
    assert.equal(hung.nodes.find((n) => n.id === "h")?.error?.code, "TIMEOUT");
    assert.deepEqual(hung.outputs, { instance: "c#2", runs: 1, setups: 2, disposed: [] });
    assert.deepEqual((await run(instances)).outputs, { instance: "c#2", runs: 2, setups: 2, disposed: [] });

    await instances.dispose();
    const none = { get: () => undefined, dispose: () => Promise.resolve() };
    assert.deepEqual((await run(none)).outputs, { instance: "none", disposed: ["h#1", "c#2"] });
  } finally {
    loaded.close();
  }
});
