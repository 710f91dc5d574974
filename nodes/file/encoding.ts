/**
 * How the `file.*` nodes turn file bytes into values and back: `utf8` text,
 * `json` (a value, written as JSON text) or `base64` (bytes as a base64
 * string, for binary files).
 *
 * @module
 */
import { NodeError } from "../../src/errors.ts";
import { preview } from "../../src/workflow/values.ts";

/** The encodings `file.read` and `file.write` take. */
export const ENCODINGS = ["utf8", "json", "base64"] as const;

/** One of {@linkcode ENCODINGS}. */
export type Encoding = typeof ENCODINGS[number];

type Base64 = { toBase64(): string };
type FromBase64 = { fromBase64(text: string): Uint8Array };

/**
 * File bytes as a value: text, the parsed JSON, or base64. Text that is not
 * UTF-8 fails with `BAD_ENCODING`, JSON that does not parse with `BAD_JSON`.
 *
 * @example
 * ```ts
 * import { decode } from "./encoding.ts";
 * decode(new TextEncoder().encode('{"a":1}'), "json", "in.json"); // { a: 1 }
 * ```
 */
export function decode(bytes: Uint8Array, encoding: Encoding, path: string): unknown {
  if (encoding === "base64") return (bytes as unknown as Base64).toBase64();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new NodeError(`${path}: not UTF-8 text; read it with encoding "base64"`, {
      code: "BAD_ENCODING",
      retryable: false,
    });
  }
  if (encoding === "utf8") return text;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new NodeError(`${path}: not JSON: ${(err as Error).message}`, { code: "BAD_JSON", retryable: false });
  }
}

/**
 * A value as file bytes: a string as UTF-8 (`utf8`), any value as JSON text
 * (`json`: indented by two spaces with a final newline, or on one line when
 * `line` is set, for appending one value per line), or a base64 string
 * decoded (`base64`). A value that does not fit fails with `BAD_INPUT`.
 *
 * @example
 * ```ts
 * import { encode } from "./encoding.ts";
 * encode("aGk=", "base64"); // Uint8Array [104, 105]
 * ```
 */
export function encode(content: unknown, encoding: Encoding, line = false): Uint8Array {
  if (encoding === "json") return new TextEncoder().encode(JSON.stringify(content, null, line ? 0 : 2) + "\n");
  if (typeof content !== "string") {
    throw new NodeError(`content: expected a string for encoding "${encoding}"; got ${preview(content)}`, {
      code: "BAD_INPUT",
      retryable: false,
    });
  }
  if (encoding === "utf8") return new TextEncoder().encode(content);
  try {
    return (Uint8Array as unknown as FromBase64).fromBase64(content);
  } catch {
    throw new NodeError(`content: not base64; got ${preview(content)}`, { code: "BAD_INPUT", retryable: false });
  }
}
