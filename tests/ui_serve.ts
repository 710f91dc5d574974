/**
 * A real `flow serve` for the console's browser tests: the CLI as a
 * subprocess on a free port over a temporary copy of some examples, an
 * invalid workflow and a 500-node one, beside the example HTTP server.
 *
 * @module
 */
import { type DemoServer, startDemoServer } from "../examples/server.ts";
import { ROOT, spawnCli } from "./helpers.ts";

/**
 * Whether the browser tests write their screenshots into docs/ (`FLOW_UPDATE_SCREENSHOTS=1`); otherwise they go
 * to a temporary folder, so an ordinary test run leaves the repository as it was.
 */
export const UPDATE_SCREENSHOTS: boolean = Deno.env.get("FLOW_UPDATE_SCREENSHOTS") === "1";

/** Where screenshot `name` of docs folder `docsDir` (e.g. `docs/ui/`) goes; see {@linkcode UPDATE_SCREENSHOTS}. */
export async function screenshotPath(docsDir: string, name: string): Promise<string> {
  if (UPDATE_SCREENSHOTS) {
    await Deno.mkdir(docsDir, { recursive: true });
    return `${docsDir}${name}.png`;
  }
  const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/flow-screenshots`;
  await Deno.mkdir(dir, { recursive: true });
  return `${dir}/${name}.png`;
}

/** A running server and what it serves. */
export interface ConsoleServer extends AsyncDisposable {
  /** The console's URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The example HTTP server. */
  demo: DemoServer;
  /** The workflows' folder. */
  dir: string;
  /** What the server wrote on stderr so far. */
  stderr(): string;
}

/** Examples copied into the served folder. */
const EXAMPLES = ["linear.json", "loop.json", "retry.json", "subworkflow.json", "sub/fetch_user.json"];

/** A workflow of `n` nodes: 25 chains of `n / 25` with links between neighbouring chains. */
export function bigWorkflow(n = 500): unknown {
  const nodes = [];
  const connections = [{ from: "$inputs.seed", to: "n0.value" }];
  const chain = Math.ceil(n / 25);
  for (let i = 0; i < n; i++) {
    nodes.push({ id: `n${i}`, type: "transform.set", config: i % chain === 0 && i > 0 ? { value: i } : {} });
    if (i % chain !== 0) connections.push({ from: `n${i - 1}.value`, to: `n${i}.value` });
  }
  return { id: "big", name: `${n} nodes`, inputs: { seed: { type: "any", default: 0 } }, nodes, connections };
}

/** A loop over `items` items with a one-node body: four events per item, as fast as the engine goes. */
export function burstWorkflow(items = 3000): unknown {
  return {
    id: "burst",
    name: `A loop of ${items} tiny iterations (event rate)`,
    inputs: { items: { type: "array", default: Array.from({ length: items }, (_, i) => i) } },
    nodes: [{
      id: "each",
      type: "control.loop",
      config: {
        concurrency: 8,
        workflow: {
          nodes: [{ id: "echo", type: "transform.set", config: { value: "{{ $inputs.item }}" } }],
          connections: [],
          outputs: { v: "echo.value" },
        },
      },
    }],
    connections: [{ from: "$inputs.items", to: "each.items" }],
    outputs: { results: "each.results" },
  };
}

/** Starts the demo server and `flow serve` on a temporary folder; `await using` stops both. */
export async function startConsoleServer(): Promise<ConsoleServer> {
  const demo = startDemoServer();
  const dir = await Deno.makeTempDir({ prefix: "flow-ui-test-" });
  const state = await Deno.makeTempDir({ prefix: "flow-ui-state-" });
  await Deno.mkdir(`${dir}/sub`);
  for (const f of EXAMPLES) await Deno.copyFile(`${ROOT}examples/${f}`, `${dir}/${f}`);
  await Deno.writeTextFile(
    `${dir}/broken.json`,
    JSON.stringify({ id: "broken", nodes: [{ id: "x", type: "no.such_type" }], connections: [] }),
  );
  await Deno.writeTextFile(`${dir}/big.json`, JSON.stringify(bigWorkflow()));
  await Deno.writeTextFile(`${dir}/burst.json`, JSON.stringify(burstWorkflow()));
  const child = spawnCli(["serve", dir, "--port", "0"], { FLOW_STATE_DIR: state });
  let err = "";
  const errDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  reader.releaseLock();
  const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await errDone.catch(() => {});
    await demo.close();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(state, { recursive: true });
  };
  if (!url) {
    await stop();
    throw new Error(`flow serve did not start: ${out}${err}`);
  }
  return { url, demo, dir, stderr: () => err, [Symbol.asyncDispose]: stop };
}
