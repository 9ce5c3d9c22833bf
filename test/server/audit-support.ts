/** Helpers of the audit feed's server tests: plain requests, and a reader of Server-Sent Events. */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: () => unknown;
}

export function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; ca?: string; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.ca ? { ca: readFileSync(opts.ca) } : {}), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as unknown });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const postJson = (url: string, value: unknown, headers: Record<string, string> = {}, ca?: string) =>
  call(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(value),
    ...(ca ? { ca } : {}),
  });

export interface SseEvent {
  id?: string;
  data: string;
}

/** An open event stream: its events as they arrive, comments counted, and whether it ended. */
export class EventStream {
  readonly events: SseEvent[] = [];
  comments = 0;
  ended = false;
  private buffer = '';
  private res: IncomingMessage | undefined;
  status = 0;
  headers: IncomingHttpHeaders = {};

  static open(url: string, headers: Record<string, string> = {}, ca?: string): Promise<EventStream> {
    const stream = new EventStream();
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        u,
        { headers: { Accept: 'text/event-stream', ...headers }, agent: false, ...(ca ? { ca: readFileSync(ca) } : {}) },
        (res) => {
          stream.res = res;
          stream.status = res.statusCode ?? 0;
          stream.headers = res.headers;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => stream.take(chunk));
          res.on('end', () => (stream.ended = true));
          res.on('close', () => (stream.ended = true));
          resolve(stream);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      const event: SseEvent = { data: '' };
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments++;
        else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('data: ')) {
          event.data += line.slice(6);
          isEvent = true;
        }
      }
      if (isEvent) this.events.push(event);
    }
  }

  close(): void {
    this.res?.destroy();
  }
}

export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
