/**
 * The trust service in another process: a `dct signer` reached over HTTPS with
 * mutual TLS (this side presents a client certificate and pins the signer's CA).
 *
 * A client never trusts a server: every public key must hash to the key ID it is
 * returned for, and every signature must verify with the key's public key under
 * the method notary uses for that key type, before it is handed to the caller.
 *
 * Failures carry stable codes: `SIGNER_UNAVAILABLE` (cannot connect, reset, timed
 * out), `SIGNER_TLS_FAILED` (certificate refused either way), `SIGNER_PROTOCOL_ERROR`
 * (an answer that is not what the protocol promises), `SIGNER_BAD_SIGNATURE`, or
 * the code the signer answered with (`KEY_NOT_FOUND`, `WRONG_PASSPHRASE`, …).
 */
import { Agent } from 'node:https';
import { decodeBase64 } from '../../core/encoding.js';
import { DctError, type DctErrorCode } from '../../core/errors.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { signatureMethodFor, verifySignature, type Signature } from '../../core/keys/signature.js';
import type { Signer } from '../../core/keys/signer.js';
import type { KeyService } from '../../core/ports.js';
import { jsonObject } from '../http/transport/error-body.js';
import { isTlsFailure } from '../http/transport/retry.js';
import type { RoundTripper } from '../http/transport/round-tripper.js';
import { readBody, type TransportResponse } from '../http/transport/send.js';
import { createTransport } from '../http/transport/transport.js';

export interface RemoteKeyServiceOptions {
  /** the signer's base URL, `https://host:port` */
  url: string;
  tls: {
    /** this client's certificate chain and key (PEM) */
    cert: string | Buffer;
    key: string | Buffer;
    /** the CA(s) the signer's certificate must chain to (PEM) */
    ca: string | Buffer;
    /** name to check the signer's certificate against when it differs from the URL's host */
    servername?: string;
  };
  /** how long a request may stay silent before it fails (default 10 s) */
  timeoutMs?: number;
  /** largest answer accepted (default 1 MiB) */
  maxResponseBytes?: number;
}

type HeldKeyInfo = { publicKey: PublicKey; gun: string; role: string };

interface Reply {
  status: number;
  body: Record<string, unknown> | undefined;
}

const KEY_ID = /^[0-9a-f]{64}$/;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const KEY_INFO_CACHE_SIZE = 1024;
export class RemoteKeyService implements KeyService {
  readonly #base: URL;
  readonly #agent: Agent;
  /** every call is safe to repeat (createKey returns the pending key): a stale pooled connection is retried once */
  readonly #transport: RoundTripper = createTransport({ reconnect: true });
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  /** key ID → public key and owner: immutable (the ID is the public key's hash) */
  readonly #keyInfo = new Map<string, HeldKeyInfo>();

  constructor(opts: RemoteKeyServiceOptions) {
    this.#base = new URL(opts.url);
    if (this.#base.protocol !== 'https:') throw new DctError('INVALID_ARGUMENT', 'the signer URL must be https://');
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#maxResponseBytes = opts.maxResponseBytes ?? 1024 * 1024;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: 32,
      cert: opts.tls.cert,
      key: opts.tls.key,
      ca: opts.tls.ca,
      minVersion: 'TLSv1.2',
      ...(opts.tls.servername ? { servername: opts.tls.servername } : {}),
    });
  }

  async createKey(gun: string, role: 'timestamp' | 'snapshot', algorithm?: string): Promise<PublicKey> {
    const reply = await this.#call('POST', '/v1/keys', { gun, role, ...(algorithm === undefined ? {} : { algorithm }) });
    const body = this.#expectOk(reply);
    const publicKey = this.#publicKey(body, 'the created key');
    if (body['keyId'] !== publicKey.id) throw protocolError('the created key does not hash to the key ID the signer gave');
    if (algorithm !== undefined && publicKey.keyType !== algorithm) {
      throw protocolError(`the signer created a ${publicKey.keyType} key where ${algorithm} was asked for`);
    }
    return publicKey;
  }

  async getKey(keyId: string): Promise<HeldKeyInfo | undefined> {
    if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) return undefined;
    const cached = this.#keyInfo.get(keyId);
    if (cached) return cached;
    const reply = await this.#call('GET', `/v1/keys/${keyId}`);
    if (reply.status === 404) return undefined;
    const body = this.#expectOk(reply);
    const publicKey = this.#publicKey(body['publicKey'], 'the key');
    if (publicKey.id !== keyId) throw protocolError(`the signer answered for key ${shortId(keyId)} with another key`);
    const { gun, role } = body;
    if (typeof gun !== 'string' || typeof role !== 'string') throw protocolError('the key answer lacks its gun or role');
    const info = { publicKey, gun, role };
    if (this.#keyInfo.size >= KEY_INFO_CACHE_SIZE) this.#keyInfo.delete(this.#keyInfo.keys().next().value as string);
    this.#keyInfo.set(keyId, info);
    return info;
  }

  async signer(keyId: string): Promise<Signer | undefined> {
    const info = await this.getKey(keyId);
    if (!info) return undefined;
    const { publicKey } = info;
    const method = signatureMethodFor(publicKey.keyType);
    return {
      publicKey,
      sign: async (message: Buffer): Promise<Signature> => {
        const reply = await this.#call('POST', `/v1/keys/${keyId}/sign`, { data: message.toString('base64') });
        const body = this.#expectOk(reply);
        if (body['keyid'] !== publicKey.id || body['method'] !== method || typeof body['sig'] !== 'string') {
          throw protocolError(`the signature answer for key ${shortId(keyId)} is not a ${method} signature by that key`);
        }
        let sig: Buffer;
        try {
          sig = decodeBase64(body['sig'], 'sig');
        } catch {
          throw protocolError('the signature is not valid base64');
        }
        if (!verifySignature(publicKey, method, sig, message)) {
          throw new DctError('SIGNER_BAD_SIGNATURE', `the signer returned a signature that does not verify with key ${shortId(keyId)}`);
        }
        return { keyid: publicKey.id, method, sig };
      },
    };
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  #publicKey(json: unknown, what: string): PublicKey {
    try {
      return PublicKey.fromJSON(json, what);
    } catch (err) {
      throw protocolError(`${what} is not a valid public key`, err);
    }
  }

  #expectOk(reply: Reply): Record<string, unknown> {
    const { status, body } = reply;
    if (status === 200 && body) return body;
    if (status === 200) throw protocolError('the signer answered 200 without a JSON object');
    // dct signer answers with the DctError code of its failure (the key store's, the core's…), passed
    // through as it is; only its shape is checked here, so this is the one code the compiler cannot see
    const answered = body?.['code'];
    const code = typeof answered === 'string' && ERROR_CODE.test(answered) ? (answered as DctErrorCode) : 'SIGNER_ERROR';
    const message = typeof body?.['message'] === 'string' ? body['message'].slice(0, 300) : `HTTP ${status}`;
    throw new DctError(code, `signer: ${message}`);
  }

  async #call(method: 'GET' | 'POST', path: string, json?: unknown): Promise<Reply> {
    const payload = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const max = this.#maxResponseBytes;
    try {
      const res: TransportResponse = await this.#transport({
        method,
        url: new URL(path, this.#base),
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
        ...(payload ? { body: payload } : {}),
        agent: this.#agent,
        idleTimeoutMs: this.#timeoutMs,
      });
      const bytes = await readBody(res, max, () => protocolError(`the signer's answer exceeds ${max} bytes`));
      return { status: res.status, body: jsonObject(bytes) };
    } catch (err) {
      throw this.#networkError(err);
    }
  }

  /** The transport's NETWORK_ERROR / TIMEOUT as the signer's codes; other errors as they are. */
  #networkError(err: unknown): unknown {
    if (!(err instanceof DctError)) return err;
    const where = this.#base.origin;
    if (err.code === 'TIMEOUT')
      return new DctError('SIGNER_UNAVAILABLE', `the signer at ${where} did not answer within ${this.#timeoutMs} ms`);
    if (err.code !== 'NETWORK_ERROR') return err;
    const cause = ((err as { cause?: unknown }).cause ?? err) as NodeJS.ErrnoException;
    const code = cause.code ?? '';
    if (isTlsFailure(err)) {
      return new DctError('SIGNER_TLS_FAILED', `TLS with the signer at ${where} failed (${code}): check both certificates and CAs`, {
        cause,
      });
    }
    // TLS 1.3 servers refuse a client certificate after the client's handshake is done: it shows as a reset
    const hint = code === 'ECONNRESET' ? ' (the connection was reset: is this client certificate issued by the CA the signer trusts?)' : '';
    return new DctError('SIGNER_UNAVAILABLE', `cannot reach the signer at ${where}: ${code || cause.message}${hint}`, { cause });
  }
}

function protocolError(message: string, cause?: unknown): DctError {
  return new DctError('SIGNER_PROTOCOL_ERROR', `signer: ${message}`, cause === undefined ? undefined : { cause });
}

function shortId(keyId: string): string {
  return keyId.slice(0, 7);
}
