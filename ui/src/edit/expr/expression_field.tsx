/// <reference lib="dom" />
/**
 * An expression field: CodeMirror 6 with JSONata highlighting, completion
 * (see `complete.ts`), syntax errors marked at their position as you type,
 * and a live preview of the value, both from the server's preview
 * (`POST /api/v1/workflows/{id}/preview`: the same engine and limits as a
 * run; secrets are `***`). `template` mode is a string with `{{ }}`; else a
 * whole expression (`control.if`'s condition). Loaded lazily (CodeMirror).
 * A syntax error shows once under the field: the preview's message, its
 * character underlined; the validator finds the same error (the same
 * engine on the same text) and its message is then left out of the field
 * (it stays in the Problems list).
 *
 * @module
 */
import { autocompletion, closeBrackets, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, setDiagnostics } from "@codemirror/lint";
import { Annotation, EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderExt } from "@codemirror/view";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { previewExpression, type PreviewResultT } from "../../api_editor.ts";
import { preview as previewText } from "../../format.ts";
import { completeAt, typeVariables } from "./complete.ts";
import { type ExprEnv, useExprEnv } from "./env.ts";
import { jsonataLanguage } from "./jsonata_language.ts";

/** Props of {@linkcode ExpressionField}. */
export interface ExpressionFieldProps {
  /** The DOM id (the form's problems and focus point at it). */
  id: string;
  /** Its accessible name (the field's name). */
  label: string;
  /** The text. */
  value: string;
  /** A string with `{{ }}` templates, or a whole expression. */
  template: boolean;
  /** Changed text. */
  onText: (text: string) => void;
  /** Read-only. */
  disabled?: boolean;
  /** Help text's id. */
  describedBy?: string;
  /** Shown when empty. */
  placeholder?: string;
  /**
   * Told whether the preview shows a syntax error now: the field then leaves
   * out the validator's message of that same error.
   */
  onSyntaxError?: (shown: boolean) => void;
}

const fromOutside = Annotation.define<boolean>();

const theme = EditorView.theme({
  "&": {
    fontSize: "12.5px",
    backgroundColor: "var(--surface)",
    color: "var(--text)",
    border: "1px solid var(--border)",
  },
  ".cm-content": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", caretColor: "var(--text)" },
  "&.cm-focused": { outline: "2px solid var(--focus)" },
  ".cm-tooltip": { backgroundColor: "var(--surface)", color: "var(--text)", border: "1px solid var(--border)" },
});

/** How long typing pauses before a preview, ms. */
const PREVIEW_DELAY = 200;

function completion(env: () => ExprEnv | undefined) {
  return (c: CompletionContext): CompletionResult | null => {
    const e = env();
    const line = c.state.doc.lineAt(c.pos);
    const before = line.text.slice(0, c.pos - line.from);
    const found = completeAt(before, e?.context, e?.nodeType);
    if (!found) return null;
    return {
      from: line.from + found.from,
      options: found.offers.map((o) => ({
        label: o.label,
        type: o.type,
        ...(o.detail ? { detail: o.detail } : {}),
        ...(o.info ? { info: o.info } : {}),
        ...(o.apply ? { apply: o.apply } : {}),
      })),
      validFor: /^\w*$/,
    };
  };
}

/** What the editor view is made with. */
interface ViewOptions {
  /** The field's props at creation. */
  props: ExpressionFieldProps;
  /** The current expression environment. */
  env: () => ExprEnv | undefined;
  /** The text changed (`typed`: by the user, not from outside). */
  onChange: (text: string, typed: boolean) => void;
}

/** The CodeMirror view of a field: JSONata, completion, the field's id and label for the form. */
function createView(parent: HTMLElement, { props, env, onChange }: ViewOptions): EditorView {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: props.value,
      extensions: [
        history(),
        closeBrackets(),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        jsonataLanguage(props.template),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion({ override: [completion(env)], activateOnTyping: true }),
        EditorView.lineWrapping,
        EditorState.readOnly.of(!!props.disabled),
        EditorView.editable.of(!props.disabled),
        EditorView.contentAttributes.of({
          id: props.id,
          role: "textbox",
          "aria-label": props.label,
          ...(props.describedBy ? { "aria-describedby": props.describedBy } : {}),
        }),
        ...(props.placeholder ? [placeholderExt(props.placeholder)] : []),
        theme,
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          onChange(u.state.doc.toString(), !u.transactions.some((tr) => tr.annotation(fromOutside)));
        }),
      ],
    }),
  });
}

/** The syntax error of a preview as a lint mark on the character where it was found. */
function diagnosticsOf(result: PreviewResultT, length: number): Diagnostic[] {
  const error = result.error;
  if (error?.code !== "SYNTAX" || error.position === undefined) return [];
  const at = Math.min(Math.max(0, error.position - 1), length);
  const to = Math.min(at + 1, length);
  return [{ from: to === at ? Math.max(0, at - 1) : at, to, severity: "error", message: error.message }];
}

/**
 * The preview of `text` in `env`, after a pause in typing; its syntax error
 * marked in `view`.
 */
function usePreview(
  text: string,
  template: boolean,
  env: ExprEnv | undefined,
  view: { current: EditorView | undefined },
): PreviewResultT | undefined {
  const [result, setResult] = useState<PreviewResultT>();
  useEffect(() => {
    const mark = (r: PreviewResultT | undefined) => {
      const v = view.current;
      if (v) v.dispatch(setDiagnostics(v.state, r ? diagnosticsOf(r, v.state.doc.length) : []));
    };
    if (!env?.preview || text.trim() === "") {
      setResult(undefined);
      mark(undefined);
      return;
    }
    const stop = new AbortController();
    const timer = setTimeout(() => {
      const { bindings } = typeVariables(env.nodeType, env.context);
      previewExpression(env.workflowId, {
        ...(template ? { template: text } : { expression: text }),
        node: env.nodeId,
        ...(Object.keys(bindings).length ? { bindings } : {}),
      }, stop.signal).then((r) => {
        if (stop.signal.aborted) return;
        setResult(r);
        mark(r);
      }, (err) => {
        if (!stop.signal.aborted) setResult({ error: { code: "EVALUATION", message: (err as Error).message } });
      });
    }, PREVIEW_DELAY);
    return () => {
      clearTimeout(timer);
      stop.abort();
    };
  }, [text, env?.workflowId, env?.nodeId, env?.context, env?.preview, template]);
  return result;
}

/** The field; see the module doc. */
export default function ExpressionField(props: ExpressionFieldProps) {
  const env = useExprEnv();
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(undefined);
  const envRef = useRef(env);
  envRef.current = env;
  const onText = useRef(props.onText);
  onText.current = props.onText;
  const [text, setText] = useState(props.value);

  useEffect(() => {
    const v = createView(host.current!, {
      props,
      env: () => envRef.current,
      onChange: (t, typed) => {
        setText(t);
        if (typed) onText.current(t);
      },
    });
    view.current = v;
    return () => v.destroy();
  }, [props.template, props.disabled]);

  // A change from outside (undo, the code view) replaces the text.
  useEffect(() => {
    const v = view.current;
    if (!v || v.state.doc.toString() === props.value) return;
    v.dispatch({
      changes: { from: 0, to: v.state.doc.length, insert: props.value },
      annotations: fromOutside.of(true),
    });
  }, [props.value]);

  const result = usePreview(text, props.template, env, view);
  const syntax = result?.error?.code === "SYNTAX";
  const onSyntaxError = useRef(props.onSyntaxError);
  onSyntaxError.current = props.onSyntaxError;
  // Before the frame is painted: the two messages are never on screen together.
  useLayoutEffect(() => onSyntaxError.current?.(syntax), [syntax]);
  useLayoutEffect(() => () => onSyntaxError.current?.(false), []);
  return (
    <div className="expr-field">
      <div ref={host} className="expr-editor" data-testid="expression-editor" />
      {result && (
        <output
          className={`expr-preview${result.error ? " error" : ""}`}
          aria-live="polite"
          aria-label="Preview"
          data-testid="expression-preview"
          data-error-position={result.error?.position}
        >
          {result.error
            ? (
              <>
                <code>{result.error.code}</code> {result.error.message}
              </>
            )
            : <>= {previewText(result.value, 300)}</>}
        </output>
      )}
    </div>
  );
}
