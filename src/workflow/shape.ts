/**
 * A quick check that a parsed workflow file has exactly the shape the
 * workflow schema (`workflow.ts`) accepts. Validation runs it first: a file
 * that passes needs no zod parse at all (a 100,000-node file is checked in
 * a few milliseconds, without a copy of it); a file that fails goes through
 * the zod schema, which names each problem. The check is conservative:
 * anything it does not recognise as valid is left to zod. (Like zod, it
 * looks at enumerable string keys only.)
 *
 * It checks the limits of `limits.ts` on the way (`screenWorkflow`, the
 * first step of validation): the structure has a fixed depth, so only the
 * free-form values (configs and input defaults) need a walk; a file that is
 * not well-formed gets the walk over its whole value.
 *
 * @module
 */
import { checkWorkflowValue, exceedsLimits, workflowLimits } from "./limits.ts";
import { ENDPOINT_PATTERN, ENV_NAME_PATTERN, ID_PATTERN, ON_ERROR, PORT_TYPES, TO_PATTERN } from "./format.ts";

type Check = (value: unknown) => boolean;

/** A plain object (what zod's object and record schemas take): not null, not an array, Object's or no prototype. */
function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const isString: Check = (v) => typeof v === "string";
const isBoolean: Check = (v) => typeof v === "boolean";
const nonEmpty: Check = (v) => typeof v === "string" && v !== "";
const matches = (re: RegExp): Check => (v) => typeof v === "string" && re.test(v);
const oneOf = (values: readonly string[]): Check => (v) => typeof v === "string" && values.includes(v);
const int = (min: number, max = Number.MAX_SAFE_INTEGER): Check => (v) =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const arrayOf = (item: Check): Check => (v) => Array.isArray(v) && v.every(item);

/** A check of a strict object, with the keys it knows (tests/shape_test.ts compares them with the schema's). */
export type StrictCheck = Check & { readonly keys: readonly string[]; readonly required: readonly string[] };

/** A strict object: only these keys, each absent (undefined) or passing its check; `required` keys present. */
function strict(fields: Record<string, Check>, required: readonly string[] = []): StrictCheck {
  const keys = Object.keys(fields);
  const checks = Object.values(fields);
  return Object.assign((v: unknown) => {
    if (!isPlain(v)) return false;
    for (const key in v) {
      if (!Object.hasOwn(fields, key)) return false;
    }
    for (let k = 0; k < keys.length; k++) {
      const value = v[keys[k]];
      if (value === undefined ? required.includes(keys[k]) : !checks[k](value)) return false;
    }
    return true;
  }, { keys, required });
}

/** A record: a plain object whose every key and value pass. */
const recordOf = (key: Check, value: Check): Check => (v) => {
  if (!isPlain(v)) return false;
  for (const k in v) {
    if (!key(k) || !value(v[k])) return false;
  }
  return true;
};

/** The depth limit of the check running (see {@linkcode isWellFormedWorkflow}). */
let maxDepth = 0;
/** A free-form value at `depth` (its level when it is an array or an object) within the limits. */
const freeForm = (depth: number): Check => (v) =>
  typeof v === "object"
    ? v === null || !exceedsLimits(v, depth, maxDepth)
    : typeof v !== "number" || Number.isFinite(v);

// An input default is at level 4 (the file, inputs, the declaration), a config value at 5 (nodes, the node, config).
const inputDecl = strict({ type: oneOf(PORT_TYPES), description: isString, default: freeForm(4), required: isBoolean });
const retry = strict({
  maxAttempts: int(1, 1000),
  delayMs: int(0),
  multiplier: (v) => typeof v === "number" && Number.isFinite(v) && v >= 1,
  maxDelayMs: int(0),
  jitter: isBoolean,
}, ["maxAttempts"]);
const config = recordOf(isString, freeForm(5));
const node = strict({
  id: matches(ID_PATTERN),
  type: nonEmpty,
  name: isString,
  description: isString,
  config,
  retry,
  timeoutMs: int(1),
  onError: oneOf(["stop", "continue"]),
}, ["id", "type"]);
const connection = strict({ from: matches(ENDPOINT_PATTERN), to: matches(TO_PATTERN) }, ["from", "to"]);
const envNames = arrayOf(matches(ENV_NAME_PATTERN));
const grant: Check = (v) => typeof v === "boolean" || arrayOf(isString)(v);
const permissions = strict({ net: grant, read: grant, write: grant, env: grant });
/** Whether a value is a `settings.permissions` block the schema accepts. */
export const isPermissionsBlock: StrictCheck = strict({
  net: grant,
  read: grant,
  write: grant,
  env: grant,
  run: grant,
});
const settings = strict({
  env: envNames,
  secrets: envNames,
  onError: oneOf(ON_ERROR),
  maxWorkflowRetries: int(0, 100),
  concurrency: int(1, 10000),
  timeoutMs: int(1),
  lock: isBoolean,
  history: isBoolean,
  permissions: isPermissionsBlock,
});
const importObject = strict({ path: nonEmpty, permissions }, ["path"]);
const importEntry: Check = (v) => nonEmpty(v) || importObject(v);
const finite: Check = (v) => typeof v === "number" && Number.isFinite(v);
const position: Check = (v) => Array.isArray(v) && v.length === 2 && finite(v[0]) && finite(v[1]);

/** The levels the structure itself takes (a grant list of an import's permissions is at level 5). */
const STRUCTURE_DEPTH = 5;

/**
 * Whether `raw` is a workflow the schema accepts as it is, nested at most
 * `depth` levels and with finite numbers only (false means: ask the schema,
 * and check the limits on the whole value).
 *
 * @example
 * ```ts
 * import { isWellFormedWorkflow } from "./shape.ts";
 * isWellFormedWorkflow({ nodes: [], connections: [] }); // true
 * ```
 */
export function isWellFormedWorkflow(raw: unknown, depth: number = workflowLimits().maxDepth): boolean {
  if (depth < STRUCTURE_DEPTH) return false;
  maxDepth = depth;
  return wellFormed(raw);
}

const wellFormed: StrictCheck = strict({
  $schema: isString,
  id: matches(ID_PATTERN),
  name: isString,
  description: isString,
  inputs: recordOf(matches(ID_PATTERN), inputDecl),
  imports: arrayOf(importEntry),
  nodes: arrayOf(node),
  connections: arrayOf(connection),
  outputs: recordOf(isString, matches(ENDPOINT_PATTERN)),
  settings,
  layout: recordOf(isString, position),
}, ["nodes", "connections"]);

/**
 * The objects the quick check knows, by the name of their schema in
 * `workflowSchemas()` (`importObject`: the object form of an `imports`
 * entry; `permissions`: an import's, `settingsPermissions`: the workflow's).
 * A field added to the schema must be added here: tests/shape_test.ts fails
 * until the keys and the required ones are the same.
 */
export const SHAPE_OBJECTS: Record<string, StrictCheck> = {
  workflow: wellFormed,
  node,
  connection,
  settings,
  input: inputDecl,
  retry,
  importObject,
  permissions,
  settingsPermissions: isPermissionsBlock,
};

/**
 * The first step of validation, before any other step reads the workflow
 * (some recurse): the limits on nesting depth and numbers (`limits.ts`),
 * which throw a `WorkflowValidationError` naming each place, then whether
 * the workflow is well-formed ({@linkcode isWellFormedWorkflow}). A
 * well-formed workflow costs no extra pass: its structure has a fixed depth,
 * and its free-form values are checked as the shape is.
 *
 * @example
 * ```ts
 * import { screenWorkflow } from "./shape.ts";
 * screenWorkflow({ nodes: [], connections: [] }, "wf.json"); // true
 * ```
 */
export function screenWorkflow(raw: unknown, file?: string): boolean {
  const { maxDepth } = workflowLimits();
  if (isWellFormedWorkflow(raw, maxDepth)) return true;
  checkWorkflowValue(raw, file, maxDepth);
  return false;
}
