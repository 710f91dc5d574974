/**
 * A preview's syntax error as a CodeMirror lint mark on the character where
 * JSONata found it (the preview endpoint gives its position in the text
 * sent), mapped through where each character of that text is in the
 * document (a template string inside JSON text). No DOM.
 *
 * @module
 */
import type { Diagnostic } from "@codemirror/lint";
import type { PreviewResultT } from "../../api_editor.ts";

/** What was previewed: its text and where each of its characters (and its end) is in the document. */
export interface Previewed {
  /** The text sent. */
  text: string;
  /** The document position of each character of `text` and of its end (identity when absent). */
  at?: number[];
}

/** The syntax error of `result` (a preview of `target`) as a lint mark with `message` (the error's own by default). */
export function syntaxMark(result: PreviewResultT, target: Previewed, message?: string): Diagnostic | undefined {
  const error = result.error;
  const length = target.text.length;
  if (error?.code !== "SYNTAX" || error.position === undefined) return undefined;
  const at = Math.min(Math.max(0, error.position - 1), length);
  const to = Math.min(at + 1, length);
  const pos = (i: number) => target.at?.[i] ?? i;
  return {
    from: pos(to === at ? Math.max(0, at - 1) : at),
    to: pos(to),
    severity: "error",
    message: message ?? error.message,
  };
}
