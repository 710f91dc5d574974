/**
 * JSONata highlighting for CodeMirror 6: a small stream tokenizer (no
 * maintained CodeMirror package for JSONata exists on npm). Strings, numbers,
 * `$variables` and `$functions(`, keywords (`and`, `or`, `in`, `true`,
 * `false`, `null`, `function`), operators, comments, and the `{{ }}` of a
 * template; text outside `{{ }}` in a template is left plain. With
 * `jsonataHighlighting`, the colours CodeMirror's default style lacks.
 *
 * @module
 */
import { HighlightStyle, StreamLanguage, type StringStream, syntaxHighlighting } from "@codemirror/language";
import type { Extension } from "@codemirror/state";
import { tags } from "@lezer/highlight";

interface State {
  /** Inside `{{ }}` (always, for a whole expression). */
  inExpr: boolean;
  /** The template mode: text outside `{{ }}` is plain. */
  template: boolean;
  /** Inside a block comment. */
  comment: boolean;
}

const KEYWORDS = /^(and|or|in|true|false|null|function)\b/;

function token(stream: StringStream, state: State): string | null {
  if (state.comment) {
    if (stream.skipTo("*/")) {
      stream.match("*/");
      state.comment = false;
    } else stream.skipToEnd();
    return "comment";
  }
  if (!state.inExpr) {
    if (stream.match("{{")) {
      state.inExpr = true;
      return "meta";
    }
    if (!stream.skipTo("{{")) stream.skipToEnd();
    return null;
  }
  if (state.template && stream.match("}}")) {
    state.inExpr = false;
    return "meta";
  }
  if (stream.eatSpace()) return null;
  if (stream.match("/*")) {
    state.comment = true;
    return "comment";
  }
  const ch = stream.peek();
  if (ch === '"' || ch === "'" || ch === "`") {
    stream.next();
    let escaped = false;
    for (let c = stream.next(); c !== undefined; c = stream.next()) {
      if (c === ch && !escaped) break;
      escaped = !escaped && c === "\\";
    }
    return ch === "`" ? "propertyName" : "string";
  }
  if (stream.match(/^-?\d+(\.\d+)?([eE][+-]?\d+)?/)) return "number";
  if (stream.match(/^\$[A-Za-z_]\w*(?=\s*\()/)) return "variableName.function";
  if (stream.match(/^\$\$?[A-Za-z_]?\w*/)) return "variableName";
  if (stream.match(KEYWORDS)) return "keyword";
  if (stream.match(/^[A-Za-z_]\w*/)) return "propertyName";
  if (stream.match(/^(:=|!=|<=|>=|~>|\.\.|\?:|\?\?|[-+*/%&=<>!?:.,;|^#@~])/)) return "operator";
  stream.next();
  return "bracket";
}

function define(template: boolean): StreamLanguage<State> {
  return StreamLanguage.define<State>({
    name: "jsonata",
    startState: () => ({ inExpr: !template, template, comment: false }),
    copyState: (s) => ({ ...s }),
    token,
    languageData: { commentTokens: { block: { open: "/*", close: "*/" } } },
  });
}

const TEMPLATE = define(true);
const WHOLE = define(false);

/** JSONata as a CodeMirror language: `template` for a string with `{{ }}`, else a whole expression. */
export function jsonataLanguage(template: boolean): StreamLanguage<State> {
  return template ? TEMPLATE : WHOLE;
}

/**
 * The colours of JSONata's tokens that CodeMirror's default style leaves
 * plain (`$variables`, `$functions(`, numbers, operators), in JSONata text
 * only (a field, or a template string nested in JSON), following the
 * console's colours.
 */
export const jsonataHighlighting: Extension = [TEMPLATE, WHOLE].map((scope) =>
  syntaxHighlighting(
    HighlightStyle.define([
      { tag: tags.variableName, color: "var(--accent)" },
      { tag: tags.function(tags.variableName), color: "var(--f-transform)" },
      { tag: tags.number, color: "var(--ok)" },
      { tag: tags.operator, color: "var(--muted)" },
    ], { scope }),
  )
);
