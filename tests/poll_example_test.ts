/**
 * `examples/poll-new-items.json` against the example server: it remembers
 * the highest item id it processed, so a second run processes only the items
 * the server added since.
 */
import assert from "node:assert/strict";
import { startDemoServer } from "../examples/server.ts";
import { ofType, ROOT } from "./helpers.ts";
import { eventsOf, tempState } from "./history_helpers.ts";

Deno.test("poll-new-items: the second run processes only the new items", async () => {
  await using state = await tempState();
  const server = startDemoServer();
  try {
    const poll = async () => {
      const r = await state.flow([
        "run",
        `${ROOT}examples/poll-new-items.json`,
        "-f",
        "ndjson",
        "-i",
        `base=${server.url}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const { events } = eventsOf(r);
      const completed = events.at(-1) as Extract<typeof events[number], { type: "workflow.completed" }>;
      const logged = ofType(events, "node.log").map((e) => e.message);
      return { outputs: completed.outputs, logged };
    };
    const first = await poll();
    assert.deepEqual(first.outputs, { processed: [1, 2, 3, 4, 5], cursor: 5 });
    assert.deepEqual(first.logged, [1, 2, 3, 4, 5].map((i) => `processing item ${i}: item ${i}`));

    const second = await poll();
    assert.deepEqual(second.outputs, { processed: [6, 7, 8], cursor: 8 });
    assert.deepEqual(second.logged, [6, 7, 8].map((i) => `processing item ${i}: item ${i}`));
    assert.equal(server.hits.get("/items"), 2);

    const cursor = await state.flow(["state", "get", "poll-new-items", "cursor"]);
    assert.equal(cursor.stdout, "8\n");
    // Forget the cursor and the feed is read from the start again.
    assert.equal((await state.flow(["state", "delete", "poll-new-items", "cursor"])).code, 0);
    const again = await poll();
    assert.deepEqual(again.outputs, { processed: Array.from({ length: 11 }, (_, i) => i + 1), cursor: 11 });
  } finally {
    await server.close();
  }
});
