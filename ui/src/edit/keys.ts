/// <reference lib="dom" />
/**
 * Every editor action as a command (for the command palette) and the
 * keyboard shortcuts: Ctrl/Cmd+S save, +Z undo, +Shift+Z (or +Y) redo, +K
 * commands, +D duplicate, +A select all, +C/+V copy and paste through the
 * system clipboard, F2 rename, Delete (on the canvas) delete. Shortcuts
 * other than save and the palette leave text fields alone.
 *
 * @module
 */
import { useEffect, useRef } from "react";
import type { StoreApi } from "zustand";
import type { NodeType } from "../api.ts";
import type { EditorActions } from "./actions.ts";
import type { EditorCommand } from "./editor_command.ts";
import type { EditorState } from "./store.ts";

/** What the commands need. */
export interface CommandContext {
  /** The actions. */
  actions: EditorActions;
  /** The store. */
  store: StoreApi<EditorState>;
  /** Node types (one "Add" command each). */
  types: readonly NodeType[];
  /** Whether editing is allowed. */
  editable: boolean;
  /** The view mode. */
  mode: string;
  /** Sets the view mode. */
  setMode: (m: "graph" | "code" | "split") => void;
  /** Opens the command palette. */
  openPalette: () => void;
  /** Opens the form that connects two ports. */
  openConnect: () => void;
  /** Jumps to the first problem. */
  goToProblem: () => void;
}

/** Every command; see the module doc. */
export function buildCommands(ctx: CommandContext): EditorCommand[] {
  const { actions, store, editable } = ctx;
  const s = () => store.getState();
  const none = () => s().selection.length === 0;
  const edit: EditorCommand[] = [
    { id: "save", label: "Save", group: "File", shortcut: "Mod+S", run: () => void s().save() },
    { id: "undo", label: "Undo", group: "Edit", shortcut: "Mod+Z", run: () => s().undo() },
    { id: "redo", label: "Redo", group: "Edit", shortcut: "Mod+Shift+Z", run: () => s().redo() },
    {
      id: "delete",
      label: "Delete the selected nodes",
      group: "Edit",
      shortcut: "Delete",
      disabled: none(),
      run: () => actions.deleteSelection(),
    },
    {
      id: "duplicate",
      label: "Duplicate the selected nodes",
      group: "Edit",
      shortcut: "Mod+D",
      disabled: none(),
      run: () => actions.duplicate(),
    },
    {
      id: "copy",
      label: "Copy the selected nodes as workflow JSON",
      group: "Edit",
      shortcut: "Mod+C",
      disabled: none(),
      run: () => {
        const text = actions.copy();
        if (text) void navigator.clipboard.writeText(text).catch((e) => s().say("error", `Cannot copy: ${e.message}`));
      },
    },
    {
      id: "paste",
      label: "Paste workflow JSON",
      group: "Edit",
      shortcut: "Mod+V",
      run: () =>
        void navigator.clipboard.readText().then(
          (t) => actions.paste(t),
          (e) => s().say("error", `Cannot read the clipboard: ${e.message} (use Ctrl/Cmd+V on the canvas)`),
        ),
    },
    {
      id: "rename",
      label: "Rename the selected node",
      group: "Edit",
      shortcut: "F2",
      disabled: s().selection.length !== 1,
      run: () => focusRename(),
    },
    { id: "select-all", label: "Select all nodes", group: "Edit", shortcut: "Mod+A", run: () => actions.selectAll() },
    { id: "connect", label: "Connect ports…", group: "Edit", run: ctx.openConnect },
    { id: "layout", label: "Auto-layout", group: "Arrange", run: () => void actions.autoLayout() },
  ];
  const view: EditorCommand[] = [
    { id: "graph", label: "Show the graph", group: "View", run: () => ctx.setMode("graph") },
    { id: "split", label: "Show the graph and the code side by side", group: "View", run: () => ctx.setMode("split") },
    { id: "code", label: "Show the code", group: "View", run: () => ctx.setMode("code") },
    { id: "problem", label: "Go to the first problem", group: "View", shortcut: "F8", run: ctx.goToProblem },
  ];
  const add: EditorCommand[] = ctx.types.map((t) => ({
    id: `add:${t.type}`,
    label: `Add ${t.type}`,
    group: "Add a node",
    keywords: [t.family, t.description],
    run: () => actions.addNode(t.type),
  }));
  return editable ? [...edit, ...view, ...add] : view;
}

function focusRename() {
  const input = document.getElementById("node-id") as HTMLInputElement | null;
  input?.focus();
  input?.select();
}

/** Whether a key event comes from a text field (its own shortcuts apply there). */
function inTextField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || el.isContentEditable || !!el.closest?.(".cm-editor");
}

/** Installs the shortcuts and the clipboard handlers while the editor is shown. */
export function useShortcuts(
  props: { commands: EditorCommand[]; openPalette: () => void; actions: EditorActions; editable: boolean },
): void {
  const ref = useRef(props);
  ref.current = props;
  useEffect(() => {
    const run = (id: string) => ref.current.commands.find((c) => c.id === id && !c.disabled)?.run();
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "k") {
        e.preventDefault();
        ref.current.openPalette();
        return;
      }
      if (mod && key === "s") {
        e.preventDefault();
        run("save");
        return;
      }
      if (inTextField(e.target) || !ref.current.editable) {
        if (e.key === "F8") run("problem");
        return;
      }
      if (mod && key === "z") run(e.shiftKey ? "redo" : "undo");
      else if (mod && key === "y") run("redo");
      else if (mod && key === "d") run("duplicate");
      else if (mod && key === "a") run("select-all");
      else if (e.key === "F2") run("rename");
      else if (e.key === "F8") run("problem");
      else return;
      e.preventDefault();
    };
    const onCopy = (e: ClipboardEvent) => {
      if (inTextField(e.target) || !ref.current.editable) return;
      const text = ref.current.actions.copy();
      if (!text) return;
      e.clipboardData?.setData("text/plain", text);
      e.preventDefault();
    };
    const onPaste = (e: ClipboardEvent) => {
      if (inTextField(e.target) || !ref.current.editable) return;
      const text = e.clipboardData?.getData("text/plain");
      if (!text) return;
      e.preventDefault();
      ref.current.actions.paste(text);
    };
    addEventListener("keydown", onKey);
    document.addEventListener("copy", onCopy);
    document.addEventListener("paste", onPaste);
    return () => {
      removeEventListener("keydown", onKey);
      document.removeEventListener("copy", onCopy);
      document.removeEventListener("paste", onPaste);
    };
  }, []);
}
