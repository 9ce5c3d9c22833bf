/**
 * Checks dct makes on a Sigstore bundle besides those of `@sigstore/verify`:
 *
 * - shape and size before the library sees it: a bundle version dct knows (0.x), bounded
 *   lists (the library compares tlog entries and timestamps pairwise, so 10,000 entries would
 *   take minutes), exactly one DSSE signature (the library only looks at the first);
 * - the bundle's certificate chain is a path (parses, no loop, each certificate issued by the
 *   next) and holds no self-signed root (conformance case
 *   `bundle-with-root-cert_fail`: the root must come from the trusted root, never from the
 *   bundle). sigstore-js's `bundleV01-full-cert-chain.sigstore` carries its root and is
 *   therefore refused, deliberately;
 * - a DSSE in-toto statement names the artifact among its subjects (the library verifies
 *   the envelope, not what it says).
 */
import { createHash } from 'node:crypto';
import type { X509Certificate } from '@sigstore/core';
import { DctError } from '../../core/errors.js';

export const LIMITS = {
  tlogEntries: 32,
  timestamps: 32,
  certificates: 10,
  proofHashes: 64,
} as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const KNOWN_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.bundle(\+json;version=0\.\d+|\.v0\.\d+\+json)$/;

function malformed(what: string): never {
  throw new DctError('SIGSTORE_BUNDLE_MALFORMED', `the Sigstore bundle is malformed: ${what}`);
}

function bounded(value: unknown, max: number, what: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return malformed(`${what} is not a list`);
  if (value.length > max)
    throw new DctError('SIGSTORE_BUNDLE_TOO_LARGE', `the Sigstore bundle lists ${value.length} ${what} (at most ${max})`);
  return value as unknown[];
}

/** Shape checks on the parsed JSON before it reaches the library. */
export function checkBundleShape(raw: unknown): void {
  if (!isRecord(raw)) malformed('it is not a JSON object');
  const bundle = raw;
  if (typeof bundle.mediaType !== 'string') malformed('"mediaType" is missing');
  const mediaType = bundle.mediaType;
  if (!KNOWN_MEDIA_TYPE.test(mediaType))
    throw new DctError('SIGSTORE_BUNDLE_UNSUPPORTED', `unsupported Sigstore bundle media type ${JSON.stringify(mediaType.slice(0, 120))}`);
  const material = bundle.verificationMaterial;
  if (!isRecord(material)) malformed('"verificationMaterial" is missing');
  const vm = material;
  const entries = bounded(vm.tlogEntries, LIMITS.tlogEntries, 'transparency log entries');
  entries.forEach((entry, i) => {
    if (!isRecord(entry)) malformed(`tlogEntries[${i}] is not an object`);
    const proof = entry.inclusionProof;
    if (isRecord(proof)) bounded(proof.hashes, LIMITS.proofHashes, `inclusion proof hashes in tlogEntries[${i}]`);
  });
  const tsData = vm.timestampVerificationData;
  if (isRecord(tsData)) bounded(tsData.rfc3161Timestamps, LIMITS.timestamps, 'RFC 3161 timestamps');
  const chain = vm.x509CertificateChain;
  if (isRecord(chain)) bounded(chain.certificates, LIMITS.certificates, 'chain certificates');
  const envelope = bundle.dsseEnvelope;
  if (envelope !== undefined) {
    if (!isRecord(envelope)) malformed('"dsseEnvelope" is not an object');
    const sigs = envelope.signatures;
    if (!Array.isArray(sigs) || sigs.length !== 1)
      malformed(`a DSSE envelope in a bundle carries exactly one signature, this one ${Array.isArray(sigs) ? sigs.length : 'none'}`);
  }
}

/**
 * The bundle's chain (leaf first): every certificate parses, none repeats (a loop), each is
 * issued by the next one, and none is self-signed (the root comes from the trusted root,
 * never from the bundle). `certs` are DER; `X509` is `@sigstore/core`'s certificate class (its
 * caller loads the package on first use).
 */
export function checkChain(certs: readonly Uint8Array[], X509: typeof X509Certificate): void {
  const invalid = (what: string): never => {
    throw new DctError('SIGSTORE_CERTIFICATE_INVALID', `the bundle's certificate chain ${what}`);
  };
  const parsed = certs.map((der, i) => {
    try {
      return X509.parse(Buffer.from(der));
    } catch (err) {
      return invalid(`has a certificate ${i} that does not parse: ${(err as Error).message}`);
    }
  });
  const seen = new Set<string>();
  parsed.forEach((cert, i) => {
    const key = Buffer.from(certs[i]!).toString('base64');
    if (seen.has(key)) invalid(`repeats certificate ${i} (a loop)`);
    seen.add(key);
    const selfSigned = cert.subject.equals(cert.issuer) && safely(() => cert.verify());
    if (selfSigned) invalid(`includes a self-signed root (certificate ${i}): roots come from the trusted root, never from the bundle`);
  });
  parsed.forEach((cert, i) => {
    const issuer = parsed[i + 1];
    if (issuer && !(cert.issuer.equals(issuer.subject) && safely(() => cert.verify(issuer))))
      invalid(`is out of order: certificate ${i} is not issued by certificate ${i + 1}`);
  });
}

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

/**
 * An inclusion proof's own `rootHash` and `treeSize` are those of the checkpoint it comes with
 * (the library computes the root from the checkpoint alone and ignores these fields; a bundle
 * that disagrees with itself is refused, as sigstore-go does).
 */
export function checkProofsMatchCheckpoints(
  entries: ReadonlyArray<{ inclusionProof?: { rootHash: Uint8Array; treeSize: string; checkpoint?: { envelope: string } } | undefined }>,
): void {
  entries.forEach((entry, i) => {
    const proof = entry.inclusionProof;
    const note = proof?.checkpoint?.envelope;
    if (!proof || typeof note !== 'string') return;
    const [, size, hash] = note.split('\n');
    if (size === undefined || hash === undefined) return; // the library refuses a checkpoint without them
    if (size !== proof.treeSize || !Buffer.from(hash, 'base64').equals(Buffer.from(proof.rootHash)))
      throw new DctError(
        'SIGSTORE_TLOG_INVALID',
        `the inclusion proof of tlog entry ${i} names tree size ${proof.treeSize} and another root hash than its checkpoint (size ${size})`,
      );
  });
}

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** What an artifact is known by: its SHA-256 (always) and, with its bytes, other digests on request. */
export interface ArtifactDigests {
  sha256: string;
  bytes?: Uint8Array;
}

/**
 * The DSSE payload is an in-toto statement one of whose subjects has the artifact's digest
 * (sha256; with the artifact's bytes also sha384/sha512 subjects). Throws SIGSTORE_ARTIFACT_MISMATCH.
 */
export function checkStatementSubjects(payloadType: string, payload: Uint8Array, artifact: ArtifactDigests): void {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw new DctError(
      'SIGSTORE_ARTIFACT_MISMATCH',
      `the DSSE payload is ${JSON.stringify(payloadType.slice(0, 80))}, not an in-toto statement: it names no artifact to compare`,
    );
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new DctError('SIGSTORE_ARTIFACT_MISMATCH', 'the in-toto statement in the DSSE envelope is not JSON');
  }
  const subjects = isRecord(statement) && Array.isArray(statement.subject) ? statement.subject : undefined;
  if (!subjects) throw new DctError('SIGSTORE_ARTIFACT_MISMATCH', 'the in-toto statement has no "subject" list');
  const computed = new Map<string, string>([['sha256', artifact.sha256]]);
  const digestOf = (alg: string): string | undefined => {
    if (!computed.has(alg) && artifact.bytes && (alg === 'sha384' || alg === 'sha512'))
      computed.set(alg, createHash(alg).update(artifact.bytes).digest('hex'));
    return computed.get(alg);
  };
  for (const subject of subjects) {
    if (!isRecord(subject) || !isRecord(subject.digest)) continue;
    for (const [alg, value] of Object.entries(subject.digest)) {
      if (typeof value === 'string' && value.toLowerCase() === digestOf(alg)) return;
    }
  }
  throw new DctError(
    'SIGSTORE_ARTIFACT_MISMATCH',
    `provided artifact digest does not match any digest in statement (sha256:${artifact.sha256} is not among its ${subjects.length} subjects)`,
  );
}
