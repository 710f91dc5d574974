/// <reference lib="dom" />
/**
 * An expression field: CodeMirror 6 with JSONata highlighting, completion
 * (see `complete.ts`), syntax errors marked at their position as you type,
 * and a live preview of the value, both from the server's preview
 * (`POST /api/v1/workflows/{id}/preview`: the same engine and limits as a
 * run; secrets are `***`). `template` mode is a string with `{{ }}`; else a
 * whole expression (`control.if`'s condition); `json` mode is JSON text
 * whose strings may hold templates (a JSON field): each template
 * highlighted, completion inside `{{ }}`, and the preview of the template
 * string at the cursor (see `json_templates.ts`). Loaded lazily (CodeMirror).
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
import { Annotation, EditorSelection, EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderExt } from "@codemirror/view";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { previewExpression, type PreviewResultT } from "../../api_editor.ts";
import { preview as previewText } from "../../format.ts";
import { completeAt, typeVariables } from "./complete.ts";
import { type ExprEnv, useExprEnv } from "./env.ts";
import { jsonataLanguage } from "./jsonata_language.ts";
import { inTemplate, jsonWithTemplates, templateMarks, templateStringAt } from "./json_templates.ts";

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
  /** JSON text whose strings may hold `{{ }}` templates (then `template` is not read). */
  json?: boolean;
  /** Focused when it first appears (not again), the cursor at this offset. */
  focusAt?: number;
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
   * out the validator's message of that same error. In `json` mode, with
   * the path in the value of the string it is in (`a.0.b`).
   */
  onSyntaxError?: (shown: boolean, path?: string) => void;
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
  ".cm-template": { backgroundColor: "color-mix(in srgb, var(--f-transform) 14%, transparent)", borderRadius: "3px" },
  ".cm-tooltip": { backgroundColor: "var(--surface)", color: "var(--text)", border: "1px solid var(--border)" },
});

/** How long typing pauses before a preview, ms. */
const PREVIEW_DELAY = 200;

function completion(env: () => ExprEnv | undefined, json: boolean) {
  return (c: CompletionContext): CompletionResult | null => {
    if (json && !inTemplate(c.state, c.pos)) return null;
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
  /** The text or the cursor changed (`typed`: the text, by the user, not from outside). */
  onChange: (state: EditorState, typed: boolean) => void;
  /** Focus it, the cursor at this offset. */
  focusAt?: number;
}

/** The CodeMirror view of a field: JSONata (or JSON with templates), completion, the field's id and label. */
function createView(parent: HTMLElement, { props, env, onChange, focusAt }: ViewOptions): EditorView {
  const json = !!props.json;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: props.value,
      ...(focusAt !== undefined ? { selection: EditorSelection.cursor(Math.min(focusAt, props.value.length)) } : {}),
      extensions: [
        history(),
        closeBrackets(),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        json ? [jsonWithTemplates(), templateMarks] : jsonataLanguage(props.template),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion({ override: [completion(env, json)], activateOnTyping: true }),
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
          if (!u.docChanged && !u.selectionSet) return;
          onChange(u.state, u.docChanged && !u.transactions.some((tr) => tr.annotation(fromOutside)));
        }),
      ],
    }),
  });
  if (focusAt !== undefined) view.focus();
  return view;
}

/** What a preview is of: the field's text, or (JSON) the template string at the cursor. */
interface Target {
  /** The text previewed (a template, or a whole expression). */
  text: string;
  /** Where each character of `text` is in the document (identity when absent). */
  at?: number[];
  /** JSON: the string's path in the value. */
  path?: string;
}

/** The target of a preview in `state`; see {@linkcode Target}. */
function targetOf(state: EditorState, json: boolean): Target | undefined {
  if (!json) return { text: state.doc.toString() };
  return templateStringAt(state, state.selection.main.head);
}

/** Whether two targets preview the same text at the same place. */
function sameTarget(a: Target | undefined, b: Target | undefined): boolean {
  return a?.text === b?.text && a?.path === b?.path && a?.at?.[0] === b?.at?.[0];
}

/** The syntax error of a preview of `target` as a lint mark on the character where it was found. */
function diagnosticsOf(result: PreviewResultT, target: Target): Diagnostic[] {
  const error = result.error;
  const length = target.text.length;
  if (error?.code !== "SYNTAX" || error.position === undefined) return [];
  const at = Math.min(Math.max(0, error.position - 1), length);
  const to = Math.min(at + 1, length);
  const pos = (i: number) => target.at?.[i] ?? i;
  return [{ from: pos(to === at ? Math.max(0, at - 1) : at), to: pos(to), severity: "error", message: error.message }];
}

/**
 * The preview of `target` in `env`, after a pause in typing; its syntax
 * error marked in `view`.
 */
function usePreview(
  target: Target | undefined,
  template: boolean,
  env: ExprEnv | undefined,
  view: { current: EditorView | undefined },
): { result: PreviewResultT; path?: string } | undefined {
  const [shown, setShown] = useState<{ result: PreviewResultT; path?: string }>();
  const text = target?.text ?? "";
  const where = useRef(target);
  where.current = target;
  useEffect(() => {
    const mark = (r: PreviewResultT | undefined) => {
      const v = view.current, t = where.current;
      if (v) v.dispatch(setDiagnostics(v.state, r && t ? diagnosticsOf(r, t) : []));
    };
    if (!env?.preview || text.trim() === "") {
      setShown(undefined);
      mark(undefined);
      return;
    }
    const stop = new AbortController();
    // The result is shown with the path of the string it is of (JSON mode), not of a later one.
    const path = where.current?.path;
    const setResult = (result: PreviewResultT) => setShown({ result, ...(path !== undefined ? { path } : {}) });
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
  }, [text, target?.path, target?.at?.[0], env?.workflowId, env?.nodeId, env?.context, env?.preview, template]);
  return shown;
}

/** The one change from `old` to `next`: what lies between their common start and end (the cursor stays put). */
function changeTo(old: string, next: string): { from: number; to: number; insert: string } {
  let a = 0;
  while (a < old.length && a < next.length && old[a] === next[a]) a++;
  let b = 0;
  while (b < old.length - a && b < next.length - a && old[old.length - 1 - b] === next[next.length - 1 - b]) b++;
  return { from: a, to: old.length - b, insert: next.slice(a, next.length - b) };
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
  const json = !!props.json;
  const [target, setTarget] = useState<Target | undefined>(() => json ? undefined : { text: props.value });

  // Focused when it appears, and a view made again (read-only toggled) only if the one it replaces had the focus.
  const focusAt = useRef(props.focusAt);
  useEffect(() => {
    const v = createView(host.current!, {
      props,
      ...(focusAt.current !== undefined ? { focusAt: focusAt.current } : {}),
      env: () => envRef.current,
      onChange: (state, typed) => {
        const next = targetOf(state, json);
        setTarget((t) => sameTarget(t, next) ? t : next);
        if (typed) onText.current(state.doc.toString());
      },
    });
    view.current = v;
    focusAt.current = undefined;
    setTarget(targetOf(v.state, json));
    return () => {
      if (v.hasFocus) focusAt.current = v.state.selection.main.head;
      v.destroy();
    };
  }, [props.template, props.disabled, json]);

  // A change from outside (undo, the code view, a JSON value written again) replaces the text that differs.
  useEffect(() => {
    const v = view.current;
    if (!v || v.state.doc.toString() === props.value) return;
    v.dispatch({ changes: changeTo(v.state.doc.toString(), props.value), annotations: fromOutside.of(true) });
  }, [props.value]);

  const shown = usePreview(target, json || props.template, env, view);
  const result = shown?.result;
  const syntax = result?.error?.code === "SYNTAX";
  const onSyntaxError = useRef(props.onSyntaxError);
  onSyntaxError.current = props.onSyntaxError;
  // Before the frame is painted: the two messages are never on screen together.
  const errorPath = syntax ? shown?.path : undefined;
  useLayoutEffect(() => onSyntaxError.current?.(syntax, errorPath), [syntax, errorPath]);
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
          data-path={shown?.path}
        >
          {shown?.path !== undefined && <code className="expr-path">{shown.path || "(the value)"}</code>}
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
