/**
 * Renders a compiled workflow as a Mermaid flowchart or a Graphviz DOT graph.
 *
 * @module
 */
import type { CompiledWorkflow } from "../mod.ts";

const q = (s: string) => JSON.stringify(s);

/** Mermaid `flowchart LR` source. */
export function toMermaid(wf: CompiledWorkflow): string {
  const lines = ["flowchart LR"];
  const inputs = new Set<string>();
  const inputLines: string[] = [];
  for (const node of wf.nodes) lines.push(`  ${node.id}["${node.id}<br/><small>${node.type}</small>"]`);
  for (const node of wf.nodes) {
    for (const slot of node.slots) {
      const src = slot.source;
      if (src.kind === "node") {
        lines.push(`  ${wf.nodes[src.node].id} -- "${src.port} → ${slot.port}" --> ${node.id}`);
      } else if (src.kind === "input") {
        const id = `input_${src.name}`;
        if (!inputs.has(id)) {
          inputs.add(id);
          inputLines.push(`  ${id}(["$inputs.${src.name}"])`);
        }
        lines.push(`  ${id} -- "${slot.port}" --> ${node.id}`);
      }
    }
  }
  lines.splice(1, 0, ...inputLines);
  return lines.join("\n") + "\n";
}

/** Graphviz DOT source. */
export function toDot(wf: CompiledWorkflow): string {
  const lines = [`digraph ${q(wf.id)} {`, "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"];
  const inputs = new Set<string>();
  for (const node of wf.nodes) lines.push(`  ${q(node.id)} [label=${q(`${node.id}\n${node.type}`)}];`);
  for (const node of wf.nodes) {
    for (const slot of node.slots) {
      const src = slot.source;
      if (src.kind === "node") {
        lines.push(`  ${q(wf.nodes[src.node].id)} -> ${q(node.id)} [label=${q(`${src.port} → ${slot.port}`)}];`);
      } else if (src.kind === "input") {
        const id = `$inputs.${src.name}`;
        if (!inputs.has(id)) {
          inputs.add(id);
          lines.push(`  ${q(id)} [shape=ellipse];`);
        }
        lines.push(`  ${q(id)} -> ${q(node.id)} [label=${q(slot.port)}];`);
      }
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
