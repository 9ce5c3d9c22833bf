/**
 * in-toto statements (v0.1 and v1) as cosign signs and reads them: the statement cosign 3
 * signs for an image (`predicateType` `https://sigstore.dev/cosign/sign/v1`, the image digest
 * as its subject, the `-a` annotations on the subject), attestations of any predicate, and
 * the DSSE envelope around them.
 */
import { DctError } from '../errors.js';
import { goJson, sortedMap } from './go-json.js';
import { COSIGN_SIGN_PREDICATE_TYPE } from './bundle-referrer.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** cosign's `--type` names and the predicate types they stand for. */
export const PREDICATE_TYPES: Readonly<Record<string, string>> = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

export interface StatementSubject {
  name?: string;
  digest: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface InTotoStatement {
  type: string;
  subjects: StatementSubject[];
  predicateType: string;
  predicate: unknown;
}

/** The statement cosign 3 signs for `cosign sign` of `digest` (`sha256:<hex>`). */
export function cosignSignStatement(digest: string, annotations: Readonly<Record<string, unknown>> = {}): Buffer {
  const i = digest.indexOf(':');
  return Buffer.from(
    goJson({
      _type: IN_TOTO_STATEMENT_V1,
      subject: [{ digest: { [digest.slice(0, i)]: digest.slice(i + 1) }, annotations: sortedMap(annotations) }],
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      predicate: {},
    }),
    'utf8',
  );
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(why: string): DctError {
  return new DctError('COSIGN_INVALID_STATEMENT', `the in-toto statement is malformed: ${why}`);
}

/** Reads an in-toto statement. COSIGN_INVALID_STATEMENT when it is not one. */
export function parseStatement(bytes: Uint8Array): InTotoStatement {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw bad('not a JSON object');
  const type = doc['_type'];
  if (typeof type !== 'string') throw bad('_type is missing');
  const predicateType = doc['predicateType'];
  if (typeof predicateType !== 'string' || predicateType === '') throw bad('predicateType is missing');
  const subject = doc['subject'];
  if (!Array.isArray(subject)) throw bad('subject is not a list');
  const subjects = subject.map((s, i): StatementSubject => {
    if (!isObject(s)) throw bad(`subject[${i}] is not an object`);
    const digest = s['digest'];
    if (!isObject(digest) || !Object.values(digest).every((v) => typeof v === 'string'))
      throw bad(`subject[${i}].digest is not a map of strings`);
    const out: StatementSubject = { digest: digest as Record<string, string> };
    if (typeof s['name'] === 'string') out.name = s['name'];
    if (isObject(s['annotations'])) out.annotations = s['annotations'];
    return out;
  });
  return { type, subjects, predicateType, predicate: doc['predicate'] };
}

/** The subject of the statement that names `digest` (`sha256:<hex>`), if any. */
export function subjectFor(statement: InTotoStatement, digest: string): StatementSubject | undefined {
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  return statement.subjects.find((s) => s.digest[algorithm]?.toLowerCase() === hex);
}

/** A DSSE envelope. */
export interface DsseEnvelope {
  payloadType: string;
  /** the payload bytes (decoded) */
  payload: Buffer;
  /** base64 payload as stored */
  payloadBase64: string;
  signatures: Array<{ sig: string; keyid?: string }>;
}

/** Reads a DSSE envelope (JSON). COSIGN_INVALID_STATEMENT when it is not one. */
export function parseDsseEnvelope(bytes: Uint8Array): DsseEnvelope {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new DctError('COSIGN_INVALID_STATEMENT', `the DSSE envelope is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new DctError('COSIGN_INVALID_STATEMENT', 'the DSSE envelope is not a JSON object');
  const payload = doc['payload'];
  const payloadType = doc['payloadType'];
  const signatures = doc['signatures'];
  if (typeof payload !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload))
    throw new DctError('COSIGN_INVALID_STATEMENT', 'the DSSE envelope has no base64 payload');
  if (typeof payloadType !== 'string') throw new DctError('COSIGN_INVALID_STATEMENT', 'the DSSE envelope has no payloadType');
  if (!Array.isArray(signatures) || !signatures.every((s) => isObject(s) && typeof s['sig'] === 'string'))
    throw new DctError('COSIGN_INVALID_STATEMENT', 'the DSSE envelope has no list of signatures');
  return {
    payloadType,
    payload: Buffer.from(payload, 'base64'),
    payloadBase64: payload,
    signatures: (signatures as Json[]).map((s) => ({
      sig: s['sig'] as string,
      ...(typeof s['keyid'] === 'string' && s['keyid'] !== '' ? { keyid: s['keyid'] } : {}),
    })),
  };
}

/** The DSSE envelope as Go's `encoding/json` writes the protobuf struct (cosign's verify output): empty fields left out. */
export function dsseEnvelopeJson(e: {
  payloadBase64: string;
  payloadType: string;
  signatures: Array<{ sig: string; keyid?: string }>;
}): string {
  return goJson({
    ...(e.payloadBase64 !== '' ? { payload: e.payloadBase64 } : {}),
    ...(e.payloadType !== '' ? { payloadType: e.payloadType } : {}),
    ...(e.signatures.length > 0
      ? { signatures: e.signatures.map((s) => ({ ...(s.sig !== '' ? { sig: s.sig } : {}), ...(s.keyid ? { keyid: s.keyid } : {}) })) }
      : {}),
  });
}

/** DSSE's pre-authentication encoding (what a DSSE signature signs). */
export function dssePae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), Buffer.from(payload)]);
}
