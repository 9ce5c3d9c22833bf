/** Loading a JSON route into a component: data, error and loading state, aborted when the inputs change. */
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
}

export function useJson<T>(path: string | undefined): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: path !== undefined });
  useEffect(() => {
    if (path === undefined) return;
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    getJson<T>(path, ctl.signal).then(
      (data) => setState({ data, loading: false }),
      (error: unknown) => {
        if (!ctl.signal.aborted) setState({ error, loading: false });
      },
    );
    return () => ctl.abort();
  }, [path]);
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
