/**
 * Follows a Server-Sent Events route with fetch() streaming instead of EventSource, so that the bearer
 * token can be sent. Reconnects after a drop (with Last-Event-ID, growing pauses), renews the token on a
 * 401 (apiFetch), and stops when `signal` aborts.
 */
import { apiFetch } from './api.js';
import { sseParser, type StreamEvent } from './sse-parser.js';

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

/** The events of an SSE body, until it ends or `signal` aborts. */
async function* parse(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = sseParser();
  const stop = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
