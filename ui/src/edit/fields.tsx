/// <reference lib="dom" />
/**
 * Form fields generated from a JSON Schema: text, number, checkbox, select
 * (enums), duration, nested objects, string maps, lists and JSON for the
 * rest; defaults as placeholders, descriptions as help, a per-field (and
 * per-list-item, per-map-entry) switch to an expression (`{{ }}`), a JSON
 * value holding `{{ }}` in the expression editor's JSON mode, and the
 * validator's problem under its field (an expression's syntax error once:
 * the field's preview shows it).
 * Each change is one `onSet(path, value)` (undefined removes the property).
 *
 * @module
 */
import { lazy, type ReactNode, Suspense, useEffect, useRef, useState } from "react";
import type { JsonSchema } from "../api.ts";
import type { Path } from "./doc.ts";
import { useExprEnv } from "./expr/env.ts";
import { type Field, fieldsOf, holdsExpression, isExpression, placeholderOf } from "./schema.ts";

// The expression editor (CodeMirror) loads when an expression field is first shown with a served workflow.
const ExpressionField = lazy(() => import("./expr/expression_field.tsx"));

/** Sets (or, with undefined, removes) the value at `path`; `group` joins typing into one undo step. */
export type OnSet = (path: Path, value: unknown, group?: string) => void;

/** Props shared by the fields. */
interface FieldProps {
  /** The field. */
  field: Field;
  /** Its value (undefined: not set). */
  value: unknown;
  /** Its path, relative to what `onSet` edits. */
  path: Path;
  /** Changes it. */
  onSet: OnSet;
  /** Problems by field path (`config.url`). */
  problems: ReadonlyMap<string, string[]>;
  /** Whether the form is read-only. */
  disabled?: boolean;
  /** Whether the field may hold an expression. */
  expressions?: boolean;
}

/** The input's DOM id of a field path. */
export function fieldId(path: Path): string {
  return `field-${path.join(".")}`;
}

/** A string state that follows `value` when it changes from outside. */
function useLocal(value: string): [string, (v: string) => void] {
  const [v, setV] = useState(value);
  useEffect(() => setV(value), [value]);
  return [v, setV];
}

/** Every field of an object schema (or those `only` names). */
export function ObjectFields(
  props: Omit<FieldProps, "field" | "value"> & {
    schema?: JsonSchema;
    value: unknown;
    only?: string[];
    skip?: string[];
  },
) {
  const { schema, only, skip, value, ...rest } = props;
  const fields = fieldsOf(schema).filter((f) => (!only || only.includes(f.key)) && !skip?.includes(f.key));
  const obj = value && typeof value === "object" ? value as Record<string, unknown> : {};
  if (!fields.length) return <p className="muted">No settings.</p>;
  return (
    <>
      {fields.map((f) => (
        <SchemaField
          key={f.key}
          {...rest}
          field={f}
          value={obj[f.key]}
          path={[...props.path, f.key]}
        />
      ))}
    </>
  );
}

/**
 * Whether a field shows its expression editor: switched on, or its value is
 * an expression (`test`; then it stays on).
 */
function useExprMode(value: unknown, test = isExpression): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(test(value));
  useEffect(() => {
    if (test(value)) setOn(true);
  }, [value]);
  return [on, setOn];
}

/**
 * The problems inside a JSON field's value (`config.body.name` under
 * `config.body`), each with its path in the value; without those at the
 * `skip` paths, whose syntax errors the field's previews show.
 */
function nestedProblems(problems: ReadonlyMap<string, string[]>, key: string, skip: readonly string[]): string[] {
  const out: string[] = [];
  for (const [k, messages] of problems) {
    if (!k.startsWith(`${key}.`) || skip.includes(k.slice(key.length + 1))) continue;
    out.push(...messages.map((m) => `${k.slice(key.length + 1)}: ${m}`));
  }
  return out;
}

/** The `{{ }}` switch of a field (or of a list item): its expression editor on or off. */
function ExprSwitch(props: { on: boolean; label: string; disabled?: boolean; onClick: () => void }) {
  return (
    <button
      type="button"
      className="small expr-switch"
      aria-pressed={props.on}
      aria-label={`${props.label} as an expression`}
      title="Write an expression ({{ … }}) instead of a value"
      disabled={props.disabled}
      onClick={props.onClick}
    >
      {"{{ }}"}
    </button>
  );
}

/** One field, with its label, help, problems and expression switch. */
export function SchemaField(props: FieldProps) {
  const { field, value, path, problems } = props;
  const id = fieldId(path);
  // An expression's syntax error shows once: when the field's preview shows it, not again from the validator.
  const [previewed, setPreviewed] = useState(false);
  // A JSON field's: the paths (in its value) of the strings whose syntax errors its previews show.
  const [previewedAt, setPreviewedAt] = useState<string[]>([]);
  const nested = field.kind === "json" ? nestedProblems(problems, path.join("."), previewedAt) : [];
  const found = [...problems.get(path.join(".")) ?? [], ...nested];
  // A whole-expression field (`"format": "jsonata"`, as control.if's condition) is always an expression.
  const whole = field.schema.format === "jsonata";
  const canExpr = !whole && props.expressions !== false && !["object", "record", "list"].includes(field.kind);
  const [exprOn, setExprOn] = useExprMode(value);
  const expr = canExpr && exprOn;
  const errors = (expr || whole) && previewed ? [] : found;
  const helpId = `${id}-help`;
  return (
    <div className={`form-field kind-${field.kind}${found.length ? " invalid" : ""}`}>
      <div className="form-label">
        <label htmlFor={id}>
          {field.key}
          {field.required && <span aria-hidden="true" className="required">*</span>}
        </label>
        {canExpr && (
          <ExprSwitch
            on={expr}
            label={field.key}
            disabled={props.disabled}
            onClick={() => {
              if (expr && isExpression(value)) props.onSet(path, undefined);
              setExprOn(!expr);
            }}
          />
        )}
      </div>
      {expr || whole
        ? (
          <ExpressionInput
            id={id}
            label={field.key}
            value={value}
            helpId={helpId}
            template={!whole}
            disabled={props.disabled}
            onText={(t) => props.onSet(path, t === "" ? undefined : t, id)}
            onSyntaxError={setPreviewed}
          />
        )
        : (
          <Widget
            {...props}
            id={id}
            helpId={helpId}
            invalid={errors.length > 0}
            onSyntaxErrorAt={setPreviewedAt}
          />
        )}
      {field.description && <p id={helpId} className="hint muted">{field.description}</p>}
      {errors.map((e, i) => <p key={i} className="field-error" role="alert">{e}</p>)}
    </div>
  );
}

/** Props of {@linkcode ExpressionInput}. */
interface ExpressionInputProps {
  /** The DOM id. */
  id: string;
  /** The accessible name. */
  label: string;
  /** The value (a string; anything else shows empty). */
  value: unknown;
  /** Help text's id. */
  helpId?: string;
  /** A string with `{{ }}` templates, or a whole expression. */
  template: boolean;
  /** Read-only. */
  disabled?: boolean;
  /** Focused when it first appears, the cursor at this offset (a `{{` typed into a plain input). */
  focusAt?: number;
  /** Changed text. */
  onText: (text: string) => void;
  /** Told whether the preview shows a syntax error (see {@linkcode SchemaField}). */
  onSyntaxError: (shown: boolean) => void;
}

/** Told the paths (in a JSON field's value) of the strings whose previews show a syntax error. */
type OnSyntaxErrorAt = (paths: string[]) => void;

/** The expression editor of a field or list item: a plain input until CodeMirror is loaded or without a served workflow. */
function ExpressionInput(props: ExpressionInputProps) {
  const [v, setV] = useLocal(typeof props.value === "string" ? props.value : "");
  const env = useExprEnv();
  const set = (t: string) => {
    setV(t);
    props.onText(t);
  };
  const plain = (
    <input
      id={props.id}
      className="expr"
      value={v}
      aria-label={props.label}
      placeholder={props.template ? "{{ $inputs.name }}" : "$node.value > 0"}
      aria-describedby={props.helpId}
      disabled={props.disabled}
      onChange={(e) => set(e.target.value)}
    />
  );
  if (!env) return plain;
  return (
    <Suspense fallback={plain}>
      <ExpressionField
        id={props.id}
        label={props.label}
        value={v}
        template={props.template}
        onText={set}
        disabled={props.disabled}
        describedBy={props.helpId}
        placeholder={props.template ? "{{ $node.body.id }}" : "$node.value > 0"}
        {...(props.focusAt !== undefined ? { focusAt: props.focusAt } : {})}
        onSyntaxError={(paths) => props.onSyntaxError(paths.length > 0)}
      />
    </Suspense>
  );
}

function Widget(
  props: FieldProps & { id: string; helpId: string; invalid: boolean; onSyntaxErrorAt: OnSyntaxErrorAt },
) {
  const { field, value, path, onSet, id } = props;
  const common = {
    id,
    "aria-describedby": props.helpId,
    "aria-invalid": props.invalid || undefined,
    disabled: props.disabled,
  };
  const placeholder = placeholderOf(field.default);
  switch (field.kind) {
    case "string":
    case "duration":
      return (
        <TextInput
          {...common}
          value={value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value)}
          placeholder={placeholder || (field.kind === "duration" ? "e.g. 30s, 5m, 1h, or milliseconds" : "")}
          onText={(t) => {
            const n = field.kind === "duration" && /^\d+$/.test(t) ? Number(t) : t;
            onSet(path, t === "" ? undefined : n, id);
          }}
        />
      );
    case "number":
    case "integer":
      return (
        <NumberInput
          {...common}
          value={typeof value === "number" ? String(value) : ""}
          placeholder={placeholder}
          onNumber={(n) => onSet(path, n, id)}
        />
      );
    case "boolean":
      return (
        <select
          {...common}
          value={value === true ? "true" : value === false ? "false" : ""}
          onChange={(e) => onSet(path, e.target.value === "" ? undefined : e.target.value === "true")}
        >
          <option value="">{field.default !== undefined ? `default (${String(field.default)})` : "not set"}</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      );
    case "enum":
      return (
        <select
          {...common}
          value={typeof value === "string" ? value : ""}
          onChange={(e) => onSet(path, e.target.value || undefined)}
        >
          <option value="">{field.default !== undefined ? `default (${String(field.default)})` : "not set"}</option>
          {(field.options ?? []).map((o) => <option key={String(o)} value={String(o)}>{String(o)}</option>)}
        </select>
      );
    case "object":
      return (
        <fieldset className="form-object" id={id}>
          <ObjectFields {...props} schema={field.schema} value={value} path={path} />
        </fieldset>
      );
    case "record":
      return <RecordInput {...props} />;
    case "list":
      return <ListInput {...props} />;
    default:
      return (
        <JsonInput
          {...common}
          value={value}
          placeholder={placeholder}
          onValue={(v) => onSet(path, v, id)}
          templates={props.expressions !== false
            ? { label: field.key, onSyntaxError: props.onSyntaxErrorAt }
            : undefined}
        />
      );
  }
}

type Common = {
  id: string;
  "aria-describedby": string;
  "aria-invalid"?: boolean;
  "aria-label"?: string;
  disabled?: boolean;
};

function TextInput(
  props: Common & { value: string; placeholder: string; onText: (t: string, caret: number | null) => void },
) {
  const { value, onText, ...rest } = props;
  const [v, setV] = useLocal(value);
  return (
    <input
      {...rest}
      value={v}
      onChange={(e) => {
        setV(e.target.value);
        onText(e.target.value, e.target.selectionStart);
      }}
    />
  );
}

function NumberInput(
  props: Common & { value: string; placeholder: string; onNumber: (n: number | undefined) => void },
) {
  const { value, onNumber, ...rest } = props;
  const [v, setV] = useLocal(value);
  return (
    <input
      {...rest}
      type="number"
      value={v}
      onChange={(e) => {
        setV(e.target.value);
        const t = e.target.value.trim();
        if (t === "") onNumber(undefined);
        else if (Number.isFinite(Number(t))) onNumber(Number(t));
      }}
    />
  );
}

/**
 * A JSON value in a text area: written when it parses. With `templates`
 * (a config field) and a served workflow, a value holding `{{ }}` is
 * edited in the expression editor's JSON mode instead: its templates
 * highlighted, completed and previewed.
 */
export function JsonInput(
  props: Common & {
    value: unknown;
    placeholder?: string;
    onValue: (v: unknown) => void;
    rows?: number;
    templates?: { label: string; onSyntaxError: OnSyntaxErrorAt };
  },
) {
  const { value, onValue, placeholder, rows, templates, ...rest } = props;
  const shown = value === undefined ? "" : JSON.stringify(value, null, 2);
  const [v, setV] = useLocal(shown);
  const [bad, setBad] = useState<string>();
  const env = useExprEnv();
  const [withTemplates] = useExprMode(value, holdsExpression);
  // Where the caret was in the text area: the expression editor that replaces it as `{{ }}` is typed starts there.
  const caret = useRef<number>(undefined);
  const change = (text: string) => {
    setV(text);
    const t = text.trim();
    if (t === "") {
      setBad(undefined);
      onValue(undefined);
      return;
    }
    try {
      const parsed = JSON.parse(t);
      setBad(undefined);
      onValue(parsed);
    } catch (err) {
      setBad(`not JSON yet: ${(err as Error).message}`);
    }
  };
  const area = (
    <textarea
      {...rest}
      rows={rows ?? Math.min(8, Math.max(2, v.split("\n").length))}
      value={v}
      placeholder={placeholder}
      spellCheck={false}
      onChange={(e) => {
        caret.current = e.target.selectionStart;
        change(e.target.value);
      }}
    />
  );
  const hint = bad && <p className="hint error">{bad}</p>;
  if (!templates || !env || !withTemplates) {
    return (
      <>
        {area}
        {hint}
      </>
    );
  }
  return (
    <>
      <Suspense fallback={area}>
        <ExpressionField
          id={rest.id}
          label={templates.label}
          value={v}
          template
          json
          onText={change}
          disabled={rest.disabled}
          describedBy={rest["aria-describedby"]}
          {...(caret.current !== undefined ? { focusAt: caret.current } : {})}
          onSyntaxError={templates.onSyntaxError}
        />
      </Suspense>
      {hint}
    </>
  );
}

function RecordInput(props: FieldProps & { id: string }) {
  const { value, path, onSet, id, disabled } = props;
  const obj = value && typeof value === "object" && !Array.isArray(value) ? value as Record<string, unknown> : {};
  const [key, setKey] = useState("");
  return (
    <div className="form-record" id={id} role="group" aria-label={props.field.key}>
      {Object.entries(obj).map(([k, v]) => (
        <EntryItem
          key={k}
          id={`${id}.${k}`}
          label={`${props.field.key} ${k}`}
          name={<code>{k}</code>}
          removeLabel={`Remove ${k}`}
          value={v}
          numeric={false}
          disabled={disabled}
          problems={props.problems.get([...path, k].join(".")) ?? []}
          onValue={(t) => onSet([...path, k], t, `${id}.${k}`)}
          onRemove={() => onSet([...path, k], undefined)}
        />
      ))}
      <div className="form-row">
        <input
          aria-label={`New key of ${props.field.key}`}
          value={key}
          placeholder="new key"
          disabled={disabled}
          onChange={(e) => setKey(e.target.value)}
        />
        <button
          type="button"
          className="small"
          disabled={disabled || !key || Object.hasOwn(obj, key)}
          onClick={() => {
            onSet([...path, key], "");
            setKey("");
          }}
        >
          Add
        </button>
      </div>
    </div>
  );
}

/** A list of strings or numbers: one row per item, each a value or (switched, or holding `{{ }}`) an expression. */
function ListInput(props: FieldProps & { id: string }) {
  const { value, path, onSet, id, field, disabled } = props;
  const list = Array.isArray(value) ? value : [];
  const numeric = (field.schema.items as JsonSchema | undefined)?.type !== "string";
  return (
    <div className="form-list" id={id} role="group" aria-label={field.key}>
      {list.map((v, i) => (
        <EntryItem
          // Adding or removing an item remounts the rows: each item's expression switch follows its own value.
          key={`${i}/${list.length}`}
          id={`${id}.${i}`}
          label={`${field.key} item ${i + 1}`}
          removeLabel={`Remove item ${i + 1}`}
          value={v}
          numeric={numeric}
          disabled={disabled}
          problems={props.problems.get([...path, i].join(".")) ?? []}
          onValue={(item) => onSet([...path, i], item, `${id}.${i}`)}
          onRemove={() => onSet([...path, i], undefined)}
        />
      ))}
      <button
        type="button"
        className="small"
        disabled={disabled}
        onClick={() => onSet(path, [...list, numeric ? 0 : ""])}
      >
        Add item
      </button>
    </div>
  );
}

/** Props of {@linkcode EntryItem}. */
interface EntryItemProps {
  /** The input's DOM id. */
  id: string;
  /** Its accessible name (`keys item 2`, `headers x-id`). */
  label: string;
  /** Shown before it (a record entry's key). */
  name?: ReactNode;
  /** The accessible name of its remove button. */
  removeLabel: string;
  /** The item. */
  value: unknown;
  /** Whether typed numbers are written as numbers. */
  numeric: boolean;
  /** Read-only. */
  disabled?: boolean;
  /** The validator's problems of the item. */
  problems: string[];
  /** Changes the item. */
  onValue: (v: unknown) => void;
  /** Removes it. */
  onRemove: () => void;
}

/**
 * One item of a list or entry of a string map: a text input, or the
 * expression editor (template mode, with its preview) when it holds `{{ }}`
 * or is switched; `{{` typed into the text input switches it, the cursor
 * kept. Its problems under it, a syntax error once (as {@linkcode SchemaField}).
 */
function EntryItem(props: EntryItemProps) {
  const { id, label, value, numeric, disabled, onValue } = props;
  const [expr, setExpr] = useExprMode(value);
  const [previewed, setPreviewed] = useState(false);
  // Where the caret was when `{{` was typed: the expression editor that replaces the input starts there.
  const caret = useRef<number>(undefined);
  const errors = expr && previewed ? [] : props.problems;
  return (
    <div className={`form-list-item${props.problems.length ? " invalid" : ""}`}>
      <div className="form-row">
        {props.name}
        {expr
          ? (
            <ExpressionInput
              id={id}
              label={label}
              value={value}
              template
              disabled={disabled}
              {...(caret.current !== undefined ? { focusAt: caret.current } : {})}
              onText={onValue}
              onSyntaxError={setPreviewed}
            />
          )
          : (
            <TextInput
              id={id}
              aria-describedby=""
              aria-label={label}
              aria-invalid={errors.length > 0 || undefined}
              disabled={disabled}
              value={typeof value === "string" ? value : JSON.stringify(value)}
              placeholder=""
              onText={(t, at) => {
                onValue(numeric && Number.isFinite(Number(t)) && t !== "" ? Number(t) : t);
                if (!t.includes("{{")) return;
                caret.current = at ?? t.length;
                setExpr(true);
              }}
            />
          )}
        <ExprSwitch
          on={expr}
          label={label}
          disabled={disabled}
          onClick={() => {
            caret.current = undefined;
            if (expr && isExpression(value)) onValue(numeric ? 0 : "");
            setExpr(!expr);
          }}
        />
        <button
          type="button"
          className="small"
          aria-label={props.removeLabel}
          disabled={disabled}
          onClick={props.onRemove}
        >
          ✕
        </button>
      </div>
      {errors.map((e, i) => <p key={i} className="field-error" role="alert">{e}</p>)}
    </div>
  );
}
