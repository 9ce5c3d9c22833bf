/** Loading a JSON route into a component: data, error and loading state, aborted when the inputs change. */
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
}

/** GETs `path` whenever it changes; while `again(data)` holds, reads it again every `everyMs` (the server is indexing). */
export function useJson<T>(path: string | undefined, again?: (data: T) => boolean, everyMs = 1500): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: path !== undefined });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState((s) => ({ ...s, loading: true }));
    getJson<T>(path, ctl.signal).then(
      (data) => {
        if (ctl.signal.aborted) return;
        setState({ data, loading: false });
        if (again?.(data)) timer = setTimeout(() => setTick((n) => n + 1), everyMs);
      },
      (error: unknown) => {
        if (!ctl.signal.aborted) setState({ error, loading: false });
      },
    );
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
    // `again` is read when an answer comes, not a reason to fetch
  }, [path, tick, everyMs]);
  return state;
}

/** `value`, settled for `ms` (a search box queries once the typing pauses). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}
