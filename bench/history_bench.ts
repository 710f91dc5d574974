/**
 * The cost of history: the 10,000-node DAG of `engine_bench.ts`, run with
 * every event serialised to an NDJSON sink, without and with recording to a
 * SQLite store (WAL, in a temporary directory). The recorded run includes
 * writing the execution row before the run and waiting for its end to be
 * written after it.
 *
 * Run: `deno task bench`
 */
import { Registry, validateWorkflow } from "../mod.ts";
import { ndjsonReporter } from "../cli/reporters.ts";
import { Output } from "../cli/output.ts";
import { runRecorded } from "../src/runtime/recorded.ts";
import { Recorder } from "../src/store/recorder.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { noop, tree } from "./nodes.ts";

const N = 10_000;
const compiled = validateWorkflow({ id: "bench", ...tree(N) }, new Registry([noop]));

const devnull = Deno.openSync(Deno.build.os === "windows" ? "NUL" : "/dev/null", { write: true });
const sink = new Output(devnull);
const reporter = ndjsonReporter(sink);
const dir = Deno.makeTempDirSync({ prefix: "flow-bench-" });
const store = await openSqliteStore(`${dir}/flow.db`);
const recorder = new Recorder(store);

for (const history of [false, true]) {
  Deno.bench({
    name: `run ${N} sync no-op nodes, NDJSON events to /dev/null, history ${history ? "on" : "off"}`,
    group: "history",
    baseline: !history,
    n: 50,
    async fn() {
      const r = await runRecorded(compiled, {
        onEvent: reporter.onEvent,
        concurrency: 64,
        trigger: "cli",
        recorder: history ? recorder : undefined,
      });
      sink.flush();
      if (r.status !== "success") throw new Error(r.status);
    },
  });
}

globalThis.addEventListener("unload", () => {
  store.close();
  Deno.removeSync(dir, { recursive: true });
});
