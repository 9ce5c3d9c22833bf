/**
 * The COSE envelope (`application/cose`, signature-envelope-cose.md): a tagged COSE_Sign1
 * (CBOR tag 18) whose protected header holds `alg` (1), `crit` (2), the content type (3) and
 * notation's string-labelled signed attributes (times as tag 1 epoch seconds), and whose
 * unprotected header holds `x5chain` (33), the signing agent and the RFC 3161
 * countersignature. CBOR via cborg: read strictly (no duplicate keys, no indefinite lengths,
 * no detached payload), written in the deterministic (length-first) key order notation writes.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { Descriptor } from '../../../core/oci/descriptor.js';
import { lazyModule } from '../../lazy-module.js';
import { parseCertificateDer } from './jws-envelope.js';
import { parsePayload, payloadBytes } from './payload.js';
import { ALGORITHMS, algorithmOfCose, signBytes, type SignatureAlgorithm } from './signature-algorithm.js';
import { readSignedAttributes } from './signed-attributes.js';
import {
  COSE_MEDIA_TYPE,
  HEADER,
  MAX_CHAIN_LENGTH,
  NOTARY_PAYLOAD_CONTENT_TYPE,
  envelopeError,
  malformed,
  type EnvelopeContent,
} from './signer-info.js';

const LABEL_ALG = 1;
const LABEL_CRIT = 2;
const LABEL_CONTENT_TYPE = 3;
const LABEL_X5CHAIN = 33;
const TIME_HEADERS = new Set<string>([HEADER.signingTime, HEADER.authenticSigningTime, HEADER.expiry]);

// cborg (an ES module, a score of files) loads with the first COSE envelope, not with every
// command whose module graph reaches this one. Its package exports only an `import` entry, so it
// is resolved as `import` would and the file required (require of an ES module: Node ≥ 20.19).
const cborg = lazyModule<typeof import('cborg')>('cborg', import.meta, { importOnly: true });
const decode = (bytes: Uint8Array, options: import('cborg').DecodeOptions): unknown => cborg().decode(bytes, options);
const encode: typeof import('cborg').encode = (...args) => cborg().encode(...args);
/** `Tagged` is read on each use (`Tagged.preserve`, `instanceof`, `new`): never before the first envelope */
const tagged = (): typeof import('cborg').Tagged => cborg().Tagged;

const DECODE_OPTIONS = {
  useMaps: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
} as const;

function decodeCbor(bytes: Uint8Array, tag: number, what: string): unknown {
  try {
    return decode(bytes, { ...DECODE_OPTIONS, tags: tagged().preserve(tag) });
  } catch (err) {
    throw malformed(`${what} is not valid CBOR: ${(err as Error).message.replace(/^CBOR decode error: /, '')}`, err);
  }
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

/** COSE's Sig_structure for COSE_Sign1: ["Signature1", protected, h'', payload]. */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

function epochSeconds(value: unknown, key: string): Date {
  if (!(value instanceof tagged()) || value.tag !== 1) throw malformed(`the protected header's "${key}" must be a CBOR epoch time (tag 1)`);
  const secs: unknown = value.value;
  if (typeof secs !== 'number' || !Number.isSafeInteger(secs) || Math.abs(secs) > 253402300799)
    throw malformed(`the protected header's "${key}" is not a whole number of seconds`);
  return new Date(secs * 1000);
}

export function parseCoseEnvelope(bytes: Uint8Array): EnvelopeContent {
  const message = decodeCbor(bytes, 18, 'the COSE envelope');
  if (!(message instanceof tagged()) || message.tag !== 18)
    throw malformed('the COSE envelope is not a tagged COSE_Sign1 message (tag 18)');
  const parts: unknown = message.value;
  if (!Array.isArray(parts) || parts.length !== 4) throw malformed('the COSE_Sign1 message must be an array of 4 items');
  const [protectedBytes, unprotected, payload, signature] = parts as unknown[];
  if (!isBytes(protectedBytes) || protectedBytes.length === 0) throw malformed('the COSE protected header is missing');
  if (!(unprotected instanceof Map)) throw malformed('the COSE unprotected header is not a map');
  if (payload === null) throw malformed('the COSE payload is detached: notation signatures carry their payload');
  if (!isBytes(payload)) throw malformed('the COSE payload is not a byte string');
  if (!isBytes(signature) || signature.length === 0) throw malformed('the COSE signature is not a byte string');

  const header = decodeCbor(protectedBytes, 1, 'the COSE protected header');
  if (!(header instanceof Map)) throw malformed('the COSE protected header is not a map');
  const alg = algorithmOfCose(header.get(LABEL_ALG));
  if (alg === undefined)
    throw envelopeError(
      'NOTATION_ENVELOPE_UNSUPPORTED',
      `signature algorithm ${JSON.stringify(header.get(LABEL_ALG) ?? null)} is not supported (COSE -37/-38/-39 PS256/384/512, -7/-35/-36 ES256/384/512)`,
    );
  const cty: unknown = header.get(LABEL_CONTENT_TYPE);
  if (cty !== NOTARY_PAYLOAD_CONTENT_TYPE)
    throw malformed(`payload content type ${JSON.stringify(cty ?? '')} not supported: it must be "${NOTARY_PAYLOAD_CONTENT_TYPE}"`);
  const headers = new Map<string, unknown>();
  for (const [key, value] of header as Map<unknown, unknown>) {
    if (key === LABEL_ALG || key === LABEL_CRIT || key === LABEL_CONTENT_TYPE) continue;
    if (typeof key !== 'string') throw malformed(`the COSE protected header has unsupported label ${String(key)}`);
    headers.set(key, TIME_HEADERS.has(key) ? epochSeconds(value, key) : value);
  }
  const attrs = readSignedAttributes({ crit: header.get(LABEL_CRIT), headers }, { crit: 'crit (label 2)' });

  let x5chain: unknown = unprotected.get(LABEL_X5CHAIN);
  if (isBytes(x5chain)) x5chain = [x5chain];
  if (!Array.isArray(x5chain) || x5chain.length === 0) throw malformed('the COSE unprotected header has no x5chain (label 33)');
  if (x5chain.length > MAX_CHAIN_LENGTH) throw malformed(`the x5chain has ${x5chain.length} certificates (at most ${MAX_CHAIN_LENGTH})`);
  const chain = (x5chain as unknown[]).map((der, i) => {
    if (!isBytes(der)) throw malformed(`x5chain[${i}] is not a byte string`);
    return parseCertificateDer(der, `x5chain[${i}]`);
  });
  const signingAgent: unknown = unprotected.get(HEADER.signingAgent);
  if (signingAgent !== undefined && typeof signingAgent !== 'string') throw malformed('the signing agent is not a text string');
  const timestampSignature: unknown = unprotected.get(HEADER.timestampSignature);
  if (timestampSignature !== undefined && !isBytes(timestampSignature)) throw malformed('the timestamp signature is not a byte string');

  return {
    format: 'cose',
    mediaType: COSE_MEDIA_TYPE,
    payload,
    contentType: cty,
    targetArtifact: parsePayload(payload),
    signatureAlgorithm: alg,
    ...attrs,
    chain,
    ...(signingAgent !== undefined ? { signingAgent } : {}),
    ...(timestampSignature !== undefined ? { timestampSignature } : {}),
    signature,
    signedBytes: sigStructure(protectedBytes, payload),
  };
}

export interface CoseSignRequest {
  targetArtifact: Descriptor;
  algorithm: SignatureAlgorithm;
  key: KeyObject;
  chain: X509Certificate[];
  signingTime: Date;
  expiry?: Date;
  signingAgent?: string;
}

const seconds = (t: Date) => new (tagged())(1, Math.floor(t.getTime() / 1000));

export function encodeCoseProtectedHeader(
  algorithm: SignatureAlgorithm,
  signingTime: Date,
  expiry?: Date,
  extended: ReadonlyMap<string, unknown> = new Map(),
  extendedCritical: readonly string[] = [],
): Uint8Array {
  const header = new Map<number | string, unknown>([
    [LABEL_ALG, ALGORITHMS[algorithm].cose],
    [LABEL_CRIT, [HEADER.signingScheme, ...(expiry !== undefined ? [HEADER.expiry] : []), ...extendedCritical]],
    [LABEL_CONTENT_TYPE, NOTARY_PAYLOAD_CONTENT_TYPE],
    ...extended,
    [HEADER.signingScheme, 'notary.x509'],
    [HEADER.signingTime, seconds(signingTime)],
    ...(expiry !== undefined ? ([[HEADER.expiry, seconds(expiry)]] as const) : []),
  ]);
  return encode(header);
}

export function buildCoseEnvelope(req: CoseSignRequest): Buffer {
  const protectedBytes = encodeCoseProtectedHeader(req.algorithm, req.signingTime, req.expiry);
  const payload = payloadBytes(req.targetArtifact, 'cose');
  const signature = signBytes(req.algorithm, req.key, sigStructure(protectedBytes, payload));
  const unprotected = new Map<number | string, unknown>([
    [LABEL_X5CHAIN, req.chain.map((c) => new Uint8Array(c.raw))],
    ...(req.signingAgent !== undefined && req.signingAgent !== '' ? ([[HEADER.signingAgent, req.signingAgent]] as const) : []),
  ]);
  return encodeCoseSign1(protectedBytes, unprotected, payload, signature);
}

/** A tagged COSE_Sign1 message, map keys in deterministic (length-first) order. */
export function encodeCoseSign1(
  protectedBytes: Uint8Array,
  unprotected: ReadonlyMap<number | string, unknown>,
  payload: Uint8Array,
  signature: Uint8Array,
): Buffer {
  return Buffer.from(encode(new (tagged())(18, [protectedBytes, unprotected, new Uint8Array(payload), new Uint8Array(signature)])));
}
