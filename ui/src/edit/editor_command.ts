/**
 * One action of the editor as a command: what the command palette lists and
 * a button runs (`commands.tsx`). A type only, without the DOM.
 *
 * @module
 */

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
  /** What it does, in a sentence (a button's tooltip). */
  hint?: string;
  /** More words it is found by. */
  keywords?: string[];
  /** Whether it cannot run now. */
  disabled?: boolean;
  /** Runs it. */
  run: () => void;
}
