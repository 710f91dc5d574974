/**
 * The flow version, from deno.json.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** The flow version, e.g. `0.1.0`. */
export const VERSION: string = denoJson.version;
