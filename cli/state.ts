/**
 * Where `flow` keeps its state: `FLOW_STATE_DIR`, else `$XDG_STATE_HOME/flow`,
 * else `~/.local/state/flow` (`%LOCALAPPDATA%\flow\state` on Windows).
 *
 * @module
 */
import { join } from "../src/path.ts";
import { CliError } from "./exit_codes.ts";

/** The state directory (not created). */
export function stateDir(): string {
  const env = (name: string) => Deno.env.get(name) || undefined;
  const explicit = env("FLOW_STATE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_STATE_HOME");
  if (xdg) return join(xdg, "flow");
  if (Deno.build.os === "windows") {
    const local = env("LOCALAPPDATA");
    if (local) return join(local, "flow", "state");
  }
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) throw new CliError("cannot find a state directory: set FLOW_STATE_DIR (or HOME)");
  return join(home, ".local", "state", "flow");
}
