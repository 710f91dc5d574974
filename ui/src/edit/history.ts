/**
 * Undo and redo as a stack of texts: the document is the file's text, so a
 * step back is the text before an action, exactly. One entry per user
 * action (a drag is one, committed when it ends); typing in the code view
 * is grouped into one entry per pause. Saving does not clear it. No DOM.
 *
 * @module
 */

/** One step: the text before (undo) or after (redo) an action, and its name. */
export interface Step {
  /** The text to go back (or forward) to. */
  text: string;
  /** What the action was, e.g. `Delete 2 nodes`. */
  label: string;
}

/** Undo and redo stacks. */
export interface History {
  /** Steps to undo, the latest last. */
  past: Step[];
  /** Steps to redo, the next last. */
  future: Step[];
  /** The group the latest step belongs to (typing), and when it was made. */
  group?: { key: string; at: number };
}

/** How many steps are kept. */
export const MAX_STEPS = 300;
/** Typing within this long of the last keystroke joins its step, ms. */
export const GROUP_MS = 1000;

/** An empty history. */
export function emptyHistory(): History {
  return { past: [], future: [] };
}

/**
 * The history after an action turned `before` into another text. With a
 * `group` key, an action right after one of the same group joins its step.
 */
export function record(h: History, before: string, label: string, group?: string, now = Date.now()): History {
  if (group && h.group?.key === group && now - h.group.at < GROUP_MS && h.past.length) {
    return { past: h.past, future: [], group: { key: group, at: now } };
  }
  const past = [...h.past, { text: before, label }].slice(-MAX_STEPS);
  return { past, future: [], ...(group ? { group: { key: group, at: now } } : {}) };
}

/** Goes one step back from `current`: the text to show and the new history, or undefined. */
export function undo(h: History, current: string): { text: string; history: History; label: string } | undefined {
  const step = h.past.at(-1);
  if (!step) return undefined;
  return {
    text: step.text,
    label: step.label,
    history: { past: h.past.slice(0, -1), future: [...h.future, { text: current, label: step.label }] },
  };
}

/** Goes one step forward from `current`, or undefined. */
export function redo(h: History, current: string): { text: string; history: History; label: string } | undefined {
  const step = h.future.at(-1);
  if (!step) return undefined;
  return {
    text: step.text,
    label: step.label,
    history: { past: [...h.past, { text: current, label: step.label }], future: h.future.slice(0, -1) },
  };
}
