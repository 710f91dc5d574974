/**
 * Helpers shared by the build scripts (and by the tests and benchmarks that need them).
 *
 * @module
 */

/** Whether a file or directory exists. */
export async function exists(path: string | URL): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** A `fail(message)` that prints `<script>: message` on stderr and exits 1. */
export function failer(script: string): (message: string) => never {
  return (message) => {
    console.error(`${script}: ${message}`);
    Deno.exit(1);
  };
}
