/// <reference lib="dom" />
/**
 * The editor's test loop for one served workflow: its recorded node data,
 * its pins, the editor run being shown, test request listeners, and the
 * actions (Run, Run to here, Run this node, Fire now, pin, unpin, listen).
 * It follows the editor's events on `/api/v1/events` (`pin.set`,
 * `pin.deleted`, `test-request.captured`, `test-request.expired`), so a pin
 * made elsewhere or a captured test request shows at once.
 *
 * @module
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import {
  cancelTestRequest,
  deletePin,
  type EditorRunAcceptedT,
  type EditorRunRequestT,
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
import { useAllEvents } from "../../hooks.ts";

/** What {@linkcode useTestLoop} gives. */
export interface TestLoop {
  /** The served workflow's id. */
  workflowId: string;
  /** Each node's recorded data (undefined until loaded). */
  data?: NodeDataListT;
  /** Pins by node. */
  pins: ReadonlyMap<string, PinT>;
  /** The editor run shown (the last one started or captured). */
  runId?: string;
  /** How it was planned. */
  plan?: EditorRunAcceptedT["plan"];
  /** Test request listeners by node. */
  listening: ReadonlyMap<string, TestRequestViewT>;
  /** The selected node's expression context. */
  context?: ExpressionContextT;
  /** An action is under way. */
  busy: boolean;
  /** The last action's outcome. */
  message?: { kind: "info" | "error"; text: string };
  /** Why the loop is off (the workflow is not served), or undefined. */
  unavailable?: string;
  /** The nodes of the served version (a node added since the last save is not among them). */
  served: ReadonlySet<string>;
  /** Starts an editor run. */
  run: (body: EditorRunRequestT, what: string) => Promise<void>;
  /** Pins a node (from a run, or typed-in outputs). */
  pin: (node: string, body: { outputs: Record<string, unknown> } | { execution: string }) => Promise<void>;
  /** Unpins a node. */
  unpin: (node: string) => Promise<void>;
  /** Listens for a test request for a webhook node. */
  listen: (node: string, run: boolean) => Promise<void>;
  /** Stops listening. */
  stopListening: (node: string) => Promise<void>;
  /** Reloads the data and pins (a run ended). */
  refresh: () => void;
}

/**
 * The test loop of workflow `workflowId` of `file`, with node `selected`
 * selected; see the module doc. Nothing is asked of the routes until the
 * file is served under that id (a new file, or one whose id was just
 * changed, is not yet).
 */
export function useTestLoop(file: string, workflowId: string, selected: string | undefined): TestLoop {
  const [data, setData] = useState<NodeDataListT>();
  const [pins, setPins] = useState<ReadonlyMap<string, PinT>>(new Map());
  const [runId, setRunId] = useState<string>();
  const [plan, setPlan] = useState<EditorRunAcceptedT["plan"]>();
  const [listening, setListening] = useState<ReadonlyMap<string, TestRequestViewT>>(new Map());
  const [context, setContext] = useState<ExpressionContextT>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<TestLoop["message"]>();
  const [unavailable, setUnavailable] = useState<string>();
  const [served, setServed] = useState<ReadonlySet<string>>(new Set());
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let live = true;
    if (!workflowId) return setUnavailable("the workflow has no id");
    (async () => {
      const listed = (await listWorkflows()).find((w) => w.file === file);
      if (listed?.id !== workflowId) {
        throw new Error(`${file} is not served as "${workflowId}" (save a valid version first)`);
      }
      const [detail, d, p] = await Promise.all([
        getWorkflow(workflowId),
        getNodeData(workflowId),
        listPins(workflowId),
      ]);
      if (!live) return;
      setServed(new Set(detail.nodes.map((n) => n.id)));
      setData(d);
      setPins(new Map(p.map((x) => [x.nodeId, x])));
      setUnavailable(undefined);
    })().catch((err) => {
      if (!live) return;
      setServed(new Set());
      setUnavailable((err as Error).message);
    });
    return () => {
      live = false;
    };
  }, [file, workflowId, tick]);

  useEffect(() => {
    let live = true;
    if (!selected || !served.has(selected)) return setContext(undefined);
    getExpressionContext(workflowId, selected).then((c) => live && setContext(c), () => live && setContext(undefined));
    return () => {
      live = false;
    };
  }, [workflowId, selected, served, tick]);

  useAllEvents((events) => {
    for (
      const e of events as unknown as { type: string; workflowId?: string; nodeId?: string; executionId?: string }[]
    ) {
      if (e.workflowId !== workflowId || !e.nodeId) continue;
      if (e.type === "pin.set" || e.type === "pin.deleted") refresh();
      if (e.type === "test-request.captured" || e.type === "test-request.expired") {
        const nodeId = e.nodeId;
        setListening((m) => {
          const old = m.get(nodeId);
          if (!old) return m;
          const next = new Map(m);
          const { url: _, ...rest } = old;
          next.set(nodeId, {
            ...rest,
            status: e.type === "test-request.captured" ? "captured" : "expired",
            ...(e.executionId ? { executionId: e.executionId } : {}),
          });
          return next;
        });
        if (e.type === "test-request.captured" && e.executionId) {
          setRunId(e.executionId);
          setPlan(undefined);
          setMessage({ kind: "info", text: `Test request captured: pinned as the output of ${nodeId}` });
          refresh();
        }
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
    ...(data ? { data } : {}),
    pins,
    ...(runId ? { runId } : {}),
    ...(plan ? { plan } : {}),
    listening,
    ...(context ? { context } : {}),
    busy,
    ...(message ? { message } : {}),
    ...(unavailable ? { unavailable } : {}),
    served,
    refresh,
    run: (body, what) =>
      act(what, async () => {
        const accepted = await startEditorRun(workflowId, body);
        setRunId(accepted.executionId);
        setPlan(accepted.plan);
        const reused = accepted.plan.reused.map((r) => `${r.nodeId} (${r.from === "pin" ? "pin" : "recorded"})`);
        return `${what}: runs ${accepted.plan.run.join(", ") || "nothing"}${
          reused.length ? `; reuses ${reused.join(", ")}` : ""
        }`;
      }),
    pin: (node, body) =>
      act("Pin", async () => {
        const p = await putPin(workflowId, node, body);
        setPins((m) => new Map(m).set(node, p));
        return `Pinned the output of ${node}: editor runs use it instead of running ${node}`;
      }),
    unpin: (node) =>
      act("Unpin", async () => {
        await deletePin(workflowId, node);
        setPins((m) => {
          const next = new Map(m);
          next.delete(node);
          return next;
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
        setListening((m) => {
          const next = new Map(m);
          const old = next.get(node);
          if (old) next.set(node, { ...old, status: "cancelled" });
          return next;
        });
      }),
  }), [workflowId, data, pins, runId, plan, listening, context, busy, message, unavailable, served, refresh, act]);
}
