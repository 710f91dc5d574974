/**
 * zod helpers shared by the engine and the built-in nodes. The built-in
 * nodes and the workflow schema use `zod/mini` (small, quick to load); the
 * engine only calls functions of zod's core, so a node written with classic
 * zod (`import { z } from "zod"`) works the same.
 *
 * @module
 */
import { globalRegistry } from "zod/mini";
import type { $ZodType } from "zod/v4/core";

/**
 * Any zod schema, of classic zod (`import { z } from "zod"`) or of
 * `zod/mini`: what a node's `config` is declared with.
 */
export type ZodSchema = $ZodType;

/**
 * The type a zod schema parses to: zod's `z.output<T>`, written out here so
 * that the documented API names no type private to zod.
 */
export type SchemaOutput<T> = T extends { _zod: { output: unknown } } ? T["_zod"]["output"] : unknown;

/**
 * Gives a schema a description (shown by `flow nodes --json` and in the JSON
 * Schema), like classic zod's `.describe()`, on the schema itself.
 *
 * @example
 * ```ts
 * import * as z from "zod/mini";
 * import { described } from "./zod.ts";
 * const ms = described(z.number(), "Milliseconds to wait");
 * ```
 */
export function described<T extends $ZodType>(schema: T, description: string): T {
  globalRegistry.add(schema, { ...globalRegistry.get(schema), description });
  return schema;
}

/**
 * A function that builds a value on its first call and returns that value
 * ever after (built-in node types build their config schemas this way).
 *
 * @example
 * ```ts
 * import * as z from "zod/mini";
 * import { once } from "./zod.ts";
 * const schema = once(() => z.object({ ms: z.number() }));
 * schema() === schema(); // true
 * ```
 */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
