/**
 * `dct signer`: a `KeyService` served over HTTPS with mutual TLS, for deployments
 * that keep the timestamp and snapshot keys apart from the trust server (the role
 * of notary-signer, with JSON instead of gRPC). Only clients holding a certificate
 * issued by the configured client CA get past the TLS handshake; with an
 * allowlist (`allowedClients`: SHA-256 fingerprints or SANs), other certificates
 * of that CA are refused: every request on their connection answers 403
 * CLIENT_NOT_ALLOWED, and the refusal is reported once per connection.
 *
 *   POST /v1/keys            {gun, role, algorithm?} → {keyId, keytype, keyval:{public, private:null}}
 *   GET  /v1/keys/:id        → {publicKey, gun, role}, or 404
 *   POST /v1/keys/:id/sign   {data: base64} → {keyid, method, sig: base64}, or 404
 *   GET  /health             → {status: "ok"}
 *
 * Errors are `{"code","message"}` with a 4xx/5xx status. Messages never carry key
 * material; unexpected failures answer a generic 500 and go to `onError`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { decodeBase64 } from '../core/encoding.js';
import { DctError, isDctError, type DctErrorCode } from '../core/errors.js';
import type { KeyService } from '../core/ports.js';
import { ClientAllowlist, describeCertificate } from './client-allowlist.js';

export interface SignerServiceOptions {
  host: string;
  /** 0 picks a free port (see `url`) */
  port: number;
  tls: {
    /** this service's certificate chain and key (PEM) */
    cert: string | Buffer;
    key: string | Buffer;
    /** the CA(s) that issue client certificates (PEM) */
    ca: string | Buffer;
  };
  keyService: KeyService;
  /** largest message a sign request may carry, before base64 (default 8 MiB) */
  maxSignBytes?: number;
  /** client certificates served (SHA-256 fingerprints or SANs, see client-allowlist.ts); empty = all the CA issued */
  allowedClients?: readonly string[];
  /** a CA-issued client certificate not on `allowedClients` connected (once per connection) */
  onRefusedClient?: (message: string) => void;
  /** unexpected failures (the client gets a generic 500) */
  onError?: (err: unknown) => void;
}

export interface RunningSignerService {
  /** `https://host:port` with the port actually bound */
  readonly url: string;
  close(): Promise<void>;
}

const DEFAULT_MAX_SIGN_BYTES = 8 * 1024 * 1024;
const MAX_KEY_REQUEST_BYTES = 16 * 1024;
const KEY_ID = '([0-9a-f]{64})';
const KEY_ROUTE = new RegExp(`^/v1/keys/${KEY_ID}$`);
const SIGN_ROUTE = new RegExp(`^/v1/keys/${KEY_ID}/sign$`);

/** HTTP status of the error codes a request can cause; any other DctError is a 500. */
const CLIENT_ERROR_STATUS: Partial<Record<DctErrorCode, number>> = {
  INVALID_REQUEST: 400,
  INVALID_ARGUMENT: 400,
  UNSUPPORTED_KEY_TYPE: 400,
  MALFORMED_ENCODING: 400,
  NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  CLIENT_NOT_ALLOWED: 403,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

export async function startSignerService(opts: SignerServiceOptions): Promise<RunningSignerService> {
  const maxSignBody = Math.ceil(((opts.maxSignBytes ?? DEFAULT_MAX_SIGN_BYTES) * 4) / 3) + 1024;
  const allowlist = new ClientAllowlist(opts.allowedClients ?? []);
  /** connections whose certificate is not on the allowlist */
  const refused = new WeakSet<TLSSocket>();
  const server: Server = createServer(
    {
      cert: opts.tls.cert,
      key: opts.tls.key,
      ca: opts.tls.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      if (refused.has(req.socket as TLSSocket)) {
        res.setHeader('connection', 'close');
        sendError(
          res,
          new DctError('CLIENT_NOT_ALLOWED', "this client certificate is not on the signer's allowlist (--allowed-client)"),
          opts.onError,
        );
        return;
      }
      handle(req, res, opts.keyService, maxSignBody).catch((err: unknown) => sendError(res, err, opts.onError));
    },
  );
  if (!allowlist.empty) {
    server.on('secureConnection', (socket: TLSSocket) => {
      const cert = socket.getPeerX509Certificate();
      if (cert && allowlist.allows(cert)) return;
      refused.add(socket);
      opts.onRefusedClient?.(
        `refused client ${socket.remoteAddress ?? '?'}: certificate not on the allowlist (${describeCertificate(cert)})`,
      );
    });
  }
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `https://${host}:${address.port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      })),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, keys: KeyService, maxSignBody: number): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] as string;
  const method = req.method ?? 'GET';

  if (path === '/health') {
    allow(method, 'GET');
    return send(res, 200, { status: 'ok' });
  }

  if (path === '/v1/keys') {
    allow(method, 'POST');
    const body = await readJson(req, MAX_KEY_REQUEST_BYTES);
    const { gun, role, algorithm } = body;
    if (typeof gun !== 'string') throw invalid('"gun" must be a string');
    if (role !== 'timestamp' && role !== 'snapshot') throw invalid('"role" must be "timestamp" or "snapshot"');
    if (algorithm !== undefined && typeof algorithm !== 'string') throw invalid('"algorithm" must be a string');
    const publicKey = await keys.createKey(gun, role, algorithm);
    return send(res, 200, { keyId: publicKey.id, ...publicKey.toJSON() });
  }

  const keyMatch = KEY_ROUTE.exec(path);
  if (keyMatch) {
    allow(method, 'GET');
    const held = await keys.getKey(keyMatch[1] as string);
    if (!held) throw keyNotFound();
    return send(res, 200, { publicKey: held.publicKey.toJSON(), gun: held.gun, role: held.role });
  }

  const signMatch = SIGN_ROUTE.exec(path);
  if (signMatch) {
    allow(method, 'POST');
    const { data } = await readJson(req, maxSignBody);
    if (typeof data !== 'string') throw invalid('"data" must be the message in base64');
    const message = decodeBase64(data, '"data"');
    const signer = await keys.signer(signMatch[1] as string);
    if (!signer) throw keyNotFound();
    const signature = await signer.sign(message);
    return send(res, 200, { keyid: signature.keyid, method: signature.method, sig: signature.sig.toString('base64') });
  }

  throw new DctError('NOT_FOUND', `no route for ${method} ${path.slice(0, 200)}`);
}

function allow(method: string, expected: string): void {
  if (method !== expected) throw new DctError('METHOD_NOT_ALLOWED', `use ${expected} here, not ${method.slice(0, 20)}`);
}

function invalid(message: string): DctError {
  return new DctError('INVALID_REQUEST', message);
}

function keyNotFound(): DctError {
  return new DctError('KEY_NOT_FOUND', 'no such key');
}

async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new DctError('UNSUPPORTED_MEDIA_TYPE', 'send the request body as application/json');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw new DctError('BODY_TOO_LARGE', `the request body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new DctError('BODY_TOO_LARGE', `the request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw invalid('the request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('the request body must be a JSON object');
  return value as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': bytes.length,
    'cache-control': 'no-store',
  });
  res.end(bytes);
}

function sendError(res: ServerResponse, err: unknown, onError: ((err: unknown) => void) | undefined): void {
  let status = 500;
  let body = { code: 'INTERNAL_ERROR', message: 'internal error' };
  if (isDctError(err)) {
    status = CLIENT_ERROR_STATUS[err.code] ?? 500;
    body = { code: err.code, message: err.message };
  }
  if (status === 500) onError?.(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // an unread request body (refused early) must not be read as the next request
  if (!res.req.complete) res.setHeader('connection', 'close');
  send(res, status, body);
}
