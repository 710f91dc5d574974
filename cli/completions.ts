/**
 * Shell completion scripts (bash, zsh, fish), generated from the command
 * table (`commands.ts`) so they never drift from `--help`.
 *
 * @module
 */
import { HELP_OPTION } from "./args.ts";
import type { SHELLS } from "./commands.ts";
import type { CommandDef } from "./spec.ts";

/** What completion needs to know about one option. */
export interface OptionSpec {
  /** `--long` form. */
  long?: string;
  /** `-s` form. */
  short?: string;
  /** Whether it takes a value. */
  takesValue: boolean;
  /** Allowed values, if fixed. */
  choices?: readonly string[];
  /** Whether the value is a file path. */
  file?: boolean;
  /** Help text. */
  description: string;
}

/** What completion needs to know about one command. */
export interface CommandSpec {
  /** Command name. */
  name: string;
  /** Help text. */
  description: string;
  /** Options. */
  options: OptionSpec[];
  /** Positional arguments complete as files (`file`), directories (`dir`), fixed words or nothing. */
  args: "file" | "dir" | "none" | readonly string[];
}

/** Renders the completion script for `shell` from the program's command table. */
export function completionScript(shell: typeof SHELLS[number], program: CommandDef): string {
  const commands = commandSpecs(program);
  return shell === "bash" ? bash(commands) : shell === "zsh" ? zsh(commands) : fish(commands);
}

/**
 * What completion needs of each command: its options (with `--help`) and
 * what its arguments complete as (a group's arguments are its subcommands).
 */
export function commandSpecs(program: CommandDef): CommandSpec[] {
  return (program.subcommands ?? []).map((c) => {
    const first = c.args?.[0];
    return {
      name: c.name,
      description: c.description,
      args: c.subcommands
        ? c.subcommands.map((s) => s.name)
        : first?.choices ?? (first?.complete === "dir" ? "dir" : first?.complete === "file" ? "file" : "none"),
      options: [...(c.options ?? []), HELP_OPTION].map((o) => ({
        long: o.long,
        short: o.short,
        takesValue: o.value !== undefined,
        choices: o.choices,
        file: o.complete !== undefined,
        description: o.description,
      })),
    };
  });
}

const flags = (o: OptionSpec) => [o.long, o.short].filter((f): f is string => !!f);
const sq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function bash(commands: CommandSpec[]): string {
  const cases = commands.map((c) => {
    const valueCases = c.options.filter((o) => o.takesValue).map((o) => {
      const reply = o.choices
        ? `COMPREPLY=( $(compgen -W ${sq(o.choices.join(" "))} -- "$cur") )`
        : o.file
        ? `COMPREPLY=( $(compgen -f -- "$cur") )`
        : "COMPREPLY=()";
      return `        ${flags(o).join("|")}) ${reply}; return ;;`;
    });
    const words = c.options.flatMap(flags).join(" ");
    const positional = Array.isArray(c.args)
      ? `COMPREPLY=( $(compgen -W ${sq((c.args as string[]).join(" "))} -- "$cur") )`
      : c.args === "file"
      ? `COMPREPLY=( $(compgen -f -- "$cur") )`
      : c.args === "dir"
      ? `COMPREPLY=( $(compgen -d -- "$cur") )`
      : "COMPREPLY=()";
    return [
      `    ${c.name})`,
      ...(valueCases.length ? ['      case "$prev" in', ...valueCases, "      esac"] : []),
      `      if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W ${sq(words)} -- "$cur") ); else ${positional}; fi`,
      "      ;;",
    ].join("\n");
  });
  return `# bash completion for flow. Install: flow completions bash > /etc/bash_completion.d/flow
_flow() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( $(compgen -W ${sq([...commands.map((c) => c.name), "--help", "--version"].join(" "))} -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join("\n")}
  esac
}
complete -o filenames -o bashdefault -F _flow flow
`;
}

function zsh(commands: CommandSpec[]): string {
  const esc = (s: string) =>
    s.replaceAll("'", "'\\''").replaceAll("[", "\\[").replaceAll("]", "\\]").replaceAll(":", "\\:");
  const fns = commands.map((c) => {
    const specs = c.options.map((o) => {
      const action = o.takesValue ? `:value:${o.choices ? `(${o.choices.join(" ")})` : o.file ? "_files" : ""}` : "";
      const names = flags(o);
      const head = names.length > 1 ? `'(${names.join(" ")})'{${names.join(",")}}'` : `'${names[0]}`;
      return `    ${head}[${esc(o.description)}]${action}'`;
    });
    const positional = Array.isArray(c.args)
      ? `'*:arg:(${(c.args as string[]).join(" ")})'`
      : c.args === "file"
      ? "'*:file:_files'"
      : c.args === "dir"
      ? "'*:directory:_files -/'"
      : "";
    return `_flow_${c.name}() {\n  _arguments \\\n${
      [...specs, ...(positional ? [`    ${positional}`] : [])].join(" \\\n")
    }\n}`;
  });
  const list = commands.map((c) => `    '${c.name}:${esc(c.description)}'`).join("\n");
  return `#compdef flow
# zsh completion for flow. Install: flow completions zsh > "\${fpath[1]}/_flow"
${fns.join("\n\n")}

_flow() {
  local -a commands
  commands=(
${list}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd="\${words[2]}"
  shift words
  (( CURRENT-- ))
  if (( $+functions[_flow_$cmd] )); then
    _flow_$cmd
  fi
}

if [[ "\${funcstack[1]}" = "_flow" ]]; then
  _flow "$@"
else
  compdef _flow flow
fi
`;
}

function fish(commands: CommandSpec[]): string {
  const lines = [
    "# fish completion for flow. Install: flow completions fish > ~/.config/fish/completions/flow.fish",
    "complete -c flow -f",
    `complete -c flow -n __fish_use_subcommand -l help -s h -d 'show help'`,
    `complete -c flow -n __fish_use_subcommand -l version -s V -d 'print the flow and Deno versions'`,
  ];
  for (const c of commands) {
    lines.push(`complete -c flow -n __fish_use_subcommand -a ${c.name} -d ${sq(c.description)}`);
    const when = `'__fish_seen_subcommand_from ${c.name}'`;
    for (const o of c.options) {
      const parts = [`complete -c flow -n ${when}`];
      if (o.long) parts.push(`-l ${o.long.replace(/^--/, "")}`);
      if (o.short) parts.push(`-s ${o.short.replace(/^-/, "")}`);
      if (o.takesValue) parts.push(o.choices ? `-x -a ${sq(o.choices.join(" "))}` : o.file ? "-r -F" : "-x");
      parts.push(`-d ${sq(o.description)}`);
      lines.push(parts.join(" "));
    }
    if (Array.isArray(c.args)) lines.push(`complete -c flow -n ${when} -x -a ${sq((c.args as string[]).join(" "))}`);
    else if (c.args === "file" || c.args === "dir") lines.push(`complete -c flow -n ${when} -F`);
  }
  return lines.join("\n") + "\n";
}
