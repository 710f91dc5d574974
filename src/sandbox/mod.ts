/**
 * Custom node modules (`imports`, `--nodes`): loaded into sandboxed Workers
 * with no permissions, and the workflow compiled with them. The Worker's
 * host (`host.ts`) is loaded on first use, only by a workflow that has such
 * modules.
 *
 * The public entry point of `src/sandbox/`: the CLI, the server and the
 * queue import the folder through this module only (tests/seams_test.ts).
 *
 * @module
 */
export {
  checkWithModules,
  compileWithModules,
  type CustomType,
  type LoadedModules,
  type LoadModulesOptions,
  loadNodeModules,
  validateWithExpressions,
} from "./imports.ts";
