/**
 * Node TLS client options from dct's TlsSettings, in one place for every
 * HTTPS client (notary, registry, token realms).
 *
 * `extraCa` follows docker's rule (CAs in `~/.docker/tls/<host>/` are added to
 * the system pool). Node's `ca` option replaces its bundled roots, so passing
 * the roots plus the extra CAs as `ca` would parse ~140 certificates in
 * JavaScript for every context (about 20 ms per command). Instead the context
 * starts from Node's root store, built natively, and the extra CAs are added to
 * it; one context per settings object, reused by every connection.
 */
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { TlsSettings } from './tls-settings.js';

export interface TlsConnectOptions {
  minVersion: 'TLSv1.2';
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  secureContext?: SecureContext;
  rejectUnauthorized?: boolean;
}

const contexts = new WeakMap<TlsSettings, SecureContext>();

/** The options to pass to `https.request` / `https.Agent` for `tls`. */
export function tlsConnectOptions(tls: TlsSettings | undefined): TlsConnectOptions {
  const out: TlsConnectOptions = { minVersion: 'TLSv1.2' };
  if (!tls) return out;
  if (tls.rejectUnauthorized === false) out.rejectUnauthorized = false;
  if (tls.extraCa !== undefined && tls.extraCa.length > 0 && tls.ca === undefined) {
    let context = contexts.get(tls);
    if (!context) {
      context = systemRootsPlus(tls.extraCa, tls.cert, tls.key);
      contexts.set(tls, context);
    }
    out.secureContext = context;
    return out;
  }
  if (tls.ca !== undefined) out.ca = tls.ca as string | Buffer | Array<string | Buffer>;
  if (tls.cert !== undefined) out.cert = tls.cert;
  if (tls.key !== undefined) out.key = tls.key;
  return out;
}

/** A client context trusting Node's bundled roots and `extra`, presenting `cert`/`key` when given. */
export function systemRootsPlus(extra: ReadonlyArray<string>, cert?: string | Buffer, key?: string | Buffer): SecureContext {
  const identity = { ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) };
  const context = createSecureContext({ minVersion: 'TLSv1.2', ...identity });
  // the native handle's addCACert extends the context's own copy of the root store
  const native = (context as unknown as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert === 'function') {
    for (const pem of extra) native.addCACert(pem);
    return context;
  }
  return createSecureContext({ minVersion: 'TLSv1.2', ...identity, ca: [...rootCertificates, ...extra] });
}
