/**
 * Terminal colours, on only when stdout is a terminal and NO_COLOR is unset.
 *
 * @module
 */

/** Whether to colour output written to stdout. */
export function useColor(): boolean {
  if (Deno.env.get("NO_COLOR")) return false;
  const force = Deno.env.get("FORCE_COLOR");
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return Deno.stdout.isTerminal();
}

/** ANSI styles that are no-ops when colour is off. */
export function palette(enabled: boolean) {
  const wrap = (open: number, close: number) => (s: string) => enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    magenta: wrap(35, 39),
    cyan: wrap(36, 39),
    gray: wrap(90, 39),
  };
}

/** The styles returned by {@linkcode palette}. */
export type Palette = ReturnType<typeof palette>;
