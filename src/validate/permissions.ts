/**
 * Validation of what nodes need from `settings.permissions`: each node
 * type's `needs` hook reads its parsed config, and every need whose field
 * holds no `{{ }}` template must be granted, else an issue names the node,
 * the field and the missing grant. (Templated values are checked by the
 * node at run time, with `ctx.permissions`.)
 *
 * @module
 */
import { isObject, type Validation } from "./context.ts";
import type { ValidateOptions } from "./types.ts";
import { permissionsOf, type WorkflowPermissions } from "../permissions/permissions.ts";
import type { DeclaredPermissions } from "../workflow/format.ts";
import { isPermissionsBlock } from "../workflow/shape.ts";
import { formatPath } from "../workflow/values.ts";

/**
 * The grants of a workflow being validated: its own `settings.permissions`,
 * else those `options` pass down (an inline sub-workflow's parent's), else
 * none. A block the schema refuses (reported by the schema) grants nothing,
 * and is marked so that nodes are not also reported for it.
 */
export function grantsOf(raw: unknown, options: ValidateOptions): WorkflowPermissions {
  const settings = isObject(raw) && isObject(raw.settings) ? raw.settings : undefined;
  const declared = settings?.permissions;
  if (declared === undefined) return options.permissions ?? permissionsOf(undefined, options.file);
  if (!isPermissionsBlock(declared)) {
    const none = permissionsOf(undefined, options.file);
    unchecked.add(none);
    return none;
  }
  return permissionsOf(declared as DeclaredPermissions, options.file);
}

/** Grants of a refused `settings.permissions` block: needs are not checked against them. */
const unchecked = new WeakSet<WorkflowPermissions>();

/** Reports every static need of the workflow's nodes that its grants do not cover. */
export function checkNeeds(v: Validation): void {
  if (unchecked.has(v.permissions)) return;
  for (let i = 0; i < v.nodes.length; i++) {
    const def = v.defs[i], config = v.configs[i];
    if (!def?.needs || config === undefined) continue;
    const sites = v.sites[i];
    for (const need of def.needs(config)) {
      // A field with a template (or inside one) is known only at run time.
      if (sites.some((site) => overlaps(site.path, need.field))) continue;
      const denial = v.permissions.denial(need.permission, need.value);
      if (denial) {
        v.issues.push({
          path: formatPath(["nodes", i, "config", ...need.field]),
          message: `node ${JSON.stringify(v.nodes[i].id)} ${denial}`,
        });
      }
    }
  }
}

/** Whether one path is a prefix of the other. */
function overlaps(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return false;
  return true;
}
