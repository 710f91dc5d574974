/**
 * The CLI under a pseudo-terminal, for tests of what a person at a terminal
 * sees: `script` (util-linux) gives the command a terminal of a set size,
 * and {@linkcode screenText} replays the bytes written to it, as a terminal
 * would, into the lines left on the screen and in its scrollback.
 *
 * The terminal is set to `-onlcr`, so that a carriage return in the output
 * is one the CLI wrote, not the terminal's translation of a line feed.
 *
 * @module
 */
import { cliCommand, TEST_STATE_DIR } from "./helpers.ts";

/** The size of the test terminal. */
export const COLUMNS = 100;
/** Rows of the test terminal. */
export const ROWS = 30;

/** A word quoted for `sh`. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Fails, saying why, unless `script` of util-linux can run the CLI here: on
 * Linux, with `script` on PATH (Debian's `bsdutils`, which `.ci/run`
 * installs when missing). A test on a terminal never skips: a machine
 * without it fails the test instead.
 */
function assertScriptRuns(): void {
  if (Deno.build.os !== "linux") {
    throw new Error(`terminal tests need script(1) of util-linux on Linux; this is ${Deno.build.os}`);
  }
}

/** Starts `script` with `options`; a missing one is an error that says what to install. */
function spawnScript(options: Deno.CommandOptions): Deno.ChildProcess {
  try {
    return new Deno.Command("script", options).spawn();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new Error(
      "terminal tests need script(1) of util-linux, which is not on PATH (Debian: apt-get install bsdutils)",
    );
  }
}

/** A CLI process on a terminal: its output so far, and a way to type into it. */
export class PtyCli implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Everything written to the terminal so far. */
  text = "";
  readonly #reader: ReadableStreamDefaultReader<string>;
  #ended = false;

  /** Starts `flow ARGS` on a terminal of {@linkcode COLUMNS} x {@linkcode ROWS}, with `env` added. */
  constructor(args: string[], env: Record<string, string> = {}) {
    assertScriptRuns();
    const { cmd, args: pre } = cliCommand();
    const command = [cmd, ...pre, ...args].map(shellQuote).join(" ");
    // NO_COLOR is unset (the test helpers set it for piped runs): a terminal gets colours unless a test sets it.
    const environment: Record<string, string> = { FLOW_STATE_DIR: TEST_STATE_DIR, TERM: "xterm-256color", ...env };
    const unset = Object.hasOwn(env, "NO_COLOR") ? "" : "unset NO_COLOR; ";
    this.child = spawnScript({
      args: ["-qfec", `${unset}stty -onlcr cols ${COLUMNS} rows ${ROWS}; exec ${command}`, "/dev/null"],
      env: environment,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
    this.#reader = this.child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** Reads until the output contains `marker` (or the process ends; to the end without one); returns all so far. */
  async waitFor(marker: string | RegExp | undefined): Promise<string> {
    const found = () =>
      marker === undefined ? false : typeof marker === "string" ? this.text.includes(marker) : marker.test(this.text);
    while (!found() && !this.#ended) {
      const { value, done } = await this.#reader.read();
      if (done) this.#ended = true;
      else this.text += value;
    }
    return this.text;
  }

  /** Types bytes on the terminal (`\x03` is Ctrl-C). */
  async type(text: string): Promise<void> {
    const writer = this.child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    writer.releaseLock();
  }

  /**
   * Sends `signal` to the CLI process itself (the one process `script`
   * started: its shell execs the CLI), as a service manager or `kill` would.
   */
  signal(signal: Deno.Signal): void {
    const children = Deno.readTextFileSync(`/proc/${this.child.pid}/task/${this.child.pid}/children`).trim();
    if (!/^\d+$/.test(children)) throw new Error(`expected one process under script; got ${JSON.stringify(children)}`);
    Deno.kill(Number(children), signal);
  }

  /** Reads to the end; resolves to the exit code and everything written. */
  async finish(): Promise<{ code: number; text: string }> {
    await this.waitFor(undefined);
    await this.child.stdin.close().catch(() => {});
    await this.child.stderr.cancel();
    const { code } = await this.child.status;
    return { code, text: this.text };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#ended) {
      try {
        this.child.kill("SIGKILL");
      } catch { /* already gone */ }
      await this.finish().catch(() => {});
    }
  }
}

/** Runs `flow ARGS` on a terminal to its end. */
export async function runInPty(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; text: string }> {
  await using cli = new PtyCli(args, env);
  return await cli.finish();
}

/** What a terminal shows after a run: every line, scrollback included, and whether the cursor is visible. */
export interface Screen {
  /** The lines, without colours, trailing spaces trimmed. */
  lines: string[];
  /** Whether the cursor is shown at the end. */
  cursorVisible: boolean;
}

/**
 * Replays terminal output as a terminal with `onlcr` would (a line feed also
 * returns the carriage): text, `\r`, `\n`, cursor up (`ESC [ n A`), erase
 * below (`ESC [ J`), erase line (`ESC [ K`), cursor visibility; colours are
 * dropped. Throws on any other control sequence, so that a test notices one
 * it does not understand.
 */
export function screenText(raw: string): Screen {
  const lines: string[][] = [[]];
  let row = 0, col = 0, cursorVisible = true;
  const at = (r: number) => (lines[r] ??= []);
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === "\x1b") {
      // deno-lint-ignore no-control-regex
      const m = /^\x1b\[(\??)(\d*)(?:;\d+)*([A-Za-z])/.exec(raw.slice(i, i + 16));
      if (!m) throw new Error(`unknown escape sequence at ${i}: ${JSON.stringify(raw.slice(i, i + 10))}`);
      const [seq, priv, n, cmd] = m;
      i += seq.length - 1;
      if (priv === "?" && n === "25") cursorVisible = cmd === "h";
      else if (cmd === "m") continue;
      else if (cmd === "A") row = Math.max(0, row - Number(n || 1));
      else if (cmd === "J") {
        lines.length = row + 1;
        at(row).length = col;
      } else if (cmd === "K") at(row).length = col;
      else throw new Error(`unexpected escape sequence ${JSON.stringify(seq)}`);
    } else if (ch === "\r") col = 0;
    else if (ch === "\n") {
      row++;
      col = 0;
      at(row);
    } else {
      const line = at(row);
      while (line.length < col) line.push(" ");
      line[col++] = ch;
    }
  }
  const text = lines.map((l) => l.join("").trimEnd());
  while (text.length && text[text.length - 1] === "") text.pop();
  return { lines: text, cursorVisible };
}
