/**
 * `control.switch`: routes its value to the first case whose condition holds.
 *
 * @module
 */
import * as z from "zod/mini";
import { described, once } from "../../src/workflow/zod.ts";
import { expression } from "../../src/expressions/expressions.ts";
import { defineNode, type Ports } from "../../src/node/node.ts";
import { ID_PATTERN } from "../../src/workflow/format.ts";
import { truthy } from "./if.ts";

/** The config schema, built on first use: a run builds only the schemas of the types it uses. */
const configSchema = once(() => {
  const port = z.string().check(
    z.regex(ID_PATTERN, { message: "expected a port name matching [A-Za-z_][A-Za-z0-9_-]*" }),
  );
  return z.object({
    cases: described(
      z.array(z.object({ port, condition: expression() })).check(z.minLength(1)),
      "Checked in order; first match wins",
    ),
    default: described(z._default(port, "default"), "Port used when no case matches"),
  });
});

/** The `control.switch` node type. */
export default defineNode({
  type: "control.switch",
  description: "Sends value out on the port of the first case whose condition holds, else on the default port",
  inputs: { value: { type: "any", description: "The value to route" } },
  outputs: {},
  get config() {
    return configSchema();
  },
  dynamicOutputs(config) {
    const ports: Ports = {};
    for (const c of config.cases) ports[c.port] = { type: "any", description: `when ${c.condition.source}` };
    ports[config.default] = { type: "any", description: "when no case matches" };
    return ports;
  },
  prepare(config, tools) {
    const seen = new Set<string>();
    config.cases.forEach((c, i) => {
      if (seen.has(c.port)) tools.issue(`cases[${i}].port`, `duplicate port "${c.port}"`);
      if (c.port === config.default) tools.issue(`cases[${i}].port`, `"${c.port}" is also the default port`);
      seen.add(c.port);
    });
  },
  run({ inputs, config, evaluateNow }) {
    const bindings = { value: inputs.value };
    // From case `from` on: synchronously while the conditions answer without waiting.
    const route = (from: number): Record<string, unknown> | Promise<Record<string, unknown>> => {
      for (let i = from; i < config.cases.length; i++) {
        const c = config.cases[i];
        const result = evaluateNow(c.condition, bindings);
        if (result instanceof Promise) {
          return result.then((r) => truthy(r) ? { [c.port]: inputs.value } : route(i + 1));
        }
        if (truthy(result)) return { [c.port]: inputs.value };
      }
      return { [config.default]: inputs.value };
    };
    return route(0);
  },
});
