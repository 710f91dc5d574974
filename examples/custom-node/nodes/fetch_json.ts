/**
 * A custom node that needs the network: the workflow grants it one host only.
 */
import { defineNode } from "../../../mod.ts";

export default defineNode({
  type: "net.fetch_json",
  description: "GETs a URL and parses the JSON body (only hosts the workflow allows)",
  inputs: { url: { type: "string", description: "URL to fetch" } },
  outputs: { json: { type: "any", description: "The parsed body" } },
  async run({ inputs, signal }) {
    const res = await fetch(inputs.url, { signal });
    if (!res.ok) throw new Error(`GET ${inputs.url}: HTTP ${res.status}`);
    return { json: await res.json() };
  },
});
