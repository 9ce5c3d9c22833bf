/**
 * Shared by the NotaryClient tests
 * (test/adapters/notary-http/notary-client-*.test.ts): a scripted local HTTP
 * server that records what each request carried and answers as its handler
 * says, notary's error bodies, and a matcher for refusals by code (and
 * message).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isDctError } from '../../../src/core/errors.js';

export const GUN = 'registry.example.com/team/app';
export const TUF = `/v2/${GUN}/_trust/tuf/`;
export const UNAUTHORIZED = 'you are not authorized to perform this operation: server returned 401.';

export interface Seen {
  method: string;
  path: string;
  /** the request target as sent */
  raw: string;
  authorization?: string;
  query: URLSearchParams;
}
export type Handler = (req: http.IncomingMessage & { seen: Seen }, res: http.ServerResponse) => void;

/** A scripted HTTP(S) server: `handler` answers, `seen` records (token requests included). */
export class ScriptedServer {
  seen: Seen[] = [];
  handler: Handler = (_q, res) => res.end();
  server!: http.Server;
  url = '';

  async start(tls?: https.ServerOptions): Promise<this> {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const seen: Seen = { method: req.method ?? '', path: decodeURIComponent(u.pathname), raw: req.url ?? '', query: u.searchParams };
      if (req.headers.authorization) seen.authorization = req.headers.authorization;
      this.seen.push(seen);
      req.resume();
      req.on('end', () => this.handler(Object.assign(req, { seen }), res));
    };
    this.server = tls ? https.createServer(tls, listener) : http.createServer(listener);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function send(res: http.ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export const errorBody = (code: string, message: string, detail?: unknown) =>
  JSON.stringify({ errors: [{ code, message, ...(detail !== undefined ? { detail } : {}) }] });

export function refusedWith(code: string, pattern?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(isDctError(err, code), `expected ${code}, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}
