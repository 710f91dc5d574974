/**
 * The result of a layout: where each box goes.
 *
 * @module
 */

/** Where a box goes. */
export interface Placement {
  /** Left edge, px. */
  x: number;
  /** Top edge, px. */
  y: number;
  /** Width, px. */
  width: number;
  /** Height, px. */
  height: number;
}

/** Box placements by id. */
export type Layout = Map<string, Placement>;
