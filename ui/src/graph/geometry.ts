/**
 * Box sizes shared by the layout and the rendered nodes, so that ELK places
 * ports exactly where the boxes draw their handles. No DOM.
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
