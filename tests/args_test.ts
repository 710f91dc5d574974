import assert from "node:assert/strict";
import { parseCommandLine } from "../cli/args.ts";
import { PROGRAM } from "../cli/commands.ts";
import { commandSpecs } from "../cli/completions.ts";
import { CliError } from "../cli/exit_codes.ts";
import { helpText } from "../cli/help.ts";
import type { CommandDef } from "../cli/spec.ts";

const noop = () => Promise.resolve({ default: () => 0 });

/** A program with a nested group, as `flow runs show ID` will be. */
const program: CommandDef = {
  name: "tool",
  description: "a test program",
  options: [{ long: "--version", short: "-V", description: "print the version" }],
  subcommands: [
    {
      name: "runs",
      description: "past runs",
      subcommands: [
        {
          name: "show",
          description: "show one run",
          args: [{ name: "id", description: "execution id" }],
          options: [{ long: "--json", description: "as JSON" }],
          load: noop,
        },
        {
          name: "prune",
          description: "delete old runs",
          options: [{ long: "--keep", short: "-k", value: "n", description: "runs to keep", parse: Number }],
          load: noop,
        },
      ],
    },
    {
      name: "go",
      description: "go",
      args: [{ name: "files", description: "files", variadic: true }],
      options: [
        { long: "--quiet", short: "-q", description: "quiet" },
        { long: "--format", short: "-f", value: "format", description: "fmt", choices: ["a", "b"] },
        { long: "--tag", short: "-t", value: "tag", description: "tag", repeatable: true },
      ],
      load: noop,
    },
  ],
};

const run = (argv: string[]) => {
  const parsed = parseCommandLine(program, argv);
  assert.equal(parsed.kind, "run");
  return parsed.kind === "run" ? parsed.invocation : undefined!;
};

const usage = (argv: string[]) => {
  try {
    parseCommandLine(program, argv);
  } catch (err) {
    assert.ok(err instanceof CliError);
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail(`expected a usage error for ${argv.join(" ")}`);
};

Deno.test("the parser reads options anywhere, clusters, = values and --", () => {
  assert.deepEqual(run(["go", "-qf", "a", "x", "--tag=1", "-t2", "--", "-y"]), {
    path: ["go"],
    args: { files: ["x", "-y"] },
    options: { quiet: true, format: "a", tag: ["1", "2"] },
  });
  assert.deepEqual(run(["go", "-", "-t", "-1"]).options.tag, ["-1"], "a value may start with a dash");
  assert.deepEqual(run(["go", "-"]).args.files, ["-"], "- is an argument");
});

Deno.test("nested subcommands: arguments, parsed option values, help of a group", () => {
  assert.deepEqual(run(["runs", "show", "abc", "--json"]), {
    path: ["runs", "show"],
    args: { id: "abc" },
    options: { json: true },
  });
  assert.equal(run(["runs", "prune", "-k", "3"]).options.keep, 3);
  const group = parseCommandLine(program, ["runs"]);
  assert.deepEqual(group.kind === "help" && [group.path, group.error], [["runs"], true], "a group alone: help, exit 2");
  const asked = parseCommandLine(program, ["help", "runs", "show"]);
  assert.deepEqual(asked.kind === "help" && [asked.path, asked.error], [["runs", "show"], false]);
  const text = helpText("tool", ["runs"], program.subcommands![0]);
  assert.match(text, /^Usage: tool runs \[options\] \[command\]\n/);
  assert.match(text, /\n {2}show \[options\] <id>\s+show one run\n/);
  assert.deepEqual(parseCommandLine(program, ["--version"]), { kind: "version" });
});

Deno.test("usage errors are one line, with a suggestion where one is close", () => {
  assert.equal(usage(["rnus"]), "unknown command 'rnus'\n(Did you mean runs?)");
  assert.equal(usage(["runs", "shwo"]), "unknown command 'shwo'\n(Did you mean show?)");
  assert.equal(usage(["go", "--quite"]), "unknown option '--quite'\n(Did you mean --quiet?)");
  assert.equal(usage(["go", "--quiet=yes"]), "unknown option '--quiet=yes'");
  assert.equal(usage(["go", "-f"]), "option '-f, --format <format>' argument missing");
  assert.equal(
    usage(["go", "-f", "c"]),
    "option '-f, --format <format>' argument 'c' is invalid. Allowed choices are a, b.",
  );
  assert.equal(usage(["runs", "show"]), "missing required argument 'id'");
  assert.equal(
    usage(["runs", "show", "a", "b"]),
    "too many arguments for 'runs show'. Expected 1 argument but got 2: a, b.",
  );
});

Deno.test("help and completions come from the same table as parsing", () => {
  for (const command of PROGRAM.subcommands!) {
    const text = helpText("flow", [command.name], command);
    for (const option of command.options ?? []) assert.ok(text.includes(option.long), `${command.name} ${option.long}`);
  }
  const specs = commandSpecs(program);
  assert.deepEqual(specs.find((c) => c.name === "runs")?.args, ["show", "prune"]);
  assert.deepEqual(specs.find((c) => c.name === "go")?.options.map((o) => o.long), [
    "--quiet",
    "--format",
    "--tag",
    "--help",
  ]);
});
