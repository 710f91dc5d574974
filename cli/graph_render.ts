/**
 * Renders a compiled workflow as a Mermaid flowchart or a Graphviz DOT graph.
 *
 * Every valid workflow renders: Mermaid node ids are prefixed (`n_end`, not
 * `end`, a keyword) and never contain a dash (a node `a--b` would read as an
 * edge), and every label is escaped with Mermaid's entity codes; DOT ids and
 * labels are quoted strings with their quotes, backslashes and line breaks
 * escaped.
 *
 * @module
 */
import type { CompiledWorkflow } from "../mod.ts";

/** A Mermaid node id: `n_ID` for ids of letters, digits and `_`; `nINDEX` for others (dashes). */
function mermaidNodeId(id: string, index: number): string {
  return /^[A-Za-z0-9_]+$/.test(id) ? `n_${id}` : `n${index}`;
}

/** The Mermaid node id of workflow input `name`: `in_NAME`, or `iINDEX` for a name with a dash. */
function mermaidInputId(name: string, index: number): string {
  return /^[A-Za-z0-9_]+$/.test(name) ? `in_${name}` : `i${index}`;
}

/**
 * Text for a quoted Mermaid label: `#`, quotes, backticks and HTML's special
 * characters as Mermaid entity codes, so no text can end the label or be
 * read as markup.
 */
export function mermaidText(text: string): string {
  return text.replace(/[#"`<>&\n\r]/g, (c) => `#${c.codePointAt(0)};`);
}

/** Mermaid `flowchart LR` source. */
export function toMermaid(wf: CompiledWorkflow): string {
  const lines = ["flowchart LR"];
  const inputs = new Map<string, string>();
  const inputLines: string[] = [];
  const ids = wf.nodes.map((node, i) => mermaidNodeId(node.id, i));
  for (const [i, node] of wf.nodes.entries()) {
    lines.push(`  ${ids[i]}["${mermaidText(node.id)}<br/><small>${mermaidText(node.type)}</small>"]`);
  }
  for (const [i, node] of wf.nodes.entries()) {
    for (const slot of node.slots) {
      const src = slot.source;
      if (src.kind === "node") {
        lines.push(`  ${ids[src.node]} -- "${mermaidText(`${src.port} → ${slot.port}`)}" --> ${ids[i]}`);
      } else if (src.kind === "input") {
        let id = inputs.get(src.name);
        if (id === undefined) {
          id = mermaidInputId(src.name, inputs.size);
          inputs.set(src.name, id);
          inputLines.push(`  ${id}(["${mermaidText(`$inputs.${src.name}`)}"])`);
        }
        lines.push(`  ${id} -- "${mermaidText(slot.port)}" --> ${ids[i]}`);
      }
    }
  }
  lines.splice(1, 0, ...inputLines);
  return lines.join("\n") + "\n";
}

/**
 * A DOT quoted string: quotes and backslashes escaped, line breaks as `\n`
 * (a centred line in a label), other control characters as spaces.
 */
export function dotString(text: string): string {
  const escaped = text.replace(/[\\"]/g, "\\$&").replace(/\r?\n/g, "\\n").replace(/\p{Cc}/gu, " ");
  return `"${escaped}"`;
}

/** Graphviz DOT source. */
export function toDot(wf: CompiledWorkflow): string {
  const q = dotString;
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
