/**
 * Quick-start demo: starts the local example server, runs an example workflow
 * with the real CLI against it, and exits with the CLI's exit code.
 *
 * Usage: `deno task demo [example] [flow run flags...]` where example is one of
 * linear (default), fanout, retry, continue, branch, loop, subworkflow,
 * custom-node, secrets.
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
  continue: (b) => ["--input", `good=${b}/users/2`, "--input", `bad=${b}/status/500`],
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
const status = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--quiet",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    cli,
    "run",
    file,
    ...EXAMPLES[name](server.url),
    ...flags,
  ],
  stdin: "null",
  env: { API_TOKEN: Deno.env.get("API_TOKEN") ?? "demo-secret-token" },
  stdout: "inherit",
  stderr: "inherit",
}).spawn().status;
await server.close();
Deno.exit(status.code);
