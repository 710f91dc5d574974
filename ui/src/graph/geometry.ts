/**
 * Box sizes shared by the layout and the rendered nodes, so that ELK places
 * ports exactly where the boxes draw their handles; and where the boxes draw
 * their handles, given to React Flow so that it need not render every box
 * once to measure them (`tests/editor_test.ts` checks these against the DOM).
 * No DOM.
 *
 * @module
 */
import type { GraphNode } from "./model.ts";

/** Height of a box's title rows (id and type), px. */
export const HEADER_HEIGHT = 44;
/** Height of one port row, px. */
export const PORT_ROW = 20;
/** Space under the last port row, px. */
export const FOOTER = 8;
/** Narrowest box, px. */
export const MIN_WIDTH = 170;
/** Widest box, px. */
export const MAX_WIDTH = 320;
/** Rough width of one character at the box's font size, px. */
const CHAR = 7;

/** A box's width and height. */
export function boxSize(node: GraphNode): { width: number; height: number } {
  const rows = Math.max(node.inputs.length, node.outputs.length, 1);
  const title = Math.max(node.id.length, node.type.length, node.name?.length ?? 0) * CHAR + 24;
  let ports = 0;
  for (let i = 0; i < rows; i++) {
    ports = Math.max(ports, ((node.inputs[i]?.name.length ?? 0) + (node.outputs[i]?.name.length ?? 0)) * CHAR + 48);
  }
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, title, ports));
  return { width, height: HEADER_HEIGHT + rows * PORT_ROW + FOOTER };
}

/** The vertical centre of port row `index`, from the box's top, px. */
export function portY(index: number): number {
  return HEADER_HEIGHT + index * PORT_ROW + PORT_ROW / 2;
}

/** Width of a box's left and right border as drawn (`.box`: 1.5px, drawn 1px at one device pixel per px), px. */
const BORDER_SIDE = 1;
/** Height of a box's top border (`.box`: the family colour), px. */
const BORDER_TOP = 4;
/** Side of a port's handle, px: 8 in the viewer, 10 where ports can be connected (`styles.css`). */
export const HANDLE_SIZE = { view: 8, edit: 10 } as const;

/** Where a box draws one port's handle: its top-left corner relative to the box's, and its size, px. */
export interface HandlePlace {
  /** The port's name (the handle's id). */
  id: string;
  /** `target` for an input, `source` for an output. */
  type: "target" | "source";
  /** The box's side it is on. */
  side: "left" | "right";
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/**
 * Where a box of width `width` draws its port handles of side `size`, as
 * React Flow would measure them: inputs centred on the left border, outputs
 * on the right, each at its port row.
 */
export function handlePlaces(node: Pick<GraphNode, "inputs" | "outputs">, width: number, size: number): HandlePlace[] {
  const half = size / 2;
  const place = (id: string, side: "left" | "right", i: number): HandlePlace => ({
    id,
    type: side === "left" ? "target" : "source",
    side,
    x: side === "left" ? BORDER_SIDE - half : width - BORDER_SIDE - half,
    y: BORDER_TOP + portY(i) - half,
    width: size,
    height: size,
  });
  return [
    ...node.inputs.map((p, i) => place(p.name, "left", i)),
    ...node.outputs.map((p, i) => place(p.name, "right", i)),
  ];
}
