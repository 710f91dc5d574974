/**
 * Help text generated from the command table, laid out like commander's
 * (usage line, description, then arguments, options and commands in aligned
 * columns, wrapped at 80 characters).
 *
 * @module
 */
import { HELP_OPTION } from "./args.ts";
import { argTerm, type CommandDef, optionTerm } from "./spec.ts";

const WIDTH = 80;

/** The help of `command`, reached by `path` (its names below the root) from the root `program`. */
export function helpText(program: string, path: string[], command: CommandDef): string {
  const name = [program, ...path].join(" ");
  const args = command.args ?? [];
  const usage = [name, "[options]", ...(command.subcommands ? ["[command]"] : args.map(argTerm))].join(" ");
  const sections: [string, [string, string][]][] = [
    ["Arguments:", args.map((a) => [a.name, withExtras(a.description, a.choices, a.default)])],
    [
      "Options:",
      [...(command.options ?? []), HELP_OPTION].map((
        o,
      ) => [optionTerm(o), withExtras(o.description, o.choices, o.default)]),
    ],
    [
      "Commands:",
      command.subcommands
        ? [
          ...command.subcommands.map((c): [string, string] => [commandTerm(c), c.description]),
          ["help [command]", "display help for command"],
        ]
        : [],
    ],
  ];
  const termWidth = Math.max(0, ...sections.flatMap(([, items]) => items.map(([term]) => term.length)));
  const out = [`Usage: ${usage}`, "", wrap(command.description, WIDTH).join("\n")];
  for (const [title, items] of sections) {
    if (items.length === 0) continue;
    out.push("", title);
    for (const [term, description] of items) out.push(item(term, termWidth, description));
  }
  return out.join("\n") + "\n";
}

/** How a command shows in its parent's list: `run [options] <file>`. */
function commandTerm(command: CommandDef): string {
  const parts = [command.name];
  if (command.options?.length) parts.push("[options]");
  if (command.subcommands) parts.push("[command]");
  else parts.push(...(command.args ?? []).map(argTerm));
  return parts.join(" ");
}

function withExtras(description: string, choices?: readonly string[], fallback?: string): string {
  const extras = [
    ...(choices ? [`choices: ${choices.map((c) => JSON.stringify(c)).join(", ")}`] : []),
    ...(fallback !== undefined ? [`default: ${JSON.stringify(fallback)}`] : []),
  ];
  return extras.length ? `${description} (${extras.join(", ")})` : description;
}

/** One aligned line (or more, wrapped) of a help section. */
function item(term: string, termWidth: number, description: string): string {
  const lines = wrap(description, WIDTH - termWidth - 4);
  const indent = " ".repeat(termWidth + 4);
  return `  ${term.padEnd(termWidth)}  ${lines.join(`\n${indent}`)}`.trimEnd();
}

/** Splits text into lines of at most `width` characters at spaces (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += " " + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines;
}
