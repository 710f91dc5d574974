/**
 * The test loop's results on the canvas: each box's status, attempts,
 * duration, item count and port previews, from the editor run being shown
 * (folded by the run view's own `run/state.ts`) over each node's recorded
 * data (`GET /node-data`) and its pin. No DOM.
 *
 * @module
 */
import type { NodeDataListT, PinT } from "../../../../server/editor_schemas.ts";
import { formatDuration, preview } from "../../format.ts";
import type { BoxState } from "../../graph/box_state.ts";
import type { GraphModel } from "../../graph/model.ts";
import { deriveInputs } from "../../run/inputs.ts";
import type { SubRun } from "../../run/state.ts";

/** Characters of a port's preview. */
const PORT_PREVIEW = 240;

/** The number of items of the first array among `outputs`, or undefined. */
export function itemCount(outputs: Record<string, unknown> | undefined): number | undefined {
  for (const v of Object.values(outputs ?? {})) if (Array.isArray(v)) return v.length;
  return undefined;
}

/** Each node box's state in the test loop (nodes with no run, data or pin have none). */
export function testLoopStates(
  model: GraphModel,
  data: NodeDataListT | undefined,
  pins: ReadonlyMap<string, PinT>,
  run: SubRun | undefined,
): Map<string, BoxState> {
  const out = new Map<string, BoxState>();
  for (const n of model.nodes) {
    if (n.kind !== "node") continue;
    const live = run?.nodes.get(n.id);
    const rec = data?.nodes[n.id];
    const pin = pins.get(n.id);
    if (!live && !rec && !pin) continue;
    const status = live?.status ?? rec?.status ?? "pinned";
    const attempts = live ? live.attempts : rec?.attempts ?? 0;
    const durationMs = live ? live.durationMs : rec?.durationMs;
    const outputs = live ? live.outputs : rec?.outputs ?? pin?.outputs;
    const reused = live ? live.reused : rec?.reused;
    const inputs: Record<string, unknown> = live
      ? Object.fromEntries(deriveInputs(model, run, n.id).filter((i) => i.known).map((i) => [i.port, i.value]))
      : rec?.inputs ?? {};
    const items = itemCount(outputs);
    const facts = [
      attempts > 0 ? `${attempts} attempt${attempts > 1 ? "s" : ""}` : "",
      durationMs !== undefined && !reused ? formatDuration(durationMs) : "",
      items !== undefined ? `${items} item${items === 1 ? "" : "s"}` : "",
      reused ? "reused" : "",
      pin ? "pinned" : "",
    ].filter(Boolean).join(" · ");
    const ports: Record<string, string> = {};
    for (const [k, v] of Object.entries(inputs)) ports[`in:${k}`] = preview(v, PORT_PREVIEW);
    for (const [k, v] of Object.entries(outputs ?? {})) ports[`out:${k}`] = preview(v, PORT_PREVIEW);
    const max = n.info?.retry?.maxAttempts;
    out.set(n.id, {
      status,
      attempts,
      ...(typeof max === "number" ? { maxAttempts: max } : {}),
      ...(facts ? { facts } : {}),
      ports,
    });
  }
  return out;
}
