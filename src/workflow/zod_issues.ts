/**
 * zod issues as one-line validation issues: `path: expected X; got Y`.
 *
 * @module
 */
import type { $ZodIssue } from "zod/v4/core";
import type { ValidationIssue } from "../errors.ts";
import { formatPath, preview } from "./values.ts";

/**
 * Turns zod issues into one-line validation issues under `base`.
 *
 * @example
 * ```ts
 * import * as z from "zod/mini";
 * import { zodIssues } from "./zod_issues.ts";
 * const r = z.number().safeParse("x", { reportInput: true });
 * if (!r.success) zodIssues(r.error.issues, ["config", "ms"]); // [{ path: "config.ms", message: "expected number; got \"x\"" }]
 * ```
 */
export function zodIssues(zodIssueList: readonly $ZodIssue[], base: PropertyKey[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const iss of tightestBounds(zodIssueList)) {
    const path = [...base, ...iss.path];
    const input = (iss as { input?: unknown }).input;
    switch (iss.code) {
      case "invalid_value":
        out.push({
          path: formatPath(path),
          message: `expected ${
            iss.values.length === 1 ? preview(iss.values[0]) : "one of " + iss.values.join(", ")
          }; got ${preview(input)}`,
        });
        break;
      case "invalid_type":
        out.push({
          path: formatPath(path),
          message: input === undefined
            ? `required (${iss.expected})`
            : `expected ${iss.expected}; got ${preview(input)}`,
        });
        break;
      case "unrecognized_keys":
        for (const key of iss.keys) out.push({ path: formatPath([...path, key]), message: "unknown key" });
        break;
      case "too_small":
        out.push({
          path: formatPath(path),
          message: `expected ${iss.inclusive === false ? ">" : ">="} ${iss.minimum}${
            iss.origin === "string" || iss.origin === "array" ? " in length" : ""
          }; got ${preview(input)}`,
        });
        break;
      case "too_big":
        out.push({
          path: formatPath(path),
          message: `expected ${iss.inclusive === false ? "<" : "<="} ${iss.maximum}${
            iss.origin === "string" || iss.origin === "array" ? " in length" : ""
          }; got ${preview(input)}`,
        });
        break;
      case "invalid_union": {
        // When every branch failed only on its type, name the types instead of zod's "Invalid input".
        const types = iss.errors.map((b) =>
          b.length === 1 && b[0].code === "invalid_type" && !b[0].path.length ? b[0].expected : ""
        );
        const expected = types.length > 1 && !types.includes("")
          ? `expected ${types.slice(0, -1).join(", ")} or ${types[types.length - 1]}`
          : iss.message;
        out.push({ path: formatPath(path), message: `${expected}; got ${preview(input)}` });
        break;
      }
      default:
        out.push({
          path: formatPath(path),
          message: iss.message.includes("got ") || input === undefined
            ? iss.message
            : `${iss.message}; got ${preview(input)}`,
        });
    }
  }
  return onePerPath(out);
}

/**
 * The issues without bounds implied by a tighter one on the same value
 * (`z.int()` brings the safe-integer range: `<= 10000` makes `<= 2^53 - 1`
 * redundant).
 */
function tightestBounds(list: readonly $ZodIssue[]): $ZodIssue[] {
  const bound = (iss: $ZodIssue) =>
    iss.code === "too_big" ? Number(iss.maximum) : iss.code === "too_small" ? -Number(iss.minimum) : undefined;
  const key = (iss: $ZodIssue) => `${iss.code}\0${iss.path.join("\0")}`;
  const tightest = new Map<string, $ZodIssue>();
  for (const iss of list) {
    const own = bound(iss);
    if (own === undefined) continue;
    const best = tightest.get(key(iss));
    if (!best || own < bound(best)!) tightest.set(key(iss), iss);
  }
  if (tightest.size === 0) return list as $ZodIssue[];
  return list.filter((iss) => bound(iss) === undefined || tightest.get(key(iss)) === iss);
}

/**
 * One issue per path: the expectations of several issues about one value
 * are joined (`expected int and <= 10000; got 20000.5`), other messages
 * follow with "; ".
 */
function onePerPath(issues: ValidationIssue[]): ValidationIssue[] {
  const byPath = new Map<string, ValidationIssue[]>();
  for (const issue of issues) {
    const list = byPath.get(issue.path);
    if (list) list.push(issue);
    else byPath.set(issue.path, [issue]);
  }
  if (byPath.size === issues.length) return issues;
  return [...byPath.values()].map((list) => {
    if (list.length === 1) return list[0];
    const parts = list.map((i) => /^expected (.*); (got .*)$/s.exec(i.message));
    const got = parts[0]?.[2];
    const message = parts.every((p) => p && p[2] === got)
      ? `expected ${parts.map((p) => p![1]).join(" and ")}; ${got}`
      : list.map((i) => i.message).join("; ");
    return { path: list[0].path, message };
  });
}
