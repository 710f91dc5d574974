/**
 * What a workflow may touch (`settings.permissions`: run, read, write, net,
 * env) and the checks that hold nodes to it, at validation and at run time.
 *
 * The public entry point of `src/permissions/`: the CLI, the server and the
 * queue import the folder through this module only (tests/seams_test.ts).
 *
 * @module
 */
export { type Grant, type Grants, PERMISSION_NAMES, permissionsOf, WorkflowPermissions } from "./permissions.ts";
