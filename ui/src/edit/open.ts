/// <reference lib="dom" />
/**
 * What the editor reads when it opens a file: the file's text and ETag, the
 * node catalog and the workflow JSON Schema. Small and in the console's
 * first chunk: when the console opens on the editor, `main.tsx` starts these
 * requests as soon as the session allows, beside the editor's own scripts,
 * and the editor takes them when it mounts instead of asking again.
 *
 * @module
 */
import { getSource, getWorkflowSchema, type JsonSchema, listNodeTypes, type NodeType, type Source } from "../api.ts";

/** What the editor needs to open a file. */
export interface EditorData {
  /** The file's text and ETag. */
  source: Source;
  /** Every node type usable here. */
  types: NodeType[];
  /** The workflow JSON Schema (the code view's completion), when the server has it. */
  schema?: JsonSchema;
}

/** Reads what the editor needs to open `file`. */
export async function readEditorData(file: string): Promise<EditorData> {
  const [source, types, schema] = await Promise.all([
    getSource(file),
    listNodeTypes(),
    getWorkflowSchema().catch(() => undefined),
  ]);
  return { source, types, ...(schema ? { schema } : {}) };
}

/** Requests started longer ago than this are not taken (the file may have changed since), ms. */
const FRESH_MS = 10_000;

let early: { file: string; at: number; data: Promise<EditorData> } | undefined;

/** Starts reading what the editor needs for `file`, for {@linkcode takeEditorData} to take. */
export function prefetchEditorData(file: string): void {
  const data = readEditorData(file);
  data.catch(() => {}); // the editor reports a failure when it takes it, or reads again
  early = { file, at: performance.now(), data };
}

/**
 * What the editor needs for `file`: the requests {@linkcode prefetchEditorData}
 * started for it in the last 10 s, taken once, or new ones.
 */
export function takeEditorData(file: string): Promise<EditorData> {
  const taken = early?.file === file && performance.now() - early.at < FRESH_MS ? early.data : undefined;
  early = undefined;
  return taken ?? readEditorData(file);
}
