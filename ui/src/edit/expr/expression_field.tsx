/// <reference lib="dom" />
/**
 * An expression field: CodeMirror 6 with JSONata highlighting, completion
 * (see `complete.ts`), syntax errors marked at their position as you type,
 * and a live preview of the value, both from the server's preview
 * (`POST /api/v1/workflows/{id}/preview`: the same engine and limits as a
 * run; secrets are `***`). `template` mode is a string with `{{ }}`; else a
 * whole expression (`control.if`'s condition); `json` mode is JSON text
 * whose strings may hold templates (a JSON field): each template
 * highlighted, completion inside `{{ }}`, and a preview of every template
 * string, the cursor's first (see `json_templates.ts`). Loaded lazily
 * (CodeMirror).
 * A syntax error shows once under the field: the preview's message, its
 * character underlined; the validator finds the same error (the same
 * engine on the same text) and its message is then left out of the field
 * (it stays in the Problems list).
 *
 * @module
 */
import { autocompletion, closeBrackets } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { setDiagnostics } from "@codemirror/lint";
import { Annotation, EditorSelection, EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderExt } from "@codemirror/view";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { previewExpression, type PreviewResultT } from "../../api_editor.ts";
import { preview as previewText } from "../../format.ts";
import { typeVariables } from "./complete.ts";
import { expressionCompletion } from "./completion.ts";
import { type ExprEnv, useExprEnv } from "./env.ts";
import { jsonataHighlighting, jsonataLanguage } from "./jsonata_language.ts";
import { syntaxMark } from "./syntax_marks.ts";
import { jsonWithTemplates, templateMarks, templateStringAt, templateStrings } from "./json_templates.ts";

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
   * Told which previews show a syntax error now: the field then leaves out
   * the validator's messages of those same errors. The paths in the value
   * of their strings (`a.0.b`) in `json` mode, else `[""]` or none.
   */
  onSyntaxError?: (paths: string[]) => void;
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

/** What the editor view is made with. */
interface ViewOptions {
  /** The field's props at creation. */
  props: ExpressionFieldProps;
  /** The current expression environment. */
  env: () => ExprEnv | undefined;
  /** The text (`docChanged`) or the cursor changed (`typed`: the text, by the user, not from outside). */
  onChange: (state: EditorState, docChanged: boolean, typed: boolean) => void;
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
        jsonataHighlighting,
        syntaxHighlighting(defaultHighlightStyle),
        autocompletion({
          override: [expressionCompletion(() => env() ?? {}, json)],
          activateOnTyping: true,
        }),
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
          onChange(u.state, u.docChanged, u.docChanged && !u.transactions.some((tr) => tr.annotation(fromOutside)));
        }),
      ],
    }),
  });
  if (focusAt !== undefined) view.focus();
  return view;
}

/** What a preview is of: the field's text, or (JSON) one of its template strings. */
interface Target {
  /** The text previewed (a template, or a whole expression). */
  text: string;
  /** Where each character of `text` is in the document (identity when absent). */
  at?: number[];
  /** JSON: the string's path in the value. */
  path?: string;
}

/** The targets of the previews in `state`: the whole text, or (JSON) every template string. */
function targetsOf(state: EditorState, json: boolean): Target[] {
  return json ? templateStrings(state) : [{ text: state.doc.toString() }];
}

/** What identifies a list of targets for previewing: their paths and texts (not where they are). */
function targetsKey(targets: readonly Target[]): string {
  return JSON.stringify(targets.map((t) => [t.path, t.text]));
}

/** A preview shown: its result, and (JSON) the path of the string it is of. */
interface Shown {
  /** The server's answer. */
  result: PreviewResultT;
  /** JSON: the string's path in the value. */
  path?: string;
}

/** Results kept by text, for one node's data: more than this many and the oldest go. */
const CACHE_SIZE = 100;

/** The preview of one text (a failed request is an `EVALUATION` error). */
function previewOne(env: ExprEnv, text: string, template: boolean, signal: AbortSignal): Promise<PreviewResultT> {
  const { bindings } = typeVariables(env.nodeType, env.context);
  return previewExpression(env.workflowId, {
    ...(template ? { template: text } : { expression: text }),
    node: env.nodeId,
    ...(Object.keys(bindings).length ? { bindings } : {}),
  }, signal);
}

/**
 * The previews of `targets` in `env`, after a pause in typing; their syntax
 * errors marked in `view`. Results are kept by text for the same data, so
 * a pause asks the server only for the texts that changed (one, as you
 * type in one string), all at once; moving the cursor asks for nothing.
 */
function usePreviews(
  targets: readonly Target[],
  template: boolean,
  env: ExprEnv | undefined,
  view: { current: EditorView | undefined },
): Shown[] {
  const [shown, setShown] = useState<Shown[]>([]);
  const where = useRef(targets);
  where.current = targets;
  const cache = useRef(new Map<string, PreviewResultT>());
  // Results are of the data they were evaluated on: new data (a run, another node), a new cache.
  useEffect(() => void (cache.current = new Map()), [env?.workflowId, env?.nodeId, env?.context, template]);
  const key = targetsKey(targets);
  useEffect(() => {
    const mark = (results: ReadonlyMap<string, PreviewResultT>) => {
      const v = view.current;
      if (!v) return;
      const marks = where.current.flatMap((t) => {
        const r = results.get(t.text);
        const m = r && syntaxMark(r, t);
        return m ? [m] : [];
      });
      v.dispatch(setDiagnostics(v.state, marks));
    };
    const list = where.current.filter((t) => t.text.trim() !== "");
    if (!env?.preview || !list.length) {
      setShown([]);
      mark(new Map());
      return;
    }
    const show = (results: ReadonlyMap<string, PreviewResultT>) => {
      setShown(list.map((t) => ({ result: results.get(t.text)!, ...(t.path !== undefined ? { path: t.path } : {}) })));
      mark(results);
    };
    const missing = [...new Set(list.map((t) => t.text))].filter((t) => !cache.current.has(t));
    if (!missing.length) {
      show(cache.current);
      return;
    }
    const stop = new AbortController();
    const timer = setTimeout(() => {
      Promise.all(missing.map((text) =>
        previewOne(env, text, template, stop.signal).then(
          (r) => ({ text, result: r, kept: true }),
          (err) => ({ text, result: { error: { code: "EVALUATION", message: (err as Error).message } }, kept: false }),
        )
      )).then((answers) => {
        if (stop.signal.aborted) return;
        const results = new Map(cache.current);
        for (const a of answers) {
          results.set(a.text, a.result as PreviewResultT);
          if (!a.kept) continue;
          if (cache.current.size >= CACHE_SIZE) cache.current.delete(cache.current.keys().next().value!);
          cache.current.set(a.text, a.result as PreviewResultT);
        }
        show(results);
      });
    }, PREVIEW_DELAY);
    return () => {
      clearTimeout(timer);
      stop.abort();
    };
  }, [key, env?.workflowId, env?.nodeId, env?.context, env?.preview, template]);
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
  const [targets, setTargets] = useState<Target[]>(() => json ? [] : [{ text: props.value }]);
  // JSON: the path of the template string the cursor is in; its preview comes first.
  const [current, setCurrent] = useState<string>();

  // Focused when it appears, and a view made again (read-only toggled) only if the one it replaces had the focus.
  const focusAt = useRef(props.focusAt);
  useEffect(() => {
    const follow = (state: EditorState, docChanged: boolean) => {
      if (docChanged) {
        const next = targetsOf(state, json);
        setTargets((t) => targetsKey(t) === targetsKey(next) ? t : next);
      }
      if (json) setCurrent(templateStringAt(state, state.selection.main.head)?.path);
    };
    const v = createView(host.current!, {
      props,
      ...(focusAt.current !== undefined ? { focusAt: focusAt.current } : {}),
      env: () => envRef.current,
      onChange: (state, docChanged, typed) => {
        follow(state, docChanged);
        if (typed) onText.current(state.doc.toString());
      },
    });
    view.current = v;
    focusAt.current = undefined;
    follow(v.state, true);
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

  const shown = usePreviews(targets, json || props.template, env, view);
  const syntax = shown.filter((s) => s.result.error?.code === "SYNTAX").map((s) => s.path ?? "");
  const onSyntaxError = useRef(props.onSyntaxError);
  onSyntaxError.current = props.onSyntaxError;
  // Before the frame is painted: the two messages are never on screen together.
  const syntaxKey = JSON.stringify(syntax);
  useLayoutEffect(() => onSyntaxError.current?.(syntax), [syntaxKey]);
  useLayoutEffect(() => () => onSyntaxError.current?.([]), []);
  return (
    <div className="expr-field">
      <div ref={host} className="expr-editor" data-testid="expression-editor" />
      {json
        ? (
          shown.length > 0 && (
            <div className="expr-previews" role="status" aria-label="Previews">
              {firstAt(shown, current).map((s) => <PreviewLine key={s.path} shown={s} current={s.path === current} />)}
            </div>
          )
        )
        : shown[0] && <PreviewLine shown={shown[0]} live />}
    </div>
  );
}

/** The previews with the one at `path` first, the others in document order. */
function firstAt(shown: Shown[], path: string | undefined): Shown[] {
  const at = shown.findIndex((s) => s.path === path);
  return at <= 0 ? shown : [shown[at], ...shown.slice(0, at), ...shown.slice(at + 1)];
}

/** One preview: `= value` or the error, headed (JSON) by its string's path; `current`: the cursor's. */
function PreviewLine(props: { shown: Shown; current?: boolean; live?: boolean }) {
  const { result, path } = props.shown;
  return (
    <output
      className={`expr-preview${result.error ? " error" : ""}${props.current ? " current" : ""}`}
      {...(props.live ? { "aria-live": "polite" as const } : {})}
      aria-label={path !== undefined ? `Preview of ${path || "the value"}` : "Preview"}
      {...(props.current ? { "aria-current": "true" as const } : {})}
      data-testid="expression-preview"
      data-error-position={result.error?.position}
      data-path={path}
    >
      {path !== undefined && <code className="expr-path">{path || "(the value)"}</code>}
      {result.error
        ? (
          <>
            <code>{result.error.code}</code> {result.error.message}
          </>
        )
        : <>= {previewText(result.value, 300)}</>}
    </output>
  );
}
