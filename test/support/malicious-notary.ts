/**
 * A Notary server that lies, for tests: it serves trust data recorded from a
 * real, honest `dct server` (test/support/malicious-recording.ts), changed by
 * one chosen attack (test/support/malicious-attacks.ts) — tampered, re-signed
 * with the wrong key, rolled back, frozen, mixed, oversized, endless, hanging,
 * garbage, or failing with 500.
 *
 * `MaliciousNotary` serves an `Attack`: a flat map of files below
 * `/v2/<gun>/_trust/tuf/` (whatever the GUN) to replies, or one reply for
 * every request. It logs each request and how many body bytes it sent.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ensureSelfSignedTls } from '../../src/adapters/tls/self-signed.js';

// ---------------------------------------------------------------------------
// Replies and attacks
// ---------------------------------------------------------------------------

export type Reply =
  /** a file (status 200 unless told); `chunked`: no Content-Length */
  | { kind: 'bytes'; bytes: Buffer; status?: number; contentType?: string; chunked?: boolean }
  /** an error status with a notary-style (or given) body */
  | { kind: 'status'; status: number; body?: string }
  /** a body that never ends (no Content-Length), `prefix` first; status 200 unless told */
  | { kind: 'endless'; prefix?: Buffer; status?: number }
  /** accepts the request and never answers */
  | { kind: 'hang' }
  /** 200, then one byte now and then, forever */
  | { kind: 'trickle' };

export interface Attack {
  name: string;
  /** replies by path below `_trust/tuf/`: `timestamp.json`, `targets.<sha256>.json`, `2.root.json`, `timestamp.key` … */
  files: Map<string, Reply>;
  /** one reply for every request (the `/v2/` ping included) */
  all?: Reply;
}

export interface RequestRecord {
  method: string;
  /** the path below `_trust/tuf/`, or the whole URL path for other requests */
  file: string;
  gun?: string;
  /** body bytes written */
  bytesSent: number;
  /** the client went away before the reply ended */
  aborted: boolean;
}

export const bytes = (b: Buffer, extra: Partial<Extract<Reply, { kind: 'bytes' }>> = {}): Reply => ({ kind: 'bytes', bytes: b, ...extra });

/** A safety stop for endless replies, far above any client cap under test. */
const ENDLESS_SAFETY_CAP = 512 * 1024 * 1024;
const TUF_PATH = /^\/v2\/(.+)\/_trust\/tuf\/(.*)$/;

export class MaliciousNotary {
  attack: Attack | undefined;
  readonly requests: RequestRecord[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    /** the CA to trust when serving https */
    readonly ca: Buffer | undefined,
    readonly caFile: string | undefined,
  ) {}

  /** Listens on 127.0.0.1 (random port); with `tlsDir`, https with a self-signed CA made there. */
  static async start(opts: { tlsDir?: string } = {}): Promise<MaliciousNotary> {
    let server: http.Server;
    let ca: Buffer | undefined;
    let caFile: string | undefined;
    const holder: { self?: MaliciousNotary } = {};
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => holder.self!.handle(req, res);
    if (opts.tlsDir) {
      const tls = await ensureSelfSignedTls(opts.tlsDir, ['127.0.0.1', 'localhost']);
      server = https.createServer({ cert: tls.cert, key: tls.key }, handler);
      ca = readFileSync(tls.caFile);
      caFile = tls.caFile;
    } else {
      server = http.createServer(handler);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const self = new MaliciousNotary(server, `${opts.tlsDir ? 'https' : 'http'}://127.0.0.1:${port}`, ca, caFile);
    holder.self = self;
    server.on('connection', (socket: Socket) => {
      self.sockets.add(socket);
      socket.on('close', () => self.sockets.delete(socket));
    });
    return self;
  }

  /** Serves `attack` from now on and forgets earlier requests. */
  serve(attack: Attack): void {
    this.attack = attack;
    this.requests.length = 0;
    this.dropConnections();
  }

  /** Requests that were writes (publish, delete, key rotation). */
  writes(): RequestRecord[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dropConnections(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    } catch {
      path = req.url ?? '/';
    }
    const m = TUF_PATH.exec(path);
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      file: m ? m[2]! : path,
      bytesSent: 0,
      aborted: false,
      ...(m ? { gun: m[1]! } : {}),
    };
    this.requests.push(record);
    req.resume(); // discard any upload
    const attack = this.attack;
    let reply: Reply;
    if (attack?.all) reply = attack.all;
    else if (path === '/v2/' || path === '/v2') reply = bytes(Buffer.from('{}'));
    else if (!m) reply = { kind: 'status', status: 404 };
    else if (record.method !== 'GET')
      reply = { kind: 'status', status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"writes are not accepted here"}]}' };
    else reply = attack?.files.get(m[2]!) ?? { kind: 'status', status: 404 };
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    this.send(reply, res, record);
  }

  private send(reply: Reply, res: http.ServerResponse, record: RequestRecord): void {
    switch (reply.kind) {
      case 'bytes': {
        const headers: Record<string, string> = { 'Content-Type': reply.contentType ?? 'application/json' };
        if (!reply.chunked) headers['Content-Length'] = String(reply.bytes.length);
        res.writeHead(reply.status ?? 200, headers);
        if (!reply.chunked) {
          record.bytesSent = reply.bytes.length;
          res.end(reply.bytes);
          return;
        }
        this.pump(res, record, reply.bytes, false);
        return;
      }
      case 'status': {
        const body = Buffer.from(
          reply.body ??
            (reply.status === 404
              ? '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist."}]}'
              : '{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}'),
        );
        res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
        record.bytesSent = body.length;
        res.end(body);
        return;
      }
      case 'endless':
        res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json' });
        this.pump(res, record, reply.prefix ?? Buffer.from('{"signed":'), true);
        return;
      case 'hang':
        return; // the socket stays open until the client gives up (or close())
      case 'trickle': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        const timer = setInterval(() => {
          if (res.destroyed) {
            clearInterval(timer);
            this.timers.delete(timer);
            return;
          }
          res.write(' ');
          record.bytesSent++;
        }, 50);
        this.timers.add(timer);
        return;
      }
    }
  }

  /** Writes `first`, then (endless) spaces for ever, honouring back-pressure, until the client goes away. */
  private pump(res: http.ServerResponse, record: RequestRecord, first: Buffer, endless: boolean): void {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let pending: Buffer | undefined = first;
    const write = (): void => {
      while (!res.destroyed) {
        const next: Buffer | undefined = pending ?? (endless ? chunk : undefined);
        pending = undefined;
        if (!next) {
          res.end();
          return;
        }
        if (record.bytesSent >= ENDLESS_SAFETY_CAP) {
          res.destroy();
          return;
        }
        // a chunked reply of a whole file: send it in pieces
        const pieces = endless ? [next] : splitBuffer(next, 16 * 1024);
        let ok = true;
        for (const p of pieces) {
          record.bytesSent += p.length;
          ok = res.write(p) && ok;
        }
        if (!ok) {
          res.once('drain', write);
          return;
        }
      }
    };
    write();
  }
}

function splitBuffer(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out.length > 0 ? out : [b];
}
