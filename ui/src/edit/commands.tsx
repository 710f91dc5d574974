/// <reference lib="dom" />
/**
 * The command palette (Ctrl/Cmd+K, with `cmdk`): every editor action by
 * name, with its shortcut, and "Add <type>" for every node type.
 *
 * @module
 */
import { Command } from "cmdk";

/** One action of the editor. */
export interface EditorCommand {
  /** Stable id. */
  id: string;
  /** What the user reads and searches. */
  label: string;
  /** The group it is listed under. */
  group: string;
  /** Its keyboard shortcut, as shown. */
  shortcut?: string;
  /** More words it is found by. */
  keywords?: string[];
  /** Whether it cannot run now. */
  disabled?: boolean;
  /** Runs it. */
  run: () => void;
}

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
                  props.onOpenChange(false);
                  c.run();
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
