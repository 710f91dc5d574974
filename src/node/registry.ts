/**
 * The node registry: node types by name, with "did you mean" suggestions.
 *
 * @module
 */
import type { AnyNodeDefinition } from "./node.ts";

/**
 * Holds node types by their `type` name.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { defineNode } from "./node.ts";
 * const registry = new Registry();
 * registry.register(defineNode({
 *   type: "noop", description: "does nothing", inputs: {}, outputs: {}, run: () => ({}),
 * }));
 * console.log(registry.has("noop")); // true
 * ```
 */
export class Registry {
  #types = new Map<string, AnyNodeDefinition>();

  /** Creates a registry holding the given definitions. */
  constructor(definitions: Iterable<AnyNodeDefinition> = []) {
    for (const d of definitions) this.register(d);
  }

  /** Adds a node type; throws if the type name is already taken. */
  register(definition: AnyNodeDefinition): this {
    if (this.#types.has(definition.type)) {
      throw new Error(`node type "${definition.type}" is already registered`);
    }
    this.#types.set(definition.type, definition);
    return this;
  }

  /** The definition of a type, or undefined. */
  get(type: string): AnyNodeDefinition | undefined {
    return this.#types.get(type);
  }

  /** Whether a type is registered. */
  has(type: string): boolean {
    return this.#types.has(type);
  }

  /** All definitions, sorted by type name. */
  list(): AnyNodeDefinition[] {
    return [...this.#types.values()].sort((a, b) => a.type.localeCompare(b.type));
  }

  /** A copy of this registry, to add types to without touching this one. */
  clone(): Registry {
    return new Registry(this.#types.values());
  }

  /** Registered type names close to `type` (typos, wrong family), best first. */
  suggest(type: string, max = 3): string[] {
    const lower = type.toLowerCase();
    const tail = lower.split(".").pop() ?? lower;
    return [...this.#types.keys()]
      .map((name) => {
        const n = name.toLowerCase();
        let d = editDistance(lower, n);
        if (lower !== "" && (n.endsWith("." + tail) || n.includes(lower))) d = Math.min(d, 1);
        return { name, d };
      })
      .filter(({ name, d }) => d <= Math.max(2, Math.floor(name.length / 3)))
      .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
      .slice(0, max)
      .map(({ name }) => name);
  }
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j] + 1,
        cur[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length];
}
