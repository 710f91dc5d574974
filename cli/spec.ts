/**
 * The shape of the command table (`cli/commands.ts`): commands, their
 * arguments and options, nested subcommands, and what a command's module
 * receives. Parsing (`args.ts`), help (`help.ts`) and shell completions
 * (`completions.ts`) are all generated from one table of these.
 *
 * @module
 */

/** One option of a command: a flag (no `value`) or an option taking a value. */
export interface OptionDef {
  /** The long form, `--format`. Its camel-cased name (`inputJson`) is the key in {@linkcode Invocation.options}. */
  long: string;
  /** The short form, `-f`. */
  short?: string;
  /** The value's placeholder (`format` shows as `<format>`); a flag has none. */
  value?: string;
  /** Help text. */
  description: string;
  /** The only values allowed. */
  choices?: readonly string[];
  /** The value when the option is not given (shown in help). */
  default?: string;
  /** May be given more than once; the values are collected into an array (default `[]`). */
  repeatable?: boolean;
  /** Completion of the value: a file or a directory name. */
  complete?: "file" | "dir";
  /**
   * Checks the value as it is read and may convert it; throws a `CliError`
   * with a one-line message when it does not fit.
   */
  parse?: (value: string) => unknown;
}

/** One positional argument. */
export interface ArgDef {
  /** Its name: the key in {@linkcode Invocation.args} and the text in `<name>` or `[name]`. */
  name: string;
  /** Help text. */
  description: string;
  /** Default true. An optional argument must not come before a required one. */
  required?: boolean;
  /** Takes every remaining argument (the last argument only). */
  variadic?: boolean;
  /** The only values allowed. */
  choices?: readonly string[];
  /** The value when it is not given (shown in help). */
  default?: string;
  /** Completion: file or directory names (fixed `choices` complete as themselves). */
  complete?: "file" | "dir";
}

/** What a command's module receives: the parsed command line. */
export interface Invocation {
  /** The command's names from the top, e.g. `["runs", "show"]`. */
  path: string[];
  /** Arguments by name: a string, a string array (variadic), or undefined when optional and absent. */
  args: Record<string, string | string[] | undefined>;
  /** Options by camel-cased long name: true for a given flag, a string, a parsed value, or an array (repeatable). */
  options: Record<string, unknown>;
}

/** A command's module: its default export runs the command and resolves to the exit code. */
export interface CommandModule {
  /** Runs the command. */
  default: (invocation: Invocation) => number | Promise<number>;
}

/**
 * One command. A command either runs (`load`) or groups subcommands
 * (`subcommands`); a group run without a subcommand prints its help on
 * stderr and exits with 2, like `flow` alone.
 */
export interface CommandDef {
  /** The word that selects it. */
  name: string;
  /** One line of help text. */
  description: string;
  /** Positional arguments, in order. */
  args?: ArgDef[];
  /** Options (`-h, --help` is added to every command). */
  options?: OptionDef[];
  /** Nested commands: `flow runs show ID`. */
  subcommands?: CommandDef[];
  /** Loads the module that runs it, with a dynamic `import()`, so only the chosen command's code is loaded. */
  load?: () => Promise<CommandModule>;
}

/** The key of an option in {@linkcode Invocation.options}: `--input-json` is `inputJson`. */
export function optionKey(option: OptionDef): string {
  return option.long.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** How an option shows in help and messages: `-f, --format <format>`. */
export function optionTerm(option: OptionDef): string {
  const names = option.short ? `${option.short}, ${option.long}` : option.long;
  return option.value ? `${names} <${option.value}>` : names;
}

/** How an argument shows in usage lines: `<file>`, `[dir]`, `<files...>`. */
export function argTerm(arg: ArgDef): string {
  const name = arg.variadic ? `${arg.name}...` : arg.name;
  return arg.required === false ? `[${name}]` : `<${name}>`;
}
