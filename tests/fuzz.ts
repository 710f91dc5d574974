/**
 * The fuzz suite's seed, budget and hostile inputs (fast-check arbitraries),
 * shared by `fuzz_*_test.ts` (docs/security.md#fuzzing).
 *
 * - `FLOW_FUZZ_SEED`: the seed (an integer); `random` picks a new one. The
 *   default is fixed, so `deno task test` and CI try the same inputs every
 *   time. Every test prints the seed it used; a failure prints the seed, the
 *   path of the shrunk counterexample and the counterexample.
 * - `FLOW_FUZZ_RUNS`: how many times more cases than the default to try
 *   (e.g. `FLOW_FUZZ_RUNS=50` for a long run by hand).
 * - `FLOW_FUZZ_PATH`: with the seed, replays one counterexample (the `path`
 *   fast-check printed) instead of searching; give `--filter` the failing
 *   test's name, as a path belongs to one property.
 *
 * @module
 */
import fc from "fast-check";

/** The seed when `FLOW_FUZZ_SEED` is not set: fixed, so a run of the suite is repeatable. */
export const DEFAULT_SEED = 2121;

function envSeed(): number {
  const text = Deno.env.get("FLOW_FUZZ_SEED");
  if (text === undefined || text === "") return DEFAULT_SEED;
  if (text === "random") return (Math.random() * 2 ** 31) | 0;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`FLOW_FUZZ_SEED: expected an integer or "random"; got ${text}`);
  return seed;
}

function envScale(): number {
  const text = Deno.env.get("FLOW_FUZZ_RUNS");
  if (text === undefined || text === "") return 1;
  const scale = Number(text);
  if (!(scale > 0)) throw new Error(`FLOW_FUZZ_RUNS: expected a positive number; got ${text}`);
  return scale;
}

/** The seed of this run of the suite. */
export const SEED: number = envSeed();
/** The factor `FLOW_FUZZ_RUNS` multiplies every case count by (1 by default). */
export const SCALE: number = envScale();
const REPLAY = Deno.env.get("FLOW_FUZZ_PATH") || undefined;

/** `n` cases scaled by `FLOW_FUZZ_RUNS` (at least 1). */
export function cases(n: number): number {
  return Math.max(1, Math.round(n * SCALE));
}

/** How a failing case is shown: cut, as a counterexample may hold megabytes. */
function shown(value: unknown): string {
  let text: string;
  try {
    text = fc.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > 1500 ? `${text.slice(0, 1500)}… (${text.length} characters)` : text;
}

/**
 * Checks an asynchronous property on `runs` cases (scaled) from the suite's
 * seed; throws with the seed, the replay path and the shrunk counterexample.
 * `label` names the property in the seed line printed first.
 */
export async function fuzz<T>(
  label: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void> | void,
  runs: number,
): Promise<void> {
  const numRuns = cases(runs);
  console.log(`fuzz ${label}: seed ${SEED}, ${numRuns} cases (FLOW_FUZZ_SEED=${SEED} replays)`);
  const details = await fc.check(fc.asyncProperty(arbitrary, async (value) => await predicate(value)), {
    seed: SEED,
    numRuns,
    path: REPLAY,
    endOnFailure: REPLAY !== undefined,
    // Shrinking re-runs the property: bounded, so a failure in a slow property still ends soon.
    interruptAfterTimeLimit: 120_000,
  });
  if (!details.failed) return;
  const error = details.errorInstance as Error | undefined;
  throw new Error(
    `fuzz ${label} failed after ${details.numRuns} case(s), shrunk ${details.numShrinks} time(s)\n` +
      `replay: FLOW_FUZZ_SEED=${details.seed} FLOW_FUZZ_PATH=${details.counterexamplePath} ` +
      `deno test -A tests/<this file> --filter "<this test>"\n` +
      `counterexample: ${shown(details.counterexample?.[0])}\n` +
      `error: ${error?.stack ?? error}`,
  );
}

/** Samples `n` values (scaled) of an arbitrary from the suite's seed: for inputs each costing a process. */
export function sample<T>(arbitrary: fc.Arbitrary<T>, n: number, salt = 0): T[] {
  return fc.sample(arbitrary, { seed: SEED + salt, numRuns: cases(n) });
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile pieces
// ---------------------------------------------------------------------------------------------------------------

/** Keys that name members of Object.prototype or carry meaning elsewhere, and odd characters. */
export const HOSTILE_KEYS: readonly string[] = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
  "then",
  "length",
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\u202e",
  "😀",
  "a.b",
  "a[0]",
  "$inputs",
  "{{ x }}",
  "id",
  "type",
  "nodes",
  "connections",
  "config",
  "inputs",
  "outputs",
  "settings",
  "imports",
];

/** Strings that are expressions, paths, escapes, control characters or just long. */
export const HOSTILE_STRINGS: readonly string[] = [
  "",
  "\u0000",
  "\ud800",
  "\udfff",
  "\u2028\u2029",
  "\r\n",
  "\u001b[31mred",
  "{{",
  "}}",
  "{{ }}",
  "{{ $inputs }}",
  "{{ $undefinedFunction() }}",
  "{{ $reduce([1..3000], function($a, $v) { {'a': $a} }, []) }}",
  "{{ [1..100000000] }}",
  "$",
  "$inputs.",
  "$inputs.__proto__",
  "a.__proto__",
  "constructor.prototype",
  "../../../../etc/passwd",
  "/etc/passwd",
  "/dev/zero",
  "file:///etc/passwd",
  "http://169.254.169.254/",
  "%00",
  "%2e%2e/",
  "%",
  "<script>alert(1)</script>",
  "😀".repeat(50),
  "x".repeat(5000),
  "1e400",
  "-0",
  "NaN",
  "* * * * * * * *",
  "P1000000Y",
  "99999999999999999999ms",
];

/** The text of numbers JSON allows and JavaScript bends: out of range, below the smallest, past 2^53, -0. */
export const HOSTILE_NUMBER_TEXTS: readonly string[] = [
  "1e400",
  "-1e400",
  "1e-400",
  "-0",
  "0.1e-999999",
  "123456789012345678901234567890",
  "9007199254740993",
  "1.7976931348623157e308",
  "1.7976931348623159e308",
  "5e-324",
  "-9999999999999999999999",
  "0",
  "1",
  "-1",
  "0.5",
  "2147483648",
  "4294967296",
];

/** Text that is not JSON, or not quite. */
export const BROKEN_JSON_TEXTS: readonly string[] = [
  "NaN",
  "Infinity",
  "-Infinity",
  "undefined",
  "0x10",
  "01",
  "1.",
  ".5",
  "+1",
  "'a'",
  '"\\x41"',
  '"\\u12"',
  '"unterminated',
  "[1,]",
  '{"a":1,}',
  "{a:1}",
  "// comment\n{}",
  "/* c */{}",
  "[",
  "{",
  "]",
  "}",
  "",
  " ",
  "\u0000",
  '"a\u0000b"',
  '"a\nb"',
];

/** A JSON string literal of a hostile or arbitrary string (lone surrogates escaped, as JSON allows). */
export const stringText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("{", "}", "$", ".", "[", "]", "'", '"', "\\", " ", "a", "(", ")"), maxLength: 20 }),
).map((s) => JSON.stringify(s));

/** A number's JSON text, hostile or arbitrary (`-0`, `1e400`, doubles, big integers). */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_NUMBER_TEXTS),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
);

/** An object key as JSON text. */
export const keyText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_KEYS),
  fc.string({ maxLength: 12 }),
).map((k) => JSON.stringify(k));

/** Arrays or objects wrapped `depth` levels deep around `inner`, as JSON text. */
export function nestedText(depth: number, inner: string, style: "array" | "object" | "mixed"): string {
  if (style === "array") return "[".repeat(depth) + inner + "]".repeat(depth);
  if (style === "object") return '{"a":'.repeat(depth) + inner + "}".repeat(depth);
  return '[{"a":'.repeat(depth >> 1) + inner + "}]".repeat(depth >> 1);
}

/** A nesting depth: mostly around the limits (64, 1000), sometimes far beyond. */
export const depthArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 70 }),
  fc.constantFrom(63, 64, 65, 999, 1000, 1001),
  fc.integer({ min: 1000, max: 20_000 }),
  fc.constantFrom(50_000, 100_000),
);

/** Hostile JSON text: well-formed (mostly), with hostile keys, numbers and strings, some of it deeply nested. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    stringText,
    numberText,
    fc.constantFrom("true", "false", "null"),
    tie("array"),
    tie("object"),
  ),
  array: fc.array(tie("value"), { maxLength: 5 }).map((items) => `[${items.join(",")}]`),
  object: fc.array(fc.tuple(keyText, tie("value")), { maxLength: 5 })
    .map((entries) => `{${entries.map(([k, v]) => `${k}:${v}`).join(",")}}`),
})).value;

/** Hostile JSON text, sometimes wrapped deep, sometimes broken. */
export const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: jsonText },
  {
    weight: 2,
    arbitrary: fc.tuple(
      depthArb,
      jsonText,
      fc.constantFrom("array", "object", "mixed") as fc.Arbitrary<
        "array" | "object" | "mixed"
      >,
    ).map(([d, inner, style]) => nestedText(d, inner, style)),
  },
  { weight: 1, arbitrary: fc.constantFrom(...BROKEN_JSON_TEXTS) },
);

/** Byte sequences that are not UTF-8 (stray continuation, overlong, surrogate, truncated, out of range). */
export const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xfe],
  [0x80],
  [0xc0, 0x80],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf0, 0x9f, 0x98],
];

/** One change to some bytes. */
type ByteEdit = { at: number; kind: "insert" | "replace"; bytes: number[] } | { at: number; kind: "truncate" };

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({
    at: fc.nat(),
    kind: fc.constantFrom("insert" as const, "replace" as const),
    bytes: fc.oneof(
      fc.constantFrom(...INVALID_UTF8, [0], [0xef, 0xbb, 0xbf], [0x0d], [0x1b]),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
    ),
  }),
  fc.record({ at: fc.nat(), kind: fc.constant("truncate" as const) }),
);

/** Applies byte edits (positions taken modulo the length). */
export function editBytes(bytes: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let out = bytes;
  for (const edit of edits) {
    const at = out.length === 0 ? 0 : edit.at % (out.length + 1);
    if (edit.kind === "truncate") out = out.slice(0, at);
    else {
      const cut = edit.kind === "replace" ? Math.min(edit.bytes.length, out.length - at) : 0;
      const next = new Uint8Array(out.length + edit.bytes.length - cut);
      next.set(out.subarray(0, at));
      next.set(edit.bytes, at);
      next.set(out.subarray(at + cut), at + edit.bytes.length);
      out = next;
    }
  }
  return out;
}

/** Bytes from text with a few hostile edits (invalid UTF-8, NUL, a BOM, random bytes, truncation), or none. */
export function hostileBytes(text: fc.Arbitrary<string>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 3, arbitrary: text.map((t) => new TextEncoder().encode(t)) },
    {
      weight: 2,
      arbitrary: fc.tuple(text, fc.array(byteEdit, { minLength: 1, maxLength: 3 }))
        .map(([t, edits]) => editBytes(new TextEncoder().encode(t), edits)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  );
}

/** A JSON value marker whose text is written as is by {@linkcode toText}: hostile numbers, deep or broken JSON. */
export class Raw {
  /** Creates a marker for `text`. */
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold {@linkcode Raw} parts (kept shallow by the generators, so recursion is fine). */
export function toText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toText).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${
      Object.keys(value).map((k) => `${JSON.stringify(k)}:${toText((value as Record<string, unknown>)[k])}`)
    }}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** One change to a JSON tree: at the place a list of choices leads to, replace, add a key, or delete. */
export interface TreeEdit {
  /** At each level, which child to go into (modulo the count); the walk may stop early. */
  steps: number[];
  /** What to do there. */
  op: "replace" | "add" | "delete";
  /** The key added. */
  key: string;
  /** The value written (replace, add). */
  value: Raw;
}

/** A hostile tree edit. */
export const treeEdit: fc.Arbitrary<TreeEdit> = fc.record({
  steps: fc.array(fc.nat(), { maxLength: 6 }),
  op: fc.constantFrom("replace" as const, "add" as const, "delete" as const),
  key: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 8 })),
  value: hostileJsonText.map((t) => new Raw(t)),
});

/** A deep copy of a JSON value (shallow trees only). */
function clone<T>(value: T): T {
  return value instanceof Raw ? value : structuredClone(value);
}

/** Applies edits to a copy of a JSON tree; an own `__proto__` key is added as data, as `JSON.parse` would. */
export function editTree(tree: unknown, edits: readonly TreeEdit[]): unknown {
  const root = { root: clone(tree) } as Record<string, unknown>;
  for (const edit of edits) {
    let parent: Record<string, unknown> | unknown[] = root;
    let key: string | number = "root";
    for (const step of edit.steps) {
      const here: unknown = (parent as Record<string | number, unknown>)[key];
      if (here === null || typeof here !== "object" || here instanceof Raw) break;
      const keys: (string | number)[] = Array.isArray(here) ? here.map((_, i) => i) : Object.keys(here);
      if (keys.length === 0) break;
      parent = here as Record<string, unknown>;
      key = keys[step % keys.length];
    }
    const target = (parent as Record<string | number, unknown>)[key];
    if (edit.op === "replace") setOwn(parent, key, edit.value);
    else if (edit.op === "delete") {
      if (Array.isArray(parent) && typeof key === "number") parent.splice(key, 1);
      else if (parent !== root) delete (parent as Record<string, unknown>)[key];
    } else if (target !== null && typeof target === "object" && !(target instanceof Raw)) {
      if (Array.isArray(target)) target.push(edit.value);
      else setOwn(target as Record<string, unknown>, edit.key, edit.value);
    }
  }
  return root.root;
}

function setOwn(target: Record<string | number, unknown> | unknown[], key: string | number, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Fails when text (a message, what a command printed) carries a stack trace or an uncaught error. */
export function assertNoStack(text: string, what: string): void {
  for (const marker of ["RangeError", "    at ", "at file:", "Uncaught"]) {
    if (text.includes(marker)) throw new Error(`${what}: has ${JSON.stringify(marker)}:\n${text.slice(0, 3000)}`);
  }
}
