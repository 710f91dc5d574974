/**
 * Node instances (`setup`/`dispose`): the setups of a version's nodes run at
 * once, and one that fails disposes the others and names the first failed
 * node in file order.
 */
import assert from "node:assert/strict";
import { defineNode, Registry, validateWorkflow, WorkflowValidationError } from "../mod.ts";
import { setupInstances } from "../src/engine/instances.ts";

/** A node type whose setup waits for `gate(nodeId)`, records itself, and fails for ids starting with "bad". */
function gatedType(gate: (nodeId: string) => Promise<void>, log: string[]) {
  return defineNode({
    type: "test.gated",
    description: "its setup waits for its gate",
    inputs: {},
    outputs: {},
    async setup(_config, { nodeId }) {
      await gate(nodeId);
      log.push(`setup ${nodeId}`);
      if (nodeId.startsWith("bad")) throw new Error(`${nodeId} cannot connect`);
      return nodeId;
    },
    dispose(instance) {
      log.push(`dispose ${instance}`);
    },
    run: () => ({}),
  });
}

const workflowOf = (ids: string[]) => ({
  id: "gated",
  nodes: ids.map((id) => ({ id, type: "test.gated" })),
  connections: [],
});

/** `promise`, or a rejection after `ms` naming `what`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("setups run at once: a setup that waits on a later node's does not hold it up", async () => {
  const log: string[] = [];
  const { promise: secondStarted, resolve } = Promise.withResolvers<void>();
  // "first" is set up only once "second" has begun: one after the other, in file order, this never ends.
  const gate = (id: string) => id === "first" ? secondStarted : Promise.resolve(resolve());
  const wf = validateWorkflow(workflowOf(["first", "second"]), new Registry([gatedType(gate, log)]));
  const instances = await within(setupInstances(wf), 5_000, "the setups");
  assert.deepEqual([...log].sort(), ["setup first", "setup second"]);
  await instances.dispose();
  assert.deepEqual(log.slice(2).sort(), ["dispose first", "dispose second"]);
});

Deno.test("a failed setup: the first failed node in file order is named, and the others are disposed", async () => {
  const log: string[] = [];
  const { promise: failuresDone, resolve } = Promise.withResolvers<void>();
  let failures = 0;
  // "slow" finishes after both failures; "bad2" fails before "bad1".
  const gate = async (id: string) => {
    if (id === "slow") return await failuresDone;
    if (id === "bad1") await new Promise((r) => setTimeout(r, 20));
    if (++failures === 2) queueMicrotask(resolve);
  };
  const wf = validateWorkflow(workflowOf(["slow", "bad1", "bad2"]), new Registry([gatedType(gate, log)]));
  const err = await within(setupInstances(wf).then(() => undefined, (e) => e), 5_000, "the setups");
  assert.ok(err instanceof WorkflowValidationError);
  assert.deepEqual(err.issues.map((i) => [i.path, i.message]), [
    ["nodes[1]", 'setup of "bad1" (test.gated) failed: bad1 cannot connect'],
  ]);
  assert.deepEqual(log, ["setup bad2", "setup bad1", "setup slow", "dispose slow"]);
});
