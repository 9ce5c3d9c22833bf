/**
 * Follows a Server-Sent Events route with fetch() streaming instead of EventSource, so that the bearer
 * token can be sent. Reconnects after a drop (with Last-Event-ID, growing pauses), renews the token on a
 * 401 (apiFetch), and stops when `signal` aborts.
 */
import { apiFetch } from './api.js';

export interface StreamEvent {
  id?: string;
  event: string;
  data: string;
}

export type StreamState = 'connecting' | 'live' | 'retrying' | 'stopped';

export async function followEvents(
  path: string,
  onEvent: (e: StreamEvent) => void,
  onState: (s: StreamState) => void,
  signal: AbortSignal,
): Promise<void> {
  let lastId: string | undefined;
  let pause = 500;
  while (!signal.aborted) {
    onState('connecting');
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (lastId !== undefined) headers['Last-Event-ID'] = lastId;
      const res = await apiFetch(path, { headers, signal, cache: 'no-store' });
      if (res.status === 401 || res.status === 403) return onState('stopped');
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      onState('live');
      pause = 500;
      for await (const e of parse(res.body, signal)) {
        if (e.id !== undefined) lastId = e.id;
        onEvent(e);
      }
    } catch {
      if (signal.aborted) break;
    }
    if (signal.aborted) break;
    onState('retrying');
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 15_000);
  }
  onState('stopped');
}

/** The events of an SSE body (the text/event-stream format: fields per line, an empty line ends an event). */
async function* parse(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const stop = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', stop, { once: true });
  let buf = '';
  let data: string[] = [];
  let id: string | undefined;
  let event = 'message';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) yield { ...(id !== undefined ? { id } : {}), event, data: data.join('\n') };
          data = [];
          event = 'message';
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
        else if (field === 'event') event = value;
      }
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
