/**
 * SigstoreBundleVerifier on hostile input, starting from real bundles of the conformance
 * suite: every refusal a DctError with a stable SIGSTORE_* code, never a crash, a hang or a
 * "verified" — oversized lists, chain loops and garbage certificates, every field replaced by a
 * wrong value, substituted signatures, content and keys, broken trusted roots, ignoreTlog.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SigstoreBundleVerifier } from '../../../src/adapters/sigstore/bundle-verifier.js';
import { MAX_BUNDLE_BYTES, parseBundleJson } from '../../../src/adapters/sigstore/conformance-client.js';
import { isDctError } from '../../../src/core/errors.js';
import type { SignedArtifact, SigstorePolicy } from '../../../src/core/signatures/sigstore-verification.js';
import { fixturePath } from '../../support/fixtures.js';

const json = (...p: string[]): Record<string, unknown> => JSON.parse(readFileSync(fixturePath(...p), 'utf8')) as Record<string, unknown>;
const bytes = (...p: string[]): Buffer => readFileSync(fixturePath(...p));
const clone = <T>(v: T): T => structuredClone(v);
const PRODUCTION = json('sigstore-conformance', 'trusted-roots', 'trusted_root.production.json');
const verifier = new SigstoreBundleVerifier();

async function refused(p: Promise<unknown>, code: string, reason?: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(isDctError(err), `not a DctError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (reason) assert.match(err.message, reason);
    return;
  }
  assert.fail(`verified, expected ${code}`);
}

describe('bad input: a stable code, never a crash, a hang or a verdict of verified', () => {
  const dir = ['sigstore-conformance', 'bundle-verify'];
  const happy = json(...dir, 'happy-path-v0.3', 'bundle.sigstore.json');
  const artifact: SignedArtifact = { bytes: bytes(...dir, 'a.txt') };
  const policy: SigstorePolicy = {
    kind: 'identity',
    identity: {
      exact:
        'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
    },
    issuer: { exact: 'https://token.actions.githubusercontent.com' },
  };
  const opts = { trustedRoot: PRODUCTION };
  // the mutations below reach into bundle JSON by path
  /* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call */
  type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('the unmodified bundle verifies (so each refusal below is the mutation)', async () => {
    await verifier.verify(happy, artifact, policy, opts);
  });

  it('values that are not a bundle', async () => {
    for (const v of [
      null,
      undefined,
      0,
      'x',
      [],
      {},
      { mediaType: 5 },
      { mediaType: happy.mediaType },
      { ...happy, verificationMaterial: 'x' },
    ])
      await refused(verifier.verify(v, artifact, policy, opts), 'SIGSTORE_BUNDLE_MALFORMED');
  });

  it('10,000 tlog entries are refused before any of them is read (SIGSTORE_BUNDLE_TOO_LARGE)', async () => {
    const b = clone(happy) as Mutable;
    let reads = 0;
    const entry = new Proxy(b.verificationMaterial.tlogEntries[0] as object, {
      get: (target, key, receiver) => {
        reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    b.verificationMaterial.tlogEntries = Array.from({ length: 10_000 }, () => entry);
    await refused(verifier.verify(b, artifact, policy, opts), 'SIGSTORE_BUNDLE_TOO_LARGE', /10000 transparency log entries/);
    assert.equal(reads, 0, 'the count is checked before any entry is looked at');
  });

  it('too many timestamps, proof hashes or chain certificates; two DSSE signatures', async () => {
    const ts = clone(happy) as Mutable;
    ts.verificationMaterial.timestampVerificationData = {
      rfc3161Timestamps: Array.from({ length: 1000 }, () => ({ signedTimestamp: 'AAAA' })),
    };
    await refused(verifier.verify(ts, artifact, policy, opts), 'SIGSTORE_BUNDLE_TOO_LARGE');
    const proof = clone(happy) as Mutable;
    proof.verificationMaterial.tlogEntries[0].inclusionProof.hashes = Array.from({ length: 5000 }, () => 'AAAA');
    await refused(verifier.verify(proof, artifact, policy, opts), 'SIGSTORE_BUNDLE_TOO_LARGE');
    const dsse = json(...dir, 'happy-path-intoto-in-dsse-v3', 'bundle.sigstore.json') as Mutable;
    dsse.dsseEnvelope.signatures.push(dsse.dsseEnvelope.signatures[0]);
    await refused(verifier.verify(dsse, artifact, policy, opts), 'SIGSTORE_BUNDLE_MALFORMED', /exactly one signature/);
  });

  it('a chain loop, an out-of-order chain and garbage certificates are refused (SIGSTORE_CERTIFICATE_INVALID)', async () => {
    const v01 = json(...dir, 'happy-path-v0.1', 'bundle.sigstore.json') as Mutable;
    const chain = v01.verificationMaterial.x509CertificateChain.certificates as Array<{ rawBytes: string }>;
    const withChain = (certificates: unknown[]) => {
      const b = clone(v01);
      b.verificationMaterial.x509CertificateChain.certificates = certificates;
      return b;
    };
    await verifier.verify(v01, artifact, policy, opts);
    if (chain.length > 1) {
      await refused(verifier.verify(withChain([...chain, chain[1]]), artifact, policy, opts), 'SIGSTORE_CERTIFICATE_INVALID', /loop/);
      await refused(verifier.verify(withChain([chain[0], chain[0]]), artifact, policy, opts), 'SIGSTORE_CERTIFICATE_INVALID');
    }
    await refused(
      verifier.verify(withChain([chain[0], { rawBytes: 'AAAA' }]), artifact, policy, opts),
      'SIGSTORE_CERTIFICATE_INVALID',
      /does not parse/,
    );
    await refused(
      verifier.verify(withChain([chain[0], { rawBytes: Buffer.from('garbage certificate').toString('base64') }]), artifact, policy, opts),
      'SIGSTORE_CERTIFICATE_INVALID',
    );
    const leaf = clone(happy) as Mutable;
    leaf.verificationMaterial.certificate.rawBytes = Buffer.from('not DER').toString('base64');
    await refused(verifier.verify(leaf, artifact, policy, opts), 'SIGSTORE_BUNDLE_MALFORMED');
  });

  it('every field replaced by a value of the wrong type: refused with a SIGSTORE_ code or (unauthenticated hints) verified, never a crash', async (t) => {
    const paths: string[][] = [];
    const walk = (v: unknown, path: string[]) => {
      paths.push(path);
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
    };
    walk(happy, []);
    const replacements: unknown[] = [null, 0, -1, '', 'A', '!!!not base64', [], {}, { a: 1 }, 1e308];
    let refusedCount = 0;
    let verifiedCount = 0;
    const accepted = new Set<string>();
    for (const path of paths.slice(1)) {
      for (const r of replacements) {
        const b = clone(happy) as Mutable;
        let node: Mutable = b;
        for (const k of path.slice(0, -1)) node = node[k] as Mutable;
        node[path[path.length - 1]!] = r;
        try {
          await verifier.verify(b, artifact, policy, opts);
          verifiedCount++;
          accepted.add(path.join('.'));
        } catch (err) {
          assert.ok(isDctError(err) && err.code.startsWith('SIGSTORE_'), `${path.join('.')} = ${JSON.stringify(r)}: ${String(err)}`);
          refusedCount++;
        }
      }
    }
    t.diagnostic(`${refusedCount} refused, ${verifiedCount} verified; fields whose change still verifies: ${[...accepted].join(', ')}`);
    assert.ok(refusedCount > paths.length * 5, `${refusedCount} refused, ${verifiedCount} verified`);
    // only a default: an unspecified hash algorithm is SHA-256
    for (const p of accepted) assert.equal(p, 'messageSignature.messageDigest.algorithm');
  });

  it('signature, content and key substitutions have their own codes', async () => {
    const sig = clone(happy) as Mutable;
    sig.messageSignature.signature = Buffer.from('x'.repeat(70)).toString('base64');
    await refused(verifier.verify(sig, artifact, policy, opts), 'SIGSTORE_TLOG_INVALID');
    await refused(verifier.verify(happy, { bytes: Buffer.from('tampered') }, policy, opts), 'SIGSTORE_ARTIFACT_MISMATCH');
    const key = json(...dir, 'managed-key-happy-path', 'bundle.sigstore.json');
    const foreign = bytes(...dir, 'managed-key-and-trusted-root', 'key.pub').toString();
    const own = bytes(...dir, 'managed-key-happy-path', 'key.pub').toString();
    await verifier.verify(key, artifact, { kind: 'key', publicKeyPem: own }, opts);
    // a different, well-formed P-256 key
    const other = bytes('cosign', 'keys', 'release-cosign.pub').toString();
    await refused(
      verifier.verify(key, artifact, { kind: 'key', publicKeyPem: other }, opts),
      'SIGSTORE_KEY_MISMATCH',
      /does not verify with the given public key/,
    );
    await refused(
      verifier.verify(key, artifact, { kind: 'key', publicKeyPem: 'not a key' }, opts),
      'SIGSTORE_KEY_MISMATCH',
      /does not load/,
    );
    assert.ok(foreign.length > 0);
  });

  it('a trusted root that is not one is SIGSTORE_TRUSTED_ROOT_INVALID', async () => {
    for (const trustedRoot of [
      [],
      'x',
      { tlogs: 'x' },
      { tlogs: [{}] },
      { ...PRODUCTION, certificateAuthorities: [{ certChain: { certificates: [{ rawBytes: 'AAAA' }] } }] },
    ])
      await refused(verifier.verify(happy, artifact, policy, { trustedRoot }), 'SIGSTORE_TRUSTED_ROOT_INVALID');
  });

  it('ignoreTlog without any timestamp: the certificate must be valid now (expired Fulcio leaf refused; inside its 10 minutes accepted)', async () => {
    const b = clone(happy) as Mutable;
    b.verificationMaterial.tlogEntries = [];
    await refused(verifier.verify(b, artifact, policy, opts), 'SIGSTORE_TLOG_MISSING');
    await refused(verifier.verify(b, artifact, policy, { ...opts, ignoreTlog: true }), 'SIGSTORE_CERTIFICATE_INVALID');
    const logged = Number((happy as Mutable).verificationMaterial.tlogEntries[0].integratedTime);
    // no SCT check is skipped: the leaf's embedded SCT still verifies against the CT log
    const r = await verifier.verify(b, artifact, policy, { ...opts, ignoreTlog: true, now: new Date(logged * 1000) });
    assert.equal(r.signedAt, undefined);
    assert.deepEqual(r.tlog, []);
  });
});

describe('bundle bytes', () => {
  it('a truncated bundle is SIGSTORE_BUNDLE_MALFORMED; an oversized one SIGSTORE_BUNDLE_TOO_LARGE', () => {
    const text = readFileSync(fixturePath('sigstore-conformance', 'bundle-verify', 'happy-path-v0.3', 'bundle.sigstore.json'));
    assert.deepEqual(parseBundleJson(text), JSON.parse(text.toString()));
    for (const cut of [0, 1, 100, text.toString().trimEnd().length - 1])
      assert.throws(
        () => parseBundleJson(text.subarray(0, cut)),
        (err: unknown) => isDctError(err, 'SIGSTORE_BUNDLE_MALFORMED'),
      );
    assert.throws(
      () => parseBundleJson(new Uint8Array(MAX_BUNDLE_BYTES + 1)),
      (err: unknown) => isDctError(err, 'SIGSTORE_BUNDLE_TOO_LARGE'),
    );
  });
});

describe('generated input (fast-check)', () => {
  const happy = json('sigstore-conformance', 'bundle-verify', 'happy-path-v0.3', 'bundle.sigstore.json');
  const artifact: SignedArtifact = { bytes: bytes('sigstore-conformance', 'bundle-verify', 'a.txt') };
  const policy: SigstorePolicy = { kind: 'identity', identity: { regexp: '.*' }, issuer: { regexp: '.*' } };
  const sigstoreRefusal = (err: unknown) => isDctError(err) && err.code.startsWith('SIGSTORE_');

  it('any JSON value as a bundle is refused with a SIGSTORE_ code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        await assert.rejects(verifier.verify(value, artifact, policy, { trustedRoot: PRODUCTION }), sigstoreRefusal);
      }),
      { numRuns: 300 },
    );
  });

  it('a real bundle with one field replaced by any JSON value: a SIGSTORE_ refusal or a verdict, never another exception', async () => {
    const paths: string[][] = [];
    const walk = (v: unknown, path: string[]) => {
      if (path.length > 0) paths.push(path);
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
    };
    walk(happy, []);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.jsonValue(), async (path, value) => {
        const b: Record<string, unknown> = clone(happy);
        let node = b;
        for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
        node[path[path.length - 1]!] = value;
        try {
          await verifier.verify(b, artifact, policy, { trustedRoot: PRODUCTION });
        } catch (err) {
          assert.ok(sigstoreRefusal(err), `${path.join('.')} = ${JSON.stringify(value)}: ${String(err)}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
