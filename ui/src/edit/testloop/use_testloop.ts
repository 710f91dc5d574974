/// <reference lib="dom" />
/**
 * The editor's test loop for one served workflow: its recorded node data,
 * its pins, the editor run being shown, test request listeners, and the
 * actions (Run, Run to here, Run this node, Fire now, pin, unpin, listen).
 * It follows the editor's events on `/api/v1/events` (`pin.set`,
 * `pin.deleted`, `test-request.captured`, `test-request.expired`), so a pin
 * made elsewhere or a captured test request shows at once. Its actions as
 * commands (`commands.ts`), with the state of the forms they open, come from
 * {@linkcode useTestCommands}.
 *
 * @module
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import {
  cancelTestRequest,
  deletePin,
  type EditorRunAcceptedT,
  type ExpressionContextT,
  getExpressionContext,
  getNodeData,
  listenTestRequest,
  listPins,
  type NodeDataListT,
  type PinT,
  putPin,
  startEditorRun,
  type TestRequestViewT,
} from "../../api_editor.ts";
import { getWorkflow, listWorkflows } from "../../api.ts";
import { type TestCommandContext, type TestCommands, testCommands, type TestUi } from "./commands.ts";
import type { TestLoop } from "./loop.ts";
import { useAllEvents } from "../../hooks.ts";

/** What the server has for a served workflow: its saved nodes, their recorded data, its pins. */
interface Served {
  data?: NodeDataListT;
  pins: ReadonlyMap<string, PinT>;
  served: ReadonlySet<string>;
  unavailable?: string;
}

/**
 * Loads what the server has for `workflowId` of `file` (again when `tick`
 * changes). Asks nothing of the test-loop routes until the file is served
 * under that id (a new file, or one whose id was just changed, is not yet).
 */
function useServed(file: string, workflowId: string, tick: number): [Served, (f: (s: Served) => Served) => void] {
  const [state, setState] = useState<Served>({ pins: new Map(), served: new Set() });
  useEffect(() => {
    let live = true;
    if (!workflowId) {
      setState({ pins: new Map(), served: new Set(), unavailable: "the workflow has no id" });
      return;
    }
    (async () => {
      const listed = (await listWorkflows()).find((w) => w.file === file);
      if (listed?.id !== workflowId) {
        throw new Error(`${file} is not served as "${workflowId}" (save a valid version first)`);
      }
      const [detail, data, pins] = await Promise.all([
        getWorkflow(workflowId),
        getNodeData(workflowId),
        listPins(workflowId),
      ]);
      if (!live) return;
      setState({
        data,
        pins: new Map(pins.map((p) => [p.nodeId, p])),
        served: new Set(detail.nodes.map((n) => n.id)),
      });
    })().catch((err) => {
      if (live) setState({ pins: new Map(), served: new Set(), unavailable: (err as Error).message });
    });
    return () => {
      live = false;
    };
  }, [file, workflowId, tick]);
  return [state, setState];
}

/** The expression context of `selected` when the served workflow has it. */
function useNodeContext(
  workflowId: string,
  selected: string | undefined,
  served: ReadonlySet<string>,
  tick: number,
): ExpressionContextT | undefined {
  const [context, setContext] = useState<ExpressionContextT>();
  useEffect(() => {
    let live = true;
    if (!selected || !served.has(selected)) return setContext(undefined);
    getExpressionContext(workflowId, selected).then((c) => live && setContext(c), () => live && setContext(undefined));
    return () => {
      live = false;
    };
  }, [workflowId, selected, served, tick]);
  return context;
}

/** A listener's new status, from an editor event (`url` dropped: it is used up). */
function finished(
  m: ReadonlyMap<string, TestRequestViewT>,
  nodeId: string,
  status: TestRequestViewT["status"],
  executionId?: string,
): ReadonlyMap<string, TestRequestViewT> {
  const old = m.get(nodeId);
  if (!old) return m;
  const { url: _, ...rest } = old;
  return new Map(m).set(nodeId, { ...rest, status, ...(executionId ? { executionId } : {}) });
}

/** What an editor run's plan says, in a line. */
function planLine(what: string, plan: EditorRunAcceptedT["plan"]): string {
  const reused = plan.reused.map((r) => `${r.nodeId} (${r.from === "pin" ? "pin" : "recorded"})`);
  return `${what}: runs ${plan.run.join(", ") || "nothing"}${reused.length ? `; reuses ${reused.join(", ")}` : ""}`;
}

/**
 * The test loop of workflow `workflowId` of `file`, with node `selected`
 * selected; see the module doc.
 */
export function useTestLoop(file: string, workflowId: string, selected: string | undefined): TestLoop {
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  const [server, setServer] = useServed(file, workflowId, tick);
  const context = useNodeContext(workflowId, selected, server.served, tick);
  const [shown, setShown] = useState<{ runId?: string; plan?: EditorRunAcceptedT["plan"] }>({});
  const [listening, setListening] = useState<ReadonlyMap<string, TestRequestViewT>>(new Map());
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<TestLoop["message"]>();

  useAllEvents((events) => {
    type EditorEvent = { type: string; workflowId?: string; nodeId?: string; executionId?: string };
    for (const e of events as unknown as EditorEvent[]) {
      if (e.workflowId !== workflowId || !e.nodeId) continue;
      const nodeId = e.nodeId;
      if (e.type === "pin.set" || e.type === "pin.deleted") refresh();
      if (e.type === "test-request.expired") setListening((m) => finished(m, nodeId, "expired"));
      if (e.type === "test-request.captured" && e.executionId) {
        setListening((m) => finished(m, nodeId, "captured", e.executionId));
        setShown({ runId: e.executionId });
        setMessage({ kind: "info", text: `Test request captured: pinned as the output of ${nodeId}` });
        refresh();
      }
    }
  });

  const act = useCallback(async (what: string, fn: () => Promise<string | void>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      const said = await fn();
      if (said) setMessage({ kind: "info", text: said });
    } catch (err) {
      setMessage({ kind: "error", text: `${what}: ${(err as Error).message}` });
    } finally {
      setBusy(false);
    }
  }, []);

  return useMemo<TestLoop>(() => ({
    workflowId,
    ...server,
    ...shown,
    listening,
    ...(context ? { context } : {}),
    busy,
    ...(message ? { message } : {}),
    refresh,
    run: (body, what) =>
      act(what, async () => {
        const accepted = await startEditorRun(workflowId, body);
        setShown({ runId: accepted.executionId, plan: accepted.plan });
        return planLine(what, accepted.plan);
      }),
    pin: (node, body) =>
      act("Pin", async () => {
        const p = await putPin(workflowId, node, body);
        setServer((s) => ({ ...s, pins: new Map(s.pins).set(node, p) }));
        return `Pinned the output of ${node}: editor runs use it instead of running ${node}`;
      }),
    unpin: (node) =>
      act("Unpin", async () => {
        await deletePin(workflowId, node);
        setServer((s) => {
          const pins = new Map(s.pins);
          pins.delete(node);
          return { ...s, pins };
        });
        return `Unpinned ${node}`;
      }),
    listen: (node, run) =>
      act("Listen for a test request", async () => {
        const v = await listenTestRequest(workflowId, node, run);
        setListening((m) => new Map(m).set(node, v));
      }),
    stopListening: (node) =>
      act("Stop listening", async () => {
        await cancelTestRequest(workflowId, node);
        setListening((m) => finished(m, node, "cancelled"));
      }),
  }), [workflowId, server, shown, listening, context, busy, message, refresh, act, setServer]);
}

/** The test loop's commands for `loop` with `node` selected, and their forms' state. */
export function useTestCommands(loop: TestLoop, node: TestCommandContext["node"], canAct: boolean): TestCommands {
  const [runForm, setRunForm] = useState(false);
  const [pinFor, setPinFor] = useState<string>();
  const [runWith, setRunWith] = useState<string>();
  const ui = useMemo<TestUi>(
    () => ({
      runForm,
      setRunForm,
      ...(pinFor ? { pinFor } : {}),
      setPinFor,
      ...(runWith ? { runWith } : {}),
      setRunWith,
    }),
    [runForm, pinFor, runWith],
  );
  const commands = testCommands({ loop, ...(node ? { node } : {}), canAct, ui });
  return { commands, get: (id) => commands.find((c) => c.id === id), ui };
}
