/// <reference lib="dom" />
/**
 * The editor's state (a `zustand` store per open file): the text, the ETag
 * it started from, the undo history, the selection, the validator's
 * problems, and what the server said about saves and changes on disk.
 *
 * - Every action is `apply(label, edit)`: a function from text to text, one
 *   history step.
 * - Drafts: unsaved text is kept in `localStorage` under the file and the
 *   ETag it started from, so a reload loses nothing and a draft of an older
 *   version of the file is recognised as one.
 * - Saving `PUT`s the text with `If-Match`; a 412 keeps the current file's
 *   text as `conflict` (the merge view opens).
 *
 * @module
 */
import { createStore, type StoreApi } from "zustand";
import { ApiError, getSource, type Problem, putSource, validateText } from "../api.ts";
import { parseText, type Path } from "./doc.ts";
import { emptyHistory, type History, record, redo, undo } from "./history.ts";

/** A change of the file on disk that the editor has not taken. */
export interface DiskChange {
  /** Its ETag. */
  etag: string;
  /** Its text, once read. */
  text?: string;
}

/** The editor's state and actions. */
export interface EditorState {
  /** The file, relative to its served directory. */
  file: string;
  /** The text shown (the document). */
  text: string;
  /** The file's text at {@linkcode etag}. */
  savedText: string;
  /** The ETag the text started from. */
  etag: string;
  /** Undo and redo. */
  history: History;
  /** Selected node ids. */
  selection: string[];
  /** The validator's problems with the text (syntax errors included). */
  problems: Problem[];
  /** Whether a validation is under way. */
  validating: boolean;
  /** Whether a save is under way. */
  saving: boolean;
  /** A newer version of the file on disk, while there are unsaved changes. */
  disk?: DiskChange;
  /** The file's text when a save found it changed (412): the merge view shows it. */
  conflict?: { etag: string; text: string };
  /** The last message for the status line. */
  message?: { kind: "info" | "error"; text: string };
  /** Applies an edit as one undoable step (`group`: typing that joins its step). */
  apply: (label: string, edit: (text: string) => string, group?: string) => void;
  /** Undoes the last step. */
  undo: () => void;
  /** Redoes the last undone step. */
  redo: () => void;
  /** Sets the selection. */
  select: (ids: string[]) => void;
  /** Saves (overwriting what is on disk when `force`). */
  save: (force?: boolean) => Promise<void>;
  /** Takes the version on disk. */
  reload: () => Promise<void>;
  /** Keeps the text: the next save replaces the version on disk. */
  keepMine: () => void;
  /** Reads the version on disk into `disk.text`. */
  loadDisk: () => Promise<void>;
  /** A file event: the file now has `etag`. */
  fileChanged: (etag: string) => void;
  /** Closes the merge view. */
  closeConflict: () => void;
  /** Shows a message. */
  say: (kind: "info" | "error", text: string) => void;
}

/** The draft of a file kept in the browser. */
export interface Draft {
  /** The ETag the draft started from. */
  etag: string;
  /** Its text. */
  text: string;
}

const draftKey = (file: string) => `flow:draft:${file}`;

/** The browser's draft of `file`, if any. */
export function readDraft(file: string): Draft | undefined {
  try {
    const raw = localStorage.getItem(draftKey(file));
    const d = raw ? JSON.parse(raw) : undefined;
    return d && typeof d.etag === "string" && typeof d.text === "string" ? d : undefined;
  } catch {
    return undefined;
  }
}

function writeDraft(file: string, draft: Draft | undefined): void {
  try {
    if (draft) localStorage.setItem(draftKey(file), JSON.stringify(draft));
    else localStorage.removeItem(draftKey(file));
  } catch { /* storage full or off: the draft is not kept */ }
}

/** The `base` path of a loop body inside the text, for the validator's paths. */
export type BasePath = Path;

/** Creates the store of a file opened at `etag` with text `saved` (a draft of it is restored). */
export function createEditorStore(file: string, saved: string, etag: string): StoreApi<EditorState> {
  const draft = readDraft(file);
  const initial = draft && draft.text !== saved ? draft : undefined;
  const store = createStore<EditorState>()((set, get) => ({
    file,
    text: initial?.text ?? saved,
    savedText: initial && initial.etag !== etag ? "" : saved,
    etag: initial?.etag ?? etag,
    history: emptyHistory(),
    selection: [],
    problems: [],
    validating: false,
    saving: false,
    ...(initial && initial.etag !== etag ? { disk: { etag, text: saved } } : {}),
    ...(initial
      ? { message: { kind: "info" as const, text: "Unsaved changes from your last visit were restored." } }
      : {}),
    apply(label, edit, group) {
      const { text, history } = get();
      let next: string;
      try {
        next = edit(text);
      } catch (err) {
        set({ message: { kind: "error", text: `${label}: ${(err as Error).message}` } });
        return;
      }
      if (next === text) return;
      set({ text: next, history: record(history, text, label, group) });
    },
    undo() {
      const step = undo(get().history, get().text);
      if (step) {
        set({ text: step.text, history: step.history, message: { kind: "info", text: `Undid: ${step.label}` } });
      }
    },
    redo() {
      const step = redo(get().history, get().text);
      if (step) {
        set({ text: step.text, history: step.history, message: { kind: "info", text: `Redid: ${step.label}` } });
      }
    },
    select(ids) {
      const now = get().selection;
      if (ids.length !== now.length || ids.some((id, i) => id !== now[i])) set({ selection: ids });
    },
    async save(force) {
      const s = get();
      if (s.saving) return;
      const etag = force && s.conflict ? s.conflict.etag : s.etag;
      const text = s.text;
      set({ saving: true });
      try {
        const result = await putSource(file, text, etag);
        if (!result.ok) {
          set({ saving: false, conflict: { etag: result.etag, text: result.text }, disk: undefined });
          return;
        }
        set({
          saving: false,
          etag: result.etag,
          savedText: text,
          conflict: undefined,
          disk: undefined,
          problems: result.errors,
          message: {
            kind: result.valid ? "info" : "error",
            text: result.valid
              ? "Saved."
              : `Saved, with ${result.errors.length} problem(s): the server keeps running the last valid version.`,
          },
        });
      } catch (err) {
        set({ saving: false, message: { kind: "error", text: `Not saved: ${(err as Error).message}` } });
      }
    },
    async reload() {
      try {
        const src = await getSource(file);
        const { text, history } = get();
        set({
          text: src.text,
          savedText: src.text,
          etag: src.etag,
          disk: undefined,
          conflict: undefined,
          history: src.text === text ? history : record(history, text, "Reload from disk"),
          message: { kind: "info", text: "Reloaded the file from disk." },
        });
      } catch (err) {
        set({ message: { kind: "error", text: `Cannot reload: ${(err as Error).message}` } });
      }
    },
    keepMine() {
      const { disk } = get();
      if (!disk) return;
      // The next save replaces what is on disk: it starts from that version now.
      set({ etag: disk.etag, savedText: disk.text ?? "", disk: undefined });
    },
    async loadDisk() {
      try {
        const src = await getSource(file);
        set({ disk: { etag: src.etag, text: src.text } });
      } catch (err) {
        set({ message: { kind: "error", text: `Cannot read the file: ${(err as Error).message}` } });
      }
    },
    fileChanged(newEtag) {
      const s = get();
      if (newEtag === s.etag || s.saving) return;
      if (s.text === s.savedText) void s.reload();
      else set({ disk: { etag: newEtag } });
    },
    closeConflict() {
      set({ conflict: undefined });
    },
    say(kind, text) {
      set({ message: { kind, text } });
    },
  }));
  // Drafts follow the text.
  store.subscribe((s, prev) => {
    if (s.text === prev.text && s.etag === prev.etag && s.savedText === prev.savedText) return;
    writeDraft(file, s.text === s.savedText ? undefined : { etag: s.etag, text: s.text });
  });
  return store;
}

/** Whether the editor has changes not saved. */
export function isDirty(s: Pick<EditorState, "text" | "savedText">): boolean {
  return s.text !== s.savedText;
}

/**
 * Validates the text with the server's validator, at most one request at a
 * time, `delay` ms after the last change; syntax errors are found here
 * first. Returns a function that stops it.
 */
export function validateAsYouType(store: StoreApi<EditorState>, delay = 350): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | undefined;
  const run = async (text: string) => {
    inflight?.abort();
    const parsed = parseText(text);
    if (parsed.error) {
      const { message, offset, length } = parsed.error;
      store.setState({ problems: [{ path: "", message: `JSON: ${message}`, offset, length }], validating: false });
      return;
    }
    const ac = inflight = new AbortController();
    store.setState({ validating: true });
    try {
      const result = await validateText(text, ac.signal);
      if (ac.signal.aborted) return;
      // The same problems again keep their array: nothing downstream (a 500-box canvas) redraws for nothing.
      const same = JSON.stringify(result.errors) === JSON.stringify(store.getState().problems);
      store.setState(same ? { validating: false } : { problems: result.errors, validating: false });
    } catch (err) {
      if (ac.signal.aborted) return;
      const message = err instanceof ApiError ? err.message : String(err);
      store.setState({ validating: false, message: { kind: "error", text: `Cannot validate: ${message}` } });
    }
  };
  const schedule = (text: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => run(text), delay);
  };
  schedule(store.getState().text);
  const stop = store.subscribe((s, prev) => {
    if (s.text !== prev.text) schedule(s.text);
  });
  return () => {
    stop();
    clearTimeout(timer);
    inflight?.abort();
  };
}
