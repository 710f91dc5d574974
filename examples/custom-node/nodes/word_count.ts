/**
 * A custom node with no permissions at all: counts words in a text.
 */
import { z } from "zod";
import { defineNode } from "../../../mod.ts";

export default defineNode({
  type: "text.word_count",
  description: "Counts the words of a text and the most frequent ones",
  inputs: { text: { type: "string", description: "Any text" } },
  outputs: {
    count: { type: "number", description: "Number of words" },
    top: { type: "array", description: "The most frequent words, most frequent first" },
  },
  config: z.object({ top: z.number().int().min(1).max(100).default(3) }),
  run({ inputs, config, log }) {
    const words = inputs.text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
    const freq = new Map<string, number>();
    for (const w of words) freq.set(w, (freq.get(w) ?? 0) + 1);
    const top = [...freq].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, config.top).map(([w]) => w);
    log.info(`${words.length} words`);
    return { count: words.length, top };
  },
});
