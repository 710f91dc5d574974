/**
 * The server's default request limits, in a module of their own so that the
 * command table (`cli/commands.ts`, loaded by every command) can show them
 * without loading the server.
 *
 * @module
 */

/** Default of `flow serve --max-api-body`: the largest API request body, bytes (10 MiB). */
export const DEFAULT_MAX_API_BODY = 10 * 1024 * 1024;
