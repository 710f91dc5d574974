/**
 * A node's inputs in a run, derived from what fed it: the outputs of the
 * nodes upstream (through the connections) and the run's inputs. The journal
 * records outputs, not inputs, so this is what the inspector shows. No DOM.
 *
 * @module
 */
import type { GraphModel } from "../graph/model.ts";
import { INPUTS_ID } from "../graph/model.ts";
import type { SubRun } from "./state.ts";

/** One input port's value and where it came from. */
export interface DerivedInput {
  /** The input port. */
  port: string;
  /** `nodeId.port` or `$inputs.name`. */
  from: string;
  /** Whether a value is known. */
  known: boolean;
  /** The value, when known. */
  value?: unknown;
}

/**
 * The inputs of `nodeId` in `run`: each connected port with the upstream
 * output (when that node completed) or the workflow input (given as
 * `runInputs`, known for the top-level run only).
 */
export function deriveInputs(
  graph: GraphModel,
  run: SubRun | undefined,
  nodeId: string,
  runInputs?: Record<string, unknown>,
): DerivedInput[] {
  const out: DerivedInput[] = [];
  for (const edge of graph.edges) {
    if (edge.target !== nodeId) continue;
    const from = `${edge.source}.${edge.sourcePort}`;
    if (edge.source === INPUTS_ID) {
      const known = runInputs !== undefined && edge.sourcePort in runInputs;
      out.push({ port: edge.targetPort, from, known, ...(known ? { value: runInputs![edge.sourcePort] } : {}) });
      continue;
    }
    const outputs = run?.nodes.get(edge.source)?.outputs;
    const known = outputs !== undefined && edge.sourcePort in outputs;
    out.push({ port: edge.targetPort, from, known, ...(known ? { value: outputs![edge.sourcePort] } : {}) });
  }
  return out;
}
