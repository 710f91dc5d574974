/**
 * `flow graph FILE --format svg`: the workflow drawn as the console draws
 * it, as one self-contained SVG file (no script, no external reference) for
 * a pull request, a wiki or a README.
 *
 * Nothing of the drawing is defined twice: the boxes and edges come from the
 * console's model (`ui/src/graph/model.ts`, over the nodes as the API
 * describes them, `server/describe.ts`), their places from its layout (ELK,
 * ports in declared order; the fast layered layout past 60 boxes:
 * `ui/src/graph/layout.ts`), their sizes and port rows from its geometry,
 * and the colours (families, run states, light and dark) from the console's
 * stylesheet, read at build time as text. Each shape also carries the light
 * colours as attributes, for viewers without CSS custom properties.
 *
 * Loaded only by `flow graph --format svg` (a lazy part of the bundle, with
 * ELK): no other command pays for it.
 *
 * @module
 */
import type { CompiledWorkflow } from "../src/validate/mod.ts";
import { describeNodes } from "../server/describe.ts";
import { portY } from "../ui/src/graph/geometry.ts";
import { layoutGraph } from "../ui/src/graph/layout.ts";
import { buildGraph, type GraphModel, type GraphNode } from "../ui/src/graph/model.ts";
import consoleCss from "../ui/src/styles.css" with { type: "text" };

/** A run's result, to colour the boxes with. */
export interface RunColours {
  /** The execution. */
  executionId: string;
  /** Its status. */
  status: string;
  /** Each top-level node's status (completed, failed, skipped, …); absent ones are drawn pending. */
  nodes: ReadonlyMap<string, string>;
}

/** Space around the graph, px. */
const PAD = 24;
/** Height of the caption row of a run, px. */
const CAPTION = 30;
/** Rough width of a character of the box text, px (as the layout's geometry reckons). */
const CHAR = 7;
/** Room kept on a box's first row for its status, px (as the console's `.box-id` padding). */
const STATUS_ROOM = 70;
/** The states a box is coloured by, and the console's variables of their border and background. */
const STATES: Record<string, { border: string; background: string; share: number }> = {
  completed: { border: "--ok", background: "--ok-bg", share: 0.6 },
  failed: { border: "--bad", background: "--bad-bg", share: 0.7 },
  retrying: { border: "--warn", background: "--warn-bg", share: 0.7 },
  running: { border: "--run", background: "--run-bg", share: 0.7 },
};

/** The console's custom properties, light and dark, from its stylesheet. */
export interface Theme {
  /** `--name` to value, light. */
  light: Record<string, string>;
  /** `--name` to value, dark (only those that differ). */
  dark: Record<string, string>;
}

/**
 * The custom properties of the stylesheet's first `:root` rule (light) and
 * of the `:root` rule inside its `prefers-color-scheme: dark` query.
 */
export function themeOf(css: string): Theme {
  const props = (block: string | undefined) =>
    Object.fromEntries([...(block ?? "").matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));
  const light = /(?:^|\})\s*:root\s*\{([^}]*)\}/.exec(consoleCssWithoutComments(css))?.[1];
  const dark = /@media\s*\(prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{([^}]*)\}/.exec(css)?.[1];
  const theme = { light: props(light), dark: props(dark) };
  if (!theme.light["--surface"] || !theme.light["--f-other"]) {
    throw new Error("ui/src/styles.css: expected the console's colours in its first :root rule");
  }
  return theme;
}

function consoleCssWithoutComments(css: string): string {
  return css.replace(/\/\*[\s\S]*?\*\//g, "");
}

/** `#rrggbb` mixed with `#rrggbb`: `share` of the first (as CSS `color-mix(in srgb, a share, b)`). */
function mix(a: string, b: string, share: number): string {
  const rgb = (hex: string) => {
    const h = hex.replace("#", "");
    const full = h.length === 3 ? [...h].map((x) => x + x).join("") : h;
    return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
  };
  const [x, y] = [rgb(a), rgb(b)];
  if ([...x, ...y].some(Number.isNaN)) return a;
  return "#" + x.map((v, i) => Math.round(v * share + y[i] * (1 - share)).toString(16).padStart(2, "0")).join("");
}

/** Text escaped for XML content and attribute values. */
export function xmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.codePointAt(0)};`);
}

/** `text` cut to about `px` pixels of box text, with an ellipsis. */
function clip(text: string, px: number): string {
  const room = Math.max(1, Math.floor(px / CHAR));
  return text.length > room ? `${text.slice(0, room - 1)}…` : text;
}

/** A family's colour variable: `--f-http`, or `--f-other` for a family the console has no colour for. */
function familyVar(family: string, theme: Theme): string {
  return theme.light[`--f-${family}`] ? `--f-${family}` : "--f-other";
}

/** The variables of one theme, with the state backgrounds mixed as the console mixes them. */
function themeVars(vars: Record<string, string>, light: Record<string, string>): string {
  const all = { ...light, ...vars };
  const lines = Object.entries(vars).map(([k, v]) => `${k}:${v};`);
  for (const [state, s] of Object.entries(STATES)) {
    lines.push(`--state-${state}:${mix(all[s.background], all["--surface"], s.share)};`);
  }
  return lines.join("");
}

/** The stylesheet of the SVG: the console's variables (light, dark), then the shapes' rules, all under `.flow-graph`. */
function styleSheet(theme: Theme): string {
  const g = ".flow-graph";
  return [
    `${g}{${themeVars(theme.light, theme.light)}font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}`,
    `@media (prefers-color-scheme: dark){${g}{${themeVars(theme.dark, theme.light)}}}`,
    `${g} .canvas{fill:var(--bg)}`,
    `${g} .caption{fill:var(--text);font-size:13px;font-weight:600}`,
    `${g} .edge{fill:none;stroke:var(--muted);stroke-width:1.2;opacity:.75}`,
    `${g} .edge.from-completed{stroke:var(--ok);opacity:1}`,
    `${g} .edge.from-failed{stroke:var(--bad);opacity:1}`,
    `${g} .frame{fill:var(--surface);stroke:var(--border);stroke-width:1.5}`,
    `${g} .band{fill:var(--family)}`,
    `${g} .id{fill:var(--text);font-size:12px;font-weight:600}`,
    `${g} .type{fill:var(--muted);font-size:11px;font-family:ui-monospace,monospace}`,
    `${g} .port{fill:var(--muted);font-size:11px}`,
    `${g} .handle{fill:var(--family);stroke:var(--surface);stroke-width:1.5}`,
    `${g} .status{font-size:10px;font-weight:600;fill:var(--muted)}`,
    ...Object.entries(STATES).flatMap(([state, s]) => [
      `${g} .state-${state} .frame{stroke:var(${s.border});fill:var(--state-${state})}`,
      `${g} .state-${state} .status{fill:var(${s.border})}`,
    ]),
    `${g} .state-skipped .frame{stroke-dasharray:4 3}`,
    `${g} .state-skipped,${g} .state-pending{opacity:.6}`,
  ].join("\n");
}

/** A React Flow bezier edge from an output port (right side) to an input port (left side). */
function edgePath(sx: number, sy: number, tx: number, ty: number): string {
  const d = tx - sx;
  const offset = d >= 0 ? 0.5 * d : 0.25 * 25 * Math.sqrt(-d);
  const n = (v: number) => Math.round(v * 10) / 10;
  return `M${n(sx)},${n(sy)} C${n(sx + offset)},${n(sy)} ${n(tx - offset)},${n(ty)} ${n(tx)},${n(ty)}`;
}

/** One box: frame, family band, title, type, ports with their handles, and its state in a run. */
function boxSvg(node: GraphNode, w: number, h: number, state: string | undefined, theme: Theme): string {
  const v = (name: string) => theme.light[name];
  const family = familyVar(node.family, theme);
  const title = node.name ?? (node.kind === "inputs" ? "inputs" : node.kind === "outputs" ? "outputs" : node.id);
  const type = node.kind === "node" ? node.type : node.kind === "inputs" ? "entry" : "exit";
  const dash = node.kind === "node" ? "" : ` stroke-dasharray="5 3"`;
  const parts = [
    `<title>${xmlText(`${node.id}: ${node.type}${state ? ` (${state})` : ""}`)}</title>`,
    `<rect class="frame" width="${w}" height="${h}" rx="6" fill="${v("--surface")}" stroke="${v("--border")}"${dash}/>`,
    `<path class="band" d="M0,6 A6,6 0 0 1 6,0 H${w - 6} A6,6 0 0 1 ${w},6 Z" fill="${v(family)}"/>`,
    `<text class="id" x="8" y="22" fill="${v("--text")}">${
      xmlText(clip(title, w - 16 - (state ? STATUS_ROOM : 0)))
    }</text>`,
    `<text class="type" x="8" y="37" fill="${v("--muted")}">${xmlText(clip(type, w - 16))}</text>`,
  ];
  if (state) parts.push(`<text class="status" x="${w - 8}" y="20" text-anchor="end">${xmlText(state)}</text>`);
  const half = (w - 24) / 2;
  node.inputs.forEach((p, i) => {
    parts.push(
      `<circle class="handle" cx="0" cy="${portY(i)}" r="4" fill="${v(family)}" stroke="${v("--surface")}"/>`,
      `<text class="port" x="8" y="${portY(i) + 4}" fill="${v("--muted")}">${xmlText(clip(p.name, half))}</text>`,
    );
  });
  node.outputs.forEach((p, i) => {
    parts.push(
      `<circle class="handle" cx="${w}" cy="${portY(i)}" r="4" fill="${v(family)}" stroke="${v("--surface")}"/>`,
      `<text class="port" x="${w - 8}" y="${portY(i) + 4}" text-anchor="end" fill="${v("--muted")}">${
        xmlText(clip(p.name, half))
      }</text>`,
    );
  });
  return parts.join("");
}

/** The console's model of a compiled workflow: its boxes (entry and exit included) and edges. */
export function graphModel(compiled: CompiledWorkflow): GraphModel {
  return buildGraph({
    nodes: describeNodes(compiled),
    connections: compiled.workflow.connections.map((c) => ({ from: c.from, to: c.to })),
    inputs: (compiled.workflow.inputs ?? {}) as Record<string, Record<string, unknown>>,
    outputs: (compiled.workflow.outputs ?? {}) as Record<string, string>,
  });
}

/** The SVG of a workflow, its boxes coloured by `run`'s result when given. */
export async function renderSvg(compiled: CompiledWorkflow, run?: RunColours): Promise<string> {
  const theme = themeOf(consoleCss);
  const model = graphModel(compiled);
  const layout = await layoutGraph(model);
  const places = [...layout.values()];
  const minX = Math.min(0, ...places.map((p) => p.x));
  const minY = Math.min(0, ...places.map((p) => p.y));
  const top = run ? CAPTION : 0;
  const dx = PAD - minX, dy = PAD + top - minY;
  const width = Math.ceil(Math.max(0, ...places.map((p) => p.x + p.width)) - minX + 2 * PAD);
  const height = Math.ceil(Math.max(0, ...places.map((p) => p.y + p.height)) - minY + 2 * PAD + top);
  const stateOf = (node: GraphNode) => run && node.kind === "node" ? run.nodes.get(node.id) ?? "pending" : undefined;
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const edges = model.edges.map((e) => {
    const s = layout.get(e.source)!, t = layout.get(e.target)!;
    const out = Math.max(0, byId.get(e.source)!.outputs.findIndex((p) => p.name === e.sourcePort));
    const inp = Math.max(0, byId.get(e.target)!.inputs.findIndex((p) => p.name === e.targetPort));
    const from = stateOf(byId.get(e.source)!);
    const d = edgePath(s.x + s.width + dx, s.y + portY(out) + dy, t.x + dx, t.y + portY(inp) + dy);
    return `<path class="edge${from ? ` from-${from}` : ""}" data-edge="${xmlText(e.id)}" d="${d}" stroke="${
      theme.light["--muted"]
    }" fill="none"/>`;
  });
  const boxes = model.nodes.map((node) => {
    const p = layout.get(node.id)!;
    const state = stateOf(node);
    const classes = `box family-${node.family} kind-${node.kind}${state ? ` state-${state}` : ""}`;
    return `<g class="${xmlText(classes)}" data-node-id="${xmlText(node.id)}" style="--family:var(${
      familyVar(node.family, theme)
    })" transform="translate(${p.x + dx},${p.y + dy})">${boxSvg(node, p.width, p.height, state, theme)}</g>`;
  });
  const name = compiled.workflow.name ?? compiled.id;
  const caption = run
    ? `<text class="caption" x="${PAD}" y="${PAD + 8}" fill="${theme.light["--text"]}">${
      xmlText(`${name} · execution ${run.executionId.slice(0, 8)} · ${run.status}`)
    }</text>`
    : "";
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="flow-graph" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" role="img" aria-label="${xmlText(`workflow ${name}`)}">`,
    `<title>${xmlText(name)}</title>`,
    `<style>\n${styleSheet(theme)}\n</style>`,
    `<rect class="canvas" width="${width}" height="${height}" fill="${theme.light["--bg"]}"/>`,
    caption,
    `<g class="edges">${edges.join("\n")}</g>`,
    `<g class="boxes">\n${boxes.join("\n")}\n</g>`,
    `</svg>`,
    "",
  ].filter((l) => l !== "").join("\n") + "\n";
}
