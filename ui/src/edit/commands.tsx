/// <reference lib="dom" />
/**
 * The command palette (Ctrl/Cmd+K, with `cmdk`): every editor action by
 * name, with its shortcut, and "Add <type>" for every node type; and the
 * button that runs one command (a button and the palette call the same
 * command). A command chosen in the palette runs once the palette has
 * closed and given the focus back.
 *
 * @module
 */
import { Command } from "cmdk";
import { type ReactNode, useEffect, useRef } from "react";
import type { EditorCommand } from "./editor_command.ts";

/** Whether the platform uses ⌘ for shortcuts. */
export const isMac: boolean = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);

/** A shortcut as shown: `Mod+S` reads `Ctrl+S` or `⌘S`. */
export function shortcutLabel(s: string): string {
  return isMac ? s.replace("Mod+", "⌘").replace("Shift+", "⇧") : s.replace("Mod+", "Ctrl+");
}

/** The command palette. */
export function CommandPalette(
  props: { open: boolean; onOpenChange: (open: boolean) => void; commands: EditorCommand[] },
) {
  const groups = [...new Set(props.commands.map((c) => c.group))];
  const chosen = useRef<EditorCommand>(undefined);
  useEffect(() => {
    const c = chosen.current;
    if (props.open || !c) return;
    chosen.current = undefined;
    // Run once the closed dialog has given the focus back (its own timer, started as it closed), so that a command
    // that moves the focus (Rename, Pin JSON…) keeps it.
    const timer = setTimeout(c.run, 0);
    return () => clearTimeout(timer);
  }, [props.open]);
  return (
    <Command.Dialog
      open={props.open}
      onOpenChange={props.onOpenChange}
      label="Command palette"
      contentClassName="cmdk-dialog"
      overlayClassName="cmdk-overlay"
    >
      <Command.Input placeholder="Type a command or a node type…" aria-label="Command" />
      <Command.List>
        <Command.Empty>No command matches.</Command.Empty>
        {groups.map((g) => (
          <Command.Group key={g} heading={g}>
            {props.commands.filter((c) => c.group === g && !c.disabled).map((c) => (
              <Command.Item
                key={c.id}
                value={`${c.label} ${c.id}`}
                keywords={c.keywords}
                onSelect={() => {
                  chosen.current = c;
                  props.onOpenChange(false);
                }}
              >
                <span>{c.label}</span>
                {c.shortcut && <kbd>{shortcutLabel(c.shortcut)}</kbd>}
              </Command.Item>
            ))}
          </Command.Group>
        ))}
      </Command.List>
    </Command.Dialog>
  );
}

/** A button that runs `command` (nothing when it does not apply), disabled when the command is. */
export function CommandButton(
  props: { command: EditorCommand | undefined; children: ReactNode; className?: string },
) {
  const c = props.command;
  if (!c) return null;
  return (
    <button
      type="button"
      className={props.className}
      disabled={c.disabled}
      title={c.hint}
      onClick={c.run}
    >
      {props.children}
    </button>
  );
}
