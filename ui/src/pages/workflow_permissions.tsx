/**
 * What a workflow may reach, on its page: its `settings.permissions` as the
 * server resolved them (`GET /api/v1/workflows/{id}` `permissions`; paths
 * absolute), one line for a reviewer to read before running or editing it
 * (docs/workflow.md#permissions).
 *
 * @module
 */
import type { WorkflowDetailT } from "../../../server/schemas.ts";

/** A workflow's resolved permissions. */
export type Permissions = NonNullable<WorkflowDetailT["permissions"]>;

/** Each permission, in the order shown, with its label. */
export const PERMISSION_LABELS: readonly [keyof Permissions, string][] = [
  ["run", "May run"],
  ["read", "Read"],
  ["write", "Write"],
  ["net", "Network"],
  ["env", "Environment"],
];

/** One grant as shown: `anything` (`true`), `nothing` (`[]`), or the list. */
export function grantText(grant: true | string[]): string {
  if (grant === true) return "anything";
  return grant.length ? grant.join(", ") : "nothing";
}

/** The permissions line: each permission granted, or `Permissions: none`. */
export function PermissionsLine({ permissions }: { permissions: Permissions }) {
  const granted = PERMISSION_LABELS.filter(([key]) => permissions[key] === true || permissions[key].length > 0);
  return (
    <dl className="grants" aria-label="Permissions">
      {granted.length === 0 && (
        <div>
          <dt>Permissions</dt>
          <dd>none</dd>
        </div>
      )}
      {granted.map(([key, label]) => (
        <div key={key} className={permissions[key] === true ? "grant-any" : undefined}>
          <dt>{label}</dt>
          <dd>{grantText(permissions[key])}</dd>
        </div>
      ))}
    </dl>
  );
}
