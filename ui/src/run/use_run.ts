/// <reference lib="dom" />
/**
 * Loads a run and follows it: its record (`/runs/ID`), its workflow's graph
 * (`/workflows/WID`, when still served), and its events (`/runs/ID/events`:
 * the journal replayed, then live), folded into a {@linkcode RunState}.
 *
 * @module
 */
import { useEffect, useRef, useState } from "react";
import type { RunDetailT, WorkflowDetailT } from "../../../server/schemas.ts";
import { ApiError, getRun, getWorkflow } from "../api.ts";
import { streamEvents } from "../sse.ts";
import { applyEvents, createRunState, type RunState } from "./state.ts";

/** What {@linkcode useRun} gives. */
export interface RunView {
  /** The run's record, once loaded (reloaded when its stream ends). */
  detail?: RunDetailT;
  /** Its workflow, when it is served. */
  workflow?: WorkflowDetailT;
  /** Why the workflow could not be loaded (the graph then comes from the events alone). */
  workflowError?: string;
  /** Why the run could not be loaded. */
  error?: string;
  /** The run could not be loaded because no execution has its id (404). */
  notFound: boolean;
  /** The folded events; `state.version` changes with every batch. */
  state: RunState;
  /** `state.version`, to key memos on. */
  version: number;
  /** Whether the event stream has ended (the run completed). */
  ended: boolean;
}

/** Follows execution `id`; see the module doc. */
export function useRun(id: string): RunView {
  const stateRef = useRef<RunState>(createRunState());
  const [version, setVersion] = useState(0);
  const [detail, setDetail] = useState<RunDetailT>();
  const [workflow, setWorkflow] = useState<WorkflowDetailT>();
  const [workflowError, setWorkflowError] = useState<string>();
  const [error, setError] = useState<string>();
  const [notFound, setNotFound] = useState(false);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    const stop = new AbortController();
    stateRef.current = createRunState();
    setError(undefined);
    setNotFound(false);
    getRun(id).then(async (d) => {
      if (stop.signal.aborted) return;
      setDetail(d);
      getWorkflow(d.workflowId).then(
        (w) => !stop.signal.aborted && setWorkflow(w),
        (err) => !stop.signal.aborted && setWorkflowError((err as Error).message),
      );
      await streamEvents({
        path: `/runs/${encodeURIComponent(d.executionId)}/events`,
        signal: stop.signal,
        resumable: true,
        onBatch: (events) => {
          applyEvents(stateRef.current, events);
          setVersion(stateRef.current.version);
        },
        onEnd: () => {
          setEnded(true);
          getRun(d.executionId).then((r) => !stop.signal.aborted && setDetail(r), () => {});
        },
      });
    }, (err) => {
      if (stop.signal.aborted) return;
      setError((err as Error).message);
      setNotFound(err instanceof ApiError && err.status === 404);
    });
    return () => stop.abort();
  }, [id]);
  return { detail, workflow, workflowError, error, notFound, state: stateRef.current, version, ended };
}
