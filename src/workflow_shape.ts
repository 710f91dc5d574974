/**
 * A quick check that a parsed workflow file has exactly the shape the
 * workflow schema (`workflow.ts`) accepts. Validation runs it first: a file
 * that passes needs no zod parse at all (a 100,000-node file is checked in
 * a few milliseconds, without a copy of it); a file that fails goes through
 * the zod schema, which names each problem. The check is conservative:
 * anything it does not recognise as valid is left to zod. (Like zod, it
 * looks at enumerable string keys only.)
 *
 * @module
 */
import { ENDPOINT_PATTERN, ENV_NAME_PATTERN, ID_PATTERN, ON_ERROR, PORT_TYPES, TO_PATTERN } from "./workflow.ts";

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

/** A strict object: only these keys, each absent (undefined) or passing its check; `required` keys present. */
function strict(fields: Record<string, Check>, required: readonly string[] = []): Check {
  const keys = Object.keys(fields);
  const checks = Object.values(fields);
  return (v) => {
    if (!isPlain(v)) return false;
    for (const key in v) {
      if (!Object.hasOwn(fields, key)) return false;
    }
    for (let k = 0; k < keys.length; k++) {
      const value = v[keys[k]];
      if (value === undefined ? required.includes(keys[k]) : !checks[k](value)) return false;
    }
    return true;
  };
}

/** A record: a plain object whose every key and value pass. */
const recordOf = (key: Check, value: Check): Check => (v) => {
  if (!isPlain(v)) return false;
  for (const k in v) {
    if (!key(k) || !value(v[k])) return false;
  }
  return true;
};

const inputDecl = strict({ type: oneOf(PORT_TYPES), description: isString, default: () => true, required: isBoolean });
const retry = strict({
  maxAttempts: int(1, 1000),
  delayMs: int(0),
  multiplier: (v) => typeof v === "number" && Number.isFinite(v) && v >= 1,
  maxDelayMs: int(0),
  jitter: isBoolean,
}, ["maxAttempts"]);
const config = recordOf(isString, () => true);
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
const settings = strict({
  env: envNames,
  secrets: envNames,
  onError: oneOf(ON_ERROR),
  maxWorkflowRetries: int(0, 100),
  concurrency: int(1, 10000),
  timeoutMs: int(1),
  lock: isBoolean,
  history: isBoolean,
});
const grant: Check = (v) => typeof v === "boolean" || arrayOf(isString)(v);
const permissions = strict({ net: grant, read: grant, write: grant, env: grant });
const importEntry: Check = (v) => nonEmpty(v) || strict({ path: nonEmpty, permissions }, ["path"])(v);

/** Whether `raw` is a workflow the schema accepts as it is (false means: ask the schema). */
export const isWellFormedWorkflow: (raw: unknown) => boolean = strict({
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
}, ["nodes", "connections"]);
