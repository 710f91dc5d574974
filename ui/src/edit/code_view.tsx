/// <reference lib="dom" />
/**
 * The code view: the whole file in CodeMirror 6, JSON highlighting (with
 * each `{{ }}` template string's JSONata highlighted and shaded, as in a
 * JSON field: `expr/json_templates.ts`), completion from the workflow JSON
 * Schema (node configs from each node type's schema, node types from the
 * catalog) and, inside a node's `{{ }}`, of expressions (its data, as in its
 * form's fields), and the validator's problems as lint marks (a template's
 * syntax error on its character, asked of the preview endpoint). It edits the same text as the canvas: a change in either
 * shows in the other as soon as the text parses. Also the side-by-side
 * merge view (`@codemirror/merge`) of a save that found the file changed.
 *
 * @module
 */
import { autocompletion, closeBrackets, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { type Diagnostic, linter, lintGutter, setDiagnostics } from "@codemirror/lint";
import { MergeView } from "@codemirror/merge";
import { Annotation, EditorState, type Extension } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { findNodeAtLocation, getLocation, type Node as JsonNode, parse, parseTree } from "jsonc-parser";
import { useEffect, useRef } from "react";
import type { JsonSchema, NodeType, Problem } from "../api.ts";
import { getExpressionContext, previewExpression } from "../api_editor.ts";
import type { ExpressionContextT, PreviewResultT } from "../api_editor.ts";
import { type CompletionEnv, expressionCompletion } from "./expr/completion.ts";
import { inTemplate, jsonWithTemplates, templateMarks, unescape } from "./expr/json_templates.ts";
import { jsonataHighlighting } from "./expr/jsonata_language.ts";
import { type Previewed, syntaxMark } from "./expr/syntax_marks.ts";
import { parsePath, problemRange } from "./problems.ts";
import { propertiesOf, schemaAt, valuesOf } from "./schema.ts";

/** The editor's look, following the console's colours (light and dark). */
const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "12.5px", backgroundColor: "var(--surface)", color: "var(--text)" },
  ".cm-content": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", caretColor: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--bg)", color: "var(--muted)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "color-mix(in srgb, var(--accent) 8%, transparent)" },
  "&.cm-focused": { outline: "2px solid var(--focus)" },
  ".cm-tooltip": { backgroundColor: "var(--surface)", color: "var(--text)", border: "1px solid var(--border)" },
});

function basics(): Extension[] {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    foldGutter(),
    drawSelection(),
    history(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    syntaxHighlighting(defaultHighlightStyle),
    keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
    jsonWithTemplates(),
    templateMarks,
    jsonataHighlighting,
    theme,
  ];
}

/** Completion from the workflow schema, node config schemas and node types. */
function schemaCompletion(get: () => { schema?: JsonSchema; types: readonly NodeType[] }) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const { schema, types } = get();
    if (!schema || inTemplate(ctx.state, ctx.pos)) return null;
    const text = ctx.state.doc.toString();
    const loc = getLocation(text, ctx.pos);
    const word = ctx.matchBefore(/"?[\w$.-]*"?/);
    if (!word && !ctx.explicit) return null;
    const doc = parse(text);
    const configOf = (t: string) => types.find((x) => x.type === t)?.configSchema ?? undefined;
    const from = word?.from ?? ctx.pos;
    if (loc.isAtPropertyKey) {
      const s = schemaAt(schema, loc.path.slice(0, -1), doc, configOf);
      if (!s) return null;
      return {
        from,
        options: propertiesOf(schema, s).map((p) => ({
          label: JSON.stringify(p.name),
          apply: `${JSON.stringify(p.name)}: `,
          type: "property",
          ...(p.description ? { info: p.description } : {}),
        })),
      };
    }
    const path = loc.path;
    if (path.at(-1) === "type" && path.at(-3) === "nodes") {
      return {
        from,
        options: types.map((t) => ({ label: JSON.stringify(t.type), type: "enum", info: t.description })),
      };
    }
    const s = schemaAt(schema, path, doc, configOf);
    if (!s) return null;
    const values = valuesOf(schema, s);
    if (!values.length) return null;
    return { from, options: values.map((v) => ({ label: JSON.stringify(v), type: "enum" })) };
  };
}

/**
 * The node a position of the file's text is in (a node of the top-level
 * workflow: loop bodies are not served) and, when it is served, its
 * expression context, fetched once per node (`contexts`, emptied when the
 * served workflow or its data change), or undefined.
 */
function nodeEnvAt(
  c: CompletionContext,
  { workflowId, served }: CodeViewProps,
  contexts: Map<string, Promise<ExpressionContextT | undefined>>,
): Promise<CompletionEnv> | undefined {
  const text = c.state.doc.toString();
  const [head, index] = getLocation(text, c.pos).path;
  if (head !== "nodes" || typeof index !== "number") return undefined;
  const node = (parse(text) as { nodes?: { id?: unknown; type?: unknown }[] })?.nodes?.[index];
  if (!node || typeof node.id !== "string" || typeof node.type !== "string") return undefined;
  const { id, type } = node;
  if (!workflowId || !served?.has(id)) return Promise.resolve({ nodeType: type });
  let context = contexts.get(id);
  if (!context) {
    context = getExpressionContext(workflowId, id).catch(() => undefined);
    contexts.set(id, context);
  }
  return context.then((ctx) => ({ nodeType: type, ...(ctx ? { context: ctx } : {}) }));
}

/** How long typing pauses before a template's syntax error is asked where it is, ms (as a field's preview). */
const SYNTAX_DELAY = 200;

/** The template string (a string value holding `{{`) a problem's path names in `text` (parsed: `tree`), or undefined. */
function templateProblemAt(text: string, tree: JsonNode, p: Problem): Previewed | undefined {
  const node = findNodeAtLocation(tree, parsePath(p.path));
  if (node?.type !== "string" || typeof node.value !== "string" || !node.value.includes("{{")) return undefined;
  return unescape(text.slice(node.offset + 1, node.offset + node.length - 1), node.offset + 1);
}

/**
 * The preview endpoint's answer for a template's text (the same engine as
 * the validator: a syntax error's position), kept by text in `kept`; a
 * failed request is none.
 */
async function syntaxOf(
  workflowId: string,
  text: string,
  kept: Map<string, PreviewResultT>,
  signal: AbortSignal,
): Promise<PreviewResultT | undefined> {
  const known = kept.get(text);
  if (known) return known;
  try {
    const r = await previewExpression(workflowId, { template: text }, signal);
    if (kept.size >= 100) kept.delete(kept.keys().next().value!);
    kept.set(text, r);
    return r;
  } catch {
    return undefined;
  }
}

/** Props of {@linkcode CodeView}. */
export interface CodeViewProps {
  /** The text. */
  text: string;
  /** The text was edited here. */
  onChange: (text: string) => void;
  /** Problems to mark. */
  problems: Problem[];
  /** The workflow JSON Schema. */
  schema?: JsonSchema;
  /** The node catalog. */
  types: readonly NodeType[];
  /** Whether editing is off. */
  readOnly: boolean;
  /** Set to a function that puts the cursor at an offset. */
  onReady?: (reveal: (offset: number) => void) => void;
  /** The served workflow's id: completion inside a node's `{{ }}` offers its data. */
  workflowId?: string;
  /** The served nodes (a new set when the served workflow or its recorded data change). */
  served?: ReadonlySet<string>;
}

/** The smallest replacement turning `a` into `b`: common start and end kept, so the cursor stays. */
function change(a: string, b: string): { from: number; to: number; insert: string } {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length, endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return { from: start, to: endA, insert: b.slice(start, endB) };
}

/**
 * The validator's problems as lint marks in `view`: each on its range; one
 * of a template string, after a pause, on the character where JSONata found
 * the error (asked of the preview endpoint, the same engine; answers kept
 * by text).
 */
function useProblemMarks(view: { current: EditorView | null }, props: CodeViewProps): void {
  const syntax = useRef(new Map<string, PreviewResultT>());
  useEffect(() => syntax.current.clear(), [props.workflowId]);
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const text = v.state.doc.toString();
    const diagnostics: Diagnostic[] = props.problems.map((p) => {
      const r = problemRange(text, p);
      return {
        from: Math.min(r.from, text.length),
        to: Math.min(r.to, text.length),
        severity: "error",
        message: p.message,
      };
    });
    v.dispatch(setDiagnostics(v.state, diagnostics));
    // A problem of a template string: after a pause, marked at the character where JSONata found it instead.
    const tree = props.workflowId && props.problems.length ? parseTree(text) : undefined;
    const strings = tree ? props.problems.map((p) => templateProblemAt(text, tree, p)) : [];
    if (!strings.some(Boolean)) return;
    const stop = new AbortController();
    const timer = setTimeout(() => {
      Promise.all(strings.map((s) => s && syntaxOf(props.workflowId!, s.text, syntax.current, stop.signal))).then(
        (results) => {
          if (stop.signal.aborted || v.state.doc.toString() !== text) return;
          const marks = diagnostics.map((d, i) => {
            const r = results[i], s = strings[i];
            return (r && s && syntaxMark(r, s, d.message)) || d;
          });
          v.dispatch(setDiagnostics(v.state, marks));
        },
      );
    }, SYNTAX_DELAY);
    return () => {
      clearTimeout(timer);
      stop.abort();
    };
  }, [props.problems, props.text, props.workflowId]);
}

/** The code view; see the module doc. */
export function CodeView(props: CodeViewProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(null);
  const latest = useRef(props);
  latest.current = props;
  // Each node's expression context, fetched when first completed in; again after a change of the served data.
  const contexts = useRef(new Map<string, Promise<ExpressionContextT | undefined>>());
  useEffect(() => contexts.current.clear(), [props.workflowId, props.served]);
  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: props.text,
        extensions: [
          basics(),
          lintGutter(),
          linter(null),
          autocompletion({
            override: [
              schemaCompletion(() => latest.current),
              expressionCompletion((c) => nodeEnvAt(c, latest.current, contexts.current), true),
            ],
          }),
          EditorState.readOnly.of(props.readOnly),
          EditorView.contentAttributes.of({ "aria-label": "Workflow file text" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !u.transactions.every((t) => t.annotation(fromOutside))) {
              latest.current.onChange(u.state.doc.toString());
            }
          }),
        ],
      }),
    });
    view.current = v;
    props.onReady?.((offset) => {
      v.dispatch({ selection: { anchor: offset }, scrollIntoView: true });
      v.focus();
    });
    return () => v.destroy();
  }, []);
  // Text changed elsewhere (canvas, forms, undo): replace what differs.
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const now = v.state.doc.toString();
    if (now !== props.text) v.dispatch({ changes: change(now, props.text), annotations: fromOutside.of(true) });
  }, [props.text]);
  useProblemMarks(view, props);
  return <div className="code-view" ref={host} data-testid="code-view" />;
}

/** Marks a change that came from outside the code view (it is not reported back). */
const fromOutside = Annotation.define<boolean>();

/** Props of {@linkcode MergePanel}. */
export interface MergePanelProps {
  /** The editor's text (left, editable). */
  mine: string;
  /** The file's text now (right). */
  theirs: string;
  /** Why it is shown. */
  title: string;
  /** Saves the merged left side over the file. */
  onSaveMerged: (text: string) => void;
  /** Takes the file's text. */
  onTakeTheirs: () => void;
  /** Closes it. */
  onClose: () => void;
}

/** Side by side: your text (editable, to merge into) and the file's; see the module doc. */
export function MergePanel(props: MergePanelProps) {
  const host = useRef<HTMLDivElement>(null);
  const merge = useRef<MergeView>(null);
  useEffect(() => {
    const m = new MergeView({
      a: { doc: props.mine, extensions: [basics(), EditorView.contentAttributes.of({ "aria-label": "Your text" })] },
      b: {
        doc: props.theirs,
        extensions: [
          basics(),
          EditorState.readOnly.of(true),
          EditorView.contentAttributes.of({ "aria-label": "The file on disk" }),
        ],
      },
      parent: host.current!,
      revertControls: "b-to-a",
      highlightChanges: true,
      gutter: true,
    });
    merge.current = m;
    return () => m.destroy();
  }, [props.mine, props.theirs]);
  return (
    <div className="merge-backdrop">
      <section className="merge-panel" role="dialog" aria-modal="true" aria-label={props.title}>
        <div className="panel-head">
          <h2>{props.title}</h2>
        </div>
        <p className="muted">
          Left: your text (edit it, or take changes from the right with the arrows). Right: the file as it is on disk
          now.
        </p>
        <div className="merge-columns" aria-hidden="true">
          <span>Yours</span>
          <span>On disk</span>
        </div>
        <div className="merge-host" ref={host} />
        <div className="actions">
          <button
            type="button"
            className="primary"
            onClick={() => props.onSaveMerged(merge.current!.a.state.doc.toString())}
          >
            Save mine (merged) over the file
          </button>
          <button type="button" onClick={props.onTakeTheirs}>Take the file's version</button>
          <button type="button" onClick={props.onClose}>Close</button>
        </div>
      </section>
    </div>
  );
}
