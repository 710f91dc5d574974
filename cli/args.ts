/**
 * Command-line parsing against the command table: picks the (sub)command,
 * reads its options and arguments, and reports usage errors as one line
 * (plus a "Did you mean" line) with exit code 2.
 *
 * Options may come before, between or after arguments; `--` ends them.
 * `--name value`, `--name=value`, `-n value`, `-nvalue` and clusters of
 * flags (`-qf json`) are read. An option that takes a value takes the next
 * word whatever it is (`--input-json -1`). `-` is an argument (stdin).
 *
 * @module
 */
import { CliError } from "./exit_codes.ts";
import { type ArgDef, type CommandDef, type Invocation, type OptionDef, optionKey, optionTerm } from "./spec.ts";

/** The `-h, --help` option every command has. */
export const HELP_OPTION: OptionDef = { long: "--help", short: "-h", description: "show help" };

/** What the command line asks for. */
export type ParsedCommandLine =
  /** `--version` at the top level. */
  | { kind: "version" }
  /** Help for the command at `path`: on stdout (exit 0) when asked for, on stderr (exit 2) when a command is missing. */
  | { kind: "help"; path: string[]; command: CommandDef; error: boolean }
  /** Run a command. */
  | { kind: "run"; command: CommandDef; invocation: Invocation };

/** The options a command recognises: its own and `--help`. */
function optionsOf(command: CommandDef): OptionDef[] {
  return [...(command.options ?? []), HELP_OPTION];
}

/** Parses `argv` (without the program name) against the root command `root`. Throws a {@linkcode CliError}. */
export function parseCommandLine(root: CommandDef, argv: readonly string[]): ParsedCommandLine {
  const chain: CommandDef[] = [root];
  let command = root;
  let level = new Level(command);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === "--") {
      level.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word.length > 1 && word.startsWith("-")) {
      i = level.readOption(argv, i);
      if (level.version && command === root) return { kind: "version" };
      continue;
    }
    if (command.subcommands && level.positionals.length === 0) {
      if (level.help) return helpOf(chain, false);
      level.throwUnknown(chain);
      if (word === "help" && !command.subcommands.some((c) => c.name === "help")) {
        return helpFor(chain, argv.slice(i + 1));
      }
      const sub = command.subcommands.find((c) => c.name === word);
      if (!sub) {
        const names = [...command.subcommands.map((c) => c.name), "help"];
        throw new CliError(`unknown command '${word}'${suggest(word, names)}`);
      }
      chain.push(sub);
      command = sub;
      level = new Level(command);
      continue;
    }
    level.positionals.push(word);
  }
  if (level.help) return helpOf(chain, false);
  level.throwUnknown(chain);
  if (command.subcommands && !command.load) return helpOf(chain, true);
  return {
    kind: "run",
    command,
    invocation: {
      path: chain.slice(1).map((c) => c.name),
      args: readArgs(chain, level.positionals),
      options: level.values,
    },
  };
}

/** The parsing state of one command level. */
class Level {
  readonly options: OptionDef[];
  readonly values: Record<string, unknown> = {};
  readonly positionals: string[] = [];
  help = false;
  version = false;
  unknown: string | undefined;

  constructor(readonly command: CommandDef) {
    this.options = optionsOf(command);
    for (const o of this.options) {
      if (o.repeatable) this.values[optionKey(o)] = [];
      // A default goes through `parse` like a given value (`--limit` defaults to the number 20, not "20").
      else if (o.default !== undefined) this.values[optionKey(o)] = o.parse ? o.parse(o.default) : o.default;
    }
  }

  /** Reads the option word at `argv[i]` (and its value); returns the index of the last word used. */
  readOption(argv: readonly string[], i: number): number {
    const word = argv[i];
    if (this.unknown !== undefined) {
      // After an unknown option nothing more is read, but help still wins.
      if (word === "--help" || word === "-h") this.help = true;
      return i;
    }
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const name = eq < 0 ? word : word.slice(0, eq);
      const option = this.options.find((o) => o.long === name);
      if (!option || (!option.value && eq >= 0)) {
        this.unknown = word;
        return i;
      }
      if (!option.value) {
        this.flag(option);
        return i;
      }
      if (eq >= 0) {
        this.set(option, word.slice(eq + 1));
        return i;
      }
      if (i + 1 >= argv.length) throw new CliError(`option '${optionTerm(option)}' argument missing`);
      this.set(option, argv[i + 1]);
      return i + 1;
    }
    for (let j = 1; j < word.length; j++) {
      const option = this.options.find((o) => o.short === `-${word[j]}`);
      if (!option) {
        this.unknown = j === 1 ? word : `-${word[j]}`;
        return i;
      }
      if (!option.value) {
        this.flag(option);
        continue;
      }
      if (j + 1 < word.length) {
        this.set(option, word.slice(j + 1));
        return i;
      }
      if (i + 1 >= argv.length) throw new CliError(`option '${optionTerm(option)}' argument missing`);
      this.set(option, argv[i + 1]);
      return i + 1;
    }
    return i;
  }

  flag(option: OptionDef): void {
    if (option === HELP_OPTION) this.help = true;
    else if (option.long === "--version") this.version = true;
    else this.values[optionKey(option)] = true;
  }

  set(option: OptionDef, raw: string): void {
    if (option.choices && !option.choices.includes(raw)) {
      throw new CliError(
        `option '${optionTerm(option)}' argument '${raw}' is invalid. Allowed choices are ${
          option.choices.join(", ")
        }.`,
      );
    }
    const value = option.parse ? option.parse(raw) : raw;
    const key = optionKey(option);
    if (option.repeatable) (this.values[key] as unknown[]).push(value);
    else this.values[key] = value;
  }

  /** Throws the usage error for the first unknown option, with a suggestion from this command and its parents. */
  throwUnknown(chain: CommandDef[]): void {
    if (this.unknown === undefined) return;
    const longs = chain.toReversed().flatMap((c) => optionsOf(c).map((o) => o.long));
    throw new CliError(
      `unknown option '${this.unknown}'${this.unknown.startsWith("--") ? suggest(this.unknown, longs) : ""}`,
    );
  }
}

/** Help for the command at the end of `chain`. */
function helpOf(chain: CommandDef[], error: boolean): ParsedCommandLine {
  return { kind: "help", path: chain.slice(1).map((c) => c.name), command: chain[chain.length - 1], error };
}

/** `help [command...]`: help for the named command; an unknown name gets the current level's help on stderr. */
function helpFor(chain: CommandDef[], words: readonly string[]): ParsedCommandLine {
  const path = [...chain];
  for (const word of words) {
    const sub = path[path.length - 1].subcommands?.find((c) => c.name === word);
    if (!sub) return helpOf(path, path.length === chain.length && words.length > 0);
    path.push(sub);
  }
  return helpOf(path, false);
}

/** Checks the positional words against the command's arguments; applies defaults and choices. */
function readArgs(chain: CommandDef[], words: string[]): Invocation["args"] {
  const command = chain[chain.length - 1];
  const defs: ArgDef[] = command.args ?? [];
  const variadic = defs.length > 0 && defs[defs.length - 1].variadic === true;
  if (!variadic && words.length > defs.length) {
    const name = chain.slice(1).map((c) => c.name).join(" ");
    const n = defs.length;
    throw new CliError(
      `too many arguments for '${name}'. Expected ${n} argument${n === 1 ? "" : "s"} but got ${words.length}: ${
        words.join(", ")
      }.`,
    );
  }
  const args: Invocation["args"] = {};
  defs.forEach((def, k) => {
    const given = def.variadic ? words.slice(k) : words[k];
    const missing = def.variadic ? given!.length === 0 : given === undefined;
    if (missing && def.required !== false) throw new CliError(`missing required argument '${def.name}'`);
    const value = missing ? (def.variadic ? [] : def.default) : given;
    for (const v of typeof value === "string" ? [value] : missing ? [] : value ?? []) {
      if (def.choices && !def.choices.includes(v)) {
        throw new CliError(
          `command-argument value '${v}' is invalid for argument '${def.name}'. Allowed choices are ${
            def.choices.join(", ")
          }.`,
        );
      }
    }
    args[def.name] = value;
  });
  return args;
}

/** `\n(Did you mean X?)` for the closest candidates (Damerau-Levenshtein, as commander does), or "". */
export function suggest(word: string, candidates: readonly string[]): string {
  const options = word.startsWith("--");
  const strip = (s: string) => options ? s.slice(2) : s;
  const target = strip(word);
  let best = 3;
  let similar: string[] = [];
  for (const candidate of new Set(candidates.map(strip))) {
    if (candidate.length <= 1) continue;
    const distance = editDistance(target, candidate);
    const length = Math.max(target.length, candidate.length);
    if ((length - distance) / length <= 0.4) continue;
    if (distance < best) {
      best = distance;
      similar = [candidate];
    } else if (distance === best) similar.push(candidate);
  }
  similar.sort((a, b) => a.localeCompare(b));
  const shown = similar.map((s) => options ? `--${s}` : s);
  if (shown.length > 1) return `\n(Did you mean one of ${shown.join(", ")}?)`;
  return shown.length === 1 ? `\n(Did you mean ${shown[0]}?)` : "";
}

/** Optimal string alignment distance (adjacent transpositions count as one edit). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Math.max(a.length, b.length);
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let j = 1; j <= b.length; j++) {
    for (let i = 1; i <= a.length; i++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
