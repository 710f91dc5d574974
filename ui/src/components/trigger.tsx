/**
 * A run's trigger, readable: its kind, a space, then the trigger node
 * (muted): `webhook hook`, `cron nightly`, `cli`.
 *
 * @module
 */

/** Props of {@linkcode TriggerText}. */
export interface TriggerTextProps {
  /** The kind: `webhook`, `cron`, `interval`, `api`, `cli`. */
  trigger: string;
  /** The trigger node, when a trigger node fired. */
  node?: string;
}

/** The trigger text; see the module doc. */
export function TriggerText({ trigger, node }: TriggerTextProps) {
  if (!node) return <span className="trigger-text">{trigger}</span>;
  return (
    <span className="trigger-text" title={`${trigger} trigger, node "${node}"`}>
      {trigger} <span className="muted">{node}</span>
    </span>
  );
}
