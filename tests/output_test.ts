import assert from "node:assert/strict";
import { Output } from "../cli/output.ts";

/** A writer that records writes, accepts at most `chunk` bytes a call, and can act as a closed pipe. */
function fakeWriter(chunk = Infinity) {
  const writes: string[] = [];
  let broken = false;
  return {
    writes,
    breakPipe: () => broken = true,
    writeSync(p: Uint8Array): number {
      if (broken) throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
      const n = Math.min(p.length, chunk);
      writes.push(new TextDecoder().decode(p.subarray(0, n)));
      return n;
    },
  };
}

Deno.test("Output buffers small writes and flushes them as one write", () => {
  const w = fakeWriter();
  const out = new Output(w);
  out.write("a");
  out.write("b");
  assert.deepEqual(w.writes, [], "nothing written yet");
  out.flush();
  assert.deepEqual(w.writes, ["ab"]);
});

Deno.test("Output writes through at 64 KiB and completes partial writes", () => {
  const w = fakeWriter(10_000);
  const out = new Output(w);
  out.write("x".repeat(70_000));
  assert.equal(w.writes.join("").length, 70_000, "flushed without waiting, in several partial writes");
  assert.ok(w.writes.length >= 7);
});

Deno.test("Output unbuffered writes immediately", () => {
  const w = fakeWriter();
  const out = new Output(w, false);
  out.write("now");
  assert.deepEqual(w.writes, ["now"]);
});

Deno.test("a broken pipe closes the Output quietly; later writes are dropped", () => {
  const w = fakeWriter();
  const out = new Output(w);
  out.write("first");
  out.flush();
  w.breakPipe();
  out.write("second");
  out.flush(); // must not throw
  assert.ok(out.closed);
  out.write("third");
  out.flush();
  assert.deepEqual(w.writes, ["first"]);
});

Deno.test("Output flushes on its own on the next macrotask", async () => {
  const w = fakeWriter();
  const out = new Output(w);
  out.write("later");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(w.writes, ["later"]);
});
