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
import { DEFAULT_MAX_RUNS, DEFAULT_MAX_WAITING } from "../src/defaults.ts";
import { DURATION_HINT, parseDuration } from "../src/duration.ts";
import { DEFAULT_MAX_API_BODY } from "../server/limits.ts";
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

/** An integer option within bounds. */
export function intIn(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`${name}: expected an integer from ${min} to ${max}; got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `--grace`: a duration, in ms. */
function graceMs(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new CliError(`--grace: expected ${DURATION_HINT}; got ${JSON.stringify(value)}`);
  return ms;
}

/** `--grace` of the long-running commands. */
const graceOption = (): OptionDef => ({
  long: "--grace",
  value: "duration",
  description: "on SIGTERM, how long runs may finish",
  default: "30s",
  parse: graceMs,
});

/** `--format` of the list commands. */
const listFormat = (): OptionDef => ({
  long: "--format",
  short: "-f",
  value: "format",
  description: "table, json or ndjson",
  choices: ["table", "json", "ndjson"],
  default: "table",
});

/** `--db URL`: the PostgreSQL store instead of the SQLite file. */
const dbOption = (): OptionDef => ({
  long: "--db",
  value: "url",
  description: "use the PostgreSQL store at this postgres:// URL (or FLOW_DATABASE_URL)",
});

/** `--queue URL`: the Redis of the distributed mode. */
const queueOption = (what: string): OptionDef => ({
  long: "--queue",
  value: "url",
  description: `${what} (redis:// URL, or FLOW_QUEUE_URL)`,
});

/** `--node ID`: the node scope of persistent state (default the workflow-wide scope). */
const nodeScopeOption = (): OptionDef => ({
  long: "--node",
  value: "id",
  description: "a node's own scope instead of the workflow-wide one",
});

/** `--verbose`: every event's line, also in a terminal. */
const verboseOption = (): OptionDef => ({
  long: "--verbose",
  short: "-v",
  description: "print a line for every event, also in a terminal (no live status block)",
});

/** The output flags of `flow run` and `flow resume`. */
const outputOptions = (): OptionDef[] => [
  {
    long: "--format",
    short: "-f",
    value: "format",
    description: "output: pretty (people), ndjson (event stream), json (summary)",
    choices: FORMATS,
  },
  { long: "--quiet", short: "-q", description: "print nothing on success; one line on stderr on failure" },
  verboseOption(),
  { long: "--events", value: "file", description: "also append the NDJSON event stream to a file", complete: "file" },
];

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
        verboseOption(),
        {
          long: "--events",
          value: "file",
          description: "also append the NDJSON event stream to a file",
          complete: "file",
        },
        { long: "--lock", description: "refuse to start (exit 75) while another run of this workflow id is alive" },
        nodesOption("load every custom node module in a folder (repeatable; no permissions)"),
        { long: "--no-history", description: "do not record this run in the history (FLOW_HISTORY=0 does the same)" },
        {
          long: "--trigger",
          value: "id",
          description: "the trigger node that fires, for a workflow with several triggers",
        },
        {
          long: "--trigger-data",
          value: "json",
          description: "the trigger's payload as JSON, or @FILE (a webhook: { method, headers, query, body })",
        },
        {
          long: "--use-pins",
          description: "use the outputs pinned in the editor instead of calling those nodes (a test run)",
        },
      ],
      load: () => import("./commands/run.ts"),
    },
    {
      name: "resume",
      description: "run a failed, cancelled or crashed execution again, reusing what it completed",
      args: [{ name: "id", description: "execution id (or a unique prefix)" }],
      options: [
        ...outputOptions(),
        { long: "--force", description: "resume even if the workflow file changed since" },
        {
          long: "--concurrency",
          short: "-c",
          value: "n",
          description: "max nodes running at once (overrides settings.concurrency)",
          parse: positiveInt,
        },
        nodesOption("load every custom node module in a folder (repeatable; no permissions)"),
        dbOption(),
      ],
      load: () => import("./commands/resume.ts"),
    },
    {
      name: "runs",
      description: "list recent executions from the history (subcommands: show, events, prune)",
      options: [
        { long: "--workflow", short: "-w", value: "id", description: "only this workflow" },
        { long: "--status", short: "-s", value: "status", description: "only this status" },
        {
          long: "--trigger",
          short: "-t",
          value: "trigger",
          description: "only runs started by this trigger (repeatable; all: every trigger; default: all but editor)",
          repeatable: true,
        },
        {
          long: "--limit",
          short: "-n",
          value: "n",
          description: "at most this many",
          default: "20",
          parse: (v) => intIn(v, "--limit", 1, 100_000),
        },
        listFormat(),
        dbOption(),
      ],
      load: () => import("./commands/runs.ts"),
      subcommands: [
        {
          name: "show",
          description: "one execution: summary, node table, error and outputs",
          args: [{ name: "id", description: "execution id (or a unique prefix)" }],
          options: [{
            long: "--format",
            short: "-f",
            value: "format",
            description: "text or json",
            choices: ["text", "json"],
            default: "text",
          }, dbOption()],
          load: () => import("./commands/runs_show.ts"),
        },
        {
          name: "events",
          description: "an execution's events as NDJSON, as --format ndjson printed them",
          args: [{ name: "id", description: "execution id (or a unique prefix)" }],
          options: [
            {
              long: "--follow",
              short: "-F",
              description: "keep printing until a running execution ends (at a terminal: the live view of flow run)",
            },
            { long: "--verbose", short: "-v", description: "with --follow at a terminal: NDJSON, not the live view" },
            dbOption(),
          ],
          load: () => import("./commands/runs_events.ts"),
        },
        {
          name: "prune",
          description: "delete old executions and their events",
          options: [
            {
              long: "--keep",
              value: "n",
              description: "keep the newest N executions of each workflow",
              parse: (v) => intIn(v, "--keep", 0, 1_000_000_000),
            },
            { long: "--older-than", value: "duration", description: "delete executions older than this (e.g. 30d)" },
            { long: "--workflow", short: "-w", value: "id", description: "only this workflow" },
            dbOption(),
          ],
          load: () => import("./commands/runs_prune.ts"),
        },
      ],
    },
    {
      name: "state",
      description: "inspect and clear persistent node state (subcommands: list, get, delete)",
      subcommands: [
        {
          name: "list",
          description: "stored values (of one workflow, or all)",
          args: [{ name: "workflow", description: "workflow id", required: false }],
          options: [nodeScopeOption(), {
            long: "--format",
            short: "-f",
            value: "format",
            description: "table or json",
            choices: ["table", "json"],
            default: "table",
          }, dbOption()],
          load: () => import("./commands/state.ts"),
        },
        {
          name: "get",
          description: "print one value as JSON (exit 1 when there is none)",
          args: [{ name: "workflow", description: "workflow id" }, { name: "key", description: "the key" }],
          options: [nodeScopeOption(), dbOption()],
          load: () => import("./commands/state.ts"),
        },
        {
          name: "delete",
          description: "delete one key, or every value of a workflow (or of one node with --node)",
          args: [
            { name: "workflow", description: "workflow id" },
            { name: "key", description: "the key (all keys when left out)", required: false },
          ],
          options: [nodeScopeOption(), dbOption()],
          load: () => import("./commands/state.ts"),
        },
      ],
    },
    {
      name: "serve",
      description: "serve workflows: webhooks, schedules, the HTTP API and live event streams",
      args: [{
        name: "paths",
        description: "workflow files and directories (default .)",
        required: false,
        variadic: true,
        complete: "file",
      }],
      options: [
        { long: "--host", value: "host", description: "address to bind", default: "127.0.0.1" },
        {
          long: "--port",
          short: "-p",
          value: "port",
          description: "port (0 picks a free one)",
          default: "8080",
          parse: (v) => intIn(v, "--port", 0, 65535),
        },
        {
          long: "--max-runs",
          value: "n",
          description: "executions running at once",
          default: String(DEFAULT_MAX_RUNS),
          parse: (v) => intIn(v, "--max-runs", 1, 100_000),
        },
        {
          long: "--max-waiting",
          value: "n",
          description: `executions waiting beyond --max-runs (default ${DEFAULT_MAX_WAITING}; formerly --queue n)`,
          parse: (v) => intIn(v, "--max-waiting", 0, 1_000_000),
        },
        {
          long: "--queue",
          value: "url",
          description: "the distributed mode's Redis (redis:// URL, or FLOW_QUEUE_URL): enqueue for workers",
        },
        graceOption(),
        { long: "--token", value: "token", description: "API bearer token (or FLOW_API_TOKEN)" },
        {
          long: "--read-token",
          value: "token",
          description: "a second token that can only read: watch runs, start or edit nothing (or FLOW_READ_TOKEN)",
        },
        { long: "--read-only", description: "refuse every write of a workflow file (the console does not edit)" },
        { long: "--insecure-no-auth", description: "allow a non-loopback --host without a token" },
        { long: "--cors", value: "origin", description: "allow cross-origin API requests from this origin" },
        {
          long: "--max-api-body",
          value: "bytes",
          description: "largest API request body, bytes (larger: 413)",
          default: String(DEFAULT_MAX_API_BODY),
          parse: (v) => intIn(v, "--max-api-body", 1024, 1024 ** 3),
        },
        {
          long: "--allow-host",
          value: "name",
          description:
            "also answer requests whose Host is this name, e.g. behind a proxy (repeatable; or FLOW_ALLOW_HOST)",
          repeatable: true,
        },
        { long: "--no-history", description: "do not record executions" },
        { long: "--no-ui", description: "do not serve the web console at /" },
        nodesOption("load every custom node module in a folder (repeatable; no permissions)"),
        dbOption(),
      ],
      load: () => import("./commands/serve.ts"),
    },
    {
      name: "worker",
      description: "run executions from the queue (the distributed mode; see docs/scale-out.md)",
      args: [{
        name: "paths",
        description: "workflow files and directories (optional: versions come from the database)",
        required: false,
        variadic: true,
        complete: "file",
      }],
      options: [
        queueOption("take executions from this queue"),
        dbOption(),
        {
          long: "--concurrency",
          short: "-c",
          value: "n",
          description: "executions running at once",
          default: "4",
          parse: (v) => intIn(v, "--concurrency", 1, 10_000),
        },
        graceOption(),
        nodesOption("load every custom node module in a folder (repeatable; no permissions)"),
      ],
      load: () => import("./commands/worker.ts"),
    },
    {
      name: "db",
      description: "manage the PostgreSQL store (subcommand: migrate)",
      subcommands: [{
        name: "migrate",
        description: "bring the database schema up to date (also done on start)",
        options: [dbOption()],
        load: () => import("./commands/db_migrate.ts"),
      }],
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
      description: "print a workflow's graph as Mermaid, Graphviz DOT or an SVG picture",
      args: [{ name: "file", description: "workflow JSON file", complete: "file" }],
      options: [
        {
          long: "--format",
          short: "-f",
          value: "format",
          description: "mermaid, dot or svg (laid out and coloured as in the console)",
          choices: ["mermaid", "dot", "svg"],
          default: "mermaid",
        },
        { long: "--run", value: "id", description: "with --format svg: colour the nodes by this execution's result" },
        dbOption(),
      ],
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
