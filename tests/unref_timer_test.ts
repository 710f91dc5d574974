/** unrefTimeout: fires on time while the process lives, can be cancelled, never keeps the process alive. */
import assert from "node:assert/strict";
import { unrefTimeout } from "../src/unref_timer.ts";
import { ROOT } from "./helpers.ts";

Deno.test("unrefTimeout calls back after its delay, once; a cancelled one never does", async () => {
  const start = performance.now();
  let calls = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  unrefTimeout(30, () => {
    calls++;
    resolve();
  });
  let cancelledCalls = 0;
  const cancel = unrefTimeout(10, () => cancelledCalls++);
  cancel();
  cancel(); // twice is harmless
  // Keep this test's process busy on a ref'd timer past both delays.
  await Promise.all([promise, new Promise((r) => setTimeout(r, 80))]);
  assert.ok(performance.now() - start >= 29, "not before its delay");
  assert.equal(calls, 1);
  assert.equal(cancelledCalls, 0);
});

/** Runs a script in a fresh Deno process; resolves to its stdout and wall time. */
async function script(code: string): Promise<{ stdout: string; ms: number; code: number }> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, code.replaceAll("UNREF_TIMER", `${ROOT}src/unref_timer.ts`));
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", file], stdout: "piped", stderr: "piped" })
    .output();
  await Deno.remove(file);
  return { stdout: new TextDecoder().decode(out.stdout), ms: performance.now() - start, code: out.code };
}

Deno.test("a pending unrefTimeout does not keep the process alive", async () => {
  const r = await script(`
    import { unrefTimeout } from "UNREF_TIMER";
    unrefTimeout(60_000, () => console.log("fired"));
    console.log("done");
  `);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "done\n");
  assert.ok(r.ms < 30_000, `the process waited for the timer (${r.ms} ms)`);
});

Deno.test("unrefTimeout fires while the process waits for I/O (here: a socket only the timer closes)", async () => {
  const r = await script(`
    import { unrefTimeout } from "UNREF_TIMER";
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const client = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
    const server = await listener.accept();
    unrefTimeout(50, () => {
      console.log("fired");
      server.close();
      listener.close();
    });
    await client.read(new Uint8Array(1)).catch(() => null);
    client.close();
    console.log("read ended");
  `);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "fired\nread ended\n");
});
