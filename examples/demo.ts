/**
 * Quick-start demo: starts the local example server, runs an example workflow
 * with the real CLI against it, and exits with the CLI's exit code.
 *
 * Usage: `deno task demo [example] [flow run flags...]` where example is one of
 * linear (default), fanout, retry, continue, branch, loop, subworkflow,
 * custom-node, secrets, poll-new-items, code-node.
 *
 * `poll-new-items` runs twice, with a fresh state directory: the first run
 * processes the feed's first items and remembers the highest id; the server
 * then serves more, and the second run processes only those.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { startDemoServer } from "./server.ts";

const EXAMPLES: Record<string, (base: string) => string[]> = {
  branch: (b) => ["--input", `url=${b}/status/404`],
  loop: (b) => [
    "--input-json",
    JSON.stringify({ urls: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => i === 5 ? `${b}/status/500` : `${b}/users/${i}`) }),
  ],
  subworkflow: (b) => ["--input", `base=${b}`],
  "custom-node": (b) => ["--input", `url=${b}/zen.json`],
  secrets: (b) => ["--input", `url=${b}/echo`],
  linear: (b) => ["--input", `url=${b}/zen.json`],
  fanout: (b) => ["--input", `a=${b}/slow?ms=300`, "--input", `b=${b}/users/1`, "--input", `c=${b}/zen.json`],
  retry: (b) => ["--input", `url=${b}/flaky/demo?fail=2`],
  "poll-new-items": (b) => ["--input", `base=${b}`],
  continue: (b) => ["--input", `good=${b}/users/2`, "--input", `bad=${b}/status/500`],
  "code-node": () => [],
};

const [name = "linear", ...flags] = Deno.args;
if (!(name in EXAMPLES)) {
  console.error(`demo: unknown example "${name}"; expected one of ${Object.keys(EXAMPLES).join(", ")}`);
  Deno.exit(2);
}
const server = startDemoServer();
const file = fileURLToPath(
  new URL(name === "custom-node" ? "./custom-node/workflow.json" : `./${name}.json`, import.meta.url),
);
const cli = fileURLToPath(new URL("../cli.ts", import.meta.url));
const polls = name === "poll-new-items";
// The poll example remembers a cursor: give it a state directory of its own so the demo starts from nothing.
const stateDir = polls ? await Deno.makeTempDir({ prefix: "flow-demo-" }) : undefined;
let code = 0;
for (let run = 1; run <= (polls ? 2 : 1) && code === 0; run++) {
  if (polls) console.log(`\n=== run ${run} ===`);
  const status = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      cli,
      "run",
      file,
      ...EXAMPLES[name](server.url),
      ...flags,
    ],
    stdin: "null",
    env: {
      API_TOKEN: Deno.env.get("API_TOKEN") ?? "demo-secret-token",
      ...(stateDir ? { FLOW_STATE_DIR: stateDir } : {}),
    },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  code = status.code;
}
await server.close();
if (stateDir) await Deno.remove(stateDir, { recursive: true });
Deno.exit(code);
