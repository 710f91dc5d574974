/// <reference lib="dom" />
/**
 * A run's or node's status as a coloured badge with its word (colour is
 * never the only cue).
 *
 * @module
 */

/** A status badge: `success`, `failed`, `running`, `retrying 2/4`, … */
export function StatusBadge(props: { status: string; label?: string }) {
  return (
    <span className={`badge status-${props.status}`} data-status={props.status}>
      {props.label ?? props.status}
    </span>
  );
}
