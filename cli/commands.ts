/**
 * The command table: every command, argument and option of `flow`. Parsing,
 * help and shell completions are generated from it, and each command's code
 * lives in its own module under `cli/commands/`, loaded only when that
 * command runs.
 *
 * To add a command, write `cli/commands/NAME.ts` (a default export taking an
 * {@linkcode Invocation} and resolving to the exit code) and add an entry
 * here; nest entries under `subcommands` for `flow GROUP NAME`.
 *
 * @module
 */
import { CliError } from "./exit_codes.ts";
import type { CommandDef, Invocation, OptionDef } from "./spec.ts";

export type { Invocation };

/** The output formats of `flow run`. */
export const FORMATS = ["pretty", "ndjson", "json"] as const;

/** The shells `flow completions` knows. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** `--concurrency`: an integer from 1 to 10000. */
function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10000) {
    throw new CliError(`--concurrency: expected an integer from 1 to 10000; got ${JSON.stringify(value)}`);
  }
  return n;
}

const nodesOption = (description: string): OptionDef => ({
  long: "--nodes",
  value: "dir",
  description,
  repeatable: true,
  complete: "dir",
});

/** The `flow` program: its global options and its commands. */
export const PROGRAM: CommandDef = {
  name: "flow",
  description: "Run workflows of nodes joined by named ports: validated first, parallel, streamed as events.",
  options: [{ long: "--version", short: "-V", description: "print the flow and Deno versions" }],
  subcommands: [
    {
      name: "run",
      description: "validate and run a workflow file (- reads it from stdin)",
      args: [{ name: "file", description: "workflow JSON file, or - for stdin", complete: "file" }],
      options: [
        {
          long: "--format",
          short: "-f",
          value: "format",
          description: "output: pretty (people), ndjson (event stream), json (summary)",
          choices: FORMATS,
        },
        {
          long: "--input",
          short: "-i",
          value: "name=value",
          description: "set a workflow input (repeatable)",
          repeatable: true,
        },
        { long: "--input-json", value: "json", description: "set workflow inputs from a JSON object" },
        {
          long: "--input-file",
          value: "file",
          description: "set workflow inputs from a JSON file holding an object",
          complete: "file",
        },
        {
          long: "--concurrency",
          short: "-c",
          value: "n",
          description: "max nodes running at once (overrides settings.concurrency)",
          parse: positiveInt,
        },
        { long: "--quiet", short: "-q", description: "print nothing on success; one line on stderr on failure" },
        {
          long: "--events",
          value: "file",
          description: "also append the NDJSON event stream to a file",
          complete: "file",
        },
        { long: "--lock", description: "refuse to start (exit 75) while another run of this workflow id is alive" },
        nodesOption("load every custom node module in a folder (repeatable; no permissions)"),
      ],
      load: () => import("./commands/run.ts"),
    },
    {
      name: "validate",
      description: "check workflow files without running them; all problems are listed",
      args: [{ name: "files", description: "workflow JSON files", variadic: true, complete: "file" }],
      options: [nodesOption("load every custom node module in a folder (repeatable)")],
      load: () => import("./commands/validate.ts"),
    },
    {
      name: "nodes",
      description: "list the available node types (with a workflow's imports and --nodes folders)",
      args: [{
        name: "file",
        description: "a workflow whose imported node modules are listed too",
        required: false,
        complete: "file",
      }],
      options: [
        { long: "--json", description: "print as JSON (ports and config JSON Schema)" },
        nodesOption("also list the node modules in a folder (repeatable)"),
      ],
      load: () => import("./commands/nodes.ts"),
    },
    {
      name: "graph",
      description: "print a workflow's graph as Mermaid or Graphviz DOT",
      args: [{ name: "file", description: "workflow JSON file", complete: "file" }],
      options: [{
        long: "--format",
        short: "-f",
        value: "format",
        description: "mermaid or dot",
        choices: ["mermaid", "dot"],
        default: "mermaid",
      }],
      load: () => import("./commands/graph.ts"),
    },
    {
      name: "schema",
      description: "print the JSON Schema of the workflow file",
      load: () => import("./commands/schema.ts"),
    },
    {
      name: "init",
      description: "write a starter workflow (with a $schema reference for editors) into a directory",
      args: [{ name: "dir", description: "target directory", required: false, default: ".", complete: "dir" }],
      options: [{ long: "--force", description: "overwrite existing files" }],
      load: () => import("./commands/init.ts"),
    },
    {
      name: "completions",
      description: "print a shell completion script",
      args: [{ name: "shell", description: "bash, zsh or fish", choices: SHELLS }],
      load: () => import("./commands/completions.ts"),
    },
  ],
};
