/**
 * Valid workflows the fuzz suite mutates (`tests/fuzz.ts` `editTree`): every
 * built-in node family, inputs, templates, expressions, an inline loop and
 * sub-workflow, triggers. Near-valid mutants reach the validator's and the
 * executor's deeper steps, which random text never would. None of them
 * touches the network or waits long, so the mutants can also run.
 *
 * @module
 */
import fc from "fast-check";
import { editTree, toText, treeEdit } from "./fuzz.ts";

/** Workflows that run offline in a few milliseconds. */
export const RUNNABLE: readonly Record<string, unknown>[] = [
  {
    id: "values",
    inputs: { text: { type: "string", default: '{"a":[1,2,{"b":"c"}]}' }, n: { type: "number", default: 3 } },
    nodes: [
      { id: "parse", type: "transform.json_parse" },
      { id: "str", type: "transform.json_stringify", config: { indent: 2 } },
      { id: "pick", type: "transform.pick", config: { keys: ["a", "__proto__", "constructor"] } },
      {
        id: "set",
        type: "transform.set",
        config: { value: { sum: "{{ $inputs.n + 1 }}", text: "n={{ $inputs.n }}" } },
      },
      { id: "map", type: "transform.map", config: { expression: "$item * 2", items: [1, 2, 3] } },
      { id: "merge", type: "flow.merge", config: { mode: "all", extra: 1 } },
      { id: "show", type: "debug.inspect", config: { maxChars: 200 } },
    ],
    connections: [
      { from: "$inputs.text", to: "parse.json" },
      { from: "parse.parsed", to: "str.value" },
      { from: "parse.parsed", to: "pick.object" },
      { from: "pick.object", to: "merge.picked" },
      { from: "set.value", to: "merge.set" },
      { from: "map.items", to: "merge.mapped" },
      { from: "merge.merged", to: "show.value" },
    ],
    outputs: { merged: "merge.merged", text: "str.json" },
  },
  {
    id: "branches",
    inputs: { value: { type: "any", default: 7 } },
    nodes: [
      { id: "check", type: "control.if", config: { condition: "$value > 5" } },
      {
        id: "route",
        type: "control.switch",
        config: { cases: [{ port: "small", condition: "$value < 3" }, { port: "big", condition: "$value >= 3" }] },
      },
      { id: "yes", type: "transform.set", config: { value: "yes {{ $node.in }}" } },
      { id: "no", type: "transform.set", config: { value: "no" } },
      { id: "first", type: "flow.merge", config: { mode: "first" } },
      { id: "log", type: "debug.log", config: { level: "warn" } },
    ],
    connections: [
      { from: "$inputs.value", to: "check.value" },
      { from: "$inputs.value", to: "route.value" },
      { from: "check.true", to: "yes.in" },
      { from: "check.false", to: "no.in" },
      { from: "yes.value", to: "first.a" },
      { from: "no.value", to: "first.b" },
      { from: "route.big", to: "log.message" },
    ],
    outputs: { answer: "first.merged" },
    settings: { onError: "continue", concurrency: 4, timeoutMs: 2000 },
  },
  {
    id: "loops",
    inputs: { items: { type: "array", default: [1, 2, 3] } },
    nodes: [
      {
        id: "each",
        type: "control.loop",
        config: {
          concurrency: 2,
          onItemError: "continue",
          workflow: {
            nodes: [{ id: "double", type: "transform.set", config: { value: "{{ $inputs.item * 2 }}" } }],
            connections: [],
            outputs: { value: "double.value" },
          },
        },
      },
      {
        id: "sub",
        type: "flow.subworkflow",
        config: {
          workflow: {
            inputs: { x: { type: "any", required: false } },
            nodes: [{ id: "echo", type: "transform.set", config: { value: "{{ $inputs.x }}" } }],
            connections: [],
            outputs: { x: "echo.value" },
          },
          x: 1,
        },
      },
      { id: "wait", type: "time.delay", config: { ms: 1 } },
    ],
    connections: [
      { from: "$inputs.items", to: "each.items" },
      { from: "each.results", to: "wait.value" },
    ],
    outputs: { results: "wait.value", sub: "sub.x" },
  },
  {
    id: "parsed",
    inputs: { text: { type: "string", default: "[1]" } },
    nodes: [{ id: "parse", type: "transform.json_parse" }],
    connections: [{ from: "$inputs.text", to: "parse.json" }],
    outputs: { value: "parse.parsed" },
  },
  {
    id: "stateful",
    nodes: [
      { id: "get", type: "state.get", config: { key: "count", default: 0 } },
      { id: "next", type: "transform.set", config: { value: "{{ $node.value + 1 }}" } },
      { id: "set", type: "state.set", config: { key: "count" } },
    ],
    connections: [
      { from: "get.value", to: "next.value" },
      { from: "next.value", to: "set.value" },
    ],
    outputs: { count: "next.value" },
  },
];

/** Workflows with triggers (webhooks, schedules): validated, not run. */
export const TRIGGERED: readonly Record<string, unknown>[] = [
  {
    id: "hooked",
    nodes: [
      {
        id: "hook",
        type: "http.webhook",
        config: {
          path: "in/hook",
          method: "POST",
          respond: "node",
          maxBodyBytes: 1024,
          auth: { type: "bearer", secret: "FUZZ_SECRET" },
        },
      },
      { id: "cron", type: "time.cron", config: { schedule: "*/5 * * * *" } },
      { id: "answer", type: "http.respond", config: { status: 201, body: { ok: true } } },
      { id: "call", type: "http.request", config: { url: "http://127.0.0.1:9/", method: "POST" } },
    ],
    connections: [{ from: "hook.body", to: "answer.body" }],
    outputs: { body: "hook.body" },
    settings: { env: ["HOME"], secrets: ["FUZZ_SECRET"], history: false },
  },
];

/** The text of a mutant of one of the workflows above: a few hostile edits anywhere in it. */
export const mutantText: fc.Arbitrary<string> = fc.tuple(
  fc.constantFrom(...RUNNABLE, ...TRIGGERED),
  fc.array(treeEdit, { minLength: 1, maxLength: 4 }),
).map(([base, edits]) => toText(editTree(base, edits)));
