/**
 * JSON text whose strings hold `{{ }}` templates (a JSON field of the
 * form, as `http.request`'s `body`): JSON highlighting with each such
 * string's inside highlighted as a template (the JSONata tokenizer of
 * `jsonata_language.ts`, nested with `parseMixed`), each `{{ … }}` marked
 * (`cm-template`), and the template strings (every one, or the one at a
 * position), with where each of their characters is in the text (for a
 * preview's syntax error) and their paths in the value.
 *
 * @module
 */
import { jsonLanguage } from "@codemirror/lang-json";
import { ensureSyntaxTree, LanguageSupport, syntaxTree } from "@codemirror/language";
import type { EditorState, Extension, Range } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, ViewPlugin, type ViewUpdate } from "@codemirror/view";
import { parseMixed, type SyntaxNode } from "@lezer/common";
import { getLocation } from "jsonc-parser";
import { jsonataLanguage } from "./jsonata_language.ts";

/** JSON, with the inside of each string holding `{{` parsed as a template. */
export function jsonWithTemplates(): LanguageSupport {
  const template = jsonataLanguage(true).parser;
  const lang = jsonLanguage.configure({
    wrap: parseMixed((node, input) => {
      if (node.name !== "String" || node.to - node.from < 6) return null;
      if (!input.read(node.from, node.to).includes("{{")) return null;
      return { parser: template, overlay: [{ from: node.from + 1, to: node.to - 1 }] };
    }),
  });
  return new LanguageSupport(lang);
}

/** The string value (not a property name) whose inside holds `pos`, or undefined. */
function stringAt(state: EditorState, pos: number): SyntaxNode | undefined {
  for (const side of [-1, 1] as const) {
    for (let n: SyntaxNode | null = syntaxTree(state).resolve(pos, side); n; n = n.parent) {
      if (n.name === "String" && pos > n.from && pos < n.to) return n;
    }
  }
  return undefined;
}

/** Whether `pos` is inside an open `{{` of a JSON string: where completion offers `$node.…`. */
export function inTemplate(state: EditorState, pos: number): boolean {
  const s = stringAt(state, pos);
  if (!s) return false;
  const before = state.doc.sliceString(s.from + 1, pos);
  return /\{\{(?:(?!\}\})[\s\S])*$/.test(before);
}

/**
 * A JSON string's text (escapes read) and where each character of it (and
 * its end) is in the document; `raw` is its inside, starting at `from`.
 */
export function unescape(raw: string, from: number): { text: string; at: number[] } {
  let text = "";
  const at: number[] = [];
  const simple: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
  for (let i = 0; i < raw.length;) {
    at.push(from + i);
    if (raw[i] !== "\\") {
      text += raw[i++];
      continue;
    }
    const c = raw[i + 1] ?? "";
    if (c === "u") {
      text += String.fromCharCode(parseInt(raw.slice(i + 2, i + 6), 16) || 0);
      i += 6;
    } else {
      text += simple[c] ?? c;
      i += 2;
    }
  }
  at.push(from + raw.length);
  return { text, at };
}

/** A template string of a JSON text: its text, where its characters are in the document, its path in the value. */
export interface TemplateString {
  /** The string's value. */
  text: string;
  /** The document position of each character of `text` and of its end (`text.length + 1` entries). */
  at: number[];
  /** Its path in the JSON value, dot-joined (`headers.x-id`, `items.0`). */
  path: string;
}

/** The template string of a `String` node, or undefined when it holds no `{{`. */
function templateStringOf(state: EditorState, s: SyntaxNode, text = state.doc.toString()): TemplateString | undefined {
  const { text: value, at } = unescape(state.doc.sliceString(s.from + 1, s.to - 1), s.from + 1);
  if (!value.includes("{{")) return undefined;
  return { text: value, at, path: getLocation(text, s.from + 1).path.join(".") };
}

/** The string value at `pos` when it holds `{{`, else undefined. */
export function templateStringAt(state: EditorState, pos: number): TemplateString | undefined {
  const s = stringAt(state, pos);
  return s && templateStringOf(state, s);
}

/** Every string value holding `{{` in the text, in document order. */
export function templateStrings(state: EditorState): TemplateString[] {
  const text = state.doc.toString();
  const tree = ensureSyntaxTree(state, state.doc.length, 50) ?? syntaxTree(state);
  const out: TemplateString[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.name !== "String") return;
      if (state.doc.sliceString(n.from, n.to).includes("{{")) {
        const found = templateStringOf(state, n.node, text);
        if (found) out.push(found);
      }
      return false;
    },
  });
  return out;
}

const templateMark = Decoration.mark({ class: "cm-template" });

function marks(view: EditorView): DecorationSet {
  const found: Range<Decoration>[] = [];
  for (const { from, to } of view.visibleRanges) {
    syntaxTree(view.state).iterate({
      from,
      to,
      enter: (n) => {
        if (n.name !== "String") return;
        const text = view.state.doc.sliceString(n.from, n.to);
        for (const m of text.matchAll(/\{\{[\s\S]*?\}\}/g)) {
          found.push(templateMark.range(n.from + m.index, n.from + m.index + m[0].length));
        }
        return false;
      },
    });
  }
  return Decoration.set(found, true);
}

/** Marks each `{{ … }}` inside a JSON string with the class `cm-template`, shaded. */
export const templateMarks: Extension = [
  ViewPlugin.fromClass(
    class {
      decorations: DecorationSet;
      constructor(view: EditorView) {
        this.decorations = marks(view);
      }
      update(u: ViewUpdate) {
        if (u.docChanged || u.viewportChanged || syntaxTree(u.startState) !== syntaxTree(u.state)) {
          this.decorations = marks(u.view);
        }
      }
    },
    { decorations: (v) => v.decorations },
  ),
  EditorView.baseTheme({
    ".cm-template": { backgroundColor: "color-mix(in srgb, var(--f-transform) 14%, transparent)", borderRadius: "3px" },
  }),
];
