/**
 * Verifies a Sigstore bundle (v0.1–v0.3, message signature or DSSE, Fulcio certificate or
 * public key, Rekor v1 or v2, RFC 3161 timestamps) with `@sigstore/verify`, offline, against
 * a trusted root, plus the checks the library leaves out (see `bundle-checks.ts` and
 * `trusted-root.ts`), and reports who signed, when, and on whose word.
 *
 * Thresholds: one transparency log entry (none with `ignoreTlog`, cosign's
 * `--insecure-ignore-tlog`), one SCT for certificate bundles, and the library's one verified
 * signing time (a log's integrated time or an RFC 3161 timestamp). With `ignoreTlog` and no
 * timestamp at all, a certificate must be valid now (cosign does the same).
 *
 * Policy: a key policy needs a key-signed bundle that verifies with that key; an identity
 * policy needs a Fulcio certificate whose SAN and OIDC issuer match (exact, or an unanchored
 * regexp as cosign's `regexp.MatchString`: see `identity-matcher.ts`). A key-signed bundle
 * under an identity policy is refused (`managed-key-no-key_fail`), and the other way round.
 *
 * The artifact is the signed bytes or only their SHA-256 (`sha256:<hex>`). A message signature
 * over a digest alone is checked pre-hashed (`prehashed-signature.ts`); its `messageDigest`
 * must be the artifact's (`message-digest-mismatch_fail`). A DSSE in-toto statement must name
 * the artifact among its subjects, unless `checkClaims` is false.
 *
 * Every failure is a DctError with a `SIGSTORE_*` code (`library-errors.ts`); no input crashes.
 */
import { createHash, createPublicKey, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { SignedEntity, TrustMaterial } from '@sigstore/verify';
import { DctError } from '../../core/errors.js';
import type { SignerIdentity } from '../../core/signatures/signature-report.js';
import type {
  BundleVerification,
  BundleVerificationOptions,
  BundleVerifier,
  SignedArtifact,
  SigstorePolicy,
} from '../../core/signatures/sigstore-verification.js';
import {
  checkBundleShape,
  checkChain,
  checkProofsMatchCheckpoints,
  checkStatementSubjects,
  type ArtifactDigests,
} from './bundle-checks.js';
import { compileMatcher, describeMatcher } from './identity-matcher.js';
import { verificationFailure } from './library-errors.js';
import { verifyPrehashed } from './prehashed-signature.js';
import { checkTrustedRoot, loadTrustedRoot } from './trusted-root.js';

/** dct's options beyond the port's. */
export interface SigstoreVerifyOptions extends BundleVerificationOptions {
  /** DSSE: false skips matching the artifact against the statement's subjects (cosign's `--check-claims=false`) */
  checkClaims?: boolean;
  /** the time a certificate must be valid at when `ignoreTlog` leaves no signed time (default: now) */
  now?: Date;
}

/** the Sigstore packages, loaded on the first verification (they are a tenth of a second of start-up) */
type Libraries = {
  bundle: typeof import('@sigstore/bundle');
  core: typeof import('@sigstore/core');
  verify: typeof import('@sigstore/verify');
  specs: typeof import('@sigstore/protobuf-specs');
};

let libraries: Promise<Libraries> | undefined;
const loadLibraries = (): Promise<Libraries> =>
  (libraries ??= Promise.all([
    import('@sigstore/bundle'),
    import('@sigstore/core'),
    import('@sigstore/verify'),
    import('@sigstore/protobuf-specs'),
  ]).then(([bundle, core, verify, specs]) => ({ bundle, core, verify, specs })));

const HASH_NAMES: Record<number, string> = { 0: 'sha256', 1: 'sha256', 2: 'sha384', 3: 'sha512', 4: 'sha3-256', 5: 'sha3-384' };
const SHA256_DIGEST = /^sha256:([0-9a-f]{64})$/;

export class SigstoreBundleVerifier implements BundleVerifier {
  /** parsed trusted roots by the JSON object they came from (verifying many bundles parses a root once) */
  private readonly roots = new WeakMap<object, TrustMaterial>();
  private shipped: Promise<unknown> | undefined;

  async verify(
    bundle: unknown,
    artifact: SignedArtifact,
    policy: SigstorePolicy,
    opts: SigstoreVerifyOptions = {},
  ): Promise<BundleVerification> {
    try {
      return await this.check(bundle, artifact, policy, opts);
    } catch (err) {
      throw verificationFailure(err);
    }
  }

  private async check(
    bundle: unknown,
    artifact: SignedArtifact,
    policy: SigstorePolicy,
    opts: SigstoreVerifyOptions,
  ): Promise<BundleVerification> {
    const lib = await loadLibraries();
    // a pattern that does not compile is the caller's mistake, whatever the bundle
    const matchIdentity = policy.kind === 'identity' ? compileMatcher(policy.identity, 'certificate identity') : undefined;
    const matchIssuer = policy.kind === 'identity' ? compileMatcher(policy.issuer, 'OIDC issuer') : undefined;
    checkBundleShape(bundle);
    const parsed = parseBundle(lib, bundle);
    const chain = chainOf(parsed);
    if (chain.length > 1) checkChain(chain, lib.core.X509Certificate);
    checkProofsMatchCheckpoints(parsed.verificationMaterial.tlogEntries);
    const rootJson = opts.trustedRoot ?? (await this.defaultRoot());
    const root = this.trustedRoot(lib, rootJson);
    const digests = artifactDigests(artifact);
    if (!opts.ignoreTlog && parsed.verificationMaterial.tlogEntries.length === 0)
      throw new DctError('SIGSTORE_TLOG_MISSING', "the bundle has no transparency log entry; cosign's --insecure-ignore-tlog accepts that");

    const keyed = parsed.verificationMaterial.content.$case === 'publicKey';
    let policyKey: KeyObject | undefined;
    if (policy.kind === 'key') {
      if (!keyed)
        throw new DctError(
          'SIGSTORE_KEY_MISMATCH',
          'the bundle is signed with a Fulcio certificate, not a key: verify it with an identity and issuer',
        );
      policyKey = publicKeyOf(policy.publicKeyPem);
    } else if (keyed) {
      throw new DctError(
        'SIGSTORE_IDENTITY_MISMATCH',
        'the bundle is signed with a public key, not a Fulcio certificate: no identity to check (verify it with --key)',
      );
    }

    const entity = signedEntity(lib, parsed, artifact, digests);
    const material: TrustMaterial = {
      ...root,
      publicKey: (hint: string) => {
        if (!policyKey)
          throw Object.assign(new Error(`no key given for the bundle's key hint ${JSON.stringify(hint)}`), { code: 'PUBLIC_KEY_ERROR' });
        return { publicKey: policyKey, validFor: () => true };
      },
    };
    if (opts.ignoreTlog && !keyed && entity.timestamps.length === 0) {
      // cosign without a log and without a timestamp: the certificate must be valid now
      const now = opts.now ?? new Date();
      entity.timestamps.push({
        $case: 'transparency-log',
        tlogEntry: { integratedTime: String(Math.floor(now.getTime() / 1000)), inclusionPromise: {}, logId: { keyId: Buffer.alloc(0) } },
      } as unknown as SignedEntity['timestamps'][number]);
    }
    const verifier = new lib.verify.Verifier(material, {
      tlogThreshold: opts.ignoreTlog ? 0 : 1,
      ctlogThreshold: 1,
      timestampThreshold: opts.ignoreTlog && keyed ? 0 : 1,
    });
    let signerKey: KeyObject;
    let identity: { subjectAlternativeName?: string; extensions?: { issuer?: string } } | undefined;
    try {
      const signer = verifier.verify(entity);
      signerKey = signer.key;
      identity = signer.identity;
    } catch (err) {
      const failure = verificationFailure(err);
      if (failure.code === 'SIGSTORE_SIGNATURE_INVALID' && policyKey && parsed.verificationMaterial.tlogEntries.length > 0)
        // the log entry (verified before the signature) binds the content and signature: the key is what differs
        throw new DctError(
          'SIGSTORE_KEY_MISMATCH',
          `the bundle's signature does not verify with the given public key (${keyIdOf(policyKey)})`,
          {
            cause: err,
          },
        );
      throw failure;
    }

    if (policy.kind === 'identity') {
      const san = identity?.subjectAlternativeName;
      const issuer = identity?.extensions?.issuer;
      if (!matchIdentity?.(san))
        throw new DctError(
          'SIGSTORE_IDENTITY_MISMATCH',
          // sigstore-go's words (cosign 3): `expected SAN value "…"` / `expected SAN value to match regex "…"`
          `no matching CertificateIdentity found, last error: expected SAN value ${'exact' in policy.identity ? '' : 'to match regex '}${JSON.stringify(describeMatcher(policy.identity))}, got ${JSON.stringify(san ?? '')}`,
        );
      if (!matchIssuer?.(issuer))
        throw new DctError(
          'SIGSTORE_IDENTITY_MISMATCH',
          `the certificate's OIDC issuer does not match: expected ${'exact' in policy.issuer ? '' : 'to match regex '}${JSON.stringify(describeMatcher(policy.issuer))}, got ${JSON.stringify(issuer ?? '')}`,
        );
    }

    let payload: BundleVerification['payload'];
    if (parsed.content.$case === 'dsseEnvelope') {
      const env = parsed.content.dsseEnvelope;
      payload = { type: env.payloadType, bytes: new Uint8Array(env.payload) };
      if (opts.checkClaims !== false) checkStatementSubjects(env.payloadType, env.payload, digests);
    }
    return {
      signer: signerOf(parsed, signerKey, identity),
      ...signingTime(lib, parsed),
      content: parsed.content.$case === 'dsseEnvelope' ? 'dsse-envelope' : 'message-signature',
      ...(payload ? { payload } : {}),
      tlog: parsed.verificationMaterial.tlogEntries.map((e) => ({
        logIndex: e.logIndex,
        logId: Buffer.from(e.logId?.keyId ?? []).toString('hex'),
        ...(e.integratedTime && e.integratedTime !== '0' ? { integratedTime: isoOfSeconds(e.integratedTime) } : {}),
      })),
    };
  }

  /** The refreshed or shipped production root, read once (a failed read is tried again next time). */
  private defaultRoot(): Promise<unknown> {
    this.shipped ??= loadTrustedRoot().catch((err: unknown) => {
      this.shipped = undefined;
      throw err;
    });
    return this.shipped;
  }

  /** The trust material of a trusted root (parsed once per root object: verifying many bundles parses the root once). */
  private trustedRoot(lib: Libraries, json: unknown): TrustMaterial {
    const cached = typeof json === 'object' && json !== null ? this.roots.get(json) : undefined;
    if (cached) return cached;
    checkTrustedRoot(json);
    let material: TrustMaterial;
    try {
      material = lib.verify.toTrustMaterial(lib.specs.TrustedRoot.fromJSON(json));
    } catch (err) {
      throw new DctError('SIGSTORE_TRUSTED_ROOT_INVALID', `the trusted root does not parse: ${(err as Error).message}`, { cause: err });
    }
    if (typeof json === 'object' && json !== null) this.roots.set(json, material);
    return material;
  }
}

function parseBundle(lib: Libraries, raw: unknown): Bundle {
  try {
    return lib.bundle.bundleFromJSON(raw);
  } catch (err) {
    throw verificationFailure(err);
  }
}

function chainOf(bundle: Bundle): Uint8Array[] {
  const content = bundle.verificationMaterial.content;
  if (content.$case === 'x509CertificateChain') return content.x509CertificateChain.certificates.map((c) => c.rawBytes);
  if (content.$case === 'certificate') return [content.certificate.rawBytes];
  return [];
}

function artifactDigests(artifact: SignedArtifact): ArtifactDigests {
  if ('bytes' in artifact) return { sha256: createHash('sha256').update(artifact.bytes).digest('hex'), bytes: artifact.bytes };
  const match = typeof artifact.digest === 'string' ? SHA256_DIGEST.exec(artifact.digest.toLowerCase()) : null;
  if (!match)
    throw new DctError(
      'SIGSTORE_DIGEST_UNSUPPORTED',
      `the artifact digest must be sha256:<64 hex digits>, not ${JSON.stringify(String(artifact.digest).slice(0, 80))}`,
    );
  return { sha256: match[1]! };
}

/** The library's signed entity; for a message signature over a digest alone, its signature check is pre-hashed. */
function signedEntity(lib: Libraries, bundle: Bundle, artifact: SignedArtifact, digests: ArtifactDigests): SignedEntity {
  let entity: SignedEntity;
  try {
    entity = lib.verify.toSignedEntity(bundle, 'bytes' in artifact ? Buffer.from(artifact.bytes) : Buffer.alloc(0));
  } catch (err) {
    throw verificationFailure(err);
  }
  if (bundle.content.$case !== 'messageSignature') return entity;
  const message = bundle.content.messageSignature;
  const hint = message.messageDigest;
  if (!hint) throw new DctError('SIGSTORE_BUNDLE_MALFORMED', 'the message signature has no messageDigest');
  const hash = HASH_NAMES[hint.algorithm] ?? 'unknown';
  const expected =
    hash === 'sha256'
      ? digests.sha256
      : digests.bytes && hash !== 'unknown'
        ? createHash(hash).update(digests.bytes).digest('hex')
        : undefined;
  if (expected === undefined)
    throw new DctError('SIGSTORE_DIGEST_UNSUPPORTED', `the bundle signs a ${hash} digest: give the artifact file, not its sha256 digest`);
  if (Buffer.from(hint.digest).toString('hex') !== expected)
    throw new DctError(
      'SIGSTORE_ARTIFACT_MISMATCH',
      `the bundle's message digest ${hash}:${Buffer.from(hint.digest).toString('hex')} is not the artifact's (${hash}:${expected})`,
    );
  if ('bytes' in artifact) return entity;
  const digest = Buffer.from(digests.sha256, 'hex');
  const signature = Buffer.from(message.signature);
  entity.signature = {
    signature,
    compareSignature: (s: Buffer) => s.equals(signature),
    compareDigest: (d: Buffer) => d.equals(Buffer.from(hint.digest)),
    compareSignedDigest: (d: Buffer) => d.equals(Buffer.from(hint.digest)),
    verifySignature: (key: KeyObject) => verifyPrehashed(key, digest, hash, signature),
  };
  return entity;
}

function publicKeyOf(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (err) {
    throw new DctError('SIGSTORE_KEY_MISMATCH', `the given public key does not load: ${(err as Error).message}`);
  }
}

/** `sha256:<hex>` of the key's SubjectPublicKeyInfo DER. */
export function keyIdOf(key: KeyObject): string {
  return `sha256:${createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

function signerOf(
  bundle: Bundle,
  key: KeyObject,
  identity: { subjectAlternativeName?: string; extensions?: { issuer?: string } } | undefined,
): SignerIdentity {
  const chain = chainOf(bundle);
  if (chain.length === 0) return { kind: 'key', keyId: keyIdOf(key) };
  let subject: string | undefined;
  try {
    const leaf = new NodeX509(Buffer.from(chain[0]!));
    subject = leaf.subject ? leaf.subject.split('\n').filter(Boolean).reverse().join(',') : undefined;
  } catch {
    subject = undefined;
  }
  return {
    kind: 'certificate',
    keyId: keyIdOf(key),
    ...(subject ? { subject } : {}),
    ...(identity?.subjectAlternativeName ? { san: identity.subjectAlternativeName } : {}),
    ...(identity?.extensions?.issuer ? { issuer: identity.extensions.issuer } : {}),
  };
}

const isoOfSeconds = (seconds: string): string => new Date(Number(seconds) * 1000).toISOString();

/** The earliest verified log integrated time (entries with a promise), else the earliest RFC 3161 time. */
function signingTime(lib: Libraries, bundle: Bundle): Pick<BundleVerification, 'signedAt' | 'timeSource'> {
  const logged = bundle.verificationMaterial.tlogEntries
    .filter((e) => e.inclusionPromise && e.integratedTime && e.integratedTime !== '0')
    .map((e) => Number(e.integratedTime))
    .filter(Number.isFinite);
  if (logged.length > 0) return { signedAt: isoOfSeconds(String(Math.min(...logged))), timeSource: 'tlog' };
  const stamped: number[] = [];
  for (const ts of bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
    try {
      stamped.push(lib.core.RFC3161Timestamp.parse(Buffer.from(ts.signedTimestamp)).signingTime.getTime());
    } catch {
      /* verified already; an unreadable one cannot be here */
    }
  }
  return stamped.length > 0 ? { signedAt: new Date(Math.min(...stamped)).toISOString(), timeSource: 'tsa' } : {};
}
