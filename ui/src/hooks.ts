/// <reference lib="dom" />
/**
 * Hooks shared by the pages: load data with loading and error states, and
 * follow every execution's events (`/api/v1/events`) through one shared
 * stream.
 *
 * @module
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { FlowEvent } from "../../src/engine/events.ts";
import { streamEvents } from "./sse.ts";

/** The state of {@linkcode useAsync}. */
export interface AsyncState<T> {
  /** The last value loaded. */
  data?: T;
  /** Why the last load failed. */
  error?: string;
  /** Whether a load is under way. */
  loading: boolean;
  /** Loads again. */
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change; keeps the last value while reloading. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (err) => live && setState((s) => ({ ...s, error: (err as Error).message, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

type Listener = (events: FlowEvent[]) => void;
const listeners = new Set<Listener>();
let stop: AbortController | undefined;

/** Calls `listener` with each batch of events of every execution while the component is mounted. */
export function useAllEvents(listener: Listener): void {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => {
    const l: Listener = (events) => ref.current(events);
    listeners.add(l);
    if (!stop) {
      stop = new AbortController();
      streamEvents({ path: "/events", signal: stop.signal, onBatch: (b) => listeners.forEach((x) => x(b)) });
    }
    return () => {
      listeners.delete(l);
      if (!listeners.size) {
        stop?.abort();
        stop = undefined;
      }
    };
  }, []);
}

/** Calls `fn` at most once per `ms`, at the end of a burst of calls. */
export function useDebounced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      ref.current();
    }, ms);
  }, [ms]);
}
